import type { FamilyPair, Plan, PlanHost, PlanHostNetwork } from "./types.js";

/** A Raspberry Pi on Raspberry Pi OS: its own role, and NetworkManager instead of ifupdown. */
export function isRaspberryPi(host: PlanHost): boolean {
  return host.os === "debian" && host.platform === "raspberry-pi";
}

/** The network settings of every host, Raspberry Pi OS and k3OS included (see {@link PlanHostNetwork}). */
export function planHostNetworks(hosts: readonly PlanHost[], lan: Plan["lan"], site: Plan["site"]): PlanHostNetwork[] {
  const withPrefix = (host: PlanHost): FamilyPair<string> => ({
    ipv4: `${host.addresses.ipv4}/${lan.ipv4.prefix.prefixLength}`,
    ...(host.addresses.ipv6 !== undefined && lan.ipv6 !== undefined ? { ipv6: `${host.addresses.ipv6}/${lan.ipv6.prefix.prefixLength}` } : {}),
  });
  const dns = [lan.ipv4.dns, ...(lan.ipv6 !== undefined ? [lan.ipv6.dns] : [])];
  return hosts.map((h): PlanHostNetwork => {
    const router = h.roles.includes("gateway");
    const manager = h.os === "k3os" ? "connman" : isRaspberryPi(h) ? "networkmanager" : "ifupdown";
    const addresses = withPrefix(h);
    const v6Route = manager !== "ifupdown" && addresses.ipv6 !== undefined ? lan.ipv6?.gateway : undefined;
    const ipv6Gateway = v6Route !== undefined ? { ipv6Gateway: v6Route } : {};
    return {
      host: h.name,
      manager,
      lan: { nic: h.lanNic.name, addresses, ...(router ? {} : { gateway: lan.ipv4.gateway, ...ipv6Gateway }) },
      ...(h.wanNic !== undefined ? { wan: h.wanNic.name } : { resolver: { nameservers: dns, search: searchDomains(site.zones) } }),
    };
  });
}

/**
 * The LAN's search list, for the hosts' resolvers, DHCP and router advertisements: the services zone first. A DHCP
 * client picks its own name, so with the DHCP zone first a device calling itself `wireguard` would take the short
 * name `wireguard` from the service of that name for every LAN client; the services zone holds only the spec's
 * names, so searched first a short name always reaches the service.
 */
export function searchDomains(zones: { readonly services: string; readonly dhcp: string }): string[] {
  return [zones.services, zones.dhcp];
}
