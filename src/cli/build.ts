import { Command } from "commander";
import { build } from "../pipeline.js";
import { printIssues } from "./_output.js";
import { buildSummary } from "./summary.js";

export function buildCommand(): Command {
  return new Command("build")
    .description("render the homelab into the output folder and print a summary")
    .option("-c, --config <file>", "spec file (default: h5b.config.ts or homelab.yaml here, else the embedded default)")
    .option("-o, --out <dir>", "output folder", "out")
    .option("--secrets <dir>", "folder of the generated secrets (default: .h5b/secrets beside the spec)")
    .action(async (o: { config?: string; out: string; secrets?: string }) => {
      const cwd = process.cwd();
      const r = await build({ cwd, out: o.out, ...(o.config !== undefined ? { config: o.config } : {}), ...(o.secrets !== undefined ? { secretsDir: o.secrets } : {}) });
      process.stdout.write(buildSummary({ ...r, cwd }));
      printIssues(r.warnings);
    });
}
