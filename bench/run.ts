import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { render } from "../src/pipeline.js";
import { defaultHomelabInput } from "../src/spec/load.js";
import { generatedSpec } from "./_generate.js";

/**
 * Build benchmarks (figures, not tests). Targets from the issue: the default spec within 0.5 s wall including
 * Node's start; 100 nodes and 1,000 workloads within 3 s; cost growing no faster than linearly.
 */
const root = fileURLToPath(new URL("..", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "h5b-bench-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Median wall time of `h5b <args>`; `before` runs untimed ahead of each run (to set up the output folder). */
function wall(args: string[], runs: number, before: (run: number) => string[] = () => []): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const extra = before(i);
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [join(root, "bin", "h5b.js"), ...args, ...extra], { cwd: tmp, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`h5b ${args.join(" ")} failed:\n${r.stderr}`);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
}

async function inProcess(workers: number, workloads: number, runs: number): Promise<number> {
  const file = join(tmp, `spec-${workers}-${workloads}.yaml`);
  writeFileSync(file, stringify(generatedSpec(workers, workloads)));
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await render({ cwd: tmp, config: file, secretsDir: join(tmp, "secrets") });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(times);
}

const line = (label: string, ms: number, target?: number) =>
  console.log(`${label.padEnd(68)} ${ms.toFixed(0).padStart(6)} ms${target !== undefined ? `   target ${target} ms  ${ms <= target ? "ok" : "OVER"}` : ""}`);

try {
  // Warm the secret store once so no run pays for key generation.
  const build = ["build", "--out", "o", "--secrets", "secrets"];
  wall(build, 1);
  // The three cases a user meets: a first build, a build after an edit (every file rewritten and the old tree
  // swapped out), and a build with nothing changed (the tree is read back and left as it is).
  line("h5b build, default spec, new output folder (wall, incl. Node start)", wall(build, 7, () => (rmSync(join(tmp, "o"), { recursive: true, force: true }), [])), 500);
  const edited = join(tmp, "edited.yaml");
  const spec = defaultHomelabInput();
  if (spec.site === undefined) throw new Error("the default spec has no site");
  spec.site.timeZone = "Europe/Paris";
  writeFileSync(edited, stringify(spec));
  wall(["build", "--out", "o2", "--secrets", "secrets", "--config", edited], 1);
  line("h5b build, default spec, after an edit (wall)", wall(["build", "--out", "o", "--secrets", "secrets"], 7, (i) => (i % 2 === 0 ? ["--config", edited] : [])), 500);
  line("h5b build, default spec, nothing changed (wall)", wall(build, 7), 500);
  writeFileSync(join(tmp, "big.yaml"), stringify(generatedSpec(100, 1000)));
  line("h5b build, 100 nodes + 1,000 workloads (wall)", wall(["build", "--config", "big.yaml", "--out", "o", "--secrets", "secrets"], 3), 3000);
  console.log("\ngrowth (in-process render, median of 3):");
  const sizes = [[25, 250], [50, 500], [100, 1000]] as const;
  const results: number[] = [];
  for (const [w, n] of sizes) {
    const ms = await inProcess(w, n, 3);
    results.push(ms);
    line(`  ${w} nodes, ${n} workloads`, ms);
  }
  const first = results[0] as number;
  const last = results[results.length - 1] as number;
  console.log(`  ratio 1,000 / 250 workloads: ${(last / first).toFixed(2)} (linear = 4.00)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
