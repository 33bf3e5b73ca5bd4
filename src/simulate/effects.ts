import type { Conditions } from "./failures.js";
import type { Model } from "./types.js";

/**
 * What a scenario does outside the matrix's services: the lines a homelab owner needs beside it. `hosting` names the
 * nodes that run a modelled pod on the healthy cluster.
 */
export function effectsOf(model: Model, cond: Conditions, hosting: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const down = cond.failedNodes.map((n) => model.nodes[n]?.name ?? "");
  if (down.length > 0) out.push(nodesDown(down, hosting, cond.api !== undefined));
  if (cond.api !== undefined) out.push(`API server down (${cond.api}): nothing is scheduled, rescheduled or changed; running pods, announced addresses and DNS records keep working`);
  if (cond.storage !== undefined) out.push(`storage down (${cond.storage}): every pod that mounts ${model.hosts.storage?.export ?? "NFS"} fails; stateless pods keep running, unless the dead hard mounts hang their node's kubelet (not modelled)`);
  if (cond.dns !== undefined) out.push(`name resolution down (${cond.dns}): LAN clients cannot resolve ${model.hosts.zones.join(", ")} or internet names; addresses, service IPs included, keep working`);
  if (cond.dhcp !== undefined) {
    out.push(`DHCP down (${cond.dhcp}): no new leases and no DNS registration of new clients; existing leases keep working until they expire; the homelab's own hosts have static addresses`);
  }
  if (cond.gateway !== undefined) out.push(`internet access down (${cond.gateway}): public services are unreachable from the internet and names outside the homelab do not resolve; the LAN keeps working`);
  return out;
}

/** `pi-cp and x86-1 down: x86-1's pods are lost (none ran on pi-cp); …`: a node that ran no pod loses none. */
function nodesDown(down: readonly string[], hosting: ReadonlySet<string>, apiDown: boolean): string {
  const ran = down.filter((n) => hosting.has(n));
  const idle = down.filter((n) => !hosting.has(n));
  const which = `${down.join(" and ")} down`;
  if (ran.length === 0) return `${which}: no modelled pod ran there`;
  const whose = idle.length > 0 ? ran.map((n) => `${n}'s`).join(" and ") : down.length === 1 ? "its" : "their";
  const none = idle.length > 0 ? ` (none ran on ${idle.join(" and ")})` : "";
  const then = apiDown ? "nothing reschedules them while the API server is down" : "Deployments reschedule them on other nodes after their eviction timeout (5 minutes unless a pod sets its own)";
  return `${which}: ${whose} pods are lost${none}; ${then}`;
}
