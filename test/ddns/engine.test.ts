import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EtcdError, type Compare } from "../../src/ddns/_etcd.js";
import { parseName, type Labels } from "../../src/ddns/_names.js";
import { TYPE } from "../../src/ddns/_wire.js";
import { UpdateEngine } from "../../src/ddns/engine.js";
import type { StoredRR } from "../../src/ddns/layout.js";
import { RCODE } from "../../src/ddns/rcode.js";
import type { ReadSnapshot, UpdateStore, WriteSet } from "../../src/ddns/store.js";
import type { CheckedUpdate, DesiredRR } from "../../src/ddns/update.js";
import { buildUpdate, ipv4, sendUdp, sign } from "./_client.js";
import { startFixture, type Fixture } from "./_fixture.js";

/**
 * An in-memory store with etcd's transaction semantics reduced to what the engine relies on: a global revision,
 * per-name revisions as the compares, and all-or-nothing commits. `interfere` lets a test change a name between
 * the engine's read and its commit, which is what makes a combined transaction fail.
 */
class MemStore implements UpdateStore {
  revision = 1;
  readonly data = new Map<string, { rrs: DesiredRR[]; rev: number }>();
  commits: number[] = [];
  /** Runs once, right after the first read whose names include `when`. */
  interfere: { when: string; run: (store: MemStore) => void } | undefined;

  async read(names: readonly Labels[]): Promise<ReadSnapshot> {
    const records = new Map<string, StoredRR[]>();
    const compares = new Map<string, Compare[]>();
    for (const n of names) {
      const k = n.join(".");
      const e = this.data.get(k);
      records.set(k, (e?.rrs ?? []).map((r) => ({ key: `${k}/${r.type}/${r.rdata.toString("hex")}`, type: r.type, rdata: r.rdata, ttl: r.ttl, own: true })));
      compares.set(k, [{ key: Buffer.from(k), target: "MOD", result: "EQUAL", mod_revision: String(e?.rev ?? 0) }]);
    }
    const i = this.interfere;
    if (i && names.some((n) => n.join(".") === i.when)) {
      this.interfere = undefined;
      i.run(this);
    }
    return { revision: BigInt(this.revision), records, compares };
  }
  diff(snap: ReadSnapshot, names: readonly Labels[], desired: ReadonlyMap<string, readonly DesiredRR[]>): WriteSet {
    const compares = names.flatMap((n) => snap.compares.get(n.join(".")) ?? []);
    const puts = [...desired].map(([k, rrs]) => ({ key: k, value: JSON.stringify(rrs.map((r) => [r.type, r.rdata.toString("hex"), r.ttl])) }));
    return { compares, puts, deletes: [] };
  }
  async commit(sets: readonly WriteSet[]): Promise<boolean> {
    for (const s of sets) for (const c of s.compares) if (String(this.data.get(c.key?.toString() ?? "")?.rev ?? 0) !== c.mod_revision) return false;
    this.revision++;
    for (const s of sets) {
      for (const p of s.puts) {
        const rrs = (JSON.parse(p.value) as [number, string, number][]).map(([type, hex, ttl]) => ({ name: parseName(p.key), type, rdata: Buffer.from(hex, "hex"), ttl }));
        this.data.set(p.key, { rrs, rev: this.revision });
      }
    }
    this.commits.push(sets.length);
    return true;
  }
  async ping(): Promise<void> {}
}

/** The same store, offering the one-round-trip path for names guessed empty (revision 0 means absent). */
class BlindMemStore extends MemStore {
  reads = 0;
  override async read(names: readonly Labels[]): Promise<ReadSnapshot> {
    this.reads++;
    return super.read(names);
  }
  assumeEmpty(names: readonly Labels[]): ReadSnapshot {
    const records = new Map<string, StoredRR[]>();
    const compares = new Map<string, Compare[]>();
    for (const n of names) {
      records.set(n.join("."), []);
      compares.set(n.join("."), [{ key: Buffer.from(n.join(".")), target: "MOD", result: "EQUAL", mod_revision: "0" }]);
    }
    return { revision: 0n, records, compares };
  }
}

const addIfFree = (name: string, addr: string): CheckedUpdate => ({
  zone: { name: parseName("lab.test"), reverse: false },
  prereqs: [{ kind: "name-not-in-use", name: parseName(name) }],
  changes: [{ kind: "add", name: parseName(name), type: TYPE.A, ttl: 60, rdata: ipv4(addr) }],
  names: [parseName(name)],
});

describe("group commit", () => {
  it("independent updates submitted together share one transaction", async () => {
    const store = new MemStore();
    const engine = new UpdateEngine(store, { maxBatch: 32, concurrency: 1 });
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => engine.submit(addIfFree(`h${i}.lab.test`, `10.0.0.${i}`))));
    expect(outcomes.every((o) => o.rcode === RCODE.NOERROR)).toBe(true);
    expect(store.commits.length).toBeLessThan(20);
    expect(store.commits.reduce((a, b) => a + b, 0)).toBe(20);
    expect(store.data.size).toBe(20);
  });

  it("updates on the same name are serialized, each seeing the one before", async () => {
    const store = new MemStore();
    const engine = new UpdateEngine(store, { maxBatch: 32, concurrency: 4 });
    const outcomes = await Promise.all(Array.from({ length: 5 }, (_, i) => engine.submit(addIfFree("same.lab.test", `10.0.1.${i}`))));
    expect(outcomes.map((o) => o.rcode)).toEqual([RCODE.NOERROR, RCODE.YXDOMAIN, RCODE.YXDOMAIN, RCODE.YXDOMAIN, RCODE.YXDOMAIN]);
    expect(store.data.get("same.lab.test")?.rrs.map((r) => r.rdata.toString("hex"))).toEqual(["0a000100"]);
  });

  it("when the combined transaction fails, each update is redone alone and keeps its own all-or-nothing result", async () => {
    const store = new MemStore();
    const engine = new UpdateEngine(store, { maxBatch: 32, concurrency: 1, events: { fallback: () => fallbacks++ } });
    let fallbacks = 0;
    // Between the batch's read and its commit, someone else takes one of the names.
    store.interfere = {
      when: "b2.lab.test",
      run: (s) => {
        s.revision++;
        s.data.set("b2.lab.test", { rrs: [{ name: parseName("b2.lab.test"), type: TYPE.A, rdata: ipv4("192.0.2.1"), ttl: 1 }], rev: s.revision });
      },
    };
    const outcomes = await Promise.all([0, 1, 2, 3].map((i) => engine.submit(addIfFree(`b${i}.lab.test`, `10.0.2.${i}`))));
    expect(fallbacks).toBe(1);
    expect(outcomes.map((o) => o.rcode)).toEqual([RCODE.NOERROR, RCODE.NOERROR, RCODE.YXDOMAIN, RCODE.NOERROR]);
    expect(store.data.get("b2.lab.test")?.rrs.map((r) => r.rdata.toString("hex"))).toEqual(["c0000201"]);
    expect(store.data.get("b3.lab.test")?.rrs.map((r) => r.rdata.toString("hex"))).toEqual(["0a000203"]);
  });
});

describe("one round trip for new names", () => {
  const replace = (name: string, addr: string): CheckedUpdate => ({
    zone: { name: parseName("lab.test"), reverse: false },
    prereqs: [],
    changes: [
      { kind: "delete-rrset", name: parseName(name), type: TYPE.A },
      { kind: "add", name: parseName(name), type: TYPE.A, ttl: 60, rdata: ipv4(addr) },
    ],
    names: [parseName(name)],
  });

  it("new names are written without a read", async () => {
    const store = new BlindMemStore();
    const engine = new UpdateEngine(store, { maxBatch: 32, concurrency: 1 });
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => engine.submit(replace(`n${i}.lab.test`, `10.0.3.${i}`))));
    expect(out.every((o) => o.rcode === RCODE.NOERROR)).toBe(true);
    expect(store.reads).toBe(0);
    expect(store.data.size).toBe(10);
  });

  it("after a restart, a group of updates on existing names is redone as one read and one write, not one by one", async () => {
    const store = new BlindMemStore();
    for (let i = 0; i < 10; i++) store.data.set(`r${i}.lab.test`, { rrs: [{ name: parseName(`r${i}.lab.test`), type: TYPE.A, rdata: ipv4(`10.0.4.${i}`), ttl: 60 }], rev: 1 });
    // A fresh engine knows no names: every update is first tried as if its name were empty.
    const engine = new UpdateEngine(store, { maxBatch: 32, concurrency: 1 });
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => engine.submit(replace(`r${i}.lab.test`, `10.0.5.${i}`))));
    expect(out.every((o) => o.rcode === RCODE.NOERROR)).toBe(true);
    expect(store.reads).toBeLessThanOrEqual(2);
    expect(store.data.get("r3.lab.test")?.rrs.map((r) => r.rdata.toString("hex"))).toEqual(["0a000503"]);
    // Now known to hold records: the next round reads first and does not guess.
    const before = store.commits.length;
    await Promise.all(Array.from({ length: 10 }, (_, i) => engine.submit(replace(`r${i}.lab.test`, `10.0.6.${i}`))));
    expect(store.commits.length - before).toBeLessThanOrEqual(2);
  });
});

/** A store whose read fails for the groups that include `poison`, with the error `fail` makes. */
class FailingReadStore extends MemStore {
  constructor(
    private readonly poison: string,
    private readonly fail: () => Error,
  ) {
    super();
  }
  override async read(names: readonly Labels[]): Promise<ReadSnapshot> {
    if (names.some((n) => n.join(".") === this.poison)) throw this.fail();
    return super.read(names);
  }
}

describe("etcd failures", () => {
  const group = (engine: UpdateEngine) => Promise.all(["big", "p1", "p2", "p3"].map((h, i) => engine.submit(addIfFree(`${h}.lab.test`, `10.0.7.${i}`))));

  it("a read etcd refuses for one name (an answer over the size limit) fails that update only, not its group", async () => {
    const store = new FailingReadStore("big.lab.test", () => new EtcdError("etcd: an answer larger than 4 MiB", 8));
    const logs: string[] = [];
    const engine = new UpdateEngine(store, { maxBatch: 32, concurrency: 1, log: (l) => logs.push(l) });
    const out = await group(engine);
    expect(out.map((o) => o.rcode)).toEqual([RCODE.SERVFAIL, RCODE.NOERROR, RCODE.NOERROR, RCODE.NOERROR]);
    expect([...store.data.keys()].sort()).toEqual(["p1.lab.test", "p2.lab.test", "p3.lab.test"]);
    expect(engine.healthy).toBe(true);
    expect(logs).toEqual(["ddns etcd error: etcd: an answer larger than 4 MiB"]);
  });

  it("a read that did not reach etcd fails the whole group and marks etcd down", async () => {
    const store = new FailingReadStore("big.lab.test", () => new EtcdError("etcd unreachable: ECONNREFUSED"));
    const engine = new UpdateEngine(store, { maxBatch: 32, concurrency: 1, probeMs: 1_000_000, log: () => undefined });
    const out = await group(engine);
    expect(out.every((o) => o.rcode === RCODE.SERVFAIL)).toBe(true);
    expect(store.data.size).toBe(0);
    expect(engine.healthy).toBe(false);
    engine.close();
  });

  it("a refused login marks etcd down until a probe passes, and each change of cause is logged once", async () => {
    let failure: Error | undefined = new EtcdError("etcd authentication as ddns failed (etcd: etcdserver: authentication failed, invalid user ID or password)", 3, false, true);
    class Store extends MemStore {
      override async read(names: readonly Labels[]): Promise<ReadSnapshot> {
        if (failure) throw failure;
        return super.read(names);
      }
      override async ping(): Promise<void> {
        if (failure) throw failure;
      }
    }
    const logs: string[] = [];
    const health: boolean[] = [];
    const engine = new UpdateEngine(new Store(), { maxBatch: 32, probeMs: 20, log: (l) => logs.push(l), events: { health: (up) => health.push(up) } });
    try {
      expect((await engine.submit(addIfFree("a1.lab.test", "10.0.8.1"))).rcode).toBe(RCODE.SERVFAIL);
      expect(engine.healthy).toBe(false);
      expect((await engine.submit(addIfFree("a2.lab.test", "10.0.8.2"))).reason).toBe("etcd unreachable");
      // The probe keeps failing the same way: still one line.
      await new Promise((r) => setTimeout(r, 100));
      expect(logs).toEqual(["ddns etcd error: etcd authentication as ddns failed (etcd: etcdserver: authentication failed, invalid user ID or password)"]);
      failure = new EtcdError("etcd did not answer within 300 ms");
      await new Promise((r) => setTimeout(r, 100));
      expect(logs.slice(1)).toEqual(["ddns etcd error: etcd did not answer within 300 ms"]);
      failure = undefined;
      await new Promise((r) => setTimeout(r, 100));
      expect(engine.healthy).toBe(true);
      expect(health).toEqual([false, true]);
      expect((await engine.submit(addIfFree("a3.lab.test", "10.0.8.3"))).rcode).toBe(RCODE.NOERROR);
      expect(logs).toHaveLength(2);
    } finally {
      engine.close();
    }
  });
});

describe("group commit against a real etcd, through the daemon", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it("300 concurrent updates (100 names taken twice, conflicts included): every one applied exactly once, in fewer transactions", async () => {
    const req = (i: number, variant: number) =>
      sign(
        buildUpdate({
          id: i,
          zone: "lab.test",
          prereqs: [{ name: `c${i % 100}.lab.test`, type: TYPE.ANY, class: 254 }],
          updates: [{ name: `c${i % 100}.lab.test`, type: TYPE.A, ttl: 60, rdata: ipv4(`10.1.${variant}.${i % 100}`) }],
        }),
      ).message;
    // At most 100 outstanding, like dnsperf -q 100: a burst of 300 datagrams would overflow the kernel's default
    // socket buffer (about 256 datagrams) before any daemon could read them.
    const results: Awaited<ReturnType<typeof sendUdp>>[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next < 300) {
          const i = next++;
          results[i] = await sendUdp(fx.port, req(i, Math.floor(i / 100)));
        }
      }),
    );
    const byName = new Map<number, number[]>();
    results.forEach((r, i) => byName.set(i % 100, [...(byName.get(i % 100) ?? []), r?.rcode ?? -1]));
    for (const [, codes] of byName) {
      expect(codes.filter((c) => c === RCODE.NOERROR)).toHaveLength(1);
      expect(codes.filter((c) => c === RCODE.YXDOMAIN)).toHaveLength(2);
    }
    const keys = Object.keys(await fx.dump()).filter((k) => k.startsWith("/skydns/test/lab/c"));
    expect(keys).toHaveLength(100);
    expect(fx.ddns.metrics.batches).toBeLessThan(300);
  });
});
