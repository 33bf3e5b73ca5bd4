import { type Labels, nameWire } from "./_names.js";

/**
 * A strict DNS message reader. dns-packet is not used for parsing requests because it cannot serve this daemon:
 * it decodes RDATA by type without honouring RDLENGTH (an UPDATE delete carries RDLENGTH 0, so the A decoder
 * would read the next record's bytes), it keeps no wire offsets (TSIG must MAC the exact bytes before the TSIG
 * RR), it silently clamps reads past the end of the buffer, and it turns label bytes into UTF-8 text.
 */
export class WireError extends Error {}

export interface WireRR {
  readonly name: Labels;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  /** RDATA as sent, except that names inside PTR RDATA are decompressed (canonical form). */
  readonly rdata: Buffer;
  /** Offset of the RR's first byte in the message (TSIG verification cuts the message there). */
  readonly offset: number;
  /** Offset of the RDATA, for types whose RDATA holds a compressible name. */
  readonly rdataOffset: number;
}

export interface WireMessage {
  readonly id: number;
  readonly flags: number;
  readonly qr: boolean;
  readonly opcode: number;
  readonly rcode: number;
  /** The question section; in an UPDATE, the zone section. */
  readonly questions: readonly { name: Labels; type: number; class: number }[];
  /** In an UPDATE, the prerequisite section. */
  readonly answers: readonly WireRR[];
  /** In an UPDATE, the update section. */
  readonly authorities: readonly WireRR[];
  readonly additionals: readonly WireRR[];
  readonly raw: Buffer;
}

export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  OPT: 41,
  DHCID: 49,
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  MAILB: 253,
  MAILA: 254,
  ANY: 255,
} as const;

export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;

export const OPCODE = { QUERY: 0, NOTIFY: 4, UPDATE: 5 } as const;

/** Bound on compression-pointer hops: each pointer must go backwards, so this only bounds work, not loops. */
const MAX_POINTERS = 64;

export function readName(buf: Buffer, start: number): { labels: string[]; end: number } {
  const labels: string[] = [];
  let pos = start;
  let end = -1;
  let hops = 0;
  let wireLength = 1;
  // A pointer must land before the start of the name (or of the previous pointer's target), so every jump moves
  // strictly backwards and a chain of pointers cannot loop.
  let limit = start;
  for (;;) {
    if (pos >= buf.length) throw new WireError("name runs past the end of the message");
    const len = buf[pos] ?? 0;
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) throw new WireError("compression pointer runs past the end");
      const target = ((len & 0x3f) << 8) | (buf[pos + 1] ?? 0);
      if (target >= limit) throw new WireError("compression pointer does not point backwards");
      if (++hops > MAX_POINTERS) throw new WireError("too many compression pointers");
      if (end < 0) end = pos + 2;
      pos = target;
      limit = target;
      continue;
    }
    if (kind !== 0) throw new WireError("unknown label type");
    if (pos + 1 + len > buf.length) throw new WireError("label runs past the end of the message");
    wireLength += len + 1;
    if (wireLength > 255) throw new WireError("name longer than 255 octets");
    labels.push(buf.toString("latin1", pos + 1, pos + 1 + len).toLowerCase());
    pos += 1 + len;
  }
  return { labels, end };
}

function u16(buf: Buffer, pos: number): number {
  if (pos + 2 > buf.length) throw new WireError("message truncated");
  return buf.readUInt16BE(pos);
}

function u32(buf: Buffer, pos: number): number {
  if (pos + 4 > buf.length) throw new WireError("message truncated");
  return buf.readUInt32BE(pos);
}

/** RR types whose RDATA is (or starts with) a name that may be compressed and must be decompressed. */
function canonicalRdata(buf: Buffer, type: number, rdStart: number, rdLength: number): Buffer {
  const raw = buf.subarray(rdStart, rdStart + rdLength);
  if (rdLength === 0) return raw;
  if (type === TYPE.PTR || type === TYPE.CNAME || type === TYPE.NS) {
    const { labels, end } = readName(buf, rdStart);
    if (end !== rdStart + rdLength) throw new WireError("RDATA length does not match its name");
    return nameWire(labels);
  }
  return Buffer.from(raw);
}

function readRR(buf: Buffer, pos: number): { rr: WireRR; end: number } {
  const { labels, end: nameEnd } = readName(buf, pos);
  const type = u16(buf, nameEnd);
  const klass = u16(buf, nameEnd + 2);
  const ttl = u32(buf, nameEnd + 4);
  const rdLength = u16(buf, nameEnd + 8);
  const rdStart = nameEnd + 10;
  if (rdStart + rdLength > buf.length) throw new WireError("RDATA runs past the end of the message");
  const rdata = canonicalRdata(buf, type, rdStart, rdLength);
  return { rr: { name: labels, type, class: klass, ttl, rdata, offset: pos, rdataOffset: rdStart }, end: rdStart + rdLength };
}

/** Parses a whole message; any inconsistency (counts, lengths, names, trailing bytes) is a {@link WireError}. */
export function parseMessage(buf: Buffer): WireMessage {
  if (buf.length < 12) throw new WireError("shorter than a DNS header");
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
  // Every question takes at least 5 octets and every RR at least 11, so larger counts cannot fit; checking first
  // keeps a forged count from driving a long loop.
  if (12 + counts[0] * 5 + (counts[1] + counts[2] + counts[3]) * 11 > buf.length) {
    throw new WireError("section counts exceed the message length");
  }
  let pos = 12;
  const questions: { name: Labels; type: number; class: number }[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const { labels, end } = readName(buf, pos);
    questions.push({ name: labels, type: u16(buf, end), class: u16(buf, end + 2) });
    pos = end + 4;
  }
  const sections: WireRR[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    const n = counts[s + 1] ?? 0;
    for (let i = 0; i < n; i++) {
      const { rr, end } = readRR(buf, pos);
      sections[s]?.push(rr);
      pos = end;
    }
  }
  if (pos !== buf.length) throw new WireError("trailing bytes after the last section");
  return {
    id,
    flags,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    rcode: flags & 0xf,
    questions,
    answers: sections[0] ?? [],
    authorities: sections[1] ?? [],
    additionals: sections[2] ?? [],
    raw: buf,
  };
}

/**
 * An append-only message builder without name compression (responses here are small). It writes into one buffer
 * that doubles when full: a Buffer per field (two octets of header, one per label length) was the largest share of
 * the allocation per update, and every allocation is paid again in the young generation's collections.
 */
export class WireWriter {
  private buf: Buffer = Buffer.allocUnsafe(256);
  private length = 0;

  /** Reserves n octets and returns where they start; read this.buf only after calling it (it may grow). */
  private room(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, at + n));
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
    }
    this.length = at + n;
    return at;
  }

  bytes(b: Buffer): this {
    const at = this.room(b.length);
    b.copy(this.buf, at);
    return this;
  }
  u8(n: number): this {
    const at = this.room(1);
    this.buf[at] = n & 0xff;
    return this;
  }
  u16(n: number): this {
    const at = this.room(2);
    this.buf.writeUInt16BE(n & 0xffff, at);
    return this;
  }
  u32(n: number): this {
    const at = this.room(4);
    this.buf.writeUInt32BE(n >>> 0, at);
    return this;
  }
  u48(n: number): this {
    const at = this.room(6);
    this.buf.writeUIntBE(n, at, 6);
    return this;
  }
  name(labels: Labels): this {
    for (const l of labels) {
      // Labels are at most 63 octets (checked where they are parsed or configured); latin1 is one octet per char.
      const at = this.room(1 + l.length);
      this.buf[at] = l.length;
      this.buf.write(l, at + 1, "latin1");
    }
    return this.u8(0);
  }
  rr(name: Labels, type: number, klass: number, ttl: number, rdata: Buffer): this {
    return this.name(name).u16(type).u16(klass).u32(ttl).u16(rdata.length).bytes(rdata);
  }
  get size(): number {
    return this.length;
  }
  /** What was written so far. A view, not a copy: later writes only append, or move to a new buffer. */
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

export interface HeaderFields {
  id: number;
  qr: boolean;
  opcode: number;
  rcode: number;
  /** Other flag bits (AA, TC, RD, ...) as in the header word; QR, opcode and rcode are taken from the fields above. */
  flags?: number;
  counts: readonly [number, number, number, number];
}

export function writeHeader(w: WireWriter, h: HeaderFields): WireWriter {
  const flags = ((h.flags ?? 0) & 0x07f0) | (h.qr ? 0x8000 : 0) | ((h.opcode & 0xf) << 11) | (h.rcode & 0xf);
  return w.u16(h.id).u16(flags).u16(h.counts[0]).u16(h.counts[1]).u16(h.counts[2]).u16(h.counts[3]);
}
