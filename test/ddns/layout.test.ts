import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { nameWire, parseName, reverseName } from "../../src/ddns/_names.js";
import { TYPE } from "../../src/ddns/_wire.js";
import { ddnsKeyPrefixes, parseDdnsConfig } from "../../src/ddns/config.js";
import { decodeName, encodeValue, namePath, recordKey, type KV } from "../../src/ddns/layout.js";
import { ipv4 } from "./_client.js";

const L = { prefix: "/skydns/", metaPrefix: "/h5b-ddns/", owner: "h5b-ddns" };
const kv = (key: string, value: string): KV => ({ key, value: Buffer.from(value), modRevision: "1" });

describe("etcd key layout (CoreDNS etcd plugin, external-dns)", () => {
  it("a name's path is the prefix plus its labels reversed", () => {
    expect(namePath(L, parseName("a.lan.example.org"))).toBe("/skydns/org/example/lan/a");
    expect(namePath(L, reverseName("10.99.0.42"))).toBe("/skydns/arpa/in-addr/10/99/0/42");
    expect(reverseName("fd99::42").slice(0, 4)).toEqual(["2", "4", "0", "0"]);
    expect(reverseName("fd99::42")).toHaveLength(34);
  });

  it("records are deterministic leaves below the name; DHCID is outside the CoreDNS prefix", () => {
    const a = recordKey(L, parseName("a.lab.test"), TYPE.A, ipv4("10.99.0.1"));
    expect(a).toMatch(/^\/skydns\/test\/lab\/a\/h5b-a-[0-9a-f]{16}$/);
    expect(recordKey(L, parseName("a.lab.test"), TYPE.A, ipv4("10.99.0.1"))).toBe(a);
    expect(recordKey(L, parseName("a.lab.test"), TYPE.DHCID, Buffer.from("000101ff", "hex"))).toMatch(/^\/h5b-ddns\/dhcid\/a\.lab\.test\/[0-9a-f]{16}$/);
  });

  it("values are what CoreDNS reads (host, ttl, text) plus the owner marker and the RDATA", () => {
    expect(JSON.parse(encodeValue(L, TYPE.A, ipv4("10.99.0.1"), 300))).toEqual({ host: "10.99.0.1", ttl: 300, owner: "h5b-ddns", rdata: "CmMAAQ==" });
    expect(JSON.parse(encodeValue(L, TYPE.AAAA, Buffer.from("fd990000000000000000000000000042", "hex"), 60)).host).toBe("fd99::42");
    expect(JSON.parse(encodeValue(L, TYPE.PTR, nameWire(parseName("a.lab.test")), 60)).host).toBe("a.lab.test.");
    expect(JSON.parse(encodeValue(L, TYPE.TXT, Buffer.from([2, 104, 105, 1, 33]), 60)).text).toBe("hi!");
  });

  it("tells its own records from external-dns's, and skips its own records of names below", () => {
    const name = parseName("a.lab.test");
    const mine = recordKey(L, name, TYPE.A, ipv4("10.99.0.1"));
    const child = recordKey(L, parseName("b.a.lab.test"), TYPE.A, ipv4("10.99.0.2"));
    const rrs = decodeName(L, name, [
      kv(mine, encodeValue(L, TYPE.A, ipv4("10.99.0.1"), 300)),
      kv(child, encodeValue(L, TYPE.A, ipv4("10.99.0.2"), 300)),
      kv("/skydns/test/lab/a/1a2b3c4d", '{"host":"10.99.0.3","ttl":300,"targetstrip":1}'),
      kv("/skydns/test/lab/a/5e6f7a8b", '{"text":"heritage=external-dns"}'),
      kv("/skydns/test/lab/a", '{"host":"x.lab.test"}'),
    ], false);
    expect(rrs.map((r) => [r.own, r.type])).toEqual([[true, TYPE.A], [false, TYPE.A], [false, TYPE.TXT], [false, TYPE.CNAME]]);
  });

  it("a value with our owner marker but a key we would not write is foreign (never trusted to delete)", () => {
    const name = parseName("a.lab.test");
    const forged = kv("/skydns/test/lab/a/h5b-a-0000000000000000", encodeValue(L, TYPE.A, ipv4("10.99.0.1"), 300));
    expect(decodeName(L, name, [forged], false)[0]?.own).toBe(false);
    const noOwner = kv(recordKey(L, name, TYPE.A, ipv4("10.99.0.1")), '{"host":"10.99.0.1"}');
    expect(decodeName(L, name, [noOwner], false)[0]?.own).toBe(false);
  });

  it("a PTR is the value at the reverse name's path itself, the one key CoreDNS reads for a PTR question", () => {
    const name = reverseName("10.99.0.53");
    const target = nameWire(parseName("a.lab.test"));
    expect(recordKey(L, name, TYPE.PTR, target)).toBe("/skydns/arpa/in-addr/10/99/0/53");
    const rrs = decodeName(L, name, [kv("/skydns/arpa/in-addr/10/99/0/53", encodeValue(L, TYPE.PTR, target, 60))], true);
    expect(rrs.map((r) => [r.own, r.type])).toEqual([[true, TYPE.PTR]]);
  });

  it("still reads a PTR leaf of earlier versions as its own, so that the next update moves it", () => {
    const name = reverseName("10.99.0.53");
    const target = nameWire(parseName("a.lab.test"));
    const legacy = `/skydns/arpa/in-addr/10/99/0/53/h5b-ptr-${createHash("sha256").update(target).digest("hex").slice(0, 16)}`;
    expect(decodeName(L, name, [kv(legacy, encodeValue(L, TYPE.PTR, target, 60))], true).map((r) => r.own)).toEqual([true]);
    // With another digest it is no record of this name's: it would be the PTR of the name below, at that name's path.
    const other = "/skydns/arpa/in-addr/10/99/0/53/h5b-ptr-0000000000000000";
    expect(decodeName(L, name, [kv(other, encodeValue(L, TYPE.PTR, target, 60))], true)).toEqual([]);
  });

  it("skips the PTRs of the names below a reverse name, as it skips their leaves", () => {
    const parent = reverseName("10.99.0.53").slice(1);
    const child = `/skydns/arpa/in-addr/10/99/0/53`;
    expect(decodeName(L, parent, [kv(child, encodeValue(L, TYPE.PTR, nameWire(parseName("a.lab.test")), 60))], true)).toEqual([]);
    // Without our owner marker it is somebody else's record under this name.
    expect(decodeName(L, parent, [kv(child, '{"host":"a.lab.test."}')], true)).toHaveLength(1);
  });

  it("an exact-path PTR (external-dns 0.22) is a foreign PTR in a reverse zone", () => {
    const name = reverseName("10.99.0.53");
    const rrs = decodeName(L, name, [kv("/skydns/arpa/in-addr/10/99/0/53", '{"host":"ns.lab.test."}')], true);
    expect(rrs).toHaveLength(1);
    expect(rrs[0]).toMatchObject({ own: false, type: TYPE.PTR });
  });
});

describe("ddnsKeyPrefixes", () => {
  it("per zone the exact path and the path with '/', plus the metadata prefix", () => {
    const config = parseDdnsConfig({
      zones: { forward: ["lan.home.example.org"], reverse: ["0.10.in-addr.arpa"] },
      tsig: { name: "ddns-key", secretFile: "/x" },
      etcd: {},
    });
    expect(ddnsKeyPrefixes(config)).toEqual([
      { key: "/skydns/org/example/home/lan", prefix: false, access: "readwrite" },
      { key: "/skydns/org/example/home/lan/", prefix: true, access: "readwrite" },
      { key: "/skydns/arpa/in-addr/10/0", prefix: false, access: "readwrite" },
      { key: "/skydns/arpa/in-addr/10/0/", prefix: true, access: "readwrite" },
      { key: "/h5b-ddns/", prefix: true, access: "readwrite" },
    ]);
    // The unvalidated input (defaults left out, trailing dots, capitals) gives the same answer.
    expect(ddnsKeyPrefixes({ zones: { forward: ["Lan.Home.Example.Org."], reverse: ["0.10.in-addr.arpa"] } })).toEqual(ddnsKeyPrefixes(config));
  });
});
