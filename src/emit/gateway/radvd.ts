import type { Plan, PlanGateway } from "../../plan/types.js";
import { searchDomains } from "../../plan/network.js";
import { hostPath, linesFile, type OutputFile } from "../file.js";
import { PATHS } from "./paths.js";

/** Only a /64 can be autoconfigured (SLAAC); validation warns about any other IPv6 prefix. */
const SLAAC_PREFIX_LENGTH = 64;

/** radvd's own default, written out because the DNS lifetimes below follow it. */
const MAX_INTERVAL_S = 600;
/**
 * RFC 8106 asks for DNS option lifetimes of at least three times the longest interval between advertisements;
 * radvd's default is the interval itself, so one advertisement lost on the Wi-Fi let a SLAAC-only client drop
 * Porygon as its DNS server until the next one.
 */
const DNS_LIFETIME_S = 3 * MAX_INTERVAL_S;

/**
 * Router advertisements on the LAN port: the managed (M) and other-config (O) flags send clients to DHCPv6 (Kea on
 * Porygon, which reserves the hosts' addresses and registers names), while the prefix stays autonomous so that
 * SLAAC-only clients (Android has no DHCPv6) still get addresses, and get Porygon as DNS server and the home zones
 * as search list from the advertisement itself (RFC 8106). None on an IPv4-only LAN.
 */
export function radvdConfig(plan: Plan, gw: PlanGateway): string[] | undefined {
  const v6 = plan.lan.ipv6;
  if (v6 === undefined) return undefined;
  const slaac = v6.prefix.prefixLength === SLAAC_PREFIX_LENGTH;
  return [
    `# Rendered by h5b: router advertisements of ${gw.host} on its LAN port. Edit the spec, not this file.`,
    `interface ${gw.lanNic}`,
    "{",
    "\tAdvSendAdvert on;",
    `\tMaxRtrAdvInterval ${MAX_INTERVAL_S};`,
    "\tAdvManagedFlag on;",
    "\tAdvOtherConfigFlag on;",
    `\tprefix ${v6.prefix.cidr}`,
    "\t{",
    "\t\tAdvOnLink on;",
    `\t\tAdvAutonomous ${slaac ? "on" : "off"};`,
    "\t};",
    `\tRDNSS ${v6.dns}`,
    "\t{",
    `\t\tAdvRDNSSLifetime ${DNS_LIFETIME_S};`,
    "\t};",
    `\tDNSSL ${searchDomains(plan.site.zones).join(" ")}`,
    "\t{",
    `\t\tAdvDNSSLLifetime ${DNS_LIFETIME_S};`,
    "\t};",
    "};",
  ];
}

export function emitRadvd(plan: Plan, gw: PlanGateway): OutputFile[] {
  const lines = radvdConfig(plan, gw);
  return lines === undefined ? [] : [linesFile(hostPath(gw.host, PATHS.radvd), lines)];
}
