import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EtcdClient, EtcdError, MAX_ANSWER_BYTES } from "../../src/ddns/_etcd.js";
import { freePort, startEtcd, type EtcdInstance } from "../_harness/etcd.js";

// The daemon's etcd client against a real etcd: gRPC transactions and ranges, errors, and moving between endpoints.
let etcd: EtcdInstance;
let silent: Server;
let silentUrl: string;

beforeAll(async () => {
  etcd = await startEtcd();
  // Accepts connections and never answers: a member that hangs.
  silent = createServer(() => undefined);
  const port = await freePort();
  await new Promise<void>((r) => silent.listen(port, "127.0.0.1", r));
  silentUrl = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  silent.close();
  await etcd.stop();
});

const key = (s: string) => Buffer.from(`/h5b-test/client/${s}`);

describe("EtcdClient (gRPC)", () => {
  it("fails a call with an EtcdError naming the cause when no connection can be made at all", async () => {
    // node:http2 throws at once for TLS material it cannot load; that call settled before its timer existed.
    const c = new EtcdClient({ endpoints: ["https://127.0.0.1:1"], timeoutMs: 500, tls: { ca: Buffer.from("garbage"), cert: Buffer.from("garbage"), key: Buffer.from("garbage") } });
    try {
      const err = await c.range(key("x")).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(EtcdError);
      expect((err as Error).message).toMatch(/^etcd unreachable: /);
    } finally {
      c.close();
    }
  });

  it("commits a guarded put once, refuses it the second time, and reads it back with its revision", async () => {
    const c = new EtcdClient({ endpoints: etcd.endpoints, timeoutMs: 2000 });
    try {
      const absent = [{ key: key("a"), target: "VERSION" as const, result: "EQUAL" as const, version: "0" }];
      const put = [{ request_put: { key: key("a"), value: Buffer.from("one") } }];
      const first = await c.txn(absent, put);
      expect(first.succeeded).toBe(true);
      expect((await c.txn(absent, put)).succeeded).toBe(false);
      const r = await c.range(key("a"));
      expect(r.kvs.map((kv) => [kv.key.toString(), kv.value.toString()])).toEqual([[key("a").toString(), "one"]]);
      expect(r.kvs[0]?.mod_revision).toBe(first.revision);
      const inTxn = await c.txn([], [{ request_range: { key: key(""), range_end: key("~"), keys_only: true } }]);
      const op = inTxn.responses[0] as { response_range?: { kvs: { key: Buffer; value: Buffer }[] } };
      expect(op.response_range?.kvs.map((kv) => [kv.key.toString(), kv.value.length])).toEqual([[key("a").toString(), 0]]);
    } finally {
      c.close();
    }
  });

  it("reports etcd's own refusal with its gRPC code", async () => {
    const c = new EtcdClient({ endpoints: etcd.endpoints, timeoutMs: 2000 });
    try {
      // More operations than etcd's --max-txn-ops (128): InvalidArgument (3).
      const ops = Array.from({ length: 200 }, (_, i) => ({ request_put: { key: key(`many/${i}`), value: Buffer.from("x") } }));
      await expect(c.txn([], ops)).rejects.toSatisfy((e) => e instanceof EtcdError && e.code === 3 && /too many operations/.test(e.message));
    } finally {
      c.close();
    }
  });

  it("cancels an answer larger than 4 MiB with RESOURCE_EXHAUSTED, and the connection goes on", async () => {
    const c = new EtcdClient({ endpoints: etcd.endpoints, timeoutMs: 5000 });
    try {
      // etcd takes at most 1.5 MiB per request: four puts of 1.2 MiB make a range of 4.8 MiB.
      const big = Buffer.alloc(1.2 * 1024 * 1024, "x");
      for (let i = 0; i < 4; i++) await c.txn([], [{ request_put: { key: key(`big/${i}`), value: big } }]);
      await expect(c.range(key("big/"), key("big0"))).rejects.toSatisfy(
        (e) => e instanceof EtcdError && e.code === 8 && e.message === `etcd: an answer larger than ${MAX_ANSWER_BYTES >> 20} MiB`,
      );
      // Three of them fit.
      expect((await c.range(key("big/"), key("big/3"))).kvs).toHaveLength(3);
      expect((await c.range(key("a"))).kvs).toHaveLength(1);
    } finally {
      c.close();
    }
  });

  it("moves on to the next endpoint after a refused connection and after a member that hangs", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    for (const first of [dead, silentUrl]) {
      const c = new EtcdClient({ endpoints: [first, ...etcd.endpoints], timeoutMs: 500 });
      try {
        await expect(c.range(key("a"))).rejects.toBeInstanceOf(EtcdError);
        expect((await c.range(key("a"))).kvs).toHaveLength(1);
      } finally {
        c.close();
      }
    }
  });
});
