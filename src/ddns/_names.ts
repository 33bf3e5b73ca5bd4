import ipaddr from "ipaddr.js";

/**
 * Domain names as the daemon handles them: lowercased label arrays, leftmost label first. Names are compared
 * case-insensitively (RFC 4343), so lowercasing once at parse time keeps every later comparison a string compare.
 */
export type Labels = readonly string[];

/** Labels the CoreDNS etcd layout can represent: a label becomes one path segment, so `/` must never occur. */
const SAFE_LABEL = /^[a-z0-9_-]{1,63}$/;

export function isSafeLabel(label: string): boolean {
  return SAFE_LABEL.test(label);
}

export function isSafeName(labels: Labels): boolean {
  return labels.every(isSafeLabel);
}

/** `a.lab.test` / `a.lab.test.` → `["a","lab","test"]`; the root is `.` or the empty string. */
export function parseName(text: string): string[] {
  const t = text.trim().toLowerCase().replace(/\.$/, "");
  return t === "" ? [] : t.split(".");
}

/** Presentation form without the trailing dot; labels with bytes outside printable ASCII are escaped as `\DDD`. */
export function nameText(labels: Labels): string {
  if (labels.length === 0) return ".";
  return labels
    .map((l) =>
      l.replace(/[^\x21-\x7e]|[.\\]/g, (c) =>
        c === "." || c === "\\" ? `\\${c}` : `\\${c.charCodeAt(0).toString().padStart(3, "0")}`,
      ),
    )
    .join(".");
}

export function sameName(a: Labels, b: Labels): boolean {
  return a.length === b.length && a.every((l, i) => l === b[i]);
}

/** True when `name` is `zone` or below it. */
export function inZone(name: Labels, zone: Labels): boolean {
  if (name.length < zone.length) return false;
  const off = name.length - zone.length;
  for (let i = 0; i < zone.length; i++) if (name[off + i] !== zone[i]) return false;
  return true;
}

/** Uncompressed wire form, lowercase: the canonical form RFC 8945 requires inside the TSIG MAC. */
export function nameWire(labels: Labels): Buffer {
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, "latin1");
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** The reverse-zone name of an address: `10.99.0.42` → `42.0.99.10.in-addr.arpa`. */
export function reverseName(address: string): string[] {
  if (address.includes(":")) {
    const bytes = ipv6Bytes(address);
    const nibbles: string[] = [];
    for (const b of bytes) nibbles.push((b >> 4).toString(16), (b & 15).toString(16));
    return [...nibbles.reverse(), "ip6", "arpa"];
  }
  return [...address.split(".").reverse(), "in-addr", "arpa"];
}

export function ipv6Bytes(address: string): number[] {
  return ipaddr.IPv6.parse(address).toByteArray();
}
