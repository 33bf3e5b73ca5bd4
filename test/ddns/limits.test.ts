import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TYPE } from "../../src/ddns/_wire.js";
import { RCODE } from "../../src/ddns/rcode.js";
import { buildUpdate, ipv4, sendUdp, sign } from "./_client.js";
import { startFixture, type Fixture } from "./_fixture.js";

describe("maxInFlight bounds the work queued for etcd", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture({ limits: { maxInFlight: 2 } } as never);
  });
  afterAll(async () => {
    await fx?.close();
  });

  it("beyond the limit, updates get SERVFAIL at once (kea-dhcp-ddns retries) and are not written", async () => {
    const req = (i: number) => sign(buildUpdate({ id: i, zone: "lab.test", updates: [{ name: `lim${i}.lab.test`, type: TYPE.A, ttl: 60, rdata: ipv4(`10.99.2.${i}`) }] })).message;
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => sendUdp(fx.port, req(i))));
    const ok = answers.filter((a) => a?.rcode === RCODE.NOERROR).length;
    const servfail = answers.filter((a) => a?.rcode === RCODE.SERVFAIL).length;
    expect(ok + servfail).toBe(40);
    expect(servfail).toBeGreaterThan(0);
    expect(fx.logs.some((l) => l.includes("too many updates in flight"))).toBe(true);
    expect(Object.keys(await fx.dump()).filter((k) => k.includes("/lim"))).toHaveLength(ok);
  });
});
