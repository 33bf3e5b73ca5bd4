import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { nameWire, parseName } from "../../src/ddns/_names.js";
import { encodeValue } from "../../src/ddns/layout.js";
import { TYPE } from "../../src/ddns/_wire.js";
import { RCODE } from "../../src/ddns/rcode.js";
import { parseTsig, TSIG_ERROR, verifyResponse } from "../../src/ddns/tsig.js";
import { buildUpdate, ipv4, KEY, sendUdp, sign } from "./_client.js";
import { nsupdate, SECRET, servedHosts, useFixture, WRONG_SECRET } from "./_fixture.js";

/** nsupdate (BIND 9.18, dnsutils) is the independent client here: it signs requests and verifies our responses. */
describe("nsupdate against h5b ddns and a real etcd", () => {
  const fx = useFixture({ fresh: true });
  const script = (body: string) => `server 127.0.0.1 ${fx().port}\n${body}\nsend\n`;


  it("a signed add (UDP) is written in the CoreDNS layout with the owner marker, and a signed delete removes it", async () => {
    const r = await nsupdate(script("zone lab.test.\nupdate add manual.lab.test. 300 A 10.99.0.77"));
    expect(r).toEqual({ code: 0, out: "" });
    const keys = await fx().dump();
    const entries = Object.entries(keys);
    expect(entries).toHaveLength(1);
    const [key, value] = entries[0] ?? ["", ""];
    expect(key).toMatch(/^\/skydns\/test\/lab\/manual\/h5b-a-[0-9a-f]{16}$/);
    expect(JSON.parse(value)).toMatchObject({ host: "10.99.0.77", ttl: 300, owner: "h5b-ddns" });
    const d = await nsupdate(script("zone lab.test.\nupdate delete manual.lab.test. A"));
    expect(d.code).toBe(0);
    expect(await fx().dump()).toEqual({});
  });

  it("PTR in a reverse zone over TCP (nsupdate -v) goes at the exact reverse path, where CoreDNS reads it", async () => {
    const { spawn } = await import("node:child_process");
    const out = await new Promise<number>((resolve) => {
      const p = spawn("nsupdate", ["-v", "-y", `hmac-sha256:ddns-key:${SECRET}`], { stdio: ["pipe", "ignore", "ignore"] });
      p.on("close", (c) => resolve(c ?? -1));
      p.stdin.end(script("zone 0.99.10.in-addr.arpa.\nupdate add 77.0.99.10.in-addr.arpa. 600 PTR manual.lab.test."));
    });
    expect(out).toBe(0);
    const keys = await fx().dump();
    const [key, value] = Object.entries(keys)[0] ?? ["", ""];
    expect(key).toBe("/skydns/arpa/in-addr/10/99/0/77");
    expect(JSON.parse(value)).toMatchObject({ host: "manual.lab.test.", ttl: 600 });
  });

  it("a PTR leaf of an earlier version moves to the reverse path on the next replace of the name", async () => {
    const target = nameWire(parseName("old.lab.test"));
    const legacy = `/skydns/arpa/in-addr/10/99/0/78/h5b-ptr-${createHash("sha256").update(target).digest("hex").slice(0, 16)}`;
    const layout = { prefix: "/skydns/", metaPrefix: "/h5b-ddns/", owner: "h5b-ddns" };
    await fx().etcd.ctl(["put", legacy, encodeValue(layout, TYPE.PTR, target, 600)]);
    const r = await nsupdate(script("zone 0.99.10.in-addr.arpa.\nupdate delete 78.0.99.10.in-addr.arpa. PTR\nupdate add 78.0.99.10.in-addr.arpa. 600 PTR new.lab.test."));
    expect(r).toEqual({ code: 0, out: "" });
    const dump = await fx().dump();
    expect(Object.keys(dump)).toEqual(["/skydns/arpa/in-addr/10/99/0/78"]);
    expect(servedHosts(dump, "/skydns/arpa/in-addr/10/99/0/78")).toEqual(["new.lab.test."]);
  });

  it("a wrong secret gets NOTAUTH(BADSIG) and writes nothing", async () => {
    const r = await nsupdate(script("zone lab.test.\nupdate add bad.lab.test. 300 A 10.99.0.78"), WRONG_SECRET);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("NOTAUTH(BADSIG)");
    expect(await fx().dump()).toEqual({});
  });

  it("an unknown key name gets NOTAUTH(BADKEY) and writes nothing", async () => {
    const r = await nsupdate(script("zone lab.test.\nupdate add bad.lab.test. 300 A 10.99.0.78"), SECRET, "other-key");
    expect(r.out).toContain("NOTAUTH(BADKEY)");
    expect(await fx().dump()).toEqual({});
  });

  it("a skewed clock gets NOTAUTH with TSIG error BADTIME, signed, carrying the server's time", async () => {
    const now = Math.floor(Date.now() / 1000);
    const req = buildUpdate({ zone: "lab.test", updates: [{ name: "skew.lab.test", type: TYPE.A, ttl: 300, rdata: ipv4("10.99.0.79") }] });
    const { message, mac } = sign(req, { time: now - 3600, fudge: 300 });
    const res = await sendUdp(fx().port, message);
    expect(res?.rcode).toBe(RCODE.NOTAUTH);
    const tsigRR = res?.additionals.at(-1);
    expect(tsigRR?.type).toBe(TYPE.TSIG);
    const tsig = res && tsigRR ? parseTsig(res, tsigRR) : undefined;
    expect(tsig?.error).toBe(TSIG_ERROR.BADTIME);
    expect(tsig?.timeSigned).toBe(now - 3600);
    expect(Math.abs((tsig?.other.readUIntBE(0, 6) ?? 0) - now)).toBeLessThanOrEqual(2);
    expect(res && verifyResponse(res, KEY, mac)).toBeDefined();
    expect(await fx().dump()).toEqual({});
  });

  it("an update for a zone it does not serve gets NOTAUTH and writes nothing", async () => {
    const r = await nsupdate(script("zone other.test.\nupdate add a.other.test. 300 A 10.99.0.80"));
    expect(r.out).toContain("update failed: NOTAUTH");
    expect(await fx().dump()).toEqual({});
  });

  it("a record outside the zone section's zone gets NOTZONE", async () => {
    const r = await nsupdate(script("zone lab.test.\nupdate add a.other.test. 300 A 10.99.0.80"));
    expect(r.out).toContain("update failed: NOTZONE");
    expect(await fx().dump()).toEqual({});
  });

  it("prerequisite failures give YXDOMAIN, NXDOMAIN, YXRRSET, NXRRSET and write nothing", async () => {
    expect((await nsupdate(script("zone lab.test.\nupdate add held.lab.test. 300 A 10.99.0.81"))).code).toBe(0);
    const before = await fx().dump();
    const cases: [string, string][] = [
      ["prereq nxdomain held.lab.test.", "YXDOMAIN"],
      ["prereq yxdomain free.lab.test.", "NXDOMAIN"],
      ["prereq nxrrset held.lab.test. A", "YXRRSET"],
      ["prereq yxrrset held.lab.test. AAAA", "NXRRSET"],
      ["prereq yxrrset held.lab.test. A 10.99.0.99", "NXRRSET"],
    ];
    for (const [prereq, code] of cases) {
      const r = await nsupdate(script(`zone lab.test.\n${prereq}\nupdate add other.lab.test. 300 A 10.99.0.82`));
      expect(r.out, prereq).toContain(`update failed: ${code}`);
    }
    expect(await fx().dump()).toEqual(before);
    const ok = await nsupdate(script("zone lab.test.\nprereq yxrrset held.lab.test. A 10.99.0.81\nupdate add other.lab.test. 300 A 10.99.0.82"));
    expect(ok.code).toBe(0);
  });

  it("records it did not write (external-dns's layout) are never changed: REFUSED, and they stay intact", async () => {
    await fx().etcd.ctl(["put", "/skydns/test/lab/svc/1a2b3c4d", '{"host":"10.99.0.5","ttl":300,"targetstrip":1}']);
    await fx().etcd.ctl(["put", "/skydns/arpa/in-addr/10/99/0/5", '{"host":"svc.lab.test."}']);
    const before = await fx().dump();
    for (const body of [
      "zone lab.test.\nupdate delete svc.lab.test. A",
      "zone lab.test.\nupdate delete svc.lab.test.",
      "zone lab.test.\nupdate add svc.lab.test. 300 A 10.99.0.6",
      "zone 0.99.10.in-addr.arpa.\nupdate delete 5.0.99.10.in-addr.arpa. PTR",
      "zone 0.99.10.in-addr.arpa.\nupdate add 5.0.99.10.in-addr.arpa. 300 PTR evil.lab.test.",
    ]) {
      const r = await nsupdate(script(body));
      expect(r.out, body).toContain("update failed: REFUSED");
    }
    // A foreign name still counts for prerequisites, as CoreDNS serves it.
    expect((await nsupdate(script("zone lab.test.\nprereq nxdomain svc.lab.test.\nupdate add x.lab.test. 300 A 10.99.0.7"))).out).toContain("YXDOMAIN");
    expect(await fx().dump()).toEqual(before);
    expect(fx().logs.some((l) => l.includes("result=REFUSED") && l.includes("did not write"))).toBe(true);
  });

  it("a name with more keys below it than it may read is REFUSED, and etcd is not marked down", async () => {
    for (let i = 0; i < 70; i++) await fx().etcd.ctl(["put", `/skydns/test/lab/big/${i.toString(16).padStart(8, "0")}`, '{"host":"10.99.0.9"}']);
    const r = await nsupdate(script("zone lab.test.\nupdate add big.lab.test. 300 TXT \"x\""));
    expect(r.out).toContain("update failed: REFUSED");
    expect(fx().ddns.metrics.etcdUp).toBe(1);
    expect(fx().logs.at(-1)).toContain("too many records");
  });

  it("types outside A, AAAA, PTR, DHCID, TXT are REFUSED", async () => {
    const r = await nsupdate(script("zone lab.test.\nupdate add m.lab.test. 300 MX 10 m.lab.test."));
    expect(r.out).toContain("update failed: REFUSED");
    expect(await fx().dump()).toEqual({});
  });

  it("logs one line per update with client, key, zone, names, result and milliseconds", async () => {
    fx().logs.length = 0;
    await nsupdate(script("zone lab.test.\nupdate add logme.lab.test. 300 A 10.99.0.90"));
    expect(fx().logs).toHaveLength(1);
    expect(fx().logs[0]).toMatch(/^ddns client=127\.0\.0\.1:\d+ key=ddns-key zone=lab\.test names=logme\.lab\.test op=update result=NOERROR ms=[\d.]+$/);
  });
});
