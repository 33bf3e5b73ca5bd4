import type { Conditions } from "./failures.js";
import type { Model } from "./types.js";

/**
 * What a scenario does outside the matrix's services: the lines a homelab owner needs beside it. `hosting` names the
 * nodes that run a modelled pod on the healthy cluster.
 */
export function effectsOf(model: Model, cond: Conditions, hosting: ReadonlySet<string>): string[] {
  const out: string[] = [];
  const down = cond.failedNodes.map((n) => model.nodes[n]?.name ?? "");
  if (down.length > 0) {
    const their = down.length === 1 ? "its" : "their";
    out.push(
      !down.some((n) => hosting.has(n))
        ? `${down.join(" and ")} down: no modelled pod ran there`
        : `${down.join(" and ")} down: ${their} pods are lost; ${cond.api === undefined ? "Deployments reschedule them on other nodes after their eviction timeout (5 minutes unless a pod sets its own)" : "nothing reschedules them while the API server is down"}`,
    );
  }
  if (cond.api !== undefined) out.push(`API server down (${cond.api}): nothing is scheduled, rescheduled or changed; running pods, announced addresses and DNS records keep working`);
  if (cond.storage !== undefined) out.push(`storage down (${cond.storage}): every pod that mounts ${model.hosts.storage?.export ?? "NFS"} fails; stateless pods keep running, unless the dead hard mounts hang their node's kubelet (not modelled)`);
  if (cond.dns !== undefined) out.push(`name resolution down (${cond.dns}): LAN clients cannot resolve ${model.hosts.zones.join(", ")} or internet names; addresses, service IPs included, keep working`);
  if (cond.dhcp !== undefined) {
    out.push(`DHCP down (${cond.dhcp}): no new leases and no DNS registration of new clients; existing leases keep working until they expire; the homelab's own hosts have static addresses`);
  }
  if (cond.gateway !== undefined) out.push(`internet access down (${cond.gateway}): public services are unreachable from the internet and names outside the homelab do not resolve; the LAN keeps working`);
  return out;
}
