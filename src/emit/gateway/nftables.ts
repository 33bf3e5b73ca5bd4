import type { Plan, PlanGateway, PlanPublishedPort } from "../../plan/types.js";
import { hostPath, linesFile, type OutputFile } from "../file.js";
import { lanServices } from "./_lan-services.js";
import { PATHS, TABLE } from "./paths.js";

// ICMP the gateway and the LAN cannot do without: errors (path MTU discovery rides on "fragmentation needed" and
// "packet too big"), echo for diagnosing the line, and IPv6 neighbour and router discovery.
const ICMP4_INPUT = ["echo-request", "destination-unreachable", "time-exceeded", "parameter-problem"];
const ICMP6_ERRORS = ["destination-unreachable", "packet-too-big", "time-exceeded", "parameter-problem"];
const ICMP6_DISCOVERY = ["nd-router-solicit", "nd-router-advert", "nd-neighbor-solicit", "nd-neighbor-advert"];
const MLD = ["mld-listener-query", "mld-listener-report", "mld-listener-done", "mld2-listener-report"];

const set = (items: readonly string[]) => `{ ${items.join(", ")} }`;
const quoted = (s: string) => `"${s}"`;
const proto = (p: PlanPublishedPort) => p.protocol.toLowerCase();
const label = (p: PlanPublishedPort) => quoted(`${p.service} ${p.name}`);

function chain(name: string, hook: string, policy: "accept" | "drop", rules: readonly string[]): string[] {
  return [`\tchain ${name} {`, `\t\ttype ${hook}; policy ${policy};`, ...rules.map((r) => `\t\t${r}`), "\t}"];
}

/** The gateway's own sockets: state, loopback, ICMP, its WAN address's DHCP client, and the LAN's services only from the LAN. */
function input(plan: Plan, gw: PlanGateway): string[] {
  const wan = quoted(gw.wanNic);
  const lan = quoted(gw.lanNic);
  return chain("input", "filter hook input priority filter", "drop", [
    "ct state established,related accept",
    "ct state invalid drop",
    'iifname "lo" accept',
    `icmp type ${set(ICMP4_INPUT)} accept`,
    `icmpv6 type ${set([...ICMP6_ERRORS, "echo-request"])} accept`,
    // A hop limit of 255 proves the sender is on the link: discovery never comes from further away.
    `icmpv6 type ${set(ICMP6_DISCOVERY)} ip6 hoplimit 255 accept`,
    `ip6 saddr fe80::/10 icmpv6 type ${set(MLD)} accept`,
    // The ISP's DHCP answers a broadcast (v4) or multicast (v6) request, which connection tracking cannot pair.
    `iifname ${wan} udp sport 67 udp dport 68 accept comment "DHCPv4 client on the WAN port"`,
    `iifname ${wan} ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept comment "DHCPv6 client on the WAN port"`,
    ...lanServices(plan, gw.host).map((s) => `iifname ${lan} ${s.protocol} dport ${s.port} accept comment ${quoted(`${s.what} from the LAN`)}`),
    `iifname ${wan} counter drop comment "nothing else on the gateway from the internet"`,
  ]);
}

/**
 * Strict reverse-path filtering on the WAN port (BCP 38's other half, RFC 3704): a packet whose source the gateway
 * would not route back out of the WAN port (the LAN's own prefixes, the internal pool, anything private) is dropped
 * before the DNAT, which would otherwise forward a forged LAN source to a public service that keeps sources (Local
 * policy) and answers into the LAN. Debian leaves rp_filter off, and IPv6 has none. The ISP's first DHCPv4 offer
 * comes before the gateway has any route, so it is let through.
 */
function antispoof(gw: PlanGateway): string[] {
  const wan = quoted(gw.wanNic);
  return chain("antispoof", "filter hook prerouting priority raw", "accept", [
    `iifname ${wan} udp sport 67 udp dport 68 accept comment "the ISP's DHCPv4 offer, before any route"`,
    `iifname ${wan} fib saddr . iif oif missing counter drop comment "a source the WAN port does not lead back to"`,
  ]);
}

/**
 * Routed traffic: the LAN out from its own addresses; from the internet only answers, ICMPv6 errors, and each
 * published port, on its service's own IPv6 address and, through the DNAT below, on its IPv4 address. `ct status
 * dnat` keeps the IPv4 services reachable only through the forward, never by routing a private address at the WAN
 * port. The same forward comes back out of the LAN port when a LAN client used the public address (hairpin), which
 * the drop policy would refuse otherwise: the LAN's own traffic never crosses the gateway to stay in the LAN.
 */
function forward(plan: Plan, gw: PlanGateway): string[] {
  const wan = quoted(gw.wanNic);
  const lan = quoted(gw.lanNic);
  const inbound = `iifname ${wan} oifname ${lan}`;
  const forwarded = `iifname ${set([wan, lan])} oifname ${lan}`;
  const v6 = plan.lan.ipv6;
  return chain("forward", "filter hook forward priority filter", "drop", [
    "ct state established,related accept",
    "ct state invalid drop",
    // From the LAN's own addresses only (BCP 38): pods leave masqueraded as their node.
    `iifname ${lan} oifname ${wan} ip saddr ${plan.lan.ipv4.prefix.cidr} accept comment "the LAN reaches the internet"`,
    ...(v6 !== undefined ? [`iifname ${lan} oifname ${wan} ip6 saddr ${v6.prefix.cidr} accept comment "the LAN reaches the internet"`] : []),
    `icmpv6 type ${set(ICMP6_ERRORS)} accept`,
    ...(v6 !== undefined ? [`${inbound} ip6 daddr ${v6.ranges.public.cidr} icmpv6 type echo-request accept comment "ping the public pool"`] : []),
    ...gw.published.flatMap((p) => {
      const v6addr = p.addresses.ipv6;
      return v6addr !== undefined ? [`${inbound} ip6 daddr ${v6addr} ${proto(p)} dport ${p.port} accept comment ${label(p)}`] : [];
    }),
    ...gw.published.map((p) => `${forwarded} ip daddr ${p.addresses.ipv4} ${proto(p)} dport ${p.port} ct status dnat accept comment ${label(p)}`),
    `iifname ${wan} counter drop comment "nothing else from the internet: internal pool, hosts, Porygon, BMCs"`,
  ]);
}

/**
 * IPv4: each published port of the gateway's own (WAN) address to its service; the LAN leaves as the WAN address.
 * A LAN client that names the public address (a phone's VPN or app set up with the public name, used at home) is
 * forwarded the same way, and its source becomes the gateway's LAN address: the service then answers through the
 * gateway, which puts the public address back, instead of straight to a client that never spoke to it. Only those
 * hairpinned connections are rewritten; LAN clients talking to a service directly, and the internet through the
 * WAN port, arrive with their own addresses. IPv6 needs none of this: every public service has its own global
 * address, the same inside and out.
 */
function nat(plan: Plan, gw: PlanGateway): string[] {
  const wan = quoted(gw.wanNic);
  const lan = quoted(gw.lanNic);
  const lanPrefix = plan.lan.ipv4.prefix.cidr;
  const dnat = (p: PlanPublishedPort) => `${proto(p)} dport ${p.port} dnat ip to ${p.addresses.ipv4} comment ${label(p)}`;
  return [
    // `fib daddr type local`: only what is sent to the gateway itself, whatever address the ISP gave it. From the
    // LAN, its LAN address stays its own: SSH, DNS or DHCP there are never taken by a public port of the same number.
    ...chain("prerouting", "nat hook prerouting priority dstnat", "accept", [
      ...gw.published.map((p) => `iifname ${wan} fib daddr type local ${dnat(p)}`),
      ...gw.published.map((p) => `iifname ${lan} ip daddr != ${gw.lanIpv4} fib daddr type local ${dnat(p)}`),
    ]),
    "",
    ...chain("postrouting", "nat hook postrouting priority srcnat", "accept", [
      `oifname ${wan} ip saddr ${lanPrefix} masquerade`,
      `iifname ${lan} oifname ${lan} ip saddr ${lanPrefix} ct status dnat masquerade comment "hairpin: a LAN client at the public address"`,
    ]),
  ];
}

/**
 * The ruleset, for `nft -f`. h5b owns one table and replaces only it: declaring the table and deleting it before
 * defining it again makes the whole file one transaction that works whether or not the table exists, with no
 * moment without rules. A blind `flush ruleset` would also wipe tables that others keep on the gateway (fail2ban,
 * a VPN client, the administrator's own); they stay, and h5b's drop policies still apply beside them.
 */
export function nftablesRuleset(plan: Plan, gw: PlanGateway): string[] {
  return [
    "#!/usr/sbin/nft -f",
    `# Rendered by h5b: the firewall of ${gw.host}, WAN port ${gw.wanNic}, LAN port ${gw.lanNic}. Edit the spec, not this file.`,
    `table inet ${TABLE}`,
    `delete table inet ${TABLE}`,
    "",
    `table inet ${TABLE} {`,
    ...antispoof(gw),
    "",
    ...input(plan, gw),
    "",
    ...forward(plan, gw),
    "",
    ...nat(plan, gw),
    "}",
  ];
}

export function emitNftables(plan: Plan, gw: PlanGateway): OutputFile {
  return linesFile(hostPath(gw.host, PATHS.nftables), nftablesRuleset(plan, gw), { mode: 0o755 });
}
