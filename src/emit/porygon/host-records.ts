import { reverseName } from "../../_net.js";
import { dhcidPrefix, type Layout, leafPrefix, namePath, ZONE_META_LABEL } from "../../ddns/layout.js";
import type { Plan } from "../../plan/types.js";
import { ETCD_USERS } from "../../secrets/dns.js";
import { hostPath, linesFile, type OutputFile } from "../file.js";
import { shellQuote } from "../../_text.js";
import { etcdctlPrelude } from "./_etcdctl.js";
import { DDNS_META_PREFIX } from "./ddns-config.js";
import { homeZones } from "./corefile.js";
import { PATHS } from "./paths.js";

/** The TTL of the hosts' own records: their addresses change only with the spec. */
export const HOST_RECORD_TTL = 300;
/** What marks a record as the spec's own (`h5b ddns` marks its records `h5b-ddns`, and never touches others). */
export const HOST_RECORD_OWNER = "h5b-hosts";
/**
 * Where the script notes each record it wrote (`/h5b-hosts` + the record's key, empty value), so that a later run
 * finds the records of hosts no longer in the spec, PTRs at a bare reverse path included. Outside CoreDNS's prefix.
 */
export const HOST_RECORD_MARKS = "/h5b-hosts";

export interface HostRecord {
  readonly key: string;
  /** CoreDNS's etcd value: `host` is the address (A/AAAA, glue) or the target name (PTR); `text` a TXT record. */
  readonly value: { readonly host?: string; readonly text?: string; readonly ttl: number; readonly owner: string };
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

/** `h5b ddns`'s key layout for Porygon's etcd (src/ddns/layout.ts). */
function ddnsLayout(plan: Plan): Layout {
  return { prefix: plan.dns.prefix, metaPrefix: DDNS_META_PREFIX, owner: ETCD_USERS.ddns };
}

/**
 * Key prefixes of what `h5b ddns` registered for those names while they leased, that the script deletes so that
 * each name holds the spec's records alone: its A and AAAA leaves, the PTR leaves of its earlier versions, and its
 * DHCIDs of the forward and the reverse names. (Its PTR at the bare reverse path the script overwrites.) Left
 * there, neither kea-dhcp-ddns nor `h5b ddns reconcile` could remove them, since the daemon touches no name that
 * holds records it did not write.
 */
export function leasedRecordPrefixes(plan: Plan): string[] {
  const layout = ddnsLayout(plan);
  const labels = (name: string) => name.split(".");
  // A lease called `dns` from before the zone's top took that name: the daemon refuses the name now, removals too.
  const top = [ZONE_META_LABEL, ...labels(plan.site.zones.dhcp)];
  return [
    ...namedHosts(plan).flatMap(({ fqdn, addresses }) => [
      ...["a", "aaaa"].map((t) => leafPrefix(layout, labels(fqdn), t)),
      dhcidPrefix(layout, labels(fqdn)),
      ...addresses.flatMap((a) => [leafPrefix(layout, labels(reverseName(a)), "ptr"), dhcidPrefix(layout, labels(reverseName(a)))]),
    ]),
    `${namePath(layout, top)}/h5b-`,
    dhcidPrefix(layout, top),
  ];
}

/**
 * A, AAAA and PTR records, in CoreDNS's etcd layout, for every name whose address comes from the spec rather than a
 * lease: the hosts with static addresses (PlanHostNetwork) and the BMCs, whose address the ipmi play sets. DHCP
 * registered them only while they leased; without these records, their names would go when the last lease ran out.
 * A and AAAA are leaves below the name's path; a PTR is the value at the reverse name's path itself, the one key
 * CoreDNS reads for a PTR question. Then the records of each zone's top ({@link zoneTopRecords}).
 */
export function hostRecords(plan: Plan): HostRecord[] {
  const value = (host: string) => ({ host, ttl: HOST_RECORD_TTL, owner: HOST_RECORD_OWNER });
  const named = namedHosts(plan).flatMap(({ fqdn, addresses }) =>
    addresses.flatMap((address) => [
      { key: `${namePath(plan.dns, fqdn.split("."))}/h5b-host-${address.includes(":") ? "aaaa" : "a"}`, value: value(address) },
      { key: namePath(plan.dns, reverseName(address).split(".")), value: value(`${fqdn}.`) },
    ]),
  );
  return [...named, ...zoneTopRecords(plan)];
}

/**
 * What CoreDNS's etcd plugin reads for the top of each zone it serves, which lives under `dns.<zone>` (so no host,
 * service or lease may be called `dns`). An NS question for a zone is answered from `ns.dns.<zone>` alone: without
 * a record there it is NXDOMAIN, as if the zone did not exist. An A or AAAA question for the zone's own name reads
 * `apex.dns.<zone>` and, when nothing is there, the zone's whole subtree: every address in the zone. Porygon is each
 * zone's name server, one NS name per address family (`ipv4.<host>.ns.dns.<zone>`: CoreDNS makes an NS name of each
 * key, glue from its `host`). The top names no host: `apex.dns` holds a TXT record alone, which an A or AAAA question
 * skips, so those answer NODATA.
 */
export function zoneTopRecords(plan: Plan): HostRecord[] {
  const meta = { ttl: HOST_RECORD_TTL, owner: HOST_RECORD_OWNER };
  const under = (zone: string, ...labels: string[]) => namePath(plan.dns, [...labels, ZONE_META_LABEL, ...zone.split(".")]);
  return homeZones(plan).flatMap((zone) => [
    ...plan.families.map((f) => ({ key: under(zone, f, plan.dns.host, "ns"), value: { host: plan.dns.addresses[f] as string, ...meta } })),
    { key: under(zone, "h5b", "apex"), value: { text: `The top of ${zone} names no host (h5b)`, ...meta } },
  ]);
}

/**
 * A script for Porygon that writes {@link hostRecords} (the zones' tops included) into etcd (as root), deletes what
 * DHCP registered for the same names ({@link leasedRecordPrefixes}), the records of an earlier run that are no longer
 * in the spec (a host renamed or removed) and the keys an earlier external-dns left. Safe to run again; run after a
 * change, with etcd up. The list of marks is read before the loop, so that an etcd failure stops the script instead
 * of ending the loop early.
 */
export function hostRecordsScript(plan: Plan): string[] {
  const records = hostRecords(plan);
  return [
    "#!/bin/sh",
    "# The names of the homelab's own hosts in Porygon's DNS (rendered by h5b): the hosts with static addresses",
    "# and the BMCs lease no address, so no DHCP update names them. Also each zone's name server; last, it removes",
    "# what an earlier external-dns left in the services zone. Safe to run again.",
    ...etcdctlPrelude(plan),
    ...records.flatMap((r) => [`e put ${shellQuote(r.key)} ${shellQuote(JSON.stringify(r.value))}`, `e put ${shellQuote(HOST_RECORD_MARKS + r.key)} ''`]),
    ...leasedRecordPrefixes(plan).map((p) => `e del --prefix ${shellQuote(p)}`),
    `KEEP=${shellQuote(records.map((r) => r.key).join("\n"))}`,
    `MARKS=$(ctl get --prefix --keys-only ${shellQuote(`${HOST_RECORD_MARKS}/`)})`,
    'printf \'%s\\n\' "$MARKS" | while read -r mark; do',
    '  [ -n "$mark" ] || continue',
    `  key=\${mark#${HOST_RECORD_MARKS}}`,
    '  printf \'%s\\n\' "$KEEP" | grep -qxF "$key" && continue',
    // Only while it is still the spec's: an address given to a DHCP client since holds that client's PTR.
    `  if ctl get --print-value-only "$key" | grep -qF ${shellQuote(`"owner":"${HOST_RECORD_OWNER}"`)}; then e del "$key"; fi`,
    '  e del "$mark"',
    "done",
    ...ownerlessServiceKeysSweep(plan),
  ];
}

/**
 * Lines that delete every key in the services zone without an owner. With strict ownership, each external-dns
 * instance marks its keys and sees no other (src/plan/external-dns.ts); the keys of the single instance h5b ran
 * before carry no owner, so nothing would ever remove them, and CoreDNS would go on serving their addresses beside
 * the new ones, stale once an address changes. Every key there now has an owner (an instance's, or h5b-hosts for the
 * zone's top), so one without is left from before. Not with an external-dns too old for strict ownership, which
 * writes none.
 */
function ownerlessServiceKeysSweep(plan: Plan): string[] {
  if (!plan.cluster.externalDns.strictlyOwned) return [];
  const zone = `${namePath(plan.dns, plan.site.zones.services.split("."))}/`;
  return [
    `SERVICE_KEYS=$(ctl get --prefix ${shellQuote(zone)})`,
    'printf \'%s\\n\' "$SERVICE_KEYS" | while read -r key && read -r value; do',
    `  case "$value" in *'"owner":'*) ;; *) e del "$key" ;; esac`,
    "done",
  ];
}

export function hostRecordsFiles(plan: Plan): OutputFile[] {
  return [linesFile(hostPath(plan.dns.host, PATHS.hostRecordsScript), hostRecordsScript(plan), { mode: 0o755 })];
}
