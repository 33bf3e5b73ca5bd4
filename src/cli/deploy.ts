import { Command } from "commander";
import { deploy } from "../deploy/run.js";
import type { Status } from "../deploy/progress.js";
import { bold, dim, formatIssue, green, red, yellow } from "./_output.js";

const MARK: Record<Status, string> = { ok: green("✔"), changed: yellow("~"), skipped: dim("·"), failed: red("✖"), unreachable: red("✖") };

export function deployCommand(): Command {
  return new Command("deploy")
    .description("converge the Debian hosts with the rendered Ansible (renders first if the output is stale); exit 0 when every host converged")
    .option("-c, --config <file>", "spec file (default: h5b.config.ts or homelab.yaml here)")
    .option("-o, --out <dir>", "output folder", "out")
    .option("--secrets <dir>", "folder of the generated secrets (default: .h5b/secrets beside the spec)")
    .option("-l, --limit <hosts>", "only these hosts (comma-separated)")
    .option("--check", "show what would change (Ansible's check mode, with diffs); change nothing", false)
    .option("-i, --inventory <file>", "an inventory layered over the rendered one (e.g. other addresses for first boot)")
    .option("-e, --extra-vars <vars>", "extra variables for ansible-playbook (repeatable)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--skip-hardware", "leave out the plays that need real hardware (ZFS pool, IPMI): for a VM standing in for a host", false)
    .option("--default-spec", "deploy the embedded default spec when the folder holds none (refused otherwise)", false)
    .action(async (o: { config?: string; out: string; secrets?: string; limit?: string; check: boolean; inventory?: string; extraVars: string[]; skipHardware: boolean; defaultSpec: boolean }) => {
      const w = (s: string) => process.stdout.write(`${s}\n`);
      let width = 0;
      const report = await deploy(
        {
          cwd: process.cwd(),
          out: o.out,
          check: o.check,
          extraVars: o.extraVars,
          skipHardware: o.skipHardware,
          defaultSpec: o.defaultSpec,
          ...(o.config !== undefined ? { config: o.config } : {}),
          ...(o.secrets !== undefined ? { secretsDir: o.secrets } : {}),
          ...(o.limit !== undefined ? { limit: o.limit } : {}),
          ...(o.inventory !== undefined ? { inventory: o.inventory } : {}),
        },
        {
          notice: (i) => process.stderr.write(`${formatIssue(i)}\n`),
          info: (t) => w(dim(t)),
          start: (hosts) => {
            width = Math.max(0, ...hosts.map((h) => h.length));
          },
          result: (r) => {
            width = Math.max(width, r.host.length);
            const text = `${MARK[r.status]} ${r.host.padEnd(width)}  ${r.task}${r.status === "ok" ? "" : `  ${r.status}`}`;
            w(r.status === "skipped" ? dim(text) : text);
          },
          other: (line) => {
            // Diffs matter in check mode; Ansible's own errors always do. Warnings stay quiet.
            if (line.startsWith("ERROR!") || (o.check && !line.startsWith("[WARNING]"))) w(`    ${line}`);
          },
        },
      );
      for (const f of report.failures) {
        w("");
        w(`${red("✖")} ${bold(f.host)} ${f.unreachable ? "unreachable" : "failed"} in ${f.task}`);
        for (const l of f.detail.split("\n")) w(`    ${l}`);
      }
      w("");
      for (const [host, r] of [...report.recap].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const bad = r.failed > 0 || r.unreachable > 0;
        w(`${bad ? red("✖") : green("✔")} ${host.padEnd(width)}  ok=${r.ok} changed=${r.changed} failed=${r.failed} unreachable=${r.unreachable}`);
      }
      if (report.exitCode === 0) w(`${green("✔")} every host converged${o.check ? " (check mode: nothing changed)" : ""}`);
      else w(red(report.recap.size === 0 ? "ansible-playbook did not run the play (see above)" : "not every host converged"));
      process.exitCode = report.exitCode;
    });
}
