import { createHmac, timingSafeEqual } from "node:crypto";
import type { TsigAlgorithm } from "./config.js";
import { nameWire, parseName, sameName, type Labels } from "./_names.js";
import { CLASS, readName, TYPE, WireError, WireWriter, type WireMessage, type WireRR } from "./_wire.js";

/** TSIG (RFC 8945) with HMAC-SHA224/256/384/512 (RFC 4635). MACs are computed with node:crypto. */
export interface TsigKey {
  readonly name: Labels;
  readonly algorithm: TsigAlgorithm;
  readonly secret: Buffer;
}

const HASHES: Readonly<Record<TsigAlgorithm, { hash: string; length: number }>> = {
  "hmac-sha224": { hash: "sha224", length: 28 },
  "hmac-sha256": { hash: "sha256", length: 32 },
  "hmac-sha384": { hash: "sha384", length: 48 },
  "hmac-sha512": { hash: "sha512", length: 64 },
};

/** TSIG error codes (RFC 8945 section 3). */
export const TSIG_ERROR = { NOERROR: 0, BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;

export function tsigKey(name: string, algorithm: TsigAlgorithm, secret: Buffer): TsigKey {
  return { name: parseName(name), algorithm, secret };
}

export interface TsigRecord {
  readonly keyName: Labels;
  readonly algorithm: Labels;
  readonly timeSigned: number;
  readonly fudge: number;
  readonly mac: Buffer;
  readonly originalId: number;
  readonly error: number;
  readonly other: Buffer;
  /** Where the TSIG RR starts in the request: the MAC covers the bytes before it. */
  readonly offset: number;
}

export function parseTsig(msg: WireMessage, rr: WireRR): TsigRecord {
  const buf = msg.raw;
  const end = rr.rdataOffset + rr.rdata.length;
  const { labels: algorithm, end: p0 } = readName(buf, rr.rdataOffset);
  if (p0 + 10 > end) throw new WireError("TSIG RDATA truncated");
  const timeSigned = buf.readUIntBE(p0, 6);
  const fudge = buf.readUInt16BE(p0 + 6);
  const macSize = buf.readUInt16BE(p0 + 8);
  const p1 = p0 + 10 + macSize;
  if (p1 + 6 > end) throw new WireError("TSIG MAC runs past RDATA");
  const mac = buf.subarray(p0 + 10, p1);
  const originalId = buf.readUInt16BE(p1);
  const error = buf.readUInt16BE(p1 + 2);
  const otherLen = buf.readUInt16BE(p1 + 4);
  if (p1 + 6 + otherLen !== end) throw new WireError("TSIG other data does not match RDATA length");
  const other = buf.subarray(p1 + 6, end);
  return { keyName: rr.name, algorithm, timeSigned, fudge, mac, originalId, error, other, offset: rr.offset };
}

/** The TSIG variables (RFC 8945 4.3.3) in canonical wire form. */
function variables(key: Labels, alg: Labels, time: number, fudge: number, error: number, other: Buffer): Buffer {
  return new WireWriter()
    .bytes(nameWire(key))
    .u16(CLASS.ANY)
    .u32(0)
    .bytes(nameWire(alg))
    .u48(time)
    .u16(fudge)
    .u16(error)
    .u16(other.length)
    .bytes(other)
    .toBuffer();
}

function hmac(key: TsigKey, parts: readonly Buffer[]): Buffer {
  const h = createHmac(HASHES[key.algorithm].hash, key.secret);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** The message as it was before the TSIG RR was added: cut at the RR, ARCOUNT minus one, original ID restored. */
function unsignedPrefix(raw: Buffer, tsigOffset: number, originalId: number): Buffer {
  const b = Buffer.from(raw.subarray(0, tsigOffset));
  b.writeUInt16BE(originalId, 0);
  b.writeUInt16BE(b.readUInt16BE(10) - 1, 10);
  return b;
}

export type TsigVerdict =
  /** No TSIG RR. */
  | { readonly kind: "unsigned" }
  /** A TSIG RR that is malformed, misplaced or has a MAC size outside RFC 8945 5.2.2.1: answer FORMERR unsigned. */
  | { readonly kind: "formerr"; readonly reason: string }
  /** BADKEY or BADSIG: answer NOTAUTH with an unsigned TSIG RR carrying the error (RFC 8945 5.3.2). */
  | { readonly kind: "reject"; readonly error: number; readonly tsig: TsigRecord }
  /** The MAC is good but the time is outside the fudge: NOTAUTH, BADTIME, signed with the key. */
  | { readonly kind: "badtime"; readonly tsig: TsigRecord }
  | { readonly kind: "ok"; readonly tsig: TsigRecord };

/** Verifies a request's TSIG against the one configured key at time `now` (seconds since the epoch). */
export function verifyRequest(msg: WireMessage, key: TsigKey, now: number): TsigVerdict {
  const idx = msg.additionals.findIndex((rr) => rr.type === TYPE.TSIG);
  if (idx < 0) return { kind: "unsigned" };
  if (idx !== msg.additionals.length - 1) return { kind: "formerr", reason: "TSIG is not the last record" };
  const rr = msg.additionals[idx];
  if (rr === undefined) return { kind: "unsigned" };
  if (rr.class !== CLASS.ANY || rr.ttl !== 0) return { kind: "formerr", reason: "TSIG class or TTL is wrong" };
  let tsig: TsigRecord;
  try {
    tsig = parseTsig(msg, rr);
  } catch (e) {
    return { kind: "formerr", reason: e instanceof Error ? e.message : "bad TSIG" };
  }
  if (!sameName(tsig.keyName, key.name) || !sameName(tsig.algorithm, parseName(key.algorithm))) {
    return { kind: "reject", error: TSIG_ERROR.BADKEY, tsig };
  }
  const full = HASHES[key.algorithm].length;
  if (tsig.mac.length === 0) return { kind: "reject", error: TSIG_ERROR.BADSIG, tsig };
  if (tsig.mac.length > full || tsig.mac.length < Math.max(10, Math.ceil(full / 2))) {
    return { kind: "formerr", reason: "TSIG MAC size outside the allowed truncation" };
  }
  const expected = hmac(key, [
    unsignedPrefix(msg.raw, tsig.offset, tsig.originalId),
    variables(tsig.keyName, tsig.algorithm, tsig.timeSigned, tsig.fudge, tsig.error, tsig.other),
  ]).subarray(0, tsig.mac.length);
  if (!timingSafeEqual(expected, tsig.mac)) return { kind: "reject", error: TSIG_ERROR.BADSIG, tsig };
  if (Math.abs(now - tsig.timeSigned) > tsig.fudge) return { kind: "badtime", tsig };
  return { kind: "ok", tsig };
}

export interface SignOptions {
  /** Seconds since the epoch written as Time Signed. */
  readonly time: number;
  readonly fudge?: number;
  readonly error?: number;
  readonly other?: Buffer;
  /** Truncate the MAC to this many octets (RFC 8945 5.2.2.1); default the full length. */
  readonly macLength?: number;
  /** The request's MAC, for a response (RFC 8945 4.3.1). */
  readonly requestMac?: Buffer;
  /** Leave the MAC empty (the unsigned error responses of RFC 8945 5.3.2). */
  readonly unsigned?: boolean;
}

/** Appends a TSIG RR to a complete message (ARCOUNT is incremented); returns the new message and its MAC. */
export function appendTsig(message: Buffer, key: TsigKey, opts: SignOptions): { message: Buffer; mac: Buffer } {
  const alg = parseName(key.algorithm);
  const fudge = opts.fudge ?? 300;
  const error = opts.error ?? 0;
  const other = opts.other ?? Buffer.alloc(0);
  const id = message.readUInt16BE(0);
  let mac: Buffer = Buffer.alloc(0);
  if (opts.unsigned !== true) {
    const parts: Buffer[] = [];
    if (opts.requestMac !== undefined) parts.push(new WireWriter().u16(opts.requestMac.length).bytes(opts.requestMac).toBuffer());
    parts.push(message, variables(key.name, alg, opts.time, fudge, error, other));
    mac = hmac(key, parts).subarray(0, opts.macLength ?? HASHES[key.algorithm].length);
  }
  const rdata = new WireWriter()
    .bytes(nameWire(alg))
    .u48(opts.time)
    .u16(fudge)
    .u16(mac.length)
    .bytes(mac)
    .u16(id)
    .u16(error)
    .u16(other.length)
    .bytes(other)
    .toBuffer();
  const rr = new WireWriter().rr(key.name, TYPE.TSIG, CLASS.ANY, 0, rdata).toBuffer();
  const out = Buffer.concat([message, rr]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return { message: out, mac };
}

/** Verifies a signed response to a request whose MAC was `requestMac` (used by tests and the benchmark client). */
export function verifyResponse(msg: WireMessage, key: TsigKey, requestMac: Buffer): TsigRecord | undefined {
  const rr = msg.additionals[msg.additionals.length - 1];
  if (rr === undefined || rr.type !== TYPE.TSIG) return undefined;
  const tsig = parseTsig(msg, rr);
  if (tsig.mac.length === 0) return undefined;
  const expected = hmac(key, [
    new WireWriter().u16(requestMac.length).bytes(requestMac).toBuffer(),
    unsignedPrefix(msg.raw, tsig.offset, tsig.originalId),
    variables(tsig.keyName, tsig.algorithm, tsig.timeSigned, tsig.fudge, tsig.error, tsig.other),
  ]).subarray(0, tsig.mac.length);
  return timingSafeEqual(expected, tsig.mac) ? tsig : undefined;
}

export function fullMacLength(alg: TsigAlgorithm): number {
  return HASHES[alg].length;
}
