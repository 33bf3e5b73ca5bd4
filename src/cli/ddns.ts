import { Command } from "commander";
import { error, H5bError } from "../issue.js";

const configRequired = () =>
  new H5bError("ddns", [error("ddns-config-missing", "--config", "h5b ddns needs --config FILE (the JSON config, see docs/ddns.md)")]);

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** `h5b ddns`: the RFC 2136 -> etcd daemon, and `h5b ddns reconcile`. */
export function ddnsCommand(): Command {
  const cmd = new Command("ddns")
    .description("Accept Kea's TSIG-signed DNS updates and write them into CoreDNS's etcd (docs/ddns.md)")
    .option("--config <file>", "the daemon's JSON config")
    .action(async (opts: { config?: string }) => {
      if (opts.config === undefined) throw configRequired();
      // Loaded on use: the rest of the CLI does not pay for the daemon, nor the daemon for what it does not run.
      const { runDaemon } = await import("../ddns/run.js");
      await runDaemon(opts.config);
    });
  cmd
    .command("reconcile")
    .description("Compare Kea's current leases with etcd and repair the difference (after an outage)")
    .option("--config <file>", "the daemon's JSON config")
    .option("--leases <file>", "Kea memfile lease CSV (v4 or v6; repeatable)", collect)
    .option("--socket <path>", "Kea DHCP control socket with the lease_cmds hook (repeatable)", collect)
    .option("--dry-run", "print what would change, change nothing")
    .exitOverride()
    .action(async (opts: { config?: string; leases?: string[]; socket?: string[]; dryRun?: boolean }, sub: Command) => {
      const config = opts.config ?? (sub.optsWithGlobals() as { config?: string }).config;
      if (config === undefined) throw configRequired();
      const { runReconcile } = await import("../ddns/run.js");
      const actions = await runReconcile(config, {
        ...(opts.leases ? { leases: opts.leases } : {}),
        ...(opts.socket ? { sockets: opts.socket } : {}),
        ...(opts.dryRun ? { dryRun: true } : {}),
      });
      for (const a of actions) process.stdout.write(`${a.result.padEnd(9)} ${a.name}${a.detail ? `  ${a.detail}` : ""}\n`);
      const bad = actions.filter((a) => a.result === "failed" || a.result === "refused").length;
      const repaired = actions.filter((a) => a.result === "repaired" || a.result === "removed").length;
      const skipped = actions.filter((a) => a.result === "skipped").length;
      const busy = skipped > 0 ? `, ${skipped} skipped (Kea was changing them; run again to check)` : "";
      process.stdout.write(`${actions.length} name(s): ${repaired} repaired${busy}, ${bad} not repaired\n`);
      if (bad > 0) process.exitCode = 1;
    });
  return cmd;
}
