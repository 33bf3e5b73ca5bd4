import type { Plan } from "../../plan/types.js";

/** A port the gateway host accepts from the LAN, because it runs something there. */
export interface LanService {
  readonly what: string;
  readonly protocol: "tcp" | "udp";
  readonly port: number;
}

// Well-known ports of what the host serves to the LAN; Porygon's emitters listen on these.
const SSH = 22;
const DNS = 53;
const DHCP4_SERVER = 67;
const DHCP6_SERVER = 547;

/**
 * What LAN clients need from the gateway host, from the roles the plan gives it: SSH always (Ansible reaches every
 * Debian host that way); when it is also Porygon, DNS, etcd's client port (external-dns writes there from the
 * cluster) and the DHCP servers. Nothing else listens for the LAN, so nothing else is opened.
 */
export function lanServices(plan: Plan, host: string): LanService[] {
  const dns = plan.dns.host === host;
  const dhcp = plan.dns.dhcpHost === host;
  return [
    { what: "SSH", protocol: "tcp", port: SSH },
    ...(dns
      ? ([
          { what: "DNS", protocol: "udp", port: DNS },
          { what: "DNS", protocol: "tcp", port: DNS },
          { what: "etcd for external-dns", protocol: "tcp", port: plan.dns.etcdPort },
        ] as const)
      : []),
    ...(dhcp ? [{ what: "DHCPv4", protocol: "udp", port: DHCP4_SERVER } as const] : []),
    ...(dhcp && plan.lan.ipv6 !== undefined ? [{ what: "DHCPv6", protocol: "udp", port: DHCP6_SERVER } as const] : []),
  ];
}
