import { resolve } from "node:path";
import { Command } from "commander";
import { error, H5bError, warning } from "../issue.js";
import { findConfigFile } from "../spec/load.js";
import { outputOlderThan } from "../write/writer.js";
import { bold, dim, green, printIssues, red, yellow } from "./_output.js";

/** The spec in the working folder, if one alone is there (two side by side are build's problem, not check's). */
function specHere(): string | undefined {
  try {
    return findConfigFile(process.cwd());
  } catch {
    return undefined;
  }
}

export function checkCommand(): Command {
  return new Command("check")
    .description("check the rendered files with the programs and schemas that will read them (exit 1 on findings)")
    .option("-o, --out <dir>", "output folder written by h5b build", "out")
    .option("--only <names>", "comma-separated checker names")
    .action(async (o: { out: string; only?: string }) => {
      // Checkers load schemas and validators; only this command pays for them.
      const { checkers, readOutput, runChecks } = await import("../check/index.js");
      const only = o.only?.split(",").map((s) => s.trim());
      const unknown = (only ?? []).filter((n) => !checkers.some((c) => c.name === n));
      if (unknown.length > 0) {
        const names = checkers.map((c) => c.name).join(", ");
        throw new H5bError("check", unknown.map((n) => error("unknown-check", "--only", `no check is called '${n}' (the checks: ${names})`)));
      }
      const chosen = only === undefined ? checkers : checkers.filter((c) => only.includes(c.name));
      const ctx = readOutput(o.out);
      // check reads the output as it is: say so when the spec beside it changed after the last build.
      const spec = specHere();
      if (spec !== undefined && outputOlderThan(resolve(o.out), spec)) {
        printIssues([warning("output-stale", o.out, `is older than ${spec}: checking the output as it is (run h5b build to check the spec as it is now)`)]);
      }
      const report = await runChecks(ctx, chosen);
      for (const f of report.findings) process.stdout.write(`${red("✖")} ${f.message}\n  ${dim("→ in")} ${f.where} ${dim(`(${f.check})`)}\n`);
      for (const s of report.skipped) process.stdout.write(`${yellow("⚠")} ${s.check} not run: ${s.reason}\n`);
      const summary = `${report.ran.length} checks ran (${report.ran.join(", ")})`;
      if (report.findings.length > 0) {
        process.stdout.write(`${bold(red(`${report.findings.length} finding${report.findings.length === 1 ? "" : "s"}`))}; ${summary}\n`);
        process.exitCode = 1;
      } else if (report.skipped.length > 0) {
        // Not a pass: what could not run was not checked.
        const n = new Set(report.skipped.map((s) => s.check)).size;
        process.stdout.write(`${yellow("⚠")} no findings in what ran, but ${n} check${n === 1 ? "" : "s"} could not run (⚠ above); ${summary}\n`);
      } else {
        process.stdout.write(`${green("✔")} no findings; ${summary}\n`);
      }
    });
}
