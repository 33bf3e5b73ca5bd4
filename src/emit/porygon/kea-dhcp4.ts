import type { Plan } from "../../plan/types.js";
import { searchDomains } from "../../plan/network.js";
import { type OutputFile, hostPath, jsonFile } from "../file.js";
import { controlSocket, ddnsParameters, dhcpHost, interfacesConfig, keaLoggers, leaseDatabase, ntpAddresses, reservedDevices } from "./_kea.js";
import { PATHS } from "./paths.js";

/** Kea DHCPv4: the LAN as one subnet, the DHCP range as its pool, every host and BMC reserved by MAC. */
export function keaDhcp4(plan: Plan): OutputFile {
  const lan = plan.lan.ipv4;
  const ntp = ntpAddresses(plan, "ipv4");
  const options = [
    { name: "routers", data: lan.gateway },
    { name: "domain-name-servers", data: lan.dns },
    { name: "domain-name", data: plan.site.zones.dhcp },
    { name: "domain-search", data: searchDomains(plan.site.zones).join(", ") },
    ...(ntp.length > 0 ? [{ name: "ntp-servers", data: ntp.join(", ") }] : []),
  ];
  const config = {
    Dhcp4: {
      "interfaces-config": { ...interfacesConfig(dhcpHost(plan).lanNic.name), "dhcp-socket-type": "raw" },
      "control-socket": controlSocket(PATHS.keaSocket4),
      "lease-database": leaseDatabase(PATHS.keaLeases4),
      // Answer at once for the whole LAN: without it a client holding a stale lease waits before it is told no.
      authoritative: true,
      "valid-lifetime": 43200,
      "renew-timer": 21600,
      "rebind-timer": 37800,
      subnet4: [
        {
          id: 1,
          subnet: lan.prefix.cidr,
          pools: [{ pool: `${lan.ranges.dhcp.first} - ${lan.ranges.dhcp.last}` }],
          "option-data": options,
          reservations: reservedDevices(plan, "ipv4").map((d) => ({ "hw-address": d.mac, "ip-address": d.address, hostname: d.hostname })),
        },
      ],
      ...ddnsParameters(plan),
      loggers: keaLoggers("kea-dhcp4"),
    },
  };
  return jsonFile(hostPath(plan.dns.dhcpHost, PATHS.kea4), config);
}
