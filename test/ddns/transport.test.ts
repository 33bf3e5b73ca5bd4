import { createSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TYPE } from "../../src/ddns/_wire.js";
import { RCODE } from "../../src/ddns/rcode.js";
import { buildUpdate, ipv4, sendTcp, sendUdp, sign } from "./_client.js";
import { DnsTransport } from "../../src/ddns/server.js";
import { startFixture, type Fixture } from "./_fixture.js";

const add = (name: string, addr: string, id = 1) =>
  sign(buildUpdate({ id, zone: "lab.test", updates: [{ name, type: TYPE.A, ttl: 60, rdata: ipv4(addr) }] })).message;

const closed = (c: Socket) => new Promise<void>((r) => (c.destroyed ? r() : c.once("close", () => r())));

/** A TCP-only transport on loopback that echoes each frame after `ms`, the daemon's handler standing in. */
async function slowEcho(ms: number, frameTimeoutMs: number): Promise<DnsTransport> {
  const t = new DnsTransport(
    async (msg) => {
      await new Promise((r) => setTimeout(r, ms));
      return msg;
    },
    { maxMessageSize: 1024, maxTcpConnections: 2, tcpIdleTimeoutMs: 5000, tcpFrameTimeoutMs: frameTimeoutMs },
  );
  await t.listen([{ address: "127.0.0.1", port: 0, udp: false, tcp: true }]);
  return t;
}

/** A 12-octet DNS header as one length-prefixed frame, its ID `i`. */
const headerFrame = (i: number) => Buffer.concat([Buffer.from([0, 12]), Buffer.from([0, i]), Buffer.alloc(10)]);

/** The message IDs of the whole frames that come back on `c`; `when(n)` resolves once n have. */
function answersOn(c: Socket): { count(): number; ids(): number[]; when(n: number): Promise<void> } {
  const got: number[] = [];
  let buf = Buffer.alloc(0);
  const waiters: { n: number; resolve: () => void }[] = [];
  c.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      got.push(buf.readUInt16BE(2));
      buf = buf.subarray(2 + buf.readUInt16BE(0));
    }
    for (const w of waiters) if (got.length >= w.n) w.resolve();
  });
  return {
    count: () => got.length,
    ids: () => [...got],
    when: (n) => new Promise<void>((resolve) => (got.length >= n ? resolve() : waiters.push({ n, resolve }))),
  };
}

describe("transport limits, metrics and graceful stop", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture({
      limits: { maxMessageSize: 1024, maxTcpConnections: 3, tcpIdleTimeoutMs: 300, tcpFrameTimeoutMs: 600 },
      metrics: { address: "127.0.0.1", port: 0 },
    } as never);
  });
  afterAll(async () => {
    await fx?.close();
  });

  it("answers over TCP, and pipelined frames on one connection each get an answer", async () => {
    expect((await sendTcp(fx.port, add("tcp.lab.test", "10.99.0.30")))?.rcode).toBe(RCODE.NOERROR);
    const c = connect(fx.port, "127.0.0.1");
    const frames = [1, 2, 3].map((i) => {
      const m = add(`pipe${i}.lab.test`, `10.99.0.${30 + i}`, 100 + i);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(m.length);
      return Buffer.concat([len, m]);
    });
    const answers = answersOn(c);
    // One write holding three frames, split mid-frame across two writes to exercise reassembly.
    const all = Buffer.concat(frames);
    c.write(all.subarray(0, 20));
    setTimeout(() => c.write(all.subarray(20)), 20);
    await answers.when(3);
    c.destroy();
    expect(answers.ids().sort()).toEqual([101, 102, 103]);
  });

  it("answers a client that shuts its sending side after its request (TCP half-close), then closes", async () => {
    const c = connect(fx.port, "127.0.0.1");
    const m = add("halfclose.lab.test", "10.99.0.35", 7);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(m.length);
    const got: Buffer[] = [];
    c.on("data", (d: Buffer) => got.push(d));
    const t0 = Date.now();
    c.end(Buffer.concat([len, m]));
    await closed(c);
    // Closed by the daemon once it answered, not by the 300 ms idle timeout.
    expect(Date.now() - t0).toBeLessThan(250);
    const answer = Buffer.concat(got);
    expect(answer.readUInt16BE(0)).toBe(answer.length - 2);
    expect(answer.readUInt16BE(2)).toBe(7);
    expect(answer.readUInt16BE(4) & 0xf).toBe(RCODE.NOERROR);
  });

  it("closes a connection whose frame is not complete within tcpFrameTimeoutMs, however steadily it trickles", async () => {
    const c = connect(fx.port, "127.0.0.1");
    c.on("error", () => undefined);
    // A 200-octet frame, one octet per 100 ms: each octet comes well inside the 300 ms idle timeout.
    const frame = Buffer.concat([Buffer.from([0, 200]), Buffer.alloc(200)]);
    let sent = 0;
    const trickle = setInterval(() => {
      if (!c.destroyed) c.write(frame.subarray(sent, ++sent));
    }, 100);
    const t0 = Date.now();
    await Promise.race([closed(c), new Promise((r) => setTimeout(r, 3000))]);
    clearInterval(trickle);
    const open = !c.destroyed;
    c.destroy();
    expect(open).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("drops oversized UDP datagrams unanswered and closes a TCP connection announcing an oversized frame", async () => {
    const big = Buffer.concat([add("big.lab.test", "10.99.0.40"), Buffer.alloc(2000)]);
    expect(await sendUdp(fx.port, big, 500)).toBeUndefined();
    const c = connect(fx.port, "127.0.0.1");
    c.on("error", () => undefined);
    c.write(Buffer.from([0xff, 0xff, 1, 2, 3]));
    await closed(c);
    expect(fx.ddns.metrics.dropped).toBeGreaterThanOrEqual(2);
  });

  it("closes TCP connections beyond maxTcpConnections at once, and idle ones after the idle timeout", async () => {
    const open = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<Socket>((resolve) => {
            const c = connect(fx.port, "127.0.0.1", () => resolve(c));
            c.on("error", () => undefined);
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    const extra = connect(fx.port, "127.0.0.1");
    extra.on("error", () => undefined);
    const t0 = Date.now();
    await closed(extra);
    expect(Date.now() - t0).toBeLessThan(250);
    expect(fx.ddns.metrics.tcpRefused).toBeGreaterThanOrEqual(1);
    await Promise.all(open.map(closed));
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it("ignores responses (QR set) instead of answering them", async () => {
    const m = Buffer.from(add("qr.lab.test", "10.99.0.41"));
    m.writeUInt16BE(m.readUInt16BE(2) | 0x8000, 2);
    expect(await sendUdp(fx.port, m, 400)).toBeUndefined();
  });

  it("answers QUERY with REFUSED and other opcodes with NOTIMP", async () => {
    const q = sign(buildUpdate({ zone: "lab.test", opcode: 0 })).message;
    expect((await sendUdp(fx.port, q))?.rcode).toBe(RCODE.REFUSED);
    const n = sign(buildUpdate({ zone: "lab.test", opcode: 4 })).message;
    expect((await sendUdp(fx.port, n))?.rcode).toBe(RCODE.NOTIMP);
    const unsigned = buildUpdate({ zone: "lab.test", updates: [{ name: "u.lab.test", type: TYPE.A, ttl: 1, rdata: ipv4("10.99.0.1") }] });
    expect((await sendUdp(fx.port, unsigned))?.rcode).toBe(RCODE.NOTAUTH);
  });

  it("serves Prometheus metrics: requests by result, latency histogram, etcd errors and health", async () => {
    const m = fx.ddns.metricsAddress;
    const text = await (await fetch(`http://127.0.0.1:${m?.port}/metrics`)).text();
    expect(text).toMatch(/h5b_ddns_requests_total\{result="NOERROR"\} \d+/);
    expect(text).toMatch(/h5b_ddns_requests_total\{result="NOTAUTH"\} \d+/);
    expect(text).toContain('h5b_ddns_request_duration_seconds_bucket{le="+Inf"}');
    expect(text).toContain("h5b_ddns_etcd_errors_total 0");
    expect(text).toContain("h5b_ddns_etcd_up 1");
    expect((await fetch(`http://127.0.0.1:${m?.port}/healthz`)).status).toBe(200);
  });

  it("close() lets updates already received finish and answer, then stops listening", async () => {
    const s = createSocket("udp4");
    const answers: number[] = [];
    s.on("message", (msg) => answers.push(msg.readUInt16BE(2) & 0xf));
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
    for (let i = 0; i < 20; i++) s.send(add(`stop${i}.lab.test`, `10.99.1.${i}`, 500 + i), fx.port, "127.0.0.1");
    // Close while updates are being handled: after the first answer, before (normally) the last.
    while (answers.length === 0) await new Promise((r) => setTimeout(r, 1));
    await fx.ddns.close();
    await new Promise((r) => setTimeout(r, 100));
    s.close();
    const written = Object.keys(await fx.dump()).filter((k) => k.includes("/stop")).length;
    // Everything received before close() was answered, and what was answered NOERROR was written.
    expect(answers.filter((a) => a === RCODE.NOERROR).length).toBe(written);
    expect(answers.length).toBeGreaterThan(0);
    expect(await sendUdp(fx.port, add("after.lab.test", "10.99.0.42"), 300)).toBeUndefined();
  });
});

describe("graceful stop with TCP requests queued on a connection", () => {
  it("answers every frame already received, those queued behind the one being handled too", async () => {
    const t = await slowEcho(30, 1000);
    const c = connect(t.bound[0]?.port ?? 0, "127.0.0.1");
    c.on("error", () => undefined);
    const answers = answersOn(c);
    await new Promise<void>((r) => c.once("connect", () => r()));
    c.write(Buffer.concat(Array.from({ length: 8 }, (_, i) => headerFrame(i))));
    // The frames have arrived and the first is being handled when the stop begins.
    await new Promise((r) => setTimeout(r, 10));
    await t.close(5000);
    await closed(c);
    expect(answers.count()).toBe(8);
  }, 15_000);
});

describe("the TCP frame deadline while the daemon itself has stopped reading", () => {
  it("does not run while the connection is paused for answers the daemon owes: a pipelining client is not dropped", async () => {
    // 150 ms per answer, 17 frames queued (the daemon pauses the socket at 16) and a frame begun behind them: the
    // daemon reads that frame's rest only once it resumes, after its 300 ms deadline would have passed.
    const t = await slowEcho(150, 300);
    try {
      const all = Buffer.concat(Array.from({ length: 18 }, (_, i) => headerFrame(i)));
      const cut = 17 * 14 + 1;
      const c = connect(t.bound[0]?.port ?? 0, "127.0.0.1");
      c.on("error", () => undefined);
      const answers = answersOn(c);
      c.write(all.subarray(0, cut));
      setTimeout(() => c.write(all.subarray(cut)), 100);
      await Promise.race([answers.when(18), closed(c), new Promise((r) => setTimeout(r, 6000))]);
      c.destroy();
      expect(answers.count()).toBe(18);
    } finally {
      await t.close(100);
    }
  }, 15_000);
});
