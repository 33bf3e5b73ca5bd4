import { writeFileSync } from "node:fs";
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
