import dnsPacket from "dns-packet";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMessage, TYPE, WireError } from "../../src/ddns/_wire.js";
import { openStore, zonesOf } from "../../src/ddns/daemon.js";
import { UpdateEngine } from "../../src/ddns/engine.js";
import { handleMessage, type HandlerContext } from "../../src/ddns/handler.js";
import { RCODE } from "../../src/ddns/rcode.js";
import type { UpdateStore, WriteSet } from "../../src/ddns/store.js";
import { ReplayGuard, tsigKey } from "../../src/ddns/tsig.js";
import { startEtcd, type EtcdInstance } from "../_harness/etcd.js";
import { buildUpdate, ipv4, sign } from "./_client.js";
import { SECRET } from "./_fixture.js";
import { parseDdnsConfig } from "../../src/ddns/config.js";

/**
 * Malformed, generated and mutated packets straight into the request handler, with a real etcd behind it. Properties:
 * the handler never throws, every answer is a well-formed DNS response with a legal rcode, nothing is written
 * unless the answer is NOERROR, the foreign records never change, and nothing is left queued (memory stays flat).
 */
describe("malformed and random input", () => {
  let etcd: EtcdInstance;
  let ctx: HandlerContext;
  let engine: UpdateEngine;
  let writes = 0;
  let total = 0;
  const seen = new Set<number>();
  const FOREIGN = { "/skydns/test/lab/svc/1a2b3c4d": '{"host":"10.99.0.5","ttl":300}', "/skydns/arpa/in-addr/10/99/0/5": '{"host":"svc.lab.test."}' };

  beforeAll(async () => {
    etcd = await startEtcd();
    for (const [k, v] of Object.entries(FOREIGN)) await etcd.ctl(["put", k, v]);
    const config = parseDdnsConfig({
      listen: [{ address: "127.0.0.1", port: 0 }],
      zones: { forward: ["lab.test"], reverse: ["0.99.10.in-addr.arpa"] },
      tsig: { name: "ddns-key", secretFile: "/unused" },
      etcd: { endpoints: etcd.endpoints },
    });
    const real = openStore(config, { tsigSecret: Buffer.from(SECRET, "base64") });
    const spy: UpdateStore = {
      read: (n) => real.read(n),
      diff: (s, n, d) => real.diff(s, n, d),
      ping: () => real.ping(),
      commit: async (sets: readonly WriteSet[]) => {
        const ok = await real.commit(sets);
        if (ok && sets.some((s) => s.puts.length + s.deletes.length > 0)) writes++;
        return ok;
      },
    };
    engine = new UpdateEngine(spy, { maxBatch: 16 });
    ctx = {
      key: tsigKey("ddns-key", "hmac-sha256", Buffer.from(SECRET, "base64")),
      replay: new ReplayGuard("hmac-sha256"),
      zones: zonesOf(config),
      engine,
      now: () => Math.floor(Date.now() / 1000),
      inFlight: { count: 0, max: 64 },
    };
  });
  afterAll(async () => {
    engine?.close();
    await etcd?.stop();
  });

  const LEGAL = new Set<number>(Object.values(RCODE));
  /** Feeds one packet; checks the answer and that a non-NOERROR answer wrote nothing. */
  async function feed(packet: Buffer): Promise<number | undefined> {
    total++;
    const before = writes;
    const handled = await handleMessage(packet, "127.0.0.1:1", ctx);
    if (handled.response === undefined) {
      expect(writes).toBe(before);
      return undefined;
    }
    const res = parseMessage(handled.response);
    seen.add(res.rcode);
    expect(res.qr).toBe(true);
    expect(LEGAL.has(res.rcode)).toBe(true);
    if (packet.length >= 2) expect(res.id).toBe(packet.readUInt16BE(0));
    if (res.rcode !== RCODE.NOERROR) expect(writes).toBe(before);
    return res.rcode;
  }

  const valid = () =>
    buildUpdate({
      zone: "lab.test",
      prereqs: [{ name: "fz.lab.test", type: TYPE.ANY, class: 254 }],
      updates: [
        { name: "fz.lab.test", type: TYPE.A, ttl: 300, rdata: ipv4("10.99.0.50") },
        { name: "fz.lab.test", type: TYPE.DHCID, ttl: 300, rdata: Buffer.from("000101" + "ab".repeat(32), "hex") },
      ],
    });

  it("3,000 random byte strings: never a crash, never a write", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 700 }), async (bytes) => {
        const b = Buffer.from(bytes);
        const before = writes;
        await feed(b);
        expect(writes).toBe(before);
      }),
      { numRuns: 3000 },
    );
  });

  it("3,000 mutations of a signed update (bit flips, overwrites, cuts, extensions)", async () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("append" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
      fc.record({ kind: fc.constant("count" as const), which: fc.integer({ min: 0, max: 3 }), value: fc.integer({ min: 0, max: 65535 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (ms) => {
        let b = Buffer.from(sign(valid()).message);
        for (const m of ms) {
          if (m.kind === "flip" && b.length > 0) b[m.at % b.length] = (b[m.at % b.length] ?? 0) ^ (1 << m.bit);
          else if (m.kind === "set" && b.length > 0) b[m.at % b.length] = m.value;
          else if (m.kind === "cut") b = b.subarray(0, m.at % (b.length + 1));
          else if (m.kind === "append") b = Buffer.concat([b, Buffer.from(m.bytes)]);
          else if (m.kind === "count" && b.length >= 12) b.writeUInt16BE(m.value, 4 + 2 * m.which);
        }
        await feed(b);
      }),
      { numRuns: 3000 },
    );
  });

  it("2,000 mutated bodies, then correctly signed, so the parser and RFC 2136 checks see them", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), async (sets) => {
        const b = Buffer.from(valid());
        for (const [at, v] of sets) b[12 + (at % (b.length - 12))] = v;
        await feed(sign(b).message);
      }),
      { numRuns: 2000 },
    );
  });

  const rrArb = fc.oneof(
    fc.record({ type: fc.constant("A" as const), name: fc.constantFrom("g1.lab.test", "svc.lab.test", "x.other.test", "lab.test"), ttl: fc.nat(100000), class: fc.constantFrom("IN", "ANY", "NONE", "CH"), data: fc.ipV4() }),
    fc.record({ type: fc.constant("AAAA" as const), name: fc.constantFrom("g2.lab.test", "svc.lab.test"), ttl: fc.nat(100000), class: fc.constantFrom("IN", "NONE"), data: fc.ipV6() }),
    fc.record({ type: fc.constant("TXT" as const), name: fc.constantFrom("g3.lab.test", "svc.lab.test"), ttl: fc.nat(100000), class: fc.constantFrom("IN", "NONE"), data: fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 3 }) }),
    fc.record({ type: fc.constant("PTR" as const), name: fc.constantFrom("7.0.99.10.in-addr.arpa", "5.0.99.10.in-addr.arpa", "g4.lab.test"), ttl: fc.nat(100000), class: fc.constantFrom("IN", "NONE"), data: fc.constantFrom("a.lab.test", "svc.lab.test") }),
    fc.record({ type: fc.constant("MX" as const), name: fc.constant("g5.lab.test"), ttl: fc.nat(), class: fc.constant("IN"), data: fc.constant({ preference: 10, exchange: "m.lab.test" }) }),
  );

  it("2,000 packets generated with dns-packet (random sections, zones, classes), signed: legal answers, foreign records intact", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("lab.test", "0.99.10.in-addr.arpa", "other.test"),
        fc.array(rrArb, { maxLength: 3 }),
        fc.array(rrArb, { maxLength: 4 }),
        fc.integer({ min: 0, max: 15 }),
        async (zone, prereqs, updates, opcode) => {
          const packet = dnsPacket.encode({
            id: 7,
            type: "query",
            flags: opcode << 11,
            questions: [{ type: "SOA", name: zone, class: "IN" }],
            answers: prereqs.map((r) => ({ ...r, ttl: 0 })) as never,
            authorities: updates as never,
          });
          await feed(sign(packet).message);
        },
      ),
      { numRuns: 2000 },
    );
    const now = await etcd.ctl(["get", "--prefix", "/skydns/"]);
    for (const [k, v] of Object.entries(FOREIGN)) expect(now).toContain(`${k}\n${v}\n`);
  });

  it("compression-pointer loops, forward pointers and wrong counts are FORMERR or dropped, never a hang", async () => {
    const header = (qd: number, an = 0, ns = 0, ar = 0) => {
      const h = Buffer.alloc(12);
      h.writeUInt16BE(99, 0);
      h.writeUInt16BE(5 << 11, 2);
      h.writeUInt16BE(qd, 4);
      h.writeUInt16BE(an, 6);
      h.writeUInt16BE(ns, 8);
      h.writeUInt16BE(ar, 10);
      return h;
    };
    const cases = [
      Buffer.concat([header(1), Buffer.from([0xc0, 12, 0, 6, 0, 1])]), // pointer to itself
      Buffer.concat([header(1), Buffer.from([1, 97, 0xc0, 12, 0, 6, 0, 1])]), // pointer back into its own name
      Buffer.concat([header(1), Buffer.from([0xc0, 14, 0xc0, 12, 0, 6, 0, 1])]), // forward then back: a loop
      Buffer.concat([header(1), Buffer.from([0x80, 1, 0, 6, 0, 1])]), // reserved label type
      Buffer.concat([header(65535), Buffer.from([0, 0, 6, 0, 1])]), // count far beyond the data
      Buffer.concat([header(1, 65535, 65535, 65535), Buffer.from([0, 0, 6, 0, 1])]),
      header(0),
    ];
    for (const c of cases) {
      const rcode = await feed(c);
      expect(rcode === undefined || rcode === RCODE.FORMERR || rcode === RCODE.NOTAUTH).toBe(true);
    }
    // Every prefix of a valid signed packet.
    const full = sign(valid()).message;
    for (let i = 0; i < full.length; i++) {
      const rcode = await feed(full.subarray(0, i));
      expect(rcode === undefined || rcode === RCODE.FORMERR, `cut at ${i}`).toBe(true);
    }
    expect(() => parseMessage(Buffer.concat([header(1), Buffer.from([0xc0, 12, 0, 6, 0, 1])]))).toThrow(WireError);
  });

  it("ran at least 10,000 packets, left nothing queued, and memory stayed bounded", () => {
    expect(total).toBeGreaterThanOrEqual(10_000);
    expect(engine.pending).toBe(0);
    expect(ctx.inFlight.count).toBe(0);
    expect(process.memoryUsage().heapUsed).toBeLessThan(400 * 1024 * 1024);
    // The generators reached every layer, not just the parser.
    for (const r of [RCODE.NOERROR, RCODE.FORMERR, RCODE.NOTAUTH, RCODE.NOTZONE, RCODE.REFUSED, RCODE.NOTIMP, RCODE.YXDOMAIN]) {
      expect(seen.has(r), `rcode ${r} seen`).toBe(true);
    }
  });
});
