import { TYPE, WireWriter, type WireMessage } from "./_wire.js";

/**
 * EDNS (RFC 6891) as far as an UPDATE server needs it: the version check, one OPT at most, and an OPT in the answer
 * to a request that had one. No options are read or sent.
 */
export type Edns =
  | { readonly kind: "none" }
  | { readonly kind: "formerr"; readonly reason: string }
  | { readonly kind: "ok"; readonly version: number };

/** The EDNS version the daemon implements. */
export const EDNS_VERSION = 0;

/** UDP payload size advertised: the common safe size without fragmentation (DNS flag day 2020). */
const UDP_PAYLOAD = 1232;

/** The request's OPT record, checked (RFC 6891 6.1.1: one at most, owned by the root). */
export function ednsOf(msg: WireMessage): Edns {
  const opts = msg.additionals.filter((rr) => rr.type === TYPE.OPT);
  const opt = opts[0];
  if (opt === undefined) return { kind: "none" };
  if (opts.length > 1) return { kind: "formerr", reason: "more than one OPT record" };
  if (opt.name.length !== 0) return { kind: "formerr", reason: "OPT record not owned by the root" };
  return { kind: "ok", version: (opt.ttl >>> 16) & 0xff };
}

/**
 * Appends an OPT record to a response whose additional section is empty so far (it must precede a TSIG, which is
 * appended last). Its TTL field carries the upper 8 bits of `rcode` (the header holds the lower 4) and version 0.
 */
export function appendOpt(response: Buffer, rcode: number): Buffer {
  const opt = new WireWriter().rr([], TYPE.OPT, UDP_PAYLOAD, ((((rcode >> 4) & 0xff) << 24) | (EDNS_VERSION << 16)) >>> 0, Buffer.alloc(0)).toBuffer();
  const out = Buffer.concat([response, opt]);
  out.writeUInt16BE(out.readUInt16BE(10) + 1, 10);
  return out;
}
