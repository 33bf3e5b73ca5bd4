import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Namespace } from "../_harness/netns.js";
import type { RenderedPorygon } from "./_render.js";

export const which = async (ns: Namespace, port: string) => (await ns.run("ss", ["-lun"])).includes(port);

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The rendered Kea file with only what a test machine must change: the lease file, the control socket and
 * (DHCPv6) the server-id folder move into `dir`. Everything else is as rendered.
 */
export function keaForTest(r: RenderedPorygon, hostPath: string, dir: string): string {
  const doc = r.json(hostPath);
  const [key] = Object.keys(doc);
  const top = doc[key as string] as Record<string, unknown>;
  const base = hostPath.split("/").pop() as string;
  if (top["lease-database"] !== undefined) top["lease-database"] = { ...(top["lease-database"] as object), name: join(dir, `${base}.leases.csv`) };
  top["control-socket"] = { ...(top["control-socket"] as object), "socket-name": join(dir, `${base}.sock`) };
  if (key === "Dhcp6") top["data-directory"] = dir;
  const file = join(dir, base);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

export const keaEnv = (dir: string) => ({ KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir });

/** The options dhclient hands its script, as the script saw them (`new_ip_address`, `new_routers`, ...). */
export type Lease = Record<string, string>;

let runs = 0;
/**
 * One dhclient run in `ns` as the device with `mac` (DHCPv6: DUID-LL from it), optionally sending a host name;
 * returns what it was bound to. dhclient is stopped afterwards; the lease stays on the server.
 */
export async function dhclientLease(
  ns: Namespace,
  ifname: string,
  dir: string,
  family: 4 | 6,
  mac: string,
  opts: { hostname?: string; rfc4361?: boolean } = {},
): Promise<Lease> {
  const id = `${family}-${runs++}`;
  const log = join(dir, `lease-${id}.env`);
  const script = join(dir, `script-${id}.sh`);
  // Our own script: the default one would rewrite the host's /etc/resolv.conf (namespaces share /etc).
  writeFileSync(script, ["#!/bin/sh", `case "$reason" in BOUND|BOUND6) env | grep -E '^(new_|reason=)' > ${log} ;; esac`, "exit 0", ""].join("\n"));
  chmodSync(script, 0o755);
  const conf = join(dir, `dhclient-${id}.conf`);
  // What Debian's /etc/dhcp/dhclient.conf requests; Debian's dhclient has no -H, so a host name is sent from here too.
  const request = "request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, domain-search, host-name, ntp-servers, dhcp6.name-servers, dhcp6.domain-search;";
  // RFC 4361: the DHCPv4 client identifier carries the DUID the DHCPv6 client uses (DUID-LL here, with an IAID),
  // as systemd-networkd sends by default; Kea then derives the same DHCID for both families.
  const clientId = `ff:${mac.split(":").slice(2).join(":")}:00:03:00:01:${mac}`;
  writeFileSync(
    conf,
    [
      request,
      ...(opts.hostname === undefined ? [] : [`send host-name "${opts.hostname}";`]),
      ...(opts.rfc4361 === true ? [`send dhcp-client-identifier ${clientId};`] : []),
      "",
    ].join("\n"),
  );
  await ns.run("ip", ["link", "set", ifname, "down"]);
  await ns.run("ip", ["link", "set", ifname, "address", mac]);
  await ns.run("ip", ["link", "set", ifname, "up"]);
  // dhclient -6 sends from the link-local address, which the kernel adds again a moment after the link is up.
  await until("a link-local address", async () => (await ns.run("ip", ["-6", "addr", "show", "dev", ifname, "scope", "link"])).includes("inet6"));
  const pid = join(dir, `${id}.pid`);
  const common = ["-1", "-cf", conf, "-sf", script, "-lf", join(dir, `${id}.leases`), "-pf", pid];
  const args = family === 4 ? ["-4", ...common, ifname] : ["-6", "-D", "LL", ...common, ifname];
  await ns.run("dhclient", args, { timeoutMs: 30_000 });
  const env = Object.fromEntries(
    readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  // dhclient stays as a daemon after binding; stop it without releasing the lease.
  await ns.run("dhclient", [family === 4 ? "-4" : "-6", "-x", "-pf", pid, ifname]).catch(() => undefined);
  return env;
}
