import { reverseName } from "../../_net.js";
import type { Plan } from "../../plan/types.js";
import { hostPath, linesFile, type OutputFile } from "../file.js";
import { etcdctlPrelude, etcdPath, shellQuote } from "./_etcdctl.js";
import { DDNS_META_PREFIX } from "./ddns-config.js";
import { PATHS } from "./paths.js";

/** The TTL of the hosts' own records: their addresses change only with the spec. */
export const HOST_RECORD_TTL = 300;
/** What marks a record as the spec's own (`h5b ddns` marks its records `h5b-ddns`, and never touches others). */
export const HOST_RECORD_OWNER = "h5b-hosts";
/** The leaf keys of those records; the script deletes any such key it did not write this time. */
const LEAF = /\/h5b-host-(a|aaaa|ptr)$/;

export interface HostRecord {
  readonly key: string;
  /** CoreDNS's etcd value: `host` is the address (A/AAAA) or the target name (PTR). */
  readonly value: { readonly host: string; readonly ttl: number; readonly owner: string };
}

interface NamedHost {
  readonly fqdn: string;
  readonly addresses: readonly string[];
}

function namedHosts(plan: Plan): NamedHost[] {
  const named: NamedHost[] = [];
  for (const h of plan.hosts) {
    if (plan.hostNetworks.some((n) => n.host === h.name)) named.push({ fqdn: h.fqdn, addresses: Object.values(h.addresses) });
    if (h.bmc !== undefined) named.push({ fqdn: h.bmc.fqdn, addresses: Object.values(h.bmc.addresses) });
  }
  return named;
}

/**
 * Key prefixes of what `h5b ddns` registered for those names while they leased (its leaves `h5b-<type>-<hash>` and
 * its DHCIDs): the script deletes them, so that each name holds the spec's records alone. Left there, they would
 * repeat the addresses, and neither kea-dhcp-ddns nor `h5b ddns reconcile` could remove them, since the daemon
 * touches no name that holds records it did not write.
 */
export function leasedRecordPrefixes(plan: Plan): string[] {
  return namedHosts(plan).flatMap(({ fqdn, addresses }) => [
    `${etcdPath(plan, fqdn)}/h5b-a-`,
    `${etcdPath(plan, fqdn)}/h5b-aaaa-`,
    ...addresses.map((a) => `${etcdPath(plan, reverseName(a))}/h5b-ptr-`),
    `${DDNS_META_PREFIX}dhcid/${fqdn}/`,
  ]);
}

/**
 * A, AAAA and PTR records, in CoreDNS's etcd layout, for every name whose address comes from the spec rather than a
 * lease: the hosts with static addresses (PlanHostNetwork) and the BMCs, whose address the ipmi play sets. DHCP
 * registered them only while they leased; without these records, their names would go when the last lease ran out.
 * Nodes on k3OS still lease, and Kea registers them.
 */
export function hostRecords(plan: Plan): HostRecord[] {
  const value = (host: string) => ({ host, ttl: HOST_RECORD_TTL, owner: HOST_RECORD_OWNER });
  return namedHosts(plan).flatMap(({ fqdn, addresses }) =>
    addresses.flatMap((address) => [
      { key: `${etcdPath(plan, fqdn)}/h5b-host-${address.includes(":") ? "aaaa" : "a"}`, value: value(address) },
      { key: `${etcdPath(plan, reverseName(address))}/h5b-host-ptr`, value: value(`${fqdn}.`) },
    ]),
  );
}

/**
 * A script for Porygon that writes {@link hostRecords} into etcd (as root), deletes what DHCP registered for the same
 * names ({@link leasedRecordPrefixes}) and the spec's records that are no longer in it (a host renamed or removed).
 * Safe to run again; run after a change, with etcd up.
 */
export function hostRecordsScript(plan: Plan): string[] {
  const records = hostRecords(plan);
  return [
    "#!/bin/sh",
    "# The names of the homelab's own hosts in Porygon's DNS (rendered by h5b): the hosts with static addresses",
    "# and the BMCs lease no address, so no DHCP update names them. Safe to run again.",
    ...etcdctlPrelude(plan),
    ...records.map((r) => `e put ${shellQuote(r.key)} ${shellQuote(JSON.stringify(r.value))}`),
    ...leasedRecordPrefixes(plan).map((p) => `e del --prefix ${shellQuote(p)}`),
    `KEEP=${shellQuote(records.map((r) => r.key).join("\n"))}`,
    `ctl get --prefix --keys-only ${shellQuote(plan.dns.prefix)} | grep -E ${shellQuote(LEAF.source.replace(/\\\//g, "/"))} | while read -r key; do`,
    '  printf \'%s\\n\' "$KEEP" | grep -qxF "$key" || e del "$key"',
    "done",
  ];
}

export function hostRecordsFiles(plan: Plan): OutputFile[] {
  return [linesFile(hostPath(plan.dns.host, PATHS.hostRecordsScript), hostRecordsScript(plan), { mode: 0o755 })];
}
