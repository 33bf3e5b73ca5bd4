import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createH2Server, type Http2Session } from "node:http2";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EtcdClient, EtcdError } from "../../src/ddns/_etcd.js";
import { TYPE } from "../../src/ddns/_wire.js";
import { RCODE } from "../../src/ddns/rcode.js";
import { startEtcd, type EtcdInstance } from "../_harness/etcd.js";
import { buildUpdate, ipv4, sendUdp, sign } from "./_client.js";
import { SECRET, startFixture } from "./_fixture.js";
import { waitFor } from "./_kea.js";

/**
 * etcd behind a connection that stops carrying anything without closing (a NAT or proxy that lost its state, a
 * black hole): the daemon must connect again by itself, with one endpoint as with several, and stop at once.
 */
let etcd: EtcdInstance;
beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});

type Mode = "pass" | "blackhole";

/** A TCP proxy to etcd: `freezeExisting` makes the open connections drop everything silently while new ones pass. */
async function proxy(target: string) {
  const port = Number(new URL(target).port);
  const conns: { c: Socket; u?: Socket; frozen: boolean }[] = [];
  let mode: Mode = "pass";
  const server = createServer((c) => {
    c.on("error", () => undefined);
    if (mode === "blackhole") {
      conns.push({ c, frozen: true });
      return;
    }
    const u = connect(port, "127.0.0.1");
    u.on("error", () => undefined);
    const e = { c, u, frozen: false };
    conns.push(e);
    c.on("data", (d) => void (e.frozen || u.write(d)));
    u.on("data", (d) => void (e.frozen || c.write(d)));
    c.on("close", () => u.destroy());
    u.on("close", () => void (e.frozen || c.destroy()));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    freezeExisting: () => conns.forEach((e) => (e.frozen = true)),
    setMode: (m: Mode) => (mode = m),
    connections: () => conns.length,
    close: () => {
      server.close();
      for (const e of conns) {
        e.c.destroy();
        e.u?.destroy();
      }
    },
  };
}

/** Accepts TCP connections and never sends a byte: a member that hangs. */
async function blackHole(): Promise<{ url: string; port: number; server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, port, server, sockets };
}

const key = Buffer.from("/h5b-test/stall");
const settled = <T>(p: Promise<T>) => p.then(() => "ok", (e: unknown) => e);

describe("a connection that goes silent", () => {
  it("is left after one timeout, with a single endpoint: the next call connects again", async () => {
    const px = await proxy(etcd.endpoints[0] as string);
    const c = new EtcdClient({ endpoints: [px.url], timeoutMs: 300 });
    try {
      await c.range(key);
      px.freezeExisting();
      await expect(c.range(key)).rejects.toSatisfy((e) => e instanceof EtcdError && /did not answer/.test(e.message));
      await c.range(key);
      expect(px.connections()).toBe(2);
    } finally {
      c.close();
      px.close();
    }
  });

  it("a daemon started against a black hole takes updates once etcd is reachable", async () => {
    const px = await proxy(etcd.endpoints[0] as string);
    px.setMode("blackhole");
    const fx = await startFixture({ etcd: { endpoints: [px.url], timeoutMs: 300 } } as never, { etcd });
    try {
      expect(fx.ddns.metrics.etcdUp).toBe(0);
      px.setMode("pass");
      await waitFor(async () => (fx.ddns.metrics.etcdUp === 1 ? true : undefined), 3000, "etcd up");
      const r = await sendUdp(fx.port, sign(buildUpdate({ zone: "lab.test", updates: [{ name: "back.lab.test", type: TYPE.A, ttl: 60, rdata: ipv4("10.99.0.7") }] })).message);
      expect(r?.rcode).toBe(RCODE.NOERROR);
    } finally {
      await fx.close();
      px.close();
    }
  });
});

describe("a slow etcd", () => {
  /** An h2c gRPC server that answers every call at once except those whose request holds "slow". */
  let server: ReturnType<typeof createH2Server>;
  let url: string;
  const sessions: Http2Session[] = [];
  beforeAll(async () => {
    server = createH2Server();
    server.on("session", (s) => sessions.push(s));
    server.on("stream", (stream) => {
      const body: Buffer[] = [];
      stream.on("error", () => undefined);
      stream.on("data", (d: Buffer) => body.push(d));
      stream.on("end", () => {
        if (Buffer.concat(body).includes("slow")) return;
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(Buffer.alloc(5));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => {
    for (const s of sessions) s.destroy();
    server.close();
  });

  it("keeps a connection that answers other calls while one times out", async () => {
    const before = sessions.length;
    const c = new EtcdClient({ endpoints: [url], timeoutMs: 300 });
    try {
      const slow = settled(c.range(Buffer.from("slow")));
      const fast: Promise<unknown>[] = [];
      for (let t = 0; t < 500; t += 25) {
        fast.push(settled(c.range(Buffer.from("fast"))));
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(await slow).toBeInstanceOf(EtcdError);
      expect(await Promise.all(fast)).toSatisfy((a: unknown[]) => a.every((x) => x === "ok"));
      expect(sessions.length - before).toBe(1);
    } finally {
      c.close();
    }
  });

  it("replaces a connection at most once per timeout when nothing is answered", async () => {
    const before = sessions.length;
    const c = new EtcdClient({ endpoints: [url], timeoutMs: 200 });
    try {
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          while (performance.now() - t0 < 1000) await settled(c.range(Buffer.from("slow")));
        }),
      );
      expect(sessions.length - before).toBeGreaterThan(1);
      expect(sessions.length - before).toBeLessThanOrEqual(Math.ceil((performance.now() - t0) / 200) + 1);
    } finally {
      c.close();
    }
  });
});

describe("stopping while etcd hangs", () => {
  it("close() drops the connection at once: the call on it fails, and no socket keeps the process alive", async () => {
    const bh = await blackHole();
    const c = new EtcdClient({ endpoints: [bh.url], timeoutMs: 10_000 });
    try {
      const call = settled(c.range(key));
      await new Promise((r) => setTimeout(r, 100));
      const t0 = performance.now();
      c.close();
      expect(await call).toBeInstanceOf(EtcdError);
      expect(performance.now() - t0).toBeLessThan(500);
      await new Promise((r) => setTimeout(r, 50));
      const handles = (process as unknown as { _getActiveHandles(): { remotePort?: number }[] })._getActiveHandles();
      expect(handles.filter((h) => h.remotePort === bh.port)).toEqual([]);
      // A call after close neither connects nor waits.
      await expect(c.range(key)).rejects.toThrow("etcd client closed");
      expect(bh.sockets).toHaveLength(1);
    } finally {
      c.close();
      bh.server.close();
      for (const s of bh.sockets) s.destroy();
    }
  });

  it("the daemon exits within a second of SIGTERM, its health probe still waiting on etcd", async () => {
    const entry = fileURLToPath(new URL("../../dist/ddns/main.js", import.meta.url));
    const bh = await blackHole();
    const dir = await mkdtemp(join(tmpdir(), "h5b-ddns-stall-"));
    try {
      await writeFile(join(dir, "tsig.key"), `${SECRET}\n`);
      await writeFile(
        join(dir, "ddns.json"),
        JSON.stringify({
          listen: [{ address: "127.0.0.1", port: 0 }],
          zones: { forward: ["lab.test"] },
          tsig: { name: "ddns-key", secretFile: "tsig.key" },
          etcd: { endpoints: [bh.url], timeoutMs: 3000 },
        }),
      );
      const p = spawn(process.execPath, [entry, "--config", join(dir, "ddns.json")], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      p.stdout.on("data", (d: Buffer) => (out += d.toString()));
      p.stderr.on("data", (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number>((r) => p.on("exit", (code) => r(code ?? -1)));
      try {
        await waitFor(async () => (out.includes("ddns listening") ? true : undefined), 15_000, `start: ${out}`);
        // The probe's call is now on a connection to the black hole.
        await new Promise((r) => setTimeout(r, 500));
        const t0 = performance.now();
        p.kill("SIGTERM");
        const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("still running"), 2500))]);
        expect(code).toBe(0);
        expect(performance.now() - t0).toBeLessThan(1000);
        expect(out).toContain("ddns stopped");
      } finally {
        if (p.exitCode === null) p.kill("SIGKILL");
      }
    } finally {
      bh.server.close();
      for (const s of bh.sockets) s.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
