import { stringify } from "smol-toml";
import { literalFamily } from "../../_net.js";
import { odohRoutes } from "../../plan/odoh.js";
import type { Plan } from "../../plan/types.js";
import { type OutputFile, hostPath, linesFile } from "../file.js";
import { PATHS, PORTS } from "./paths.js";

// The signing key of the DNSCrypt project's resolver lists (dnscrypt-resolvers, v3), and the places that serve
// them: dnscrypt-proxy tries them in turn, checking each copy against the key.
const LISTS_MINISIGN_KEY = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";
const LISTS_MIRRORS = [
  "https://raw.githubusercontent.com/DNSCrypt/dnscrypt-resolvers/master/v3",
  "https://download.dnscrypt.info/resolvers-list/v3",
  "https://cdn.jsdelivr.net/gh/DNSCrypt/dnscrypt-resolvers@master/v3",
];

/**
 * The NTP servers' names go to the bootstrap resolvers as plain DNS, not through ODoH: TLS needs the right time, so
 * a Porygon whose clock is wrong after a long power cut (a Pi has no clock of its own) could resolve nothing, and
 * so never learn the time. Only the names of time servers leave in the clear, and the NTP that follows is
 * unauthenticated anyway.
 */
function timeServerNames(plan: Plan): string[] {
  // A single label is for the search domains, which CoreDNS answers; dnscrypt-proxy keeps those home anyway.
  return plan.site.ntpServers.filter((s) => literalFamily(s) === undefined && s.includes("."));
}

/**
 * dnscrypt-proxy answers every name outside the home zones, for CoreDNS only (loopback), as Oblivious DoH: each
 * target of the spec is reached through the spec's relays that another operator runs (see {@link odohRoutes}), so
 * no single party sees both who asks and what.
 */
export function dnscryptConfig(plan: Plan): Record<string, unknown> {
  const source = (name: string) => ({
    urls: LISTS_MIRRORS.map((base) => `${base}/${name}.md`),
    cache_file: `${PATHS.dnscryptCache}/${name}.md`,
    minisign_key: LISTS_MINISIGN_KEY,
    refresh_delay: 72,
  });
  return {
    listen_addresses: [`127.0.0.1:${PORTS.dnscrypt}`, `[::1]:${PORTS.dnscrypt}`],
    server_names: [...plan.site.upstream.servers],
    odoh_servers: true,
    dnscrypt_servers: false,
    doh_servers: false,
    ipv6_servers: plan.families.includes("ipv6"),
    // Plain DNS for what cannot wait for a resolver: the signed lists and the relays' and targets' names at start,
    // and the NTP servers' names (forwarding rules).
    bootstrap_resolvers: ["9.9.9.9:53", "1.1.1.1:53"],
    ignore_system_dns: true,
    ...(timeServerNames(plan).length > 0 ? { forwarding_rules: PATHS.dnscryptForwarding } : {}),
    // Names no public resolver can answer stay home: single labels (a typo, a bare host name) and names under
    // undelegated TLDs (home.arpa, .internal, .local, the reverse zones of private ranges such as the cluster's).
    // CoreDNS answers the home zones before anything reaches here.
    block_unqualified: true,
    block_undelegated: true,
    cache: true,
    cache_size: 4096,
    cache_min_ttl: 60,
    cache_max_ttl: 86400,
    cache_neg_min_ttl: 60,
    cache_neg_max_ttl: 600,
    sources: { "odoh-servers": source("odoh-servers"), "odoh-relays": source("odoh-relays") },
    anonymized_dns: {
      routes: odohRoutes(plan.site.upstream.servers, plan.site.upstream.relays).map((r) => ({ server_name: r.server, via: [...r.via] })),
      // dnscrypt-proxy never asks an ODoH target directly; this keeps a route-less DNSCrypt server out the same way.
      skip_incompatible: true,
    },
  };
}

export function emitDnscrypt(plan: Plan): OutputFile[] {
  const header = `# dnscrypt-proxy on ${plan.dns.host} (rendered by h5b): ODoH through relays, for CoreDNS on loopback.\n`;
  const names = timeServerNames(plan);
  return [
    { path: hostPath(plan.dns.host, PATHS.dnscrypt), content: `${header}${stringify(dnscryptConfig(plan))}\n` },
    ...(names.length > 0
      ? [linesFile(hostPath(plan.dns.host, PATHS.dnscryptForwarding), ["# The NTP servers' names, as plain DNS to the bootstrap resolvers (rendered by h5b).", ...names.map((n) => `${n} $BOOTSTRAP`)])]
      : []),
  ];
}
