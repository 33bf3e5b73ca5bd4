import type { Model } from "./types.js";

/** One thing that can fail on its own: a host (with everything it carries), the API server, or ZFS/NFS. */
export interface Failure {
  /** Stable id: the host's name, `api-server` or `storage`. */
  readonly id: string;
  readonly kind: "host" | "api-server" | "storage";
  /** Index of the k3s node, when the host is one. */
  readonly node?: number;
  /** What goes down with it. */
  readonly takes: readonly ("worker" | "api-server" | "storage" | "dns" | "dhcp" | "gateway")[];
}

/** What a set of failures leaves standing, and why each part is down (`x86-1 is down`). */
export interface Conditions {
  readonly down: Uint8Array;
  readonly failedNodes: readonly number[];
  readonly api?: string;
  readonly storage?: string;
  readonly dns?: string;
  readonly dhcp?: string;
  readonly gateway?: string;
}

/** Every single failure the homelab can have, in a stable order: hosts by name, then the API server and storage. */
export function failureUnits(model: Model): Failure[] {
  const { hosts } = model;
  const names = new Set([...model.nodes.map((n) => n.name), hosts.dns, hosts.dhcp, ...(hosts.gateway !== undefined ? [hosts.gateway] : []), ...(hosts.storage !== undefined ? [hosts.storage.host] : [])]);
  const units: Failure[] = [...names].sort().map((name) => {
    const node = model.nodes.findIndex((n) => n.name === name);
    const takes: Failure["takes"][number][] = [];
    if (node >= 0) takes.push(model.nodes[node]?.role === "server" ? "api-server" : "worker");
    if (hosts.storage?.host === name) takes.push("storage");
    if (hosts.dns === name) takes.push("dns");
    if (hosts.dhcp === name) takes.push("dhcp");
    if (hosts.gateway === name) takes.push("gateway");
    return { id: name, kind: "host" as const, ...(node >= 0 ? { node } : {}), takes };
  });
  // A router h5b does not manage still fails; it takes the internet with it.
  if (hosts.gateway === undefined) units.push({ id: "gateway", kind: "host", takes: ["gateway"] });
  units.push({ id: "api-server", kind: "api-server", takes: ["api-server"] });
  if (hosts.storage !== undefined) units.push({ id: "storage", kind: "storage", takes: ["storage"] });
  return units;
}

export function conditionsOf(model: Model, failures: readonly Failure[]): Conditions {
  const down = new Uint8Array(model.nodes.length);
  const why: { -readonly [K in keyof Conditions]?: string } = {};
  for (const f of failures) {
    if (f.node !== undefined) down[f.node] = 1;
    const because = f.kind === "host" ? `${f.id} is down` : f.kind === "api-server" ? "the k3s server process failed" : `ZFS/NFS failed on ${model.hosts.storage?.host}`;
    for (const t of f.takes) {
      if (t === "worker") continue;
      const key = t === "api-server" ? "api" : t;
      why[key] ??= because;
    }
  }
  const failedNodes = [...down.keys()].filter((i) => down[i] === 1);
  return { down, failedNodes, ...why } as Conditions;
}

/** `x86-1 + storage`: a scenario's id from its failures. */
export function scenarioId(failures: readonly Failure[]): string {
  return failures.length === 0 ? "healthy" : failures.map((f) => f.id).join("+");
}
