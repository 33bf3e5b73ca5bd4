import { type Family, literalFamily } from "../../_net.js";
import type { Plan, PlanHost } from "../../plan/types.js";
import { fqdn, PORTS } from "./paths.js";

// One file serves Kea 2.2 (Debian 12) and 2.6+/3.x: subnet ids always given, `output_options` (the only spelling
// 2.2 knows, still parsed by 3.x), DDNS keys at the global level, a singular `control-socket`, absolute paths in
// the package's own directories, and nothing 2.2 rejects (ddns-conflict-resolution-mode, ddns-ttl-*, secret-file).

/** Porygon as the DHCP server (the host with the dhcp role). */
export function dhcpHost(plan: Plan): PlanHost {
  const host = plan.hosts.find((h) => h.name === plan.dns.dhcpHost);
  if (host === undefined) throw new Error(`plan names dhcp host ${plan.dns.dhcpHost}, which is not among its hosts`);
  return host;
}

/** Every device with a reserved address: each host's LAN port and each BMC. */
export interface ReservedDevice {
  readonly hostname: string;
  readonly mac: string;
  readonly address?: string;
}

export function reservedDevices(plan: Plan, family: Family): ReservedDevice[] {
  return plan.hosts.flatMap((h) => {
    const own = { hostname: h.name, mac: h.lanNic.mac, address: h.addresses[family] };
    const bmc = h.bmc === undefined ? [] : [{ hostname: h.bmc.name, mac: h.bmc.mac, address: h.bmc.addresses[family] }];
    return [own, ...bmc].filter((d): d is ReservedDevice & { address: string } => d.address !== undefined);
  });
}

/**
 * The LAN port Kea serves. Kea opens its sockets once at start, and Kea 2.2 gives up at once on a port that has no
 * link or no usable address yet (the switch still booting after a power cut, IPv6's link-local address still
 * tentative): the LAN would have no DHCP until someone restarted Kea. It retries every 5 s for about a week.
 */
export function interfacesConfig(nic: string): Record<string, unknown> {
  return { interfaces: [nic], "service-sockets-max-retries": 120_000, "service-sockets-retry-wait-time": 5000 };
}

export function keaLoggers(daemon: string): unknown[] {
  // stdout goes to the journal under systemd; a log file would have to live in Kea's log directory (2.6.3+).
  return [{ name: daemon, output_options: [{ output: "stdout" }], severity: "INFO", debuglevel: 0 }];
}

export function controlSocket(path: string): Record<string, unknown> {
  return { "socket-type": "unix", "socket-name": path };
}

export function leaseDatabase(path: string): Record<string, unknown> {
  return { type: "memfile", persist: true, name: path, "lfc-interval": 3600 };
}

/**
 * How Kea names clients in DNS: the reservation's hostname, else the client's own (cleaned), else one generated
 * from the address; always under the DHCP zone, always sent by the server, refreshed on renewals so a lost
 * record comes back.
 */
export function ddnsParameters(plan: Plan): Record<string, unknown> {
  return {
    "ddns-send-updates": true,
    "ddns-override-client-update": true,
    "ddns-override-no-update": true,
    "ddns-replace-client-name": "when-not-present",
    "ddns-generated-prefix": "dhcp",
    "ddns-qualifying-suffix": fqdn(plan.site.zones.dhcp),
    "ddns-update-on-renew": true,
    "hostname-char-set": "[^A-Za-z0-9.-]",
    "hostname-char-replacement": "-",
    "dhcp-ddns": {
      "enable-updates": true,
      "server-ip": "127.0.0.1",
      "server-port": PORTS.d2,
      "ncr-protocol": "UDP",
      "ncr-format": "JSON",
    },
  };
}

/** NTP servers that are address literals of `family` (DHCP options carry addresses; the hosts' timesyncd gets the names). */
export function ntpAddresses(plan: Plan, family: Family): string[] {
  return plan.site.ntpServers.filter((s) => literalFamily(s) === family);
}
