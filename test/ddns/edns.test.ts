import { describe, expect, it } from "vitest";
import { parseName, type Labels } from "../../src/ddns/_names.js";
import { parseMessage, TYPE, WireWriter, type WireMessage } from "../../src/ddns/_wire.js";
import { UpdateEngine } from "../../src/ddns/engine.js";
import { handleMessage, type HandlerContext } from "../../src/ddns/handler.js";
import { RCODE } from "../../src/ddns/rcode.js";
import type { ReadSnapshot, UpdateStore } from "../../src/ddns/store.js";
import { ReplayGuard, verifyResponse } from "../../src/ddns/tsig.js";
import { buildUpdate, ipv4, KEY, sign } from "./_client.js";

/** A store that holds nothing and counts the updates evaluated against it. */
function countingStore(): UpdateStore & { readonly diffs: number[] } {
  const diffs: number[] = [];
  const empty = (names: readonly Labels[]): ReadSnapshot => ({ revision: 1n, records: new Map(names.map((n) => [n.join("."), []])), compares: new Map() });
  return {
    diffs,
    read: async (names) => empty(names),
    diff: (_s, _n, desired) => {
      diffs.push(desired.size);
      return { compares: [], puts: [...desired.keys()].map((key) => ({ key, value: "" })), deletes: [] };
    },
    commit: async () => true,
    ping: async () => undefined,
  };
}

function context(store: UpdateStore): HandlerContext {
  return {
    key: KEY,
    replay: new ReplayGuard(KEY.algorithm),
    zones: [{ name: parseName("lab.test"), reverse: false }],
    engine: new UpdateEngine(store, { maxBatch: 4 }),
    now: () => Math.floor(Date.now() / 1000),
    inFlight: { count: 0, max: 16 },
  };
}

/** An update with `opts` OPT records of EDNS version `version` in its additional section. */
function withOpt(version: number, opts = 1, id = 1): Buffer {
  const body = buildUpdate({ id, zone: "lab.test", updates: [{ name: "e.lab.test", type: TYPE.A, ttl: 60, rdata: ipv4("10.99.0.60") }] });
  const w = new WireWriter().bytes(body);
  for (let i = 0; i < opts; i++) w.rr([], TYPE.OPT, 1232, version << 16, Buffer.alloc(0));
  const out = Buffer.from(w.toBuffer());
  out.writeUInt16BE(opts, 10);
  return out;
}

/** The full response code: the header's 4 bits and the OPT's upper 8. */
function extendedRcode(res: WireMessage): number {
  const opt = res.additionals.find((rr) => rr.type === TYPE.OPT);
  return ((opt ? opt.ttl >>> 24 : 0) << 4) | res.rcode;
}

describe("EDNS (RFC 6891)", () => {
  it("an UPDATE with an OPT of version 1 gets BADVERS with an OPT, signed, and is not processed", async () => {
    const store = countingStore();
    const { message, mac } = sign(withOpt(1));
    const handled = await handleMessage(message, "t", context(store));
    const res = parseMessage(handled.response ?? Buffer.alloc(0));
    expect(extendedRcode(res)).toBe(RCODE.BADVERS);
    expect(res.additionals.map((rr) => rr.type)).toEqual([TYPE.OPT, TYPE.TSIG]);
    expect(verifyResponse(res, KEY, mac)).toBeDefined();
    expect(store.diffs).toEqual([]);
  });

  it("two OPT records are FORMERR, not processed", async () => {
    const store = countingStore();
    const handled = await handleMessage(sign(withOpt(0, 2)).message, "t", context(store));
    expect(parseMessage(handled.response ?? Buffer.alloc(0)).rcode).toBe(RCODE.FORMERR);
    expect(store.diffs).toEqual([]);
  });

  it("a request with an OPT of version 0 is processed and its answer carries an OPT before the TSIG; one without gets none", async () => {
    const store = countingStore();
    const ctx = context(store);
    const { message, mac } = sign(withOpt(0));
    const res = parseMessage((await handleMessage(message, "t", ctx)).response ?? Buffer.alloc(0));
    expect(extendedRcode(res)).toBe(RCODE.NOERROR);
    expect(res.additionals.map((rr) => rr.type)).toEqual([TYPE.OPT, TYPE.TSIG]);
    expect(res.additionals[0]?.ttl).toBe(0);
    expect(verifyResponse(res, KEY, mac)).toBeDefined();
    expect(store.diffs).toEqual([1]);
    const plain = sign(buildUpdate({ id: 2, zone: "lab.test", updates: [{ name: "f.lab.test", type: TYPE.A, ttl: 60, rdata: ipv4("10.99.0.61") }] }));
    const res2 = parseMessage((await handleMessage(plain.message, "t", ctx)).response ?? Buffer.alloc(0));
    expect(res2.additionals.map((rr) => rr.type)).toEqual([TYPE.TSIG]);
    ctx.engine.close();
  });
});
