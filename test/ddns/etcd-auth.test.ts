import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ddnsKeyPrefixes, parseDdnsConfig } from "../../src/ddns/config.js";
import { startEtcd, type EtcdInstance } from "../_harness/etcd.js";
import { FORWARD, nsupdate, REVERSE4, REVERSE6, startFixture, type Fixture } from "./_fixture.js";

/**
 * etcd as on Porygon: TLS, auth on, and a ddns user whose role holds exactly ddnsKeyPrefixes(config). The daemon
 * works with only those permissions, and it cannot touch the services zone even when asked to.
 */
describe("etcd with TLS and a role limited to ddnsKeyPrefixes", () => {
  let etcd: EtcdInstance;
  let fx: Fixture;
  beforeAll(async () => {
    // Tokens that expire after 2 s idle, so the test can see the daemon authenticate again.
    etcd = await startEtcd({ tls: true, auth: true, args: ["--auth-token-ttl", "2"] });
    const shape = parseDdnsConfig({ zones: { forward: [FORWARD], reverse: [REVERSE4, REVERSE6] }, tsig: { name: "k", secretFile: "/x" }, etcd: {} });
    await etcd.ctl(["role", "add", "h5b-ddns"]);
    for (const p of ddnsKeyPrefixes(shape)) {
      await etcd.ctl(["role", "grant-permission", ...(p.prefix ? ["--prefix=true"] : []), "h5b-ddns", p.access, p.key]);
    }
    await etcd.ctl(["user", "add", "h5b-ddns:ddns-password-1"]);
    await etcd.ctl(["user", "grant-role", "h5b-ddns", "h5b-ddns"]);
    // external-dns's records in the services zone, which the ddns role cannot reach.
    await etcd.ctl(["put", "/skydns/test/svc/web/1a2b3c4d", '{"host":"10.99.0.200","ttl":300}']);
    const dir = etcd.dir;
    await writeFile(join(dir, "ddns.pw"), "ddns-password-1\n");
    fx = await startFixture(
      { etcd: { endpoints: etcd.endpoints, tls: etcd.tls, username: "h5b-ddns", passwordFile: join(dir, "ddns.pw") } } as never,
      { etcd },
    );
  });
  afterAll(async () => {
    await fx?.close();
    await etcd?.stop();
  });

  it("adds, replaces and deletes with only its prefixes", async () => {
    const s = (b: string) => `server 127.0.0.1 ${fx.port}\n${b}\nsend\n`;
    expect((await nsupdate(s("zone lab.test.\nupdate add a.lab.test. 60 A 10.99.0.1\nupdate add a.lab.test. 60 DHCID AAEBAgME"))).code).toBe(0);
    expect((await nsupdate(s("zone lab.test.\nprereq yxdomain a.lab.test.\nupdate delete a.lab.test. A\nupdate add a.lab.test. 60 A 10.99.0.2"))).code).toBe(0);
    expect((await nsupdate(s("zone 0.99.10.in-addr.arpa.\nupdate add 2.0.99.10.in-addr.arpa. 60 PTR a.lab.test."))).code).toBe(0);
    const keys = Object.keys(await fx.dump());
    expect(keys.filter((k) => k.startsWith("/skydns/test/lab/a/"))).toHaveLength(1);
    expect(keys.filter((k) => k.startsWith("/h5b-ddns/dhcid/a.lab.test/"))).toHaveLength(1);
    expect((await nsupdate(s("zone lab.test.\nupdate delete a.lab.test."))).code).toBe(0);
    expect(Object.keys(await fx.dump()).filter((k) => k.includes("a.lab.test") || k.startsWith("/skydns/test/lab/a/"))).toEqual([]);
  });

  it("a role missing a prefix (permissions mis-set) fails safe: SERVFAIL, nothing written, etcd not marked down", async () => {
    await etcd.ctl(["role", "add", "too-narrow"]);
    await etcd.ctl(["role", "grant-permission", "--prefix=true", "too-narrow", "readwrite", "/skydns/test/lab/"]);
    await etcd.ctl(["user", "add", "narrow:narrow-password-1"]);
    await etcd.ctl(["user", "grant-role", "narrow", "too-narrow"]);
    await writeFile(join(etcd.dir, "narrow.pw"), "narrow-password-1\n");
    const narrow = await startFixture(
      { etcd: { endpoints: etcd.endpoints, tls: etcd.tls, username: "narrow", passwordFile: join(etcd.dir, "narrow.pw") } } as never,
      { etcd },
    );
    try {
      const before = await narrow.dump();
      const r = await nsupdate(`server 127.0.0.1 ${narrow.port}\nzone lab.test.\nupdate add n.lab.test. 60 A 10.99.0.3\nsend\n`);
      expect(r.out).toContain("SERVFAIL");
      expect(await narrow.dump()).toEqual(before);
      expect(narrow.ddns.metrics.etcdUp).toBe(1);
      expect(narrow.ddns.metrics.etcdErrors).toBeGreaterThan(0);
    } finally {
      await narrow.close();
    }
  });

  it("authenticates again when its token has expired", async () => {
    const s = (b: string) => `server 127.0.0.1 ${fx.port}\n${b}\nsend\n`;
    expect((await nsupdate(s("zone lab.test.\nupdate add t1.lab.test. 60 A 10.99.0.11"))).code).toBe(0);
    await new Promise((r) => setTimeout(r, 4000));
    expect((await nsupdate(s("zone lab.test.\nupdate add t2.lab.test. 60 A 10.99.0.12"))).code).toBe(0);
    expect(fx.ddns.metrics.etcdUp).toBe(1);
  });

  it("the services zone is not its zone (NOTAUTH), and the role would refuse it anyway", async () => {
    const r = await nsupdate(`server 127.0.0.1 ${fx.port}\nzone svc.test.\nupdate delete web.svc.test. A\nsend\n`);
    expect(r.out).toContain("NOTAUTH");
    expect(await etcd.ctl(["get", "--print-value-only", "/skydns/test/svc/web/1a2b3c4d"])).toContain("10.99.0.200");
    expect(fx.logs.join("\n")).not.toContain("ddns-password-1");
  });
});
