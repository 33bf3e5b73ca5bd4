#!/usr/bin/env node
/**
 * Stand-alone entry for the daemon on Porygon: `node dist/ddns/main.js --config /etc/h5b/ddns.json` (or
 * `... reconcile --config ... --leases ...`). Same command and errors as `h5b ddns`, without loading the rest of
 * the CLI (spec, emitters, checks), which costs about 25 MB of resident memory the daemon has no use for.
 */
import { CommanderError } from "commander";
import { ddnsCommand } from "../cli/ddns.js";
import { printIssues } from "../cli/_output.js";
import { H5bError } from "../issue.js";

async function main(argv: readonly string[]): Promise<number> {
  const outer = process.exitCode;
  process.exitCode = undefined;
  try {
    const cmd = ddnsCommand().exitOverride().name("h5b ddns");
    for (const c of cmd.commands) c.exitOverride();
    await cmd.parseAsync([...argv], { from: "user" });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof H5bError) {
      printIssues(e.issues);
      return 2;
    }
    throw e;
  } finally {
    process.exitCode = outer;
  }
}

process.exitCode = await main(process.argv.slice(2));
