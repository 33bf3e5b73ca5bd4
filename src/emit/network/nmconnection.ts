import { createHash } from "node:crypto";
import type { PlanHostNetwork } from "../../plan/types.js";
import { hostPath, linesFile, type OutputFile } from "../file.js";
import { PATHS } from "./paths.js";

/** A keyfile's sections in order, each with its `key=value` pairs in order (GLib's key-file format). */
export type Keyfile = readonly (readonly [section: string, entries: readonly (readonly [string, string])[]])[];

/** Above the priority 0 of any other profile for the port (the installer's, or one made by hand), so ours wins. */
const AUTOCONNECT_PRIORITY = "100";

/** NetworkManager's list syntax: every item followed by `;`. */
const list = (items: readonly string[]) => items.map((i) => `${i};`).join("");

/**
 * A stable UUID (RFC 4122 version 5, SHA-1 of a name) for a profile: NetworkManager names profiles by UUID, and a
 * random one would make every build differ.
 */
export function profileUuid(name: string): string {
  const b = createHash("sha1").update(`h5b:${name}`).digest().subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The `[connection]` section of an Ethernet profile bound to one port. */
function connection(host: string, id: string, nic: string): Keyfile[number] {
  return [
    "connection",
    [
      ["id", id],
      ["uuid", profileUuid(`${host}/${id}`)],
      ["type", "ethernet"],
      ["interface-name", nic],
      ["autoconnect-priority", AUTOCONNECT_PRIORITY],
    ],
  ];
}

/**
 * The LAN port's profile: static addresses and default routes for both families (a profile with static IPv6
 * addresses does not take routes from router advertisements), and the resolver, which NetworkManager writes to
 * /etc/resolv.conf. The addresses are written as NetworkManager writes them itself (`address1=address/length,gateway`),
 * so that the profile reads back unchanged. On an IPv4-only LAN, IPv6 is left to the kernel (`ignore`), as ifupdown
 * leaves a port without an inet6 stanza.
 */
export function lanProfile(net: PlanHostNetwork): Keyfile {
  const { lan, resolver } = net;
  const dns = (v6: boolean) => resolver?.nameservers.filter((a) => a.includes(":") === v6) ?? [];
  const address = (cidr: string, gateway: string | undefined) => (gateway !== undefined ? `${cidr},${gateway}` : cidr);
  const dnsEntries = (v6: boolean): [string, string][] => (dns(v6).length > 0 ? [["dns", list(dns(v6))]] : []);
  const v6 = lan.addresses.ipv6;
  return [
    connection(net.host, "h5b-lan", lan.nic),
    ["ethernet", []],
    [
      "ipv4",
      [
        ["method", "manual"],
        ["address1", address(lan.addresses.ipv4, lan.gateway)],
        ...dnsEntries(false),
        ...(resolver !== undefined ? [["dns-search", list(resolver.search)] as [string, string]] : []),
      ],
    ],
    ["ipv6", v6 !== undefined ? [["method", "manual"], ["address1", address(v6, lan.ipv6Gateway)], ...dnsEntries(true)] : [["method", "ignore"]]],
  ];
}

/** The WAN port's profile on a router: both families from the ISP (DHCP, router advertisements). */
export function wanProfile(net: PlanHostNetwork, wan: string): Keyfile {
  return [
    connection(net.host, "h5b-wan", wan),
    ["ethernet", []],
    ["ipv4", [["method", "auto"]]],
    ["ipv6", [["method", net.lan.addresses.ipv6 !== undefined ? "auto" : "ignore"]]],
  ];
}

export function keyfileLines(comment: string, keyfile: Keyfile): string[] {
  return [`# ${comment}`, ...keyfile.flatMap(([section, entries], i) => [...(i > 0 ? [""] : []), `[${section}]`, ...entries.map(([k, v]) => `${k}=${v}`)])];
}

/** The host's profiles, mode 0600: NetworkManager ignores a profile that anyone but root can read. */
export function emitNetworkManagerProfiles(net: PlanHostNetwork): OutputFile[] {
  const file = (id: string, keyfile: Keyfile, what: string) =>
    linesFile(hostPath(net.host, `${PATHS.networkManagerProfiles}${id}.nmconnection`), keyfileLines(`Rendered by h5b: ${net.host}'s ${what}. Edit the spec, not this file.`, keyfile), { mode: 0o600 });
  return [
    file("h5b-lan", lanProfile(net), "LAN port, with static addresses so that the host comes up without DHCP"),
    ...(net.wan !== undefined ? [file("h5b-wan", wanProfile(net, net.wan), "WAN port, configured by the ISP")] : []),
  ];
}
