import dnsPacket from "dns-packet";
import { describe, expect, it } from "vitest";
import { parseMessage, readName, TYPE, WireError, WireWriter } from "../../src/ddns/_wire.js";
import { buildUpdate, ipv4 } from "./_client.js";

describe("wire reader", () => {
  const update = () =>
    buildUpdate({
      zone: "lab.test",
      updates: [
        { name: "a.lab.test", type: TYPE.A, class: 255 },
        { name: "b.lab.test", type: TYPE.A, ttl: 300, rdata: ipv4("10.0.0.1") },
      ],
    });

  it("reads an UPDATE delete with RDLENGTH 0 followed by an add (which dns-packet cannot: the reason for this reader)", () => {
    const m = parseMessage(update());
    expect(m.authorities.map((r) => [r.name.join("."), r.class, r.rdata.length])).toEqual([
      ["a.lab.test", 255, 0],
      ["b.lab.test", 1, 4],
    ]);
    expect(() => dnsPacket.decode(update())).toThrow();
  });

  it("follows backward compression pointers, lowercases, and rejects forward pointers and loops", () => {
    // "Lab.Test" at 12, then "x" + pointer to 12 at 22.
    const b = Buffer.concat([Buffer.alloc(12), Buffer.from([3, 76, 97, 98, 4, 84, 101, 115, 116, 0]), Buffer.from([1, 120, 0xc0, 12])]);
    expect(readName(b, 22)).toEqual({ labels: ["x", "lab", "test"], end: 26 });
    const self = Buffer.concat([Buffer.alloc(12), Buffer.from([0xc0, 12])]);
    expect(() => readName(self, 12)).toThrow(WireError);
    const forward = Buffer.concat([Buffer.alloc(12), Buffer.from([0xc0, 14, 0])]);
    expect(() => readName(forward, 12)).toThrow(WireError);
  });

  it("rejects names over 255 octets, labels past the end, and trailing bytes", () => {
    const long = Buffer.concat([Buffer.alloc(12), ...Array.from({ length: 5 }, () => Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 97)])), Buffer.from([0])]);
    expect(() => readName(long, 12)).toThrow(/255/);
    expect(() => readName(Buffer.concat([Buffer.alloc(12), Buffer.from([5, 97])]), 12)).toThrow(WireError);
    expect(() => parseMessage(Buffer.concat([update(), Buffer.from([0])]))).toThrow(/trailing/);
  });

  it("the writer keeps every field across its buffer's growth (a message of many names and a large RDATA)", () => {
    const names = Array.from({ length: 40 }, (_, i) => ({ name: `host-${i}.lab.test`, type: TYPE.A, ttl: 70000 + i, rdata: ipv4(`10.0.${i}.1`) }));
    const big = { name: "t.lab.test", type: TYPE.TXT, ttl: 1, rdata: Buffer.concat([Buffer.from([255]), Buffer.alloc(255, 120)]) };
    const m = parseMessage(buildUpdate({ zone: "lab.test", updates: [...names, big] }));
    expect(m.authorities.map((r) => [r.name.join("."), r.ttl, [...r.rdata.subarray(0, 4)].join(".")])).toEqual([
      ...names.map((n, i) => [n.name, 70000 + i, `10.0.${i}.1`]),
      ["t.lab.test", 1, "255.120.120.120"],
    ]);
    const w = new WireWriter().u8(1).u16(0x0203).u32(0x04050607).u48(0x08090a0b0c0d).bytes(Buffer.alloc(300, 9)).u16(0xeeff);
    expect(w.size).toBe(1 + 2 + 4 + 6 + 300 + 2);
    expect([...w.toBuffer().subarray(0, 13)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect([...w.toBuffer().subarray(313)]).toEqual([0xee, 0xff]);
  });
});
