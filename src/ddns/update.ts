import { inZone, isSafeName, nameText, sameName, type Labels } from "./_names.js";
import { canonicalize, isManagedType, typeName } from "./_rdata.js";
import { CLASS, TYPE, WireError, type WireRR } from "./_wire.js";
import { type StoredRR, WILDCARD_LABEL, ZONE_META_LABEL } from "./layout.js";
import { RCODE, type Rcode } from "./rcode.js";

/**
 * RFC 2136 semantics, pure: checking the sections (3.1, 3.2, 3.4.1), evaluating prerequisites against the records
 * read from etcd (3.2.5), and applying the update section to them (3.4.2). No I/O here.
 */
export interface Zone {
  readonly name: Labels;
  readonly reverse: boolean;
}

export type Prereq =
  | { readonly kind: "name-in-use"; readonly name: Labels }
  | { readonly kind: "name-not-in-use"; readonly name: Labels }
  | { readonly kind: "rrset-exists"; readonly name: Labels; readonly type: number }
  | { readonly kind: "rrset-not-exists"; readonly name: Labels; readonly type: number }
  | { readonly kind: "rrset-equals"; readonly name: Labels; readonly type: number; readonly rdatas: readonly Buffer[] };

export type Change =
  | { readonly kind: "add"; readonly name: Labels; readonly type: number; readonly ttl: number; readonly rdata: Buffer }
  | { readonly kind: "delete-all"; readonly name: Labels }
  | { readonly kind: "delete-rrset"; readonly name: Labels; readonly type: number }
  | { readonly kind: "delete-rr"; readonly name: Labels; readonly type: number; readonly rdata: Buffer };

export interface CheckedUpdate {
  readonly zone: Zone;
  readonly prereqs: readonly Prereq[];
  readonly changes: readonly Change[];
  /** Every name the prerequisites or changes look at, deduplicated: what must be read and compared in etcd. */
  readonly names: readonly Labels[];
}

export type Checked = { readonly ok: true; readonly update: CheckedUpdate } | { readonly ok: false; readonly rcode: Rcode; readonly reason: string };

const fail = (rcode: Rcode, reason: string): Checked => ({ ok: false, rcode, reason });

/** Names one update may touch (prerequisites included). */
export const MAX_NAMES_PER_UPDATE = 16;

/** Meta-types that may never appear as an RR type in the update section (RFC 2136 3.4.1.3). */
const META = new Set<number>([TYPE.AXFR, TYPE.IXFR, TYPE.MAILA, TYPE.MAILB]);

/**
 * Checks the zone, prerequisite and update sections of an UPDATE and turns them into prerequisites and changes.
 * `zones` are the configured zones; the allowed types follow what Kea sends: A, AAAA, TXT, DHCID in forward zones,
 * PTR, TXT, DHCID in reverse zones.
 */
export function checkUpdate(
  zoneSection: readonly { name: Labels; type: number; class: number }[],
  prereqRRs: readonly WireRR[],
  updateRRs: readonly WireRR[],
  zones: readonly Zone[],
): Checked {
  if (zoneSection.length !== 1) return fail(RCODE.FORMERR, "zone section must hold exactly one zone");
  const z = zoneSection[0];
  if (z === undefined || z.type !== TYPE.SOA) return fail(RCODE.FORMERR, "zone type must be SOA");
  const zone = zones.find((c) => sameName(c.name, z.name));
  if (zone === undefined || z.class !== CLASS.IN) return fail(RCODE.NOTAUTH, `not authoritative for ${nameText(z.name)}`);

  const names = new Map<string, Labels>();
  const note = (n: Labels) => names.set(n.join("."), n);

  const prereqs: Prereq[] = [];
  const equals = new Map<string, { name: Labels; type: number; rdatas: Buffer[] }>();
  for (const rr of prereqRRs) {
    if (rr.ttl !== 0) return fail(RCODE.FORMERR, "prerequisite TTL must be 0");
    if (!inZone(rr.name, zone.name)) return fail(RCODE.NOTZONE, `${nameText(rr.name)} is outside the zone`);
    if (rr.class === CLASS.ANY || rr.class === CLASS.NONE) {
      if (rr.rdata.length !== 0) return fail(RCODE.FORMERR, "prerequisite with class ANY/NONE must have no RDATA");
      if (rr.type === TYPE.ANY) {
        prereqs.push({ kind: rr.class === CLASS.ANY ? "name-in-use" : "name-not-in-use", name: rr.name });
      } else {
        if (META.has(rr.type)) return fail(RCODE.FORMERR, "meta-type in prerequisite");
        prereqs.push({ kind: rr.class === CLASS.ANY ? "rrset-exists" : "rrset-not-exists", name: rr.name, type: rr.type });
      }
    } else if (rr.class === CLASS.IN) {
      if (rr.type === TYPE.ANY || META.has(rr.type)) return fail(RCODE.FORMERR, "meta-type in prerequisite");
      let rdata: Buffer;
      try {
        rdata = canonicalize(rr.type, rr.rdata);
      } catch (e) {
        return fail(RCODE.FORMERR, e instanceof WireError ? e.message : "bad RDATA");
      }
      const k = `${rr.name.join(".")}/${rr.type}`;
      const entry = equals.get(k) ?? { name: rr.name, type: rr.type, rdatas: [] };
      if (!entry.rdatas.some((r) => r.equals(rdata))) entry.rdatas.push(rdata);
      equals.set(k, entry);
    } else {
      return fail(RCODE.FORMERR, "prerequisite class must be IN, ANY or NONE");
    }
    note(rr.name);
  }
  for (const e of equals.values()) prereqs.push({ kind: "rrset-equals", name: e.name, type: e.type, rdatas: e.rdatas });

  const changes: Change[] = [];
  for (const rr of updateRRs) {
    if (!inZone(rr.name, zone.name)) return fail(RCODE.NOTZONE, `${nameText(rr.name)} is outside the zone`);
    if (rr.class === CLASS.IN) {
      if (rr.type === TYPE.ANY || META.has(rr.type)) return fail(RCODE.FORMERR, "meta-type in an add");
      let rdata: Buffer;
      try {
        rdata = canonicalize(rr.type, rr.rdata);
      } catch (e) {
        return fail(RCODE.FORMERR, e instanceof WireError ? e.message : "bad RDATA");
      }
      changes.push({ kind: "add", name: rr.name, type: rr.type, ttl: addTtl(rr.ttl), rdata });
    } else if (rr.class === CLASS.ANY) {
      if (rr.ttl !== 0 || rr.rdata.length !== 0 || META.has(rr.type)) return fail(RCODE.FORMERR, "bad delete (class ANY)");
      changes.push(rr.type === TYPE.ANY ? { kind: "delete-all", name: rr.name } : { kind: "delete-rrset", name: rr.name, type: rr.type });
    } else if (rr.class === CLASS.NONE) {
      if (rr.ttl !== 0 || rr.type === TYPE.ANY || META.has(rr.type)) return fail(RCODE.FORMERR, "bad delete (class NONE)");
      let rdata: Buffer;
      try {
        rdata = canonicalize(rr.type, rr.rdata);
      } catch (e) {
        return fail(RCODE.FORMERR, e instanceof WireError ? e.message : "bad RDATA");
      }
      changes.push({ kind: "delete-rr", name: rr.name, type: rr.type, rdata });
    } else {
      return fail(RCODE.FORMERR, "update class must be IN, ANY or NONE");
    }
    note(rr.name);
  }
  // Policy (RFC 2136 3.3): only the record types Kea uses, each in its kind of zone, on names the etcd layout can
  // represent. Everything else is REFUSED rather than half-supported.
  for (const c of changes) {
    const refused = namePolicy(c.name, zone, c.kind === "add");
    if (refused !== undefined) return fail(RCODE.REFUSED, refused);
    if (c.kind === "delete-all") continue;
    if (!allowedType(c.type, zone.reverse)) {
      return fail(RCODE.REFUSED, `type ${typeName(c.type)} is not updatable in ${zone.reverse ? "a reverse" : "a forward"} zone`);
    }
  }
  // Every name is read and compared in one etcd transaction (at most 128 operations); Kea names one per update.
  if (names.size > MAX_NAMES_PER_UPDATE) return fail(RCODE.REFUSED, `more than ${MAX_NAMES_PER_UPDATE} names in one update`);
  for (const n of names.values()) {
    const refused = namePolicy(n, zone, false);
    if (refused !== undefined) return fail(RCODE.REFUSED, refused);
  }
  return { ok: true, update: { zone, prereqs, changes, names: [...names.values()] } };
}

/**
 * RFC 2181 8: a TTL with the most significant bit set is treated as zero (masking the bit instead turned 2^31 + 300
 * into 300 seconds).
 */
function addTtl(ttl: number): number {
  return ttl > 0x7fffffff ? 0 : ttl;
}

/** Each RDATA once. */
function distinct(rdatas: readonly Buffer[]): Buffer[] {
  return rdatas.filter((d, i) => rdatas.findIndex((o) => o.equals(d)) === i);
}

/**
 * Names that clients resolve on their own account under their search domain: Windows' proxy auto-discovery asks
 * for `wpad.<domain>` and its IPv6 transition for `isatap.<domain>`, so a device that names itself so would steer
 * every Windows machine's web traffic; `localhost` must stay loopback.
 */
const CLAIMED_NAMES: ReadonlySet<string> = new Set(["wpad", "isatap", "localhost"]);

/**
 * Why the daemon keeps no records at `name` in `zone` (RFC 2136 3.3 policy; `adding` for a name it would add
 * to), or undefined. The same rules hold for updates and for `h5b ddns reconcile`.
 */
export function namePolicy(name: Labels, zone: Zone, adding: boolean): string | undefined {
  if (!isSafeName(name)) return `name ${nameText(name)} has labels the etcd layout cannot hold`;
  // The daemon's own keys are leaves named `h5b-…` below a name's path: a name with such a label would have its
  // records at the keys of the name above it.
  if (name.some((l) => l.startsWith("h5b-"))) return `name ${nameText(name)} has a label starting with h5b-, which the daemon's keys use`;
  // Only adds: records such a name got before these rules must still go when their lease does.
  // CoreDNS's etcd plugin reads a label `any` (or `*`) as a wildcard: the name would answer with the whole zone.
  if (adding && name.some((l) => l.toLowerCase() === WILDCARD_LABEL)) {
    return `name ${nameText(name)} has a label ${WILDCARD_LABEL}, which CoreDNS reads as a wildcard`;
  }
  const host = name[0]?.toLowerCase();
  if (adding && !zone.reverse && host !== undefined && CLAIMED_NAMES.has(host)) {
    return `${nameText(name)}: ${host} is a name clients look up by itself (proxy discovery, loopback), not one a DHCP client may take`;
  }
  // CoreDNS answers a name with everything below its path, so the apex would stand for the whole zone.
  if (sameName(name, zone.name)) return "records at the zone apex cannot be represented in the etcd layout";
  // CoreDNS reads the zone's NS records and its top below `dns.<zone>`.
  if (name[name.length - zone.name.length - 1]?.toLowerCase() === ZONE_META_LABEL) {
    return `${nameText(name)} is at or below ${ZONE_META_LABEL}.${nameText(zone.name)}, where CoreDNS reads the zone's name servers`;
  }
  // For the same reason a record two labels below the apex (`foo.x86-1`) would also be answered for the name
  // between, which may be somebody else's (a host's, another client's).
  if (adding && !zone.reverse && name.length > zone.name.length + 1) {
    return `${nameText(name)} is more than one label below ${nameText(zone.name)}: CoreDNS would answer its records for ${nameText(name.slice(1))} too`;
  }
  return undefined;
}

export function allowedType(type: number, reverse: boolean): boolean {
  if (!isManagedType(type)) return false;
  if (type === TYPE.PTR) return reverse;
  if (type === TYPE.A || type === TYPE.AAAA) return !reverse;
  return true;
}

/** Records at each name, keyed by the name's dotted form. */
export type NameRecords = ReadonlyMap<string, readonly StoredRR[]>;

const at = (state: NameRecords, name: Labels) => state.get(name.join(".")) ?? [];

/** RFC 2136 3.2.5: the first failing prerequisite decides the rcode; NOERROR when all hold. */
export function evaluatePrereqs(prereqs: readonly Prereq[], state: NameRecords): { rcode: Rcode; reason: string } {
  for (const p of prereqs) {
    const rrs = at(state, p.name);
    const label = nameText(p.name);
    switch (p.kind) {
      case "name-in-use":
        if (rrs.length === 0) return { rcode: RCODE.NXDOMAIN, reason: `${label} is not in use` };
        break;
      case "name-not-in-use":
        if (rrs.length > 0) return { rcode: RCODE.YXDOMAIN, reason: `${label} is in use` };
        break;
      case "rrset-exists":
        if (!rrs.some((r) => r.type === p.type)) return { rcode: RCODE.NXRRSET, reason: `${label} ${typeName(p.type)} does not exist` };
        break;
      case "rrset-not-exists":
        if (rrs.some((r) => r.type === p.type)) return { rcode: RCODE.YXRRSET, reason: `${label} ${typeName(p.type)} exists` };
        break;
      case "rrset-equals": {
        // RRsets are sets (RFC 2136 3.2.3): a PTR at the name's path and as an earlier version's leaf is one RR.
        const have = distinct(rrs.filter((r) => r.type === p.type).map((r) => r.rdata));
        const want = distinct(p.rdatas);
        const same = have.length === want.length && want.every((d) => have.some((h) => h.equals(d)));
        if (!same) return { rcode: RCODE.NXRRSET, reason: `${label} ${typeName(p.type)} differs` };
        break;
      }
    }
  }
  return { rcode: RCODE.NOERROR, reason: "" };
}

export interface DesiredRR {
  readonly name: Labels;
  readonly type: number;
  readonly rdata: Buffer;
  readonly ttl: number;
}

export type Applied =
  | { readonly ok: true; readonly result: ReadonlyMap<string, readonly DesiredRR[]> }
  | { readonly ok: false; readonly rcode: Rcode; readonly reason: string };

/**
 * RFC 3.4.2 on the daemon's own records. A change that touches a name holding any foreign record (external-dns's,
 * static ones) is REFUSED, even a delete: those names are never the daemon's to change, whatever etcd allows.
 * Returns the records each touched name must hold afterwards.
 */
export function applyChanges(changes: readonly Change[], state: NameRecords): Applied {
  const result = new Map<string, DesiredRR[]>();
  for (const c of changes) {
    const key = c.name.join(".");
    const current = at(state, c.name);
    if (current.some((r) => !r.own)) {
      return { ok: false, rcode: RCODE.REFUSED, reason: `${nameText(c.name)} holds records h5b ddns did not write` };
    }
    // One RR once: a PTR can be there twice, at the name's path and as an earlier version's leaf.
    const once = current.filter((r, i) => current.findIndex((o) => o.type === r.type && o.rdata.equals(r.rdata)) === i);
    if (!result.has(key)) result.set(key, once.map((r) => ({ name: c.name, type: r.type, rdata: r.rdata, ttl: r.ttl })));
    const rrs = result.get(key) ?? [];
    switch (c.kind) {
      case "add": {
        // RFC 2181 5.2: all RRs of an RRset share one TTL, so the newest TTL applies to the whole RRset.
        const next = rrs.map((r) => (r.type === c.type ? { ...r, ttl: c.ttl } : r));
        if (!next.some((r) => r.type === c.type && r.rdata.equals(c.rdata))) next.push({ name: c.name, type: c.type, rdata: c.rdata, ttl: c.ttl });
        result.set(key, next);
        break;
      }
      case "delete-all":
        result.set(key, []);
        break;
      case "delete-rrset":
        result.set(key, rrs.filter((r) => r.type !== c.type));
        break;
      case "delete-rr":
        result.set(key, rrs.filter((r) => !(r.type === c.type && r.rdata.equals(c.rdata))));
        break;
    }
  }
  for (const [key, rrs] of result) {
    if (rrs.filter((r) => r.type === TYPE.PTR).length > 1) {
      return { ok: false, rcode: RCODE.REFUSED, reason: `${key} would hold two PTRs; CoreDNS serves one PTR per name from etcd` };
    }
  }
  return { ok: true, result };
}
