// What both ddns benchmarks share: the TSIG key and zone they use, and how they wait for and stop daemons.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const run = promisify(execFile);
export const root = resolve(fileURLToPath(new URL("../..", import.meta.url)));
/** A key made for the benchmarks only (h5b ddns, kea-dhcp-ddns, Knot and dnsperf all sign with it). */
export const SECRET = "P8FSvUgAgJS1tB4h36xXCr7KG+lxjtZaY18BRSFoBlw=";
export const ZONE = "bench.test";
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * How Porygon's unit starts the daemon (src/emit/porygon/systemd.ts): `h5b ddns --config FILE` with the daemon's
 * NODE_OPTIONS. The benchmarks start it exactly so, so that what they measure is what runs in production.
 * `DDNS_NODE_FLAGS` adds flags to node itself, for looking inside a run (`--cpu-prof --cpu-prof-dir=/tmp/prof`).
 */
export async function ddnsCommand(configFile) {
  const { DDNS_NODE_OPTIONS } = await import(join(root, "dist/ddns/node-options.js"));
  return {
    command: process.execPath,
    args: [...(process.env.DDNS_NODE_FLAGS ?? "").split(" ").filter(Boolean), join(root, "bin/h5b.js"), "ddns", "--config", configFile],
    env: { ...process.env, NODE_OPTIONS: DDNS_NODE_OPTIONS },
  };
}

export async function waitFor(check, what, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited (at once if it never started). */
export function stop(child) {
  return new Promise((r) => {
    if (!child || child.exitCode !== null) return r();
    child.once("exit", () => r());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
  });
}

/** A process's name and the CPU seconds (user + system) it has used so far, from /proc (name "?", NaN once gone). */
export async function processCpu(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { name: /\((.*)\)/.exec(stat)?.[1] ?? "?", seconds: (Number(f[11]) + Number(f[12])) / 100 };
}

/** The daemon's group-commit counters from its Prometheus metrics text. */
export function groupCommit(metrics) {
  const num = (name) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(metrics)?.[1] ?? NaN);
  return { transactions: num("h5b_ddns_batches_total"), updates: num("h5b_ddns_batched_updates_total"), fallbacks: num("h5b_ddns_batch_fallbacks_total") };
}
