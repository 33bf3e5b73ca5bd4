import { resolve } from "node:path";
import { Command } from "commander";
import { validateObjects } from "../check/kubernetes-schema.js";
import { readOutput } from "../check/run.js";
import { error, H5bError, type Issue, warning } from "../issue.js";
import { render } from "../pipeline.js";
import { extraObjects, type ManifestObject, markdownReport, modelOf, simulate, simulationJson, terminalReport } from "../simulate/index.js";
import type { Status } from "../simulate/index.js";
import { findConfigFile } from "../spec/load.js";
import { outputOlderThan } from "../write/writer.js";
import { bold, dim, green, printIssues, red, table, yellow } from "./_output.js";

interface SimulateOptions {
  config?: string;
  out?: string;
  manifests: string[];
  depth: string;
  json?: boolean;
  markdown?: boolean;
  secrets?: string;
}

const statusPaint: Record<Status, (s: string) => string> = { up: green, degraded: yellow, down: red };

export function simulateCommand(): Command {
  return new Command("simulate")
    .description("what stays up when a node, the API server, storage, Porygon or the gateway fails (exit 1 on a broken promise)")
    .option("-c, --config <file>", "spec file (default: h5b.config.ts or homelab.yaml here, else the embedded default)")
    .option("-o, --out <dir>", "simulate this output of h5b build when it is newer than the spec (else render in memory)")
    .option("--manifests <dir>", "extra Kubernetes manifests to simulate with the rendered ones (repeatable)", (v: string, acc: string[]) => [...acc, v], [])
    .option("--depth <n>", "1: every single failure; 2: every pair too", "1")
    .option("--json", "the whole simulation as JSON (documented in docs/simulate.md)")
    .option("--markdown", "the report as Markdown")
    .option("--secrets <dir>", "folder of the generated secrets (default: .h5b/secrets beside the spec)")
    .action(async (o: SimulateOptions) => {
      const cwd = process.cwd();
      const flagIssues: Issue[] = [];
      if (o.depth !== "1" && o.depth !== "2") flagIssues.push(error("bad-depth", "--depth", `must be 1 or 2, not ${o.depth}`));
      if (o.json === true && o.markdown === true) flagIssues.push(error("bad-format", "--json", "choose one of --json and --markdown"));
      if (flagIssues.length > 0) throw new H5bError("simulate", flagIssues);

      const { plan, files, notes } = await source(o, cwd);
      const model = modelOf(plan, files, await checkedExtraObjects(o.manifests.map((d) => resolve(cwd, d))));
      printIssues([...notes, ...model.warnings]);
      const sim = simulate(model, { depth: o.depth === "2" ? 2 : 1 });
      if (o.json === true) process.stdout.write(`${JSON.stringify(simulationJson(sim), null, 2)}\n`);
      else if (o.markdown === true) process.stdout.write(markdownReport(sim));
      else process.stdout.write(terminalReport(sim, { bold, dim, status: (st, s) => statusPaint[st](s) }, table));
      if (sim.broken.length > 0) process.exitCode = 1;
    });
}

/**
 * The user's extra manifests, each built-in kind checked against Kubernetes' schema first: the simulator reads what
 * it needs leniently, so `replicas: "two"` or a Service without ports would otherwise be simulated as something
 * else, where k3s would refuse the object. Custom resources are not checked (h5b has no schema for them).
 */
async function checkedExtraObjects(dirs: readonly string[]): Promise<ManifestObject[]> {
  const objects = dirs.flatMap(extraObjects);
  const findings = await validateObjects(objects, "simulate", { skipUnknownCustom: true });
  if (findings.length > 0) throw new H5bError("simulate", findings.map((f) => error("manifest-invalid", f.where, f.message)));
  return objects;
}

/** The build output when it is at least as new as the spec; otherwise the spec rendered in memory, with a note. */
async function source(o: SimulateOptions, cwd: string) {
  const notes: Issue[] = [];
  if (o.out !== undefined) {
    const out = resolve(cwd, o.out);
    const ctx = readOutput(out, "simulate");
    const spec = o.config !== undefined ? resolve(cwd, o.config) : findConfigFile(cwd);
    if (spec === undefined || !outputOlderThan(out, spec)) return { plan: ctx.plan, files: ctx.files, notes };
    notes.push(warning("output-stale", o.out, `is older than ${spec}: simulating the spec rendered in memory (run h5b build to refresh it)`));
  }
  const r = await render({
    cwd,
    ...(o.config !== undefined ? { config: o.config } : {}),
    ...(o.secrets !== undefined ? { secretsDir: o.secrets } : {}),
    keepSecrets: false,
  });
  return { plan: r.plan, files: r.files.map((f) => [f.path, f.content] as const), notes: [...notes, ...r.warnings] };
}
