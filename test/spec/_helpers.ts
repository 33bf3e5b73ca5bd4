import { H5bError, type Issue } from "../../src/issue.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import type { HomelabInput } from "../../src/spec/homelab.js";

/** The default spec as plain data, for tests to edit. */
export function defaultSpec(): HomelabInput & Record<string, unknown> {
  return defaultHomelabInput() as HomelabInput & Record<string, unknown>;
}

/** Issues of a spec: [] when it parses and validates without error (warnings are returned too). */
export function issuesOf(raw: unknown): readonly Issue[] {
  try {
    return parseHomelab(raw).warnings;
  } catch (e) {
    if (e instanceof H5bError) return e.issues;
    throw e;
  }
}

/** A deep property setter for test edits: `set(spec, "hosts.x86-1.addresses.ipv4", "…")`. */
export function set(o: unknown, path: string, value: unknown): void {
  const keys = path.split(".");
  let cur = o as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  const last = keys[keys.length - 1] as string;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

export function get(o: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((cur, k) => (cur as Record<string, unknown>)[k], o);
}

/** Edits a spec into the IPv4-only variant of the same homelab: no IPv6 on the LAN, the cluster, hosts or BMCs. */
export function ipv4Only(s: HomelabInput): void {
    const net = s.networks as Required<NonNullable<HomelabInput["networks"]>>;
    delete net.lan.ipv6;
    delete net.pods.ipv6;
    delete net.services.ipv6;
    for (const h of Object.values(s.hosts)) {
      delete h.addresses.ipv6;
      if (h.hardware.bmc) delete h.hardware.bmc.addresses.ipv6;
    }
}
