import type { Plan } from "../../plan/types.js";
import { searchDomains } from "../../plan/network.js";
import { type OutputFile, hostPath, jsonFile } from "../file.js";
import { controlSocket, ddnsParameters, dhcpHost, interfacesConfig, keaLoggers, leaseDatabase, ntpAddresses, reservedDevices } from "./_kea.js";
import { PATHS } from "./paths.js";

/**
 * Kea DHCPv6, stateful beside SLAAC (the gateway's router advertisements carry the managed flag): the LAN prefix
 * with the DHCPv6 range as its pool. Hosts are reserved by hardware address, which Kea takes from the client's
 * DUID (DUID-LL/LLT) or its EUI-64 link-local address. None when the LAN has no IPv6.
 */
export function keaDhcp6(plan: Plan): OutputFile[] {
  const lan = plan.lan.ipv6;
  if (lan === undefined) return [];
  const nic = dhcpHost(plan).lanNic.name;
  const ntp = ntpAddresses(plan, "ipv6");
  const options = [
    { name: "dns-servers", data: lan.dns },
    { name: "domain-search", data: searchDomains(plan.site.zones).join(", ") },
    ...(ntp.length > 0 ? [{ name: "sntp-servers", data: ntp.join(", ") }] : []),
  ];
  const config = {
    Dhcp6: {
      "interfaces-config": interfacesConfig(nic),
      "control-socket": controlSocket(PATHS.keaSocket6),
      "lease-database": leaseDatabase(PATHS.keaLeases6),
      "preferred-lifetime": 27000,
      "valid-lifetime": 43200,
      "renew-timer": 13500,
      "rebind-timer": 21600,
      subnet6: [
        {
          id: 1,
          subnet: lan.prefix.cidr,
          // Clients on the link itself (no relay) are matched to the subnet by the interface they arrive on.
          interface: nic,
          pools: [{ pool: `${lan.ranges.dhcp.first} - ${lan.ranges.dhcp.last}` }],
          "option-data": options,
          reservations: reservedDevices(plan, "ipv6").map((d) => ({ "hw-address": d.mac, "ip-addresses": [d.address], hostname: d.hostname })),
        },
      ],
      ...ddnsParameters(plan),
      loggers: keaLoggers("kea-dhcp6"),
    },
  };
  return [jsonFile(hostPath(plan.dns.dhcpHost, PATHS.kea6), config)];
}
