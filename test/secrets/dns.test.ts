import "reflect-metadata";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { afterAll, describe, expect, it } from "vitest";
import { H5bError } from "../../src/issue.js";
import { buildPlan } from "../../src/plan/build.js";
import { dnsSecrets, ETCD_USERS } from "../../src/secrets/dns.js";
import { SecretStore } from "../../src/secrets/store.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";

const dir = mkdtempSync(join(tmpdir(), "h5b-dns-secrets-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plan = (porygonIpv4 = "10.0.0.53") => {
  const input = defaultHomelabInput();
  (input.hosts.porygon as { addresses: { ipv4: string } }).addresses.ipv4 = porygonIpv4;
  return buildPlan(parseHomelab(input).spec);
};

describe("Porygon's secrets", () => {
  it("are made once and read back unchanged, so builds stay byte-identical", async () => {
    const store = new SecretStore(dir);
    const a = await dnsSecrets(plan(), store);
    const b = await dnsSecrets(plan(), store);
    expect(b.etcdCa).toBe(a.etcdCa);
    expect(b.etcdServer.cert).toBe(a.etcdServer.cert);
    expect(b.etcdClients[ETCD_USERS.ddns].key.reveal()).toBe(a.etcdClients[ETCD_USERS.ddns].key.reveal());
    expect(Buffer.from(a.tsigKey.reveal(), "base64")).toHaveLength(32);
    expect(String(a.tsigKey)).not.toContain(a.tsigKey.reveal());
  });

  it("refuse a TSIG key edited into something kea-dhcp-ddns would not read, without showing it", async () => {
    const own = mkdtempSync(join(dir, "tsig-"));
    const store = new SecretStore(own);
    await dnsSecrets(plan(), store);
    writeFileSync(join(own, "ddns-tsig-key"), "not base64 at all!\n", { mode: 0o600 });
    const e = await dnsSecrets(plan(), store).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(H5bError);
    expect((e as H5bError).issues).toEqual([expect.objectContaining({ code: "secret-malformed", path: join(own, "ddns-tsig-key") })]);
    expect(JSON.stringify((e as H5bError).issues)).not.toContain("not base64");
  });

  it("name Porygon and its addresses in the server certificate; a new address gets a new certificate", async () => {
    const store = new SecretStore(dir);
    const before = await dnsSecrets(plan(), store);
    const san = (pem: string) => new x509.X509Certificate(pem).getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON().map((n) => n.value);
    expect(san(before.etcdServer.cert)).toEqual(["porygon.lan.home.example.org", "porygon", "localhost", "10.0.0.53", "2001:db8:10::53", "127.0.0.1", "::1"]);
    const moved = await dnsSecrets(plan("10.0.0.54"), store);
    expect(san(moved.etcdServer.cert)).toContain("10.0.0.54");
    expect(moved.etcdCa).toBe(before.etcdCa);
    expect(moved.etcdClients[ETCD_USERS.coredns].cert).toBe(before.etcdClients[ETCD_USERS.coredns].cert);
    expect(readdirSync(dir).filter((n) => n.startsWith("etcd-server-"))).toHaveLength(2);
  });

  it("each client certificate's common name is its etcd user (etcd's only login: there are no passwords)", async () => {
    const s = await dnsSecrets(plan(), new SecretStore(dir));
    for (const user of Object.values(ETCD_USERS)) {
      expect(new x509.X509Certificate(s.etcdClients[user].cert).subject).toBe(`CN=${user}`);
    }
    expect(readdirSync(dir).some((n) => n.includes("password"))).toBe(false);
  });
});
