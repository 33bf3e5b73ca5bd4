/** A minimal DNS UPDATE client for tests: builds messages, signs them, sends over UDP or TCP. */
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { parseName } from "../../src/ddns/_names.js";
import { CLASS, OPCODE, parseMessage, TYPE, WireWriter, writeHeader, type WireMessage } from "../../src/ddns/_wire.js";
import { appendTsig, tsigKey, type TsigKey } from "../../src/ddns/tsig.js";
import { SECRET } from "./_fixture.js";

export const KEY: TsigKey = tsigKey("ddns-key", "hmac-sha256", Buffer.from(SECRET, "base64"));

export interface RRSpec {
  name: string;
  type: number;
  class?: number;
  ttl?: number;
  rdata?: Buffer;
}

export function ipv4(a: string): Buffer {
  return Buffer.from(a.split(".").map(Number));
}

export function nameRdata(n: string): Buffer {
  return new WireWriter().name(parseName(n)).toBuffer();
}

export function buildUpdate(opts: { id?: number; zone: string; prereqs?: RRSpec[]; updates?: RRSpec[]; opcode?: number; zoneType?: number }): Buffer {
  const w = new WireWriter();
  const pre = opts.prereqs ?? [];
  const upd = opts.updates ?? [];
  writeHeader(w, { id: opts.id ?? 4242, qr: false, opcode: opts.opcode ?? OPCODE.UPDATE, rcode: 0, counts: [1, pre.length, upd.length, 0] });
  w.name(parseName(opts.zone)).u16(opts.zoneType ?? TYPE.SOA).u16(CLASS.IN);
  for (const r of [...pre, ...upd]) w.rr(parseName(r.name), r.type, r.class ?? CLASS.IN, r.ttl ?? 0, r.rdata ?? Buffer.alloc(0));
  return w.toBuffer();
}

export function sign(msg: Buffer, opts: { key?: TsigKey; time?: number; fudge?: number } = {}): { message: Buffer; mac: Buffer } {
  return appendTsig(msg, opts.key ?? KEY, { time: opts.time ?? Math.floor(Date.now() / 1000), fudge: opts.fudge ?? 300 });
}

export async function sendUdp(port: number, msg: Buffer, timeoutMs = 3000): Promise<WireMessage | undefined> {
  const s = createSocket("udp4");
  try {
    return await new Promise<WireMessage | undefined>((resolve, reject) => {
      const t = setTimeout(() => resolve(undefined), timeoutMs);
      s.once("message", (m) => {
        clearTimeout(t);
        try {
          resolve(parseMessage(m));
        } catch (e) {
          reject(e as Error);
        }
      });
      s.send(msg, port, "127.0.0.1");
    });
  } finally {
    s.close();
  }
}

export async function sendTcp(port: number, msg: Buffer, timeoutMs = 3000): Promise<WireMessage | undefined> {
  return new Promise((resolve, reject) => {
    const c = connect(port, "127.0.0.1");
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => {
      c.destroy();
      resolve(undefined);
    }, timeoutMs);
    c.on("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
    c.on("close", () => {
      clearTimeout(t);
      resolve(undefined);
    });
    c.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(t);
        c.destroy();
        resolve(parseMessage(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      }
    });
    const len = Buffer.alloc(2);
    len.writeUInt16BE(msg.length);
    c.write(Buffer.concat([len, msg]));
  });
}
