import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLASS, TYPE, type WireMessage } from "../../src/ddns/_wire.js";
import { RCODE } from "../../src/ddns/rcode.js";
import { parseTsig, ReplayGuard, REPLAY_SLACK_SECONDS, TSIG_ERROR, tsigKey, verifyResponse, type TsigRecord } from "../../src/ddns/tsig.js";
import { buildUpdate, ipv4, KEY, sendUdp, sign } from "./_client.js";
import { startFixture, useFixture, WRONG_SECRET, type Fixture } from "./_fixture.js";

const tsigError = (res: WireMessage | undefined): number | undefined => {
  const rr = res?.additionals.at(-1);
  return res && rr?.type === TYPE.TSIG ? parseTsig(res, rr).error : undefined;
};

const now = () => Math.floor(Date.now() / 1000);
const dhcid = Buffer.concat([Buffer.from([0, 1, 1]), Buffer.alloc(32, 9)]);
/** kea-dhcp-ddns's add: the name must be free; then A and DHCID. */
const keaAdd = (name: string, addr: string, id: number) =>
  buildUpdate({
    id,
    zone: "lab.test",
    prereqs: [{ name, type: TYPE.ANY, class: CLASS.NONE }],
    updates: [
      { name, type: TYPE.A, ttl: 60, rdata: ipv4(addr) },
      { name, type: TYPE.DHCID, ttl: 60, rdata: dhcid },
    ],
  });
/** kea-dhcp-ddns's remove: the DHCID must match; then everything at the name goes. */
const keaRemove = (name: string, id: number) =>
  buildUpdate({
    id,
    zone: "lab.test",
    prereqs: [{ name, type: TYPE.DHCID, rdata: dhcid }],
    updates: [{ name, type: TYPE.ANY, class: CLASS.ANY }],
  });

describe("replay of signed updates (RFC 8945 5.2.3)", () => {
  const fx = useFixture({ fresh: true });

  it("an accepted add sent again gets the first answer again and writes nothing, also after the remove it preceded", async () => {
    // Within the slack a repeat is what kea-dhcp-ddns sends after a timeout (the same request, re-signed within the
    // same second): it gets the answer it missed, signed for it, and nothing is applied again.
    const t = now();
    const add = sign(keaAdd("victim.lab.test", "10.2.0.5", 1), { time: t });
    expect((await sendUdp(fx().port, add.message))?.rcode).toBe(RCODE.NOERROR);
    expect((await sendUdp(fx().port, sign(keaRemove("victim.lab.test", 2), { time: t + 1 }).message))?.rcode).toBe(RCODE.NOERROR);
    expect(await fx().dump()).toEqual({});
    const again = await sendUdp(fx().port, add.message);
    expect(again?.rcode).toBe(RCODE.NOERROR);
    expect(again && verifyResponse(again, KEY, add.mac)).toBeDefined();
    expect(await fx().dump()).toEqual({});
    expect(fx().logs.at(-1)).toContain("a repeat of an accepted request");
  });

  it("a request signed 1 s before the newest accepted one is still accepted (reordered datagrams)", async () => {
    const t = now();
    expect((await sendUdp(fx().port, sign(keaAdd("late1.lab.test", "10.2.0.6", 3), { time: t + 1 }).message))?.rcode).toBe(RCODE.NOERROR);
    expect((await sendUdp(fx().port, sign(keaAdd("late2.lab.test", "10.2.0.7", 4), { time: t }).message))?.rcode).toBe(RCODE.NOERROR);
    expect(Object.keys(await fx().dump()).filter((k) => k.startsWith("/skydns/"))).toHaveLength(2);
  });

  it("requests that fail the other TSIG checks do not move the newest time: a forged future time locks nobody out", async () => {
    const t = now();
    const forged = sign(keaAdd("forged.lab.test", "10.2.0.8", 5), { key: tsigKey("ddns-key", "hmac-sha256", Buffer.from(WRONG_SECRET, "base64")), time: t + 200 });
    expect(tsigError(await sendUdp(fx().port, forged.message))).toBe(TSIG_ERROR.BADSIG);
    const outside = sign(keaAdd("outside.lab.test", "10.2.0.9", 6), { time: t + 3600 });
    expect(tsigError(await sendUdp(fx().port, outside.message))).toBe(TSIG_ERROR.BADTIME);
    expect((await sendUdp(fx().port, sign(keaAdd("honest.lab.test", "10.2.0.10", 7), { time: t }).message))?.rcode).toBe(RCODE.NOERROR);
  });
});

describe("a replay after the slack, and across a restart", () => {
  // A daemon of its own, on a clock the test moves: its newest time must not have been moved by the tests above.
  const start = now();
  let shift = 0;
  let fx: Fixture | undefined;
  beforeAll(async () => {
    fx = await startFixture({}, { now: () => start + shift });
  });
  afterAll(() => fx?.close());
  const port = () => fx?.port ?? 0;

  it("an accepted add sent again after the slack gets BADTIME (signed) and writes nothing", async () => {
    if (fx === undefined) throw new Error("no fixture");
    const add = sign(keaAdd("victim2.lab.test", "10.2.0.11", 8), { time: start });
    expect((await sendUdp(port(), add.message))?.rcode).toBe(RCODE.NOERROR);
    // The remove some seconds later (within the fudge): the add is older than the slack allows.
    shift = REPLAY_SLACK_SECONDS + 5;
    expect((await sendUdp(port(), sign(keaRemove("victim2.lab.test", 9), { time: start + shift }).message))?.rcode).toBe(RCODE.NOERROR);
    const replay = await sendUdp(port(), add.message);
    expect(replay?.rcode).toBe(RCODE.NOTAUTH);
    expect(tsigError(replay)).toBe(TSIG_ERROR.BADTIME);
    expect(replay && verifyResponse(replay, KEY, add.mac)).toBeDefined();
    expect(await fx.dump()).toEqual({});
    expect(fx.logs.at(-1)).toContain("replay");
  });

  it("after a restart, a request signed before the daemon started gets BADTIME and writes nothing, one signed since is taken", async () => {
    if (fx === undefined) throw new Error("no fixture");
    // Signed by the first run's clock and accepted by it; the new process has no memory of it.
    const add = sign(keaAdd("victim3.lab.test", "10.2.0.12", 10), { time: start + shift });
    expect((await sendUdp(port(), add.message))?.rcode).toBe(RCODE.NOERROR);
    expect((await sendUdp(port(), sign(keaRemove("victim3.lab.test", 11), { time: start + shift }).message))?.rcode).toBe(RCODE.NOERROR);
    const first = fx;
    await first.ddns.close();
    await rm(first.dir, { recursive: true, force: true });
    shift += 1;
    const etcd = first.etcd;
    fx = await startFixture({}, { etcd, now: () => start + shift });
    const replay = await sendUdp(port(), add.message);
    expect(replay?.rcode).toBe(RCODE.NOTAUTH);
    expect(tsigError(replay)).toBe(TSIG_ERROR.BADTIME);
    expect(fx.logs.at(-1)).toContain("before the daemon started");
    expect(await fx.dump()).toEqual({});
    const fresh = sign(keaAdd("victim3.lab.test", "10.2.0.12", 12), { time: start + shift });
    expect((await sendUdp(port(), fresh.message))?.rcode).toBe(RCODE.NOERROR);
    await fx.close();
    await etcd.stop();
    fx = undefined;
  });
});

describe("ReplayGuard", () => {
  const rec = (timeSigned: number, mac: Buffer): TsigRecord => ({
    keyName: [],
    algorithm: [],
    timeSigned,
    fudge: 300,
    mac,
    originalId: 0,
    error: 0,
    other: Buffer.alloc(0),
    offset: 0,
  });
  const mac = (n: number) => Buffer.alloc(32, n);
  const kind = (g: ReplayGuard, r: TsigRecord, now = 1000) => g.admit(r, now).kind;

  it("refuses a time more than the slack before the newest, and a repeated MAC within it, truncated or not", () => {
    const g = new ReplayGuard("hmac-sha256");
    expect(kind(g, rec(1000, mac(1)))).toBe("new");
    expect(kind(g, rec(1000, mac(1)))).toBe("repeat");
    expect(kind(g, rec(1000, mac(1).subarray(0, 16)))).toBe("repeat");
    expect(kind(g, rec(1000 - REPLAY_SLACK_SECONDS, mac(2)))).toBe("new");
    expect(kind(g, rec(1000 - REPLAY_SLACK_SECONDS - 1, mac(3)))).toBe("stale");
    expect(kind(g, rec(1300, mac(4)), 1300)).toBe("new");
    expect(kind(g, rec(1000, mac(5)), 1300)).toBe("stale");
  });

  it("a request signed ahead of our clock moves the newest time no further than our clock: nobody is locked out", () => {
    const g = new ReplayGuard("hmac-sha256");
    expect(kind(g, rec(1250, mac(1)), 1000)).toBe("new");
    expect(kind(g, rec(1000, mac(2)), 1000)).toBe("new");
    // Its MAC is still remembered.
    expect(kind(g, rec(1250, mac(1)), 1000)).toBe("repeat");
  });

  it("gives a repeat the first one's answer once it is settled", async () => {
    const g = new ReplayGuard("hmac-sha256");
    const first = g.admit(rec(1000, mac(1)), 1000);
    const again = g.admit(rec(1000, mac(1)), 1000);
    if (first.kind !== "new" || again.kind !== "repeat") throw new Error("expected new, then repeat");
    first.settle(RCODE.YXDOMAIN);
    expect(await again.rcode).toBe(RCODE.YXDOMAIN);
    const later = g.admit(rec(1000, mac(1)), 1000);
    expect(later.kind === "repeat" && (await later.rcode)).toBe(RCODE.YXDOMAIN);
  });

  it("refuses requests signed before the second it started, whatever the memory holds", () => {
    const g = new ReplayGuard("hmac-sha256", { since: 1000 });
    expect(kind(g, rec(999, mac(1)))).toBe("stale");
    expect(kind(g, rec(1000, mac(2)))).toBe("new");
  });

  it("follows its own clock back: a step back (NTP after a fast clock at boot) locks nobody out", () => {
    const g = new ReplayGuard("hmac-sha256", { since: 1000 });
    expect(kind(g, rec(1000, mac(1)), 1000)).toBe("new");
    expect(kind(g, rec(900, mac(2)), 900)).toBe("new");
    expect(kind(g, rec(900, mac(2)), 900)).toBe("repeat");
  });

  it("keeps only the MACs within the slack, and past its bound refuses the forgotten times rather than forget a MAC", () => {
    const g = new ReplayGuard("hmac-sha256", { maxMacs: 3 });
    for (let i = 0; i < 3; i++) expect(kind(g, rec(1000, mac(i)))).toBe("new");
    // A fourth at the same second pushes the first out: from now on second 1000 is refused altogether.
    expect(kind(g, rec(1001, mac(3)))).toBe("new");
    expect(kind(g, rec(1000, mac(0)))).toBe("stale");
    expect(kind(g, rec(1000, mac(9)))).toBe("stale");
    expect(kind(g, rec(1001, mac(10)))).toBe("new");
  });
});
