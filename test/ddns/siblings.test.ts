import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLASS, TYPE } from "../../src/ddns/_wire.js";
import { RCODE } from "../../src/ddns/rcode.js";
import { MAX_KEYS_PER_NAME } from "../../src/ddns/store.js";
import { buildUpdate, ipv4, sendUdp, sign, type RRSpec } from "./_client.js";
import { startFixture, type Fixture } from "./_fixture.js";

const SIBLINGS = 33;

/**
 * Names whose label extends another's (`node-1` beside `node`) sort between `node` and `node/` in etcd: they must
 * not count as records of `node`, neither for its read limit nor for the guess that it is empty.
 */
describe("sibling names in etcd (`node-1` ... beside `node`)", () => {
  let fx: Fixture;
  let id = 1;
  const send = async (updates: RRSpec[], prereqs: RRSpec[] = []) =>
    (await sendUdp(fx.port, sign(buildUpdate({ id: id++, zone: "lab.test", prereqs, updates })).message))?.rcode;

  beforeAll(async () => {
    fx = await startFixture();
    for (let i = 1; i <= SIBLINGS; i++) {
      const name = `node-${i}.lab.test`;
      const rcode = await send([
        { name, type: TYPE.A, ttl: 60, rdata: ipv4(`10.1.0.${i}`) },
        { name, type: TYPE.AAAA, ttl: 60, rdata: Buffer.alloc(16, i) },
      ]);
      expect(rcode).toBe(RCODE.NOERROR);
    }
  });
  afterAll(async () => {
    await fx?.close();
  });

  it("more sibling keys than a name may read do not stop updates of the bare name", async () => {
    const siblingKeys = Object.keys(await fx.dump()).filter((k) => k.startsWith("/skydns/test/lab/node-"));
    expect(siblingKeys.length).toBeGreaterThan(MAX_KEYS_PER_NAME);
    const node = "node.lab.test";
    // Kea's add: the name must not be in use (the siblings are not this name), then A and DHCID.
    const dhcid = Buffer.concat([Buffer.from([0, 1, 1]), Buffer.alloc(32, 9)]);
    const kea = [
      { name: node, type: TYPE.A, ttl: 60, rdata: ipv4("10.1.1.1") },
      { name: node, type: TYPE.DHCID, ttl: 60, rdata: dhcid },
    ];
    expect(await send(kea, [{ name: node, type: TYPE.ANY, class: CLASS.NONE }])).toBe(RCODE.NOERROR);
    // The name now holds records: the next update reads it.
    expect(await send([{ name: node, type: TYPE.A, ttl: 60, rdata: ipv4("10.1.1.2") }])).toBe(RCODE.NOERROR);
    expect(await send([{ name: node, type: TYPE.ANY, class: CLASS.ANY }])).toBe(RCODE.NOERROR);
    const after = Object.keys(await fx.dump());
    expect(after.filter((k) => k.startsWith("/skydns/test/lab/node/") || k.includes("/dhcid/node.lab.test/"))).toEqual([]);
    expect(after.filter((k) => k.startsWith("/skydns/test/lab/node-"))).toEqual(siblingKeys);
    expect(fx.logs.some((l) => l.includes("too many records"))).toBe(false);
  });
});
