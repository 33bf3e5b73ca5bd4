import { describe, expect, it } from "vitest";
import { parseName } from "../../src/ddns/_names.js";
import { CLASS, parseMessage, TYPE } from "../../src/ddns/_wire.js";
import type { StoredRR } from "../../src/ddns/layout.js";
import { RCODE } from "../../src/ddns/rcode.js";
import { applyChanges, checkUpdate, evaluatePrereqs, type Prereq, type Zone } from "../../src/ddns/update.js";
import { buildUpdate, ipv4, nameRdata, type RRSpec } from "./_client.js";

const ZONES: Zone[] = [
  { name: parseName("lab.test"), reverse: false },
  { name: parseName("0.99.10.in-addr.arpa"), reverse: true },
];

function check(zone: string, prereqs: RRSpec[], updates: RRSpec[], zoneType: number = TYPE.SOA) {
  const m = parseMessage(buildUpdate({ zone, prereqs, updates, zoneType }));
  return checkUpdate(m.questions, m.answers, m.authorities, ZONES);
}
const rc = (c: ReturnType<typeof check>) => (c.ok ? RCODE.NOERROR : c.rcode);
const A = (name: string, addr: string, ttl = 300): RRSpec => ({ name, type: TYPE.A, ttl, rdata: ipv4(addr) });

describe("RFC 2136 section checks (3.1, 3.2, 3.4.1) and policy", () => {
  it.each<[string, () => ReturnType<typeof check>, number]>([
    ["a plain add", () => check("lab.test", [], [A("a.lab.test", "10.99.0.1")]), RCODE.NOERROR],
    ["zone type not SOA", () => check("lab.test", [], [], TYPE.A), RCODE.FORMERR],
    ["zone not served", () => check("other.test", [], [A("a.other.test", "10.99.0.1")]), RCODE.NOTAUTH],
    ["a subzone of a served zone", () => check("sub.lab.test", [], []), RCODE.NOTAUTH],
    ["update outside the zone", () => check("lab.test", [], [A("a.other.test", "10.99.0.1")]), RCODE.NOTZONE],
    ["prerequisite outside the zone", () => check("lab.test", [{ name: "x.other", type: TYPE.ANY, class: CLASS.ANY }], []), RCODE.NOTZONE],
    ["prerequisite with TTL", () => check("lab.test", [{ name: "x.lab.test", type: TYPE.ANY, class: CLASS.ANY, ttl: 5 }], []), RCODE.FORMERR],
    ["prerequisite ANY with RDATA", () => check("lab.test", [{ name: "x.lab.test", type: TYPE.A, class: CLASS.ANY, rdata: ipv4("1.2.3.4") }], []), RCODE.FORMERR],
    ["prerequisite of class CH", () => check("lab.test", [{ name: "x.lab.test", type: TYPE.A, class: 3 }], []), RCODE.FORMERR],
    ["prerequisite IN with type ANY", () => check("lab.test", [{ name: "x.lab.test", type: TYPE.ANY, class: CLASS.IN }], []), RCODE.FORMERR],
    ["add with type ANY", () => check("lab.test", [], [{ name: "x.lab.test", type: TYPE.ANY, ttl: 1 }]), RCODE.FORMERR],
    ["add of a malformed A", () => check("lab.test", [], [{ name: "x.lab.test", type: TYPE.A, ttl: 1, rdata: Buffer.from([1, 2, 3]) }]), RCODE.FORMERR],
    ["delete (ANY) with TTL", () => check("lab.test", [], [{ name: "x.lab.test", type: TYPE.A, class: CLASS.ANY, ttl: 1 }]), RCODE.FORMERR],
    ["delete (ANY) with RDATA", () => check("lab.test", [], [{ name: "x.lab.test", type: TYPE.A, class: CLASS.ANY, rdata: ipv4("1.1.1.1") }]), RCODE.FORMERR],
    ["delete (ANY) of AXFR", () => check("lab.test", [], [{ name: "x.lab.test", type: TYPE.AXFR, class: CLASS.ANY }]), RCODE.FORMERR],
    ["delete RR (NONE) of type ANY", () => check("lab.test", [], [{ name: "x.lab.test", type: TYPE.ANY, class: CLASS.NONE }]), RCODE.FORMERR],
    ["update of class CH", () => check("lab.test", [], [{ name: "x.lab.test", type: TYPE.A, class: 3, rdata: ipv4("1.1.1.1") }]), RCODE.FORMERR],
    ["MX is not served", () => check("lab.test", [], [{ name: "x.lab.test", type: TYPE.MX, ttl: 1, rdata: Buffer.concat([Buffer.from([0, 10]), nameRdata("x.lab.test")]) }]), RCODE.REFUSED],
    ["A in a reverse zone", () => check("0.99.10.in-addr.arpa", [], [A("1.0.99.10.in-addr.arpa", "10.99.0.1")]), RCODE.REFUSED],
    ["PTR in a forward zone", () => check("lab.test", [], [{ name: "x.lab.test", type: TYPE.PTR, ttl: 1, rdata: nameRdata("y.lab.test") }]), RCODE.REFUSED],
    ["an add two labels below a forward zone (CoreDNS would answer it for the name between)", () => check("lab.test", [], [A("b.a.lab.test", "10.99.0.1")]), RCODE.REFUSED],
    ["a delete two labels below a forward zone", () => check("lab.test", [], [{ name: "b.a.lab.test", type: TYPE.A, class: CLASS.ANY }]), RCODE.NOERROR],
    ["a name with a label starting h5b- (the daemon's keys use them)", () => check("0.99.10.in-addr.arpa", [], [{ name: "h5b-ptr-0123456789abcdef.1.0.99.10.in-addr.arpa", type: TYPE.PTR, ttl: 1, rdata: nameRdata("y.lab.test") }]), RCODE.REFUSED],
    ["PTR in a reverse zone", () => check("0.99.10.in-addr.arpa", [], [{ name: "1.0.99.10.in-addr.arpa", type: TYPE.PTR, ttl: 1, rdata: nameRdata("y.lab.test") }]), RCODE.NOERROR],
    ["delete all RRsets of a name", () => check("lab.test", [], [{ name: "x.lab.test", type: TYPE.ANY, class: CLASS.ANY }]), RCODE.NOERROR],
    ["a label with '/' (cannot be a key segment)", () => check("lab.test", [], [A("a/b.lab.test", "10.99.0.1")]), RCODE.REFUSED],
    ["a record at the zone apex (CoreDNS would serve the whole zone for it)", () => check("lab.test", [], [A("lab.test", "10.99.0.1")]), RCODE.REFUSED],
    ["a name dns.<zone> (CoreDNS reads the zone's NS records below it)", () => check("lab.test", [], [A("DNS.lab.test", "10.99.0.1")]), RCODE.REFUSED],
    ["a label any (CoreDNS reads it as a wildcard)", () => check("lab.test", [], [A("any.lab.test", "10.99.0.1")]), RCODE.REFUSED],
    ["wpad, which Windows' proxy discovery looks up under its search domain", () => check("lab.test", [], [A("WPAD.lab.test", "10.99.0.1")]), RCODE.REFUSED],
    ["isatap and localhost", () => check("lab.test", [], [A("isatap.lab.test", "10.99.0.1"), A("localhost.lab.test", "127.0.0.1")]), RCODE.REFUSED],
    ["the delete of a wpad or any written before these rules (its lease goes)", () => check("lab.test", [], [{ name: "wpad.lab.test", type: TYPE.ANY, class: CLASS.ANY }, { name: "any.lab.test", type: TYPE.ANY, class: CLASS.ANY }]), RCODE.NOERROR],
    ["a PTR below dns.<reverse zone>", () => check("0.99.10.in-addr.arpa", [], [{ name: "ns.dns.0.99.10.in-addr.arpa", type: TYPE.PTR, ttl: 1, rdata: nameRdata("y.lab.test") }]), RCODE.REFUSED],
    ["a name that only starts with dns", () => check("lab.test", [], [A("dnsmasq.lab.test", "10.99.0.1")]), RCODE.NOERROR],
    ["17 names in one update", () => check("lab.test", [], Array.from({ length: 17 }, (_, i) => A(`n${i}.lab.test`, "10.99.0.1"))), RCODE.REFUSED],
    ["16 names in one update", () => check("lab.test", [], Array.from({ length: 16 }, (_, i) => A(`n${i}.lab.test`, "10.99.0.1"))), RCODE.NOERROR],
    ["SOA change", () => check("lab.test", [], [{ name: "lab.test", type: TYPE.SOA, ttl: 1, rdata: Buffer.alloc(22) }]), RCODE.REFUSED],
  ])("%s", (_, run, want) => {
    expect(rc(run())).toBe(want);
  });

  it.each<[number, number]>([
    [0, 0],
    [300, 300],
    [0x7fffffff, 0x7fffffff],
    // RFC 2181 8: the top bit set means zero, whatever the other bits say.
    [0x80000000, 0],
    [0x80000000 + 300, 0],
    [0xffffffff, 0],
  ])("an add with TTL %i is stored with TTL %i", (ttl, want) => {
    const c = check("lab.test", [], [A("a.lab.test", "10.99.0.1", ttl)]);
    expect(c.ok && c.update.changes[0]?.kind === "add" ? c.update.changes[0].ttl : undefined).toBe(want);
  });
});

const n = parseName;
const own = (name: string, type: number, rdata: Buffer, ttl = 300): StoredRR => ({ key: `/k/${name}/${type}/${rdata.toString("hex")}`, type, rdata, ttl, own: true });
const foreign = (type: number, rdata: Buffer): StoredRR => ({ key: "/skydns/x/1a2b3c4d", type, rdata, ttl: 300, own: false });

describe("prerequisite evaluation (RFC 2136 3.2.5)", () => {
  const state = new Map<string, StoredRR[]>([
    ["a.lab.test", [own("a.lab.test", TYPE.A, ipv4("10.0.0.1")), own("a.lab.test", TYPE.A, ipv4("10.0.0.2"))]],
    ["svc.lab.test", [foreign(TYPE.A, ipv4("10.0.0.9"))]],
  ]);
  it.each<[string, Prereq, number]>([
    ["name in use: yes", { kind: "name-in-use", name: n("a.lab.test") }, RCODE.NOERROR],
    ["name in use: no", { kind: "name-in-use", name: n("b.lab.test") }, RCODE.NXDOMAIN],
    ["name not in use: in use", { kind: "name-not-in-use", name: n("a.lab.test") }, RCODE.YXDOMAIN],
    ["name not in use: foreign records count", { kind: "name-not-in-use", name: n("svc.lab.test") }, RCODE.YXDOMAIN],
    ["name not in use: free", { kind: "name-not-in-use", name: n("b.lab.test") }, RCODE.NOERROR],
    ["RRset exists", { kind: "rrset-exists", name: n("a.lab.test"), type: TYPE.A }, RCODE.NOERROR],
    ["RRset exists: other type", { kind: "rrset-exists", name: n("a.lab.test"), type: TYPE.AAAA }, RCODE.NXRRSET],
    ["RRset does not exist: it does", { kind: "rrset-not-exists", name: n("a.lab.test"), type: TYPE.A }, RCODE.YXRRSET],
    ["RRset does not exist: right", { kind: "rrset-not-exists", name: n("a.lab.test"), type: TYPE.TXT }, RCODE.NOERROR],
    ["value-dependent: equal (order-free)", { kind: "rrset-equals", name: n("a.lab.test"), type: TYPE.A, rdatas: [ipv4("10.0.0.2"), ipv4("10.0.0.1")] }, RCODE.NOERROR],
    ["value-dependent: a subset is not equal", { kind: "rrset-equals", name: n("a.lab.test"), type: TYPE.A, rdatas: [ipv4("10.0.0.1")] }, RCODE.NXRRSET],
    ["value-dependent: superset", { kind: "rrset-equals", name: n("a.lab.test"), type: TYPE.A, rdatas: [ipv4("10.0.0.1"), ipv4("10.0.0.2"), ipv4("10.0.0.3")] }, RCODE.NXRRSET],
    ["value-dependent: missing RRset", { kind: "rrset-equals", name: n("b.lab.test"), type: TYPE.A, rdatas: [ipv4("10.0.0.1")] }, RCODE.NXRRSET],
  ])("%s", (_, p, want) => {
    expect(evaluatePrereqs([p], state).rcode).toBe(want);
  });

  it("the first failing prerequisite decides", () => {
    const r = evaluatePrereqs([{ kind: "name-in-use", name: n("b.lab.test") }, { kind: "name-not-in-use", name: n("a.lab.test") }], state);
    expect(r.rcode).toBe(RCODE.NXDOMAIN);
  });
});

describe("update application (RFC 2136 3.4.2) on the daemon's own records", () => {
  const state = new Map<string, StoredRR[]>([
    ["a.lab.test", [own("a.lab.test", TYPE.A, ipv4("10.0.0.1")), own("a.lab.test", TYPE.TXT, Buffer.from([1, 120]))]],
    ["svc.lab.test", [foreign(TYPE.A, ipv4("10.0.0.9"))]],
  ]);
  const result = (changes: Parameters<typeof applyChanges>[0]) => {
    const r = applyChanges(changes, state);
    if (!r.ok) return r.rcode;
    return [...r.result.values()].flat().map((x) => `${x.type}:${x.rdata.toString("hex")}:${x.ttl}`).sort();
  };
  it("add appends; a duplicate add changes nothing but the TTL of the whole RRset", () => {
    expect(result([{ kind: "add", name: n("a.lab.test"), type: TYPE.A, ttl: 60, rdata: ipv4("10.0.0.2") }])).toEqual(["16:0178:300", "1:0a000001:60", "1:0a000002:60"]);
    expect(result([{ kind: "add", name: n("a.lab.test"), type: TYPE.A, ttl: 300, rdata: ipv4("10.0.0.1") }])).toEqual(["16:0178:300", "1:0a000001:300"]);
  });
  it("delete RRset, delete one RR, delete all", () => {
    expect(result([{ kind: "delete-rrset", name: n("a.lab.test"), type: TYPE.A }])).toEqual(["16:0178:300"]);
    expect(result([{ kind: "delete-rr", name: n("a.lab.test"), type: TYPE.A, rdata: ipv4("10.0.0.1") }])).toEqual(["16:0178:300"]);
    expect(result([{ kind: "delete-rr", name: n("a.lab.test"), type: TYPE.A, rdata: ipv4("10.0.0.7") }])).toEqual(["16:0178:300", "1:0a000001:300"]);
    expect(result([{ kind: "delete-all", name: n("a.lab.test") }])).toEqual([]);
  });
  it("changes apply in order: delete then add is a replace", () => {
    expect(
      result([
        { kind: "delete-rrset", name: n("a.lab.test"), type: TYPE.A },
        { kind: "add", name: n("a.lab.test"), type: TYPE.A, ttl: 30, rdata: ipv4("10.0.0.5") },
      ]),
    ).toEqual(["16:0178:300", "1:0a000005:30"]);
  });
  it("a PTR there twice (at the path and as an earlier version's leaf) is one RR: re-adding it and comparing the RRset work", () => {
    const rev = n("8.0.99.10.in-addr.arpa");
    const twice = new Map<string, StoredRR[]>([["8.0.99.10.in-addr.arpa", [own("8.0.99.10.in-addr.arpa", TYPE.PTR, nameRdata("a.lab.test")), own("8.0.99.10.in-addr.arpa", TYPE.PTR, nameRdata("a.lab.test"))]]]);
    const r = applyChanges([{ kind: "add", name: rev, type: TYPE.PTR, ttl: 60, rdata: nameRdata("a.lab.test") }], twice);
    expect(r.ok && [...r.result.values()].flat().length).toBe(1);
    expect(evaluatePrereqs([{ kind: "rrset-equals", name: rev, type: TYPE.PTR, rdatas: [nameRdata("a.lab.test")] }], twice).rcode).toBe(RCODE.NOERROR);
    const other = applyChanges([{ kind: "add", name: rev, type: TYPE.PTR, ttl: 60, rdata: nameRdata("b.lab.test") }], twice);
    expect(other.ok ? "ok" : other.rcode).toBe(RCODE.REFUSED);
  });

  it("a name holds one PTR (CoreDNS reads one key for it): a second is REFUSED, a replace is not", () => {
    const rev = n("7.0.99.10.in-addr.arpa");
    const ptr = (target: string) => ({ kind: "add" as const, name: rev, type: TYPE.PTR, ttl: 60, rdata: nameRdata(target) });
    expect(result([ptr("a.lab.test"), ptr("b.lab.test")])).toBe(RCODE.REFUSED);
    expect(result([ptr("a.lab.test"), ptr("a.lab.test")])).toHaveLength(1);
    expect(result([ptr("a.lab.test"), { kind: "delete-rrset", name: rev, type: TYPE.PTR }, ptr("b.lab.test")])).toHaveLength(1);
  });
  it("any change to a name holding foreign records is REFUSED, deletes included", () => {
    expect(result([{ kind: "delete-all", name: n("svc.lab.test") }])).toBe(RCODE.REFUSED);
    expect(result([{ kind: "add", name: n("svc.lab.test"), type: TYPE.A, ttl: 1, rdata: ipv4("10.0.0.1") }])).toBe(RCODE.REFUSED);
  });
});
