import { Command } from "commander";
import { error, H5bError } from "../issue.js";
import { bold, dim, green, red, yellow } from "./_output.js";

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
      const report = await runChecks(readOutput(o.out), chosen);
      for (const f of report.findings) process.stdout.write(`${red("✖")} ${f.message}\n  ${dim("→ in")} ${f.where} ${dim(`(${f.check})`)}\n`);
      for (const s of report.skipped) process.stdout.write(`${yellow("⚠")} ${s.check} not run: ${s.reason}\n`);
      const summary = `${report.ran.length} checks ran (${report.ran.join(", ")})`;
      if (report.findings.length > 0) {
        process.stdout.write(`${bold(red(`${report.findings.length} finding${report.findings.length === 1 ? "" : "s"}`))}; ${summary}\n`);
        process.exitCode = 1;
      } else {
        process.stdout.write(`${green("✔")} no findings; ${summary}\n`);
      }
    });
}
