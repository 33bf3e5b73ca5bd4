import { describe, expect, it } from "vitest";
import { reverseName } from "../../src/_net.js";
import { HOST_RECORD_OWNER, homeZones, hostRecords, leasedRecordPrefixes, zoneTopRecords } from "../../src/emit/porygon/index.js";
import { decodeName, namePath, recordKey } from "../../src/ddns/layout.js";
import { TYPE } from "../../src/ddns/_wire.js";
import { buildPlan } from "../../src/plan/build.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import { variants } from "./_render.js";

const planOf = (variant: keyof typeof variants) => {
  const input = defaultHomelabInput();
  variants[variant]?.(input);
  return buildPlan(parseHomelab(input).spec);
};
const names = (plan: ReturnType<typeof planOf>) => [...new Set(hostRecords(plan).filter((r) => r.key.includes("/h5b-host-")).map((r) => r.key.split("/").at(-2)))];
const ddnsLayout = (plan: ReturnType<typeof planOf>) => ({ prefix: plan.dns.prefix, metaPrefix: "/h5b-ddns/", owner: "h5b-ddns" });

describe("the hosts' own DNS records", () => {
  it("name every host with a static address and every BMC, forward and reverse, in CoreDNS's etcd layout", () => {
    const plan = planOf("default");
    expect(names(plan)).toEqual(["gateway", "pi-cp", "pi-worker", "porygon", "x86-1", "x86-1-bmc"]);
    const x86 = hostRecords(plan).filter((r) => r.value.host?.startsWith("x86-1.") || r.key.includes("/lan/x86-1/"));
    expect(x86).toEqual([
      { key: "/skydns/org/example/home/lan/x86-1/h5b-host-a", value: { host: "10.0.0.20", ttl: 300, owner: HOST_RECORD_OWNER } },
      { key: "/skydns/arpa/in-addr/10/0/0/20", value: { host: "x86-1.lan.home.example.org.", ttl: 300, owner: HOST_RECORD_OWNER } },
      { key: "/skydns/org/example/home/lan/x86-1/h5b-host-aaaa", value: { host: "2001:db8:10::20", ttl: 300, owner: HOST_RECORD_OWNER } },
      {
        // The reverse name's labels from the root down: the address's nibbles in their own order. A PTR is the
        // value at the reverse name's path itself, the one key CoreDNS reads for it.
        key: `/skydns/arpa/ip6/${"2001:0db8:0010:0000:0000:0000:0000:0020".replaceAll(":", "").split("").join("/")}`,
        value: { host: "x86-1.lan.home.example.org.", ttl: 300, owner: HOST_RECORD_OWNER },
      },
    ]);
  });

  it("name nodes on k3OS too (static in connman), and have no IPv6 records on an IPv4-only LAN", () => {
    expect(names(planOf("pis-on-k3os"))).toEqual(["gateway", "pi-cp", "pi-worker", "porygon", "x86-1", "x86-1-bmc"]);
    expect(hostRecords(planOf("ipv4-only")).filter((r) => r.key.includes("aaaa") || r.key.includes("/ip6/"))).toEqual([]);
  });

  it("are records h5b ddns reads as somebody else's, forward and reverse, so no DHCP client can take or remove a host's name", () => {
    const plan = planOf("default");
    const kvs = hostRecords(plan).map((r) => ({ key: r.key, value: Buffer.from(JSON.stringify(r.value)), modRevision: "1" }));
    const decoded = (name: string, reverse: boolean) => decodeName(ddnsLayout(plan), name.split("."), kvs, reverse).map((rr) => [rr.type, rr.own]);
    expect(decoded("porygon.lan.home.example.org", false)).toEqual([
      [TYPE.A, false],
      [TYPE.AAAA, false],
    ]);
    expect(decoded(reverseName("10.0.0.53"), true)).toEqual([[TYPE.PTR, false]]);
  });

  it("the prefixes the script deletes are h5b ddns's own keys for those names, and no other name's", () => {
    const plan = planOf("default");
    const layout = ddnsLayout(plan);
    const prefixes = leasedRecordPrefixes(plan);
    const deleted = (key: string) => prefixes.some((p) => key.startsWith(p));
    const x86 = "x86-1.lan.home.example.org".split(".");
    const rev = reverseName("10.0.0.20").split(".");
    expect(deleted(recordKey(layout, x86, TYPE.A, Buffer.from([10, 0, 0, 20])))).toBe(true);
    expect(deleted(recordKey(layout, x86, TYPE.DHCID, Buffer.from("0001", "hex")))).toBe(true);
    expect(deleted(recordKey(layout, rev, TYPE.DHCID, Buffer.from("0001", "hex")))).toBe(true);
    expect(deleted(`${namePath(layout, rev)}/h5b-ptr-0123456789abcdef`)).toBe(true);
    // A lease called `dns` from before the zone's top took the name, but not the zone's top itself.
    const top = ["dns", ..."lan.home.example.org".split(".")];
    expect(deleted(recordKey(layout, top, TYPE.A, Buffer.from([10, 0, 32, 9])))).toBe(true);
    expect(deleted(recordKey(layout, top, TYPE.DHCID, Buffer.from("0001", "hex")))).toBe(true);
    expect(zoneTopRecords(plan).filter((r) => deleted(r.key))).toEqual([]);
    // Siblings whose labels start alike: the BMC, another address.
    expect(deleted(recordKey(layout, "x86-10.lan.home.example.org".split("."), TYPE.A, Buffer.from([10, 0, 0, 30])))).toBe(false);
    expect(deleted(recordKey(layout, reverseName("10.0.0.200").split("."), TYPE.DHCID, Buffer.from("0001", "hex")))).toBe(false);
  });
});

type Dump = ReadonlyMap<string, { host?: string; text?: string }>;
const dumpOf = (records: readonly { key: string; value: object }[]): Dump => new Map(records.map((r) => [r.key, r.value]));
/** The keys CoreDNS's etcd plugin reads for a name: everything below its path, or the path itself; none is NXDOMAIN. */
const readName = (dump: Dump, prefix: string, name: string) => {
  const path = namePath({ prefix }, name.split("."));
  const below = [...dump].filter(([k]) => k.startsWith(`${path}/`));
  return below.length > 0 ? below : [...dump].filter(([k]) => k === path);
};
/**
 * CoreDNS 1.14's answers at a zone's top, from plugin/backend_lookup.go: NS reads `ns.dns.<zone>` (an NS name per
 * key, its `host` the glue; nothing there is NXDOMAIN), A and AAAA read `apex.dns.<zone>` and, when nothing is
 * there, the zone's whole subtree (checkForApex); a value without `host` is no address.
 */
const atTop = (dump: Dump, prefix: string, zone: string) => {
  const ns = readName(dump, prefix, `ns.dns.${zone}`);
  const apex = readName(dump, prefix, `apex.dns.${zone}`);
  const top = apex.length > 0 ? apex : readName(dump, prefix, zone);
  const domain = (key: string) => `${key.slice(prefix.length).split("/").reverse().join(".")}.`;
  return {
    ns: ns.length === 0 ? "NXDOMAIN" : ns.map(([k, v]) => `${domain(k)} ${v.host ?? ""}`),
    addresses: top.flatMap(([, v]) => (v.host !== undefined && /^[0-9a-f.:]+$/.test(v.host) ? [v.host] : [])),
  };
};

describe("each home zone's top", () => {
  const plan = planOf("default");
  // A laptop's lease in the DHCP zone, as h5b ddns writes it.
  const leased = { key: `${namePath(plan.dns, `laptop.${plan.site.zones.dhcp}`.split("."))}/h5b-a-0123456789abcdef`, value: { host: "10.0.32.7", ttl: 300 } };

  it("has Porygon as its name server and no address, where without these records NS was NXDOMAIN and A every address in the zone", () => {
    const top = new Set(zoneTopRecords(plan).map((r) => r.key));
    const before = dumpOf([...hostRecords(plan).filter((r) => !top.has(r.key)), leased]);
    expect(atTop(before, plan.dns.prefix, plan.site.zones.dhcp)).toEqual({ ns: "NXDOMAIN", addresses: expect.arrayContaining(["10.0.0.20", "10.0.32.7", "10.0.0.53"]) as unknown });
    const after = dumpOf([...hostRecords(plan), leased]);
    for (const zone of homeZones(plan)) {
      expect({ zone, ...atTop(after, plan.dns.prefix, zone) }).toEqual({
        zone,
        ns: [`ipv4.porygon.ns.dns.${zone}. 10.0.0.53`, `ipv6.porygon.ns.dns.${zone}. 2001:db8:10::53`],
        addresses: [],
      });
    }
  });

  it("covers the services and DHCP zones and the LAN's reverse zones, once each, IPv4 alone on an IPv4-only LAN", () => {
    expect(homeZones(plan)).toEqual(["svc.home.example.org", "lan.home.example.org", "0.10.in-addr.arpa", "0.0.0.0.0.1.0.0.8.b.d.0.1.0.0.2.ip6.arpa"]);
    const v4 = planOf("ipv4-only");
    expect(zoneTopRecords(v4).filter((r) => r.value.host?.includes(":") === true || r.key.includes("/ipv6/"))).toEqual([]);
    expect(new Set(hostRecords(plan).map((r) => r.key)).size).toBe(hostRecords(plan).length);
  });
});
