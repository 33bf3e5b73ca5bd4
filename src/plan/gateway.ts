import type { PlanGateway, PlanHost, PlanLoadBalancer, PlanPublishedPort } from "./types.js";

/**
 * The gateway's part of the plan: its two ports and what it publishes. Only public services with fixed addresses
 * are published (every public one has them), each port on both families, so IPv4 and IPv6 expose the same set.
 * Undefined when no host has the gateway role (the router is not h5b's).
 */
export function planGateway(hosts: readonly PlanHost[], loadBalancers: readonly PlanLoadBalancer[]): PlanGateway | undefined {
  const host = hosts.find((h) => h.roles.includes("gateway"));
  // Validation gives the gateway exactly one WAN port.
  if (host?.wanNic === undefined) return undefined;
  const published: PlanPublishedPort[] = loadBalancers.flatMap((lb) => {
    const addresses = lb.addresses;
    if (lb.pool !== "public" || addresses === undefined) return [];
    return lb.ports.map((p) => ({ service: `${lb.namespace}/${lb.name}`, name: p.name, protocol: p.protocol, port: p.port, addresses }));
  });
  return { host: host.name, wanNic: host.wanNic.name, lanNic: host.lanNic.name, lanIpv4: host.addresses.ipv4, published };
}
