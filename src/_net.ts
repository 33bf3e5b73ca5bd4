import ipaddr from "ipaddr.js";

export type Family = "ipv4" | "ipv6";

/** The family of an address literal (IPv4 only in its four-part dotted form), or undefined for anything else. */
export function literalFamily(text: string): Family | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return "ipv4";
  return ipaddr.IPv6.isValid(text) ? "ipv6" : undefined;
}

/** A prefix as an inclusive range of integers, so that containment and overlap are plain comparisons. */
export interface Cidr {
  readonly family: Family;
  readonly text: string;
  readonly prefixLength: number;
  readonly first: bigint;
  readonly last: bigint;
}

const bits = (f: Family) => (f === "ipv4" ? 32 : 128);

export function addressToBigInt(addr: string): { family: Family; value: bigint } {
  const parsed = ipaddr.parse(addr);
  const family: Family = parsed.kind() === "ipv4" ? "ipv4" : "ipv6";
  let value = 0n;
  for (const b of parsed.toByteArray()) value = (value << 8n) | BigInt(b);
  return { family, value };
}

export function bigIntToAddress(family: Family, value: bigint): string {
  const n = bits(family) / 8;
  const bytes: number[] = new Array<number>(n);
  let v = value;
  for (let i = n - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/** Parses `a.b.c.d/n` or `x::/n`; host bits set below the prefix are an error (the caller reports it). */
export function parseCidr(text: string): Cidr {
  const [addr, len] = ipaddr.parseCIDR(text);
  const family: Family = addr.kind() === "ipv4" ? "ipv4" : "ipv6";
  const { value } = addressToBigInt(addr.toString());
  const hostBits = BigInt(bits(family) - len);
  const first = (value >> hostBits) << hostBits;
  const last = first + (1n << hostBits) - 1n;
  return { family, text, prefixLength: len, first, last };
}

/** True when the address part of a CIDR has no bits set after the prefix (`10.0.0.0/16`, not `10.0.1.0/16`). */
export function isNetworkAddress(text: string): boolean {
  const c = parseCidr(text);
  return addressToBigInt(text.split("/")[0] ?? "").value === c.first;
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.first <= inner.first && inner.last <= outer.last;
}

export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function cidrContainsAddress(c: Cidr, addr: string): boolean {
  const a = addressToBigInt(addr);
  return a.family === c.family && c.first <= a.value && a.value <= c.last;
}

export function cidrSize(c: Cidr): bigint {
  return c.last - c.first + 1n;
}

/** The n-th address of a prefix (0 is the network address). */
export function nthAddress(c: Cidr, n: bigint): string {
  return bigIntToAddress(c.family, c.first + n);
}

/**
 * An IPv4 address ending in .0 or .255, which MetalLB's `avoidBuggyIPs` never hands out (some clients take them
 * for a network or broadcast address), inside a larger pool too.
 */
export function isBuggyIPv4(addr: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(addr) && /\.(0|255)$/.test(addr);
}

/**
 * The addresses of a pool h5b gives out, as offsets `first` to `first + count - 1`: not its first (the network
 * address, the subnet-router anycast address in IPv6) nor, in IPv4, its broadcast address. An IPv4 /32 gives out its
 * one address; a /31 its second alone, as h5b always has (a picked address must never move).
 */
export function poolSpan(c: Cidr): { first: bigint; count: bigint } {
  if (c.family === "ipv4" && c.prefixLength === 32) return { first: 0n, count: 1n };
  if (c.family === "ipv4" && c.prefixLength === 31) return { first: 1n, count: 1n };
  return { first: 1n, count: cidrSize(c) - (c.family === "ipv4" ? 2n : 1n) };
}

/** How many addresses of a pool h5b gives out: its span, less the x.0 and x.255 inside MetalLB would not hand out. */
export function poolCapacity(c: Cidr, avoidBuggyIPs: boolean): bigint {
  const span = poolSpan(c);
  if (!avoidBuggyIPs || c.family !== "ipv4") return span.count;
  // Every /24 inside a larger pool holds one .0 and one .255 besides its ends; a pool from /24 to /30 has them only
  // at its ends, outside the span; a /31 or /32 may be one.
  if (c.prefixLength < 24) return span.count - (2n * (cidrSize(c) / 256n) - 2n);
  if (c.prefixLength < 31) return span.count;
  let n = 0n;
  for (let i = 0n; i < span.count; i++) if (!isBuggyIPv4(nthAddress(c, span.first + i))) n++;
  return n;
}

/** `first - last` in the textual form Kea and MetalLB take. */
export function rangeText(c: Cidr): string {
  return `${bigIntToAddress(c.family, c.first)} - ${bigIntToAddress(c.family, c.last)}`;
}

/** Canonical text of an address (lowercase, compressed IPv6), so that equal addresses compare equal as strings. */
export function canonicalAddress(addr: string): string {
  return ipaddr.parse(addr).toString();
}

/** The reverse-DNS zone names (in-addr.arpa / ip6.arpa) covering a prefix, on nibble or octet boundaries. */
export function reverseZones(c: Cidr): string[] {
  const step = c.family === "ipv4" ? 8 : 4;
  const total = bits(c.family);
  // Round the prefix up to a label boundary and list every zone of that size inside the prefix (a /20 spans
  // sixteen /24 zones). A range narrower than one label (an IPv4 /28) would become single-address zones, so it
  // takes its enclosing zone instead; validation makes sure no other writer's range shares that zone.
  let zoneLen = Math.ceil(c.prefixLength / step) * step;
  if (zoneLen === total && c.prefixLength !== total) zoneLen -= step;
  if (zoneLen < c.prefixLength) return [reverseZoneName(c.family, c.first, zoneLen)];
  const count = 1n << BigInt(zoneLen - c.prefixLength);
  const zones: string[] = [];
  for (let i = 0n; i < count; i++) {
    zones.push(reverseZoneName(c.family, c.first + (i << BigInt(total - zoneLen)), zoneLen));
  }
  return zones;
}

function reverseZoneName(family: Family, value: bigint, len: number): string {
  const step = family === "ipv4" ? 8 : 4;
  const total = bits(family);
  const labels: string[] = [];
  for (let i = 0; i < len / step; i++) {
    const shift = BigInt(total - (i + 1) * step);
    const part = (value >> shift) & ((1n << BigInt(step)) - 1n);
    labels.push(family === "ipv4" ? part.toString(10) : part.toString(16));
  }
  return [...labels.reverse(), family === "ipv4" ? "in-addr.arpa" : "ip6.arpa"].join(".");
}

/** The PTR owner name of an address (`53.0.0.10.in-addr.arpa`). */
export function reverseName(addr: string): string {
  const { family, value } = addressToBigInt(addr);
  return reverseZoneName(family, value, bits(family));
}
