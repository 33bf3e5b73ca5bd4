import { createHash } from "node:crypto";
import type { PlanHostNetwork } from "../../plan/types.js";
import { hostPath, linesFile, type OutputFile } from "../file.js";
import { PATHS } from "./paths.js";

/** A keyfile's sections in order, each with its `key=value` pairs in order (GLib's key-file format). */
export type Keyfile = readonly (readonly [section: string, entries: readonly (readonly [string, string])[]])[];

/**
 * Above any other profile for the port: one made by hand has priority 0, and NetworkManager's automatic "Wired
 * connection" (never made while a profile matches the port) -999.
 */
const AUTOCONNECT_PRIORITY = "100";

/** The namespace of h5b's profile UUIDs (RFC 4122 name-based UUIDs hash a namespace UUID with the name). */
const UUID_NAMESPACE = "9cbc4e2c-9668-4297-930a-010469afbc15";

/** NetworkManager's list syntax: every item followed by `;`. */
const list = (items: readonly string[]) => items.map((i) => `${i};`).join("");

/**
 * A stable UUID for a profile (RFC 4122 version 5: SHA-1 of h5b's namespace and the name): NetworkManager names
 * profiles by UUID, and a random one would make every build differ.
 */
export function profileUuid(name: string): string {
  const b = createHash("sha1").update(Buffer.from(UUID_NAMESPACE.replaceAll("-", ""), "hex")).update(name).digest().subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The LAN port's profile: static addresses and default routes for both families (with static addresses,
 * NetworkManager ignores router advertisements and turns the kernel's handling of them off), and the resolver, which
 * NetworkManager writes to /etc/resolv.conf. The addresses are written as NetworkManager 1.42 (Raspberry Pi OS 12)
 * writes them itself (`address1=address/length,gateway`), so that the profile reads back unchanged. On an IPv4-only
 * LAN, IPv6 is left to the kernel (`ignore`), as ifupdown leaves a port without an inet6 stanza. Other ports (a
 * router's WAN port) are left to NetworkManager's own defaults.
 */
/** Below 0: NetworkManager then takes no DNS servers from connections of higher priority values. */
const DNS_PRIORITY = "-50";

export function lanProfile(net: PlanHostNetwork): Keyfile {
  const { lan, resolver } = net;
  const address = (cidr: string, gateway: string | undefined) => (gateway !== undefined ? `${cidr},${gateway}` : cidr);
  // A negative priority: the resolver is this profile's alone. Another connection that NetworkManager brings up
  // (the Wi-Fi profile Raspberry Pi Imager writes, say) would otherwise add its router's DNS server and search domain.
  const dns = (v6: boolean): [string, string][] => {
    const servers = resolver?.nameservers.filter((a) => a.includes(":") === v6) ?? [];
    return servers.length > 0 ? [["dns", list(servers)], ["dns-priority", DNS_PRIORITY]] : [];
  };
  const v6 = lan.addresses.ipv6;
  return [
    [
      "connection",
      [
        ["id", "h5b-lan"],
        ["uuid", profileUuid(`${net.host}/h5b-lan`)],
        ["type", "ethernet"],
        ["interface-name", lan.nic],
        ["autoconnect-priority", AUTOCONNECT_PRIORITY],
      ],
    ],
    ["ethernet", []],
    [
      "ipv4",
      [
        ["method", "manual"],
        ["address1", address(lan.addresses.ipv4, lan.gateway)],
        ...dns(false),
        ...(resolver !== undefined ? [["dns-search", list(resolver.search)] as [string, string]] : []),
      ],
    ],
    ["ipv6", v6 !== undefined ? [["method", "manual"], ["address1", address(v6, lan.ipv6Gateway)], ...dns(true)] : [["method", "ignore"]]],
  ];
}

export function keyfileLines(comment: string, keyfile: Keyfile): string[] {
  return [`# ${comment}`, ...keyfile.flatMap(([section, entries], i) => [...(i > 0 ? [""] : []), `[${section}]`, ...entries.map(([k, v]) => `${k}=${v}`)])];
}

/** The LAN port's profile, mode 0600: NetworkManager ignores a profile that anyone but root can read. */
export function emitNetworkManagerProfile(net: PlanHostNetwork): OutputFile {
  const comment = `Rendered by h5b: ${net.host}'s LAN port, with static addresses so that the host comes up without DHCP. Edit the spec, not this file.`;
  return linesFile(hostPath(net.host, `${PATHS.networkManagerProfiles}h5b-lan.nmconnection`), keyfileLines(comment, lanProfile(net)), { mode: 0o600 });
}
