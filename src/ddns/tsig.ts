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
  if (tsig.mac.length > full || tsig.mac.length < minMacLength(key.algorithm)) {
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

/** The shortest truncated MAC accepted (RFC 8945 5.2.2.1): max(10, half the hash). */
function minMacLength(alg: TsigAlgorithm): number {
  return Math.max(10, Math.ceil(HASHES[alg].length / 2));
}

/**
 * What the replay memory says of a verified request. A `new` one is settled with the rcode it was answered with
 * (undefined: not answered); a `repeat` of an accepted one gets that rcode, once the first one has it.
 */
export type Admission =
  | { readonly kind: "new"; readonly settle: (rcode: number | undefined) => void }
  | { readonly kind: "repeat"; readonly rcode: Promise<number | undefined> }
  | { readonly kind: "stale"; readonly reason: string };

/** A remembered request's state beside its time, in one number (a map of small objects cost 30 MB under load). */
const STATES = 256;
const PENDING = 255;
const UNANSWERED = 254;

/**
 * How far (seconds) a request's Time Signed may lie before the newest accepted one. Not zero: kea-dhcp-ddns has up
 * to 32 updates in flight, and two datagrams signed a moment apart across a second boundary can arrive in either
 * order. Within this slack a replay is caught by its MAC instead.
 */
export const REPLAY_SLACK_SECONDS = 2;

/**
 * Requests remembered at most (a MAC prefix and one number, about a hundred octets with the map's own); far above
 * what arrives within the slack at the daemon's rate.
 */
export const REPLAY_MAX_MACS = 65_536;

/**
 * Replay protection for one key (RFC 8945 5.2.3 lets a server keep the most recent Time Signed per key and answer
 * BADTIME to a later message with an earlier time). Without it a captured update could be sent again, and applied
 * again, for as long as the fudge (300 s) allows: a Kea add replayed after the remove brings the name back. A repeat
 * within the slack gets the first one's answer again and changes nothing, since kea-dhcp-ddns itself re-sends a
 * request (re-signed, the same MAC within the same second) when its answer was late or lost.
 *
 * Per key, because the times of different keys come from different clocks; per daemon, because that is what one
 * key's requests reach. The memory starts empty at a restart, so requests signed before the daemon started are
 * refused too: otherwise every update of the last five minutes could be replayed once to the new process
 * (kea-dhcp-ddns signs each send anew, so its re-sends carry the time they are sent). A clock stepped back (NTP
 * correcting a fast clock after boot) brings both times down with it, rather than lock every client out (up to the
 * fudge's five minutes) until the clock catches up; the price is that a request signed in the seconds before the
 * step, and forgotten, could be replayed once within the fudge. Only requests that passed every other TSIG check get here, so nobody without the key can move
 * the time forward or fill the memory.
 */
export class ReplayGuard {
  private newest = 0;
  /** Times at or before this are refused: MACs of that time were forgotten early to keep memory bounded. */
  private floor = -1;
  /**
   * MAC prefixes (see admit) of accepted requests within the slack, oldest first, each with its Time Signed times
   * STATES plus its rcode, or PENDING while it has none yet. Only the rcode is kept, not the answer: a repeat is
   * answered anew with it (the same MAC, so the same request MAC in the signature).
   */
  private readonly recent = new Map<string, number>();
  /** Repeats waiting for a request still in the engine (rare: kea-dhcp-ddns waits for its timeout before re-sending). */
  private readonly waiting = new Map<string, ((rcode: number | undefined) => void)[]>();
  private readonly prefix: number;

  private readonly maxMacs: number;
  private since: number;

  /** `since`: the second the daemon started (requests signed before it are refused). */
  constructor(algorithm: TsigAlgorithm, opts: { readonly maxMacs?: number; readonly since?: number } = {}) {
    this.prefix = minMacLength(algorithm);
    this.maxMacs = opts.maxMacs ?? REPLAY_MAX_MACS;
    this.since = opts.since ?? 0;
  }

  /**
   * For a verified request: `new` (remembered; `settle` it once answered), `repeat` of an accepted one (with that
   * one's rcode, when it has one), or `stale` (signed before the newest accepted, out of the slack, or before the
   * daemon started).
   */
  admit(tsig: TsigRecord, now: number): Admission {
    this.since = Math.min(this.since, now);
    this.newest = Math.min(this.newest, now + REPLAY_SLACK_SECONDS);
    if (tsig.timeSigned < this.since) return { kind: "stale", reason: "TSIG time before the daemon started (a replay, or a re-send to its previous run)" };
    if (tsig.timeSigned < this.newest - REPLAY_SLACK_SECONDS || tsig.timeSigned <= this.floor) {
      return { kind: "stale", reason: "TSIG time before the newest accepted request's (a replay)" };
    }
    // The MAC truncated to the shortest accepted length: a copy re-sent with a shorter truncation of the same MAC
    // verifies too, and must count as the same request.
    const id = tsig.mac.subarray(0, this.prefix).toString("base64");
    const seen = this.recent.get(id);
    if (seen !== undefined) {
      const state = seen % STATES;
      if (state !== PENDING) return { kind: "repeat", rcode: Promise.resolve(state === UNANSWERED ? undefined : state) };
      return { kind: "repeat", rcode: new Promise((resolve) => this.waiting.set(id, [...(this.waiting.get(id) ?? []), resolve])) };
    }
    const time = tsig.timeSigned;
    // Not past our own clock: a client whose clock runs ahead (within the fudge) would otherwise move the newest
    // time minutes on and lock out every other client of the key until then. Its MAC is remembered all the same.
    this.newest = Math.max(this.newest, Math.min(time, now + REPLAY_SLACK_SECONDS));
    this.recent.set(id, time * STATES + PENDING);
    this.forget();
    return { kind: "new", settle: (rcode) => this.settle(id, time, rcode) };
  }

  private settle(id: string, time: number, rcode: number | undefined): void {
    if (this.recent.has(id)) this.recent.set(id, time * STATES + (rcode ?? UNANSWERED));
    const waiters = this.waiting.get(id);
    this.waiting.delete(id);
    for (const w of waiters ?? []) w(rcode);
  }

  /**
   * Drops MACs from the front while they are out of the slack (the time check refuses their requests already) or
   * the memory is over its bound. Insertion order is nearly time order; a stray later entry waits its turn.
   */
  private forget(): void {
    for (const [id, value] of this.recent) {
      const t = Math.floor(value / STATES);
      const expired = t < this.newest - REPLAY_SLACK_SECONDS;
      if (!expired && this.recent.size <= this.maxMacs) break;
      this.recent.delete(id);
      if (!expired) this.floor = Math.max(this.floor, t);
    }
  }
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
