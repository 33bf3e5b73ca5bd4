import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import { nameText, nameWire, parseName, type Labels } from "./_names.js";
import { readName, TYPE, WireError } from "./_wire.js";

/** The record types this daemon stores; anything else in an UPDATE is REFUSED. */
export const MANAGED_TYPES = [TYPE.A, TYPE.AAAA, TYPE.PTR, TYPE.TXT, TYPE.DHCID] as const;
export type ManagedType = (typeof MANAGED_TYPES)[number];

export function isManagedType(t: number): t is ManagedType {
  return (MANAGED_TYPES as readonly number[]).includes(t);
}

export const TYPE_NAMES: Readonly<Record<number, string>> = {
  [TYPE.A]: "A",
  [TYPE.AAAA]: "AAAA",
  [TYPE.PTR]: "PTR",
  [TYPE.TXT]: "TXT",
  [TYPE.DHCID]: "DHCID",
  [TYPE.CNAME]: "CNAME",
  [TYPE.ANY]: "ANY",
  [TYPE.SOA]: "SOA",
  [TYPE.NS]: "NS",
};

export function typeName(t: number): string {
  return TYPE_NAMES[t] ?? `TYPE${t}`;
}

/**
 * Checks that RDATA is well formed for its type (RFC 1035 / 3596 / 4701) and returns it in canonical form
 * (names lowercased and uncompressed), so that equal records compare equal byte for byte. Throws WireError.
 */
export function canonicalize(type: number, rdata: Buffer): Buffer {
  switch (type) {
    case TYPE.A:
      if (rdata.length !== 4) throw new WireError("A RDATA must be 4 octets");
      return rdata;
    case TYPE.AAAA:
      if (rdata.length !== 16) throw new WireError("AAAA RDATA must be 16 octets");
      return rdata;
    case TYPE.PTR:
    case TYPE.CNAME: {
      const { labels, end } = readName(rdata, 0);
      if (end !== rdata.length) throw new WireError("name RDATA has trailing bytes");
      return nameWire(labels);
    }
    case TYPE.TXT: {
      if (rdata.length === 0) throw new WireError("TXT RDATA is empty");
      let pos = 0;
      while (pos < rdata.length) pos += 1 + (rdata[pos] ?? 0);
      if (pos !== rdata.length) throw new WireError("TXT character-string runs past RDATA");
      return rdata;
    }
    case TYPE.DHCID:
      // RFC 4701: identifier type (2), digest type (1), digest (at least one octet).
      if (rdata.length < 4) throw new WireError("DHCID RDATA too short");
      return rdata;
    default:
      return rdata;
  }
}

/** Human-readable RDATA for logs and reconcile reports. */
export function rdataText(type: number, rdata: Buffer): string {
  switch (type) {
    case TYPE.A:
    case TYPE.AAAA:
      return ipaddr.fromByteArray([...rdata]).toString();
    case TYPE.PTR:
    case TYPE.CNAME:
      return `${nameText(readName(rdata, 0).labels)}.`;
    case TYPE.TXT:
      return txtStrings(rdata)
        .map((s) => JSON.stringify(s))
        .join(" ");
    default:
      return rdata.toString("base64");
  }
}

export function txtStrings(rdata: Buffer): string[] {
  const out: string[] = [];
  let pos = 0;
  while (pos < rdata.length) {
    const len = rdata[pos] ?? 0;
    out.push(rdata.toString("latin1", pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return out;
}

export function txtRdata(text: string): Buffer {
  const b = Buffer.from(text, "utf8");
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length || i === 0; i += 255) {
    const chunk = b.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
    if (b.length === 0) break;
  }
  return Buffer.concat(parts);
}

export function addressRdata(address: string): Buffer {
  return Buffer.from(ipaddr.parse(address).toByteArray());
}

/**
 * What CoreDNS would serve for a `host` value: an IP address is A/AAAA, a name is CNAME in a forward zone and
 * PTR in a reverse zone. Used to read records that other writers (external-dns) put in etcd.
 */
export function recordFromHost(host: string, reverseZone: boolean): { type: number; rdata: Buffer } | undefined {
  const v = isIP(host);
  if (v === 4) return { type: TYPE.A, rdata: addressRdata(host) };
  if (v === 6) return { type: TYPE.AAAA, rdata: addressRdata(host) };
  if (host === "") return undefined;
  return { type: reverseZone ? TYPE.PTR : TYPE.CNAME, rdata: nameWire(parseName(host)) };
}

export function nameFromRdata(rdata: Buffer): Labels {
  return readName(rdata, 0).labels;
}
