import type { Family } from "../_net.js";
import type { Homelab } from "../spec/homelab.js";
import type { PlanExternalDns, PlanExternalDnsInstance } from "./types.js";
import { atLeast, type Versions } from "./versions.js";

/** Chart 1.21.0 is the first to ship external-dns 0.21, the first with `--coredns-strictly-owned`. */
const STRICT_CHART = "1.21.0";
/** Chart 1.22.0 is the first whose own external-dns (0.22) reads an IPv6 record back as AAAA. */
const AAAA_CHART = "1.22.0";

/**
 * external-dns's coredns provider reads every key of a name back into one endpoint, typed after its first key, so
 * one instance writing both a name's A and AAAA finds them changed at each sync and rewrites the AAAA under a new
 * key, once a minute. Each address family gets an instance of its own instead, and each sees only its own keys
 * (strict ownership, a distinct owner id). An external-dns older than 0.21 has no strict ownership: it runs alone
 * and writes IPv4 names only (versions.ts warns).
 */
export function planExternalDns(spec: Homelab, versions: Versions, families: readonly Family[], prefix: string): PlanExternalDns {
  const { policy, interval } = spec.cluster.externalDns;
  const ownerId = spec.site.name;
  const v4: PlanExternalDnsInstance = { release: "external-dns", ownerId, recordTypes: ["A", "CNAME"] };
  if (!atLeast(versions.externalDns, STRICT_CHART)) {
    return { policy, interval, prefix, annotationPrefix: "external-dns.alpha.kubernetes.io/", strictlyOwned: false, instances: [v4] };
  }
  const v6: PlanExternalDnsInstance = { release: "external-dns-ipv6", ownerId: `${ownerId}-ipv6`, recordTypes: ["AAAA"] };
  return {
    policy,
    interval,
    prefix,
    // external-dns 0.22 reads this prefix only (0.21 read the alpha one).
    annotationPrefix: "external-dns.kubernetes.io/",
    ...(atLeast(versions.externalDns, AAAA_CHART) ? {} : { imageTag: versions.externalDnsImage }),
    strictlyOwned: true,
    instances: families.map((f) => (f === "ipv4" ? v4 : v6)),
  };
}
