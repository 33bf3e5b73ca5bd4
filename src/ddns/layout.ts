import { createHash } from "node:crypto";
import { nameText, type Labels } from "./_names.js";
import { canonicalize, nameFromRdata, rdataText, recordFromHost, txtStrings, typeName } from "./_rdata.js";
import { TYPE } from "./_wire.js";

/**
 * Where records live in etcd. CoreDNS's etcd plugin serves, for a name, every key under `prefix + reversed labels`
 * (and that exact key when there is nothing below it), reading `host` (A/AAAA/CNAME/PTR), `ttl` and `text` (TXT),
 * except for a PTR question, which it answers from the exact key `<path>` alone (an exact read since CoreDNS
 * 1.2.6). The daemon's A, AAAA and TXT records are leaves `<path>/h5b-<type>-<16 hex of sha256(rdata)>`, so the
 * same RR always has the same key; its PTR is the value at `<path>` itself, so a reverse name holds one PTR. Every
 * value carries `"owner"` and the canonical RDATA in base64, so the daemon can tell its records from external-dns's
 * (`<path>/<8 hex>`, or a PTR at `<path>` without the owner) and rebuild the RR exactly. DHCID records must not be
 * served, and everything under the CoreDNS prefix is, so they live under `metaPrefix + "dhcid/<name>/"`.
 */
/**
 * The label right below each zone under which CoreDNS's etcd plugin reads the zone's NS records (`ns.dns.<zone>`)
 * and the answer for the zone's own name (`apex.dns.<zone>`); h5b writes both (emit/porygon/host-records.ts).
 */
export const ZONE_META_LABEL = "dns";

/** A label CoreDNS's etcd plugin reads as a wildcard (as it does `*`): a name with it answers for the whole zone. */
export const WILDCARD_LABEL = "any";

export interface Layout {
  readonly prefix: string;
  readonly metaPrefix: string;
  readonly owner: string;
}

export interface StoredValue {
  host?: string;
  text?: string;
  ttl: number;
  owner: string;
  rdata: string;
}

/** CoreDNS's etcd key of a name: the prefix, then the labels from the root down. Only the prefix is read. */
export function namePath(layout: Pick<Layout, "prefix">, name: Labels): string {
  return layout.prefix + [...name].reverse().join("/");
}

export function dhcidPrefix(layout: Layout, name: Labels): string {
  return `${layout.metaPrefix}dhcid/${name.join(".")}/`;
}

function digest(rdata: Buffer): string {
  return createHash("sha256").update(rdata).digest("hex").slice(0, 16);
}

export function recordKey(layout: Layout, name: Labels, type: number, rdata: Buffer): string {
  if (type === TYPE.DHCID) return dhcidPrefix(layout, name) + digest(rdata);
  if (type === TYPE.PTR) return namePath(layout, name);
  return leafKey(layout, name, type, rdata);
}

function leafKey(layout: Layout, name: Labels, type: number, rdata: Buffer): string {
  return `${leafPrefix(layout, name, typeName(type).toLowerCase())}${digest(rdata)}`;
}

/** The start of the keys of the daemon's leaves of one type (`a`, `aaaa`, `ptr`, `txt`) at a name. */
export function leafPrefix(layout: Pick<Layout, "prefix">, name: Labels, type: string): string {
  return `${namePath(layout, name)}/h5b-${type}-`;
}

export function encodeValue(layout: Layout, type: number, rdata: Buffer, ttl: number): string {
  const v: StoredValue = { ttl, owner: layout.owner, rdata: rdata.toString("base64") };
  if (type === TYPE.A || type === TYPE.AAAA) v.host = rdataText(type, rdata);
  else if (type === TYPE.PTR) v.host = `${nameText(nameFromRdata(rdata))}.`;
  else if (type === TYPE.TXT) v.text = txtStrings(rdata).join("");
  // Key order fixed for readable etcdctl output: host/text first as in CoreDNS's examples.
  const ordered: Record<string, unknown> = {};
  for (const k of ["host", "text", "ttl", "owner", "rdata"] as const) if (v[k] !== undefined) ordered[k] = v[k];
  return JSON.stringify(ordered);
}

/** One RR as the daemon sees it in etcd. */
export interface StoredRR {
  readonly key: string;
  readonly type: number;
  readonly rdata: Buffer;
  readonly ttl: number;
  /** True when the daemon wrote it (owner marker and key shape); only such records may be changed or deleted. */
  readonly own: boolean;
}

export interface KV {
  readonly key: string;
  readonly value: Buffer;
  readonly modRevision: string;
}

function parseJson(value: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(value.toString("utf8"));
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const OWN_LEAF = /^h5b-(a|aaaa|ptr|txt)-[0-9a-f]{16}$/;
const LEAF_TYPES: Readonly<Record<string, number>> = { a: TYPE.A, aaaa: TYPE.AAAA, ptr: TYPE.PTR, txt: TYPE.TXT };

/**
 * Reads our own record from a value, checking that the key is the one the daemon would have written for it. A PTR
 * is also accepted as a leaf, where earlier versions wrote it (and CoreDNS never served it): read as the daemon's
 * own, it is moved to the name's path by the next update of the name.
 */
function ownRecord(layout: Layout, name: Labels, kv: KV, type: number, v: Record<string, unknown>): StoredRR | undefined {
  if (v.owner !== layout.owner || typeof v.rdata !== "string" || typeof v.ttl !== "number") return undefined;
  let rdata: Buffer;
  try {
    rdata = canonicalize(type, Buffer.from(v.rdata, "base64"));
  } catch {
    return undefined;
  }
  if (recordKey(layout, name, type, rdata) !== kv.key && !(type === TYPE.PTR && leafKey(layout, name, type, rdata) === kv.key)) return undefined;
  return { key: kv.key, type, rdata, ttl: v.ttl, own: true };
}

/**
 * Everything CoreDNS would serve for `name` plus the daemon's DHCIDs for it, split into the daemon's own records
 * and foreign ones. Keys deeper below the name that the daemon wrote belong to other names and are skipped; any
 * other key in the subtree is foreign, because CoreDNS serves it for this name.
 */
export function decodeName(layout: Layout, name: Labels, kvs: readonly KV[], reverseZone: boolean): StoredRR[] {
  const path = namePath(layout, name);
  const dprefix = dhcidPrefix(layout, name);
  const out: StoredRR[] = [];
  for (const kv of kvs) {
    const v = parseJson(kv.value);
    if (kv.key.startsWith(dprefix)) {
      const own = v === undefined ? undefined : ownRecord(layout, name, kv, TYPE.DHCID, v);
      // A DHCID key the daemon cannot read is still a DHCID somebody put there: keep it as foreign.
      out.push(own ?? { key: kv.key, type: TYPE.DHCID, rdata: Buffer.alloc(0), ttl: 0, own: false });
      continue;
    }
    // A sibling whose label extends this one (`host` / `host-2`) is not this name's, whatever range it came from.
    if (kv.key !== path && !kv.key.startsWith(`${path}/`)) continue;
    const rest = kv.key === path ? "" : kv.key.slice(path.length + 1);
    if (rest === "" && reverseZone && v !== undefined) {
      const own = ownRecord(layout, name, kv, TYPE.PTR, v);
      if (own !== undefined) {
        out.push(own);
        continue;
      }
    }
    const leafMatch = OWN_LEAF.exec(rest);
    if (leafMatch !== null && v !== undefined) {
      const own = ownRecord(layout, name, kv, LEAF_TYPES[leafMatch[1] ?? ""] ?? -1, v);
      if (own !== undefined) {
        out.push(own);
        continue;
      }
    }
    if (rest !== "" && v !== undefined && v.owner === layout.owner) {
      // Our own records of a name below this one: leaves of it, or its PTR at its own path.
      const below = rest.split("/");
      const leaf = below.length > 1 && OWN_LEAF.test(below.at(-1) ?? "");
      const childPtr = reverseZone && ownRecord(layout, [...below].reverse().concat(name), kv, TYPE.PTR, v) !== undefined;
      if (leaf || childPtr) continue;
    }
    const ttl = typeof v?.ttl === "number" ? v.ttl : 300;
    const host = typeof v?.host === "string" ? v.host : "";
    const fromHost = host === "" ? undefined : safe(() => recordFromHost(host, reverseZone));
    if (fromHost !== undefined) out.push({ key: kv.key, type: fromHost.type, rdata: fromHost.rdata, ttl, own: false });
    else if (typeof v?.text === "string") {
      out.push({ key: kv.key, type: TYPE.TXT, rdata: txtValue(v.text), ttl, own: false });
    } else {
      // Unreadable or unknown (SRV, MX, ...): it still makes the name "in use" and foreign.
      out.push({ key: kv.key, type: 0, rdata: Buffer.alloc(0), ttl, own: false });
    }
  }
  return out;
}

function txtValue(text: string): Buffer {
  const b = Buffer.from(text, "utf8");
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += 255) {
    const c = b.subarray(i, i + 255);
    parts.push(Buffer.from([c.length]), c);
  }
  return parts.length === 0 ? Buffer.from([0]) : Buffer.concat(parts);
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
