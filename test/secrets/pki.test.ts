import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { createCa, issueCertificate, joinPair, splitPair } from "../../src/secrets/pki.js";

const dir = mkdtempSync(join(tmpdir(), "h5b-pki-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("etcd PKI", () => {
  it("issues certificates that openssl verifies against the CA, with the requested names and uses", async () => {
    const ca = await createCa("h5b test CA");
    const server = await issueCertificate(ca, {
      commonName: "porygon.lan.example",
      dnsNames: ["porygon.lan.example", "localhost"],
      ipAddresses: ["10.0.0.53", "2001:db8::53"],
      usages: ["server", "client"],
    });
    const client = await issueCertificate(ca, { commonName: "coredns", usages: ["client"] });
    writeFileSync(join(dir, "ca.pem"), ca.cert);
    writeFileSync(join(dir, "server.pem"), server.cert);
    writeFileSync(join(dir, "client.pem"), client.cert);
    const verify = (file: string, purpose: string) => execa("openssl", ["verify", "-purpose", purpose, "-CAfile", join(dir, "ca.pem"), join(dir, file)], { reject: false });
    expect((await verify("server.pem", "sslserver")).exitCode).toBe(0);
    expect((await verify("client.pem", "sslclient")).exitCode).toBe(0);
    expect((await verify("client.pem", "sslserver")).exitCode).not.toBe(0);
    const text = (await execa("openssl", ["x509", "-noout", "-text", "-in", join(dir, "server.pem")])).stdout;
    expect(text).toContain("DNS:porygon.lan.example, DNS:localhost, IP Address:10.0.0.53, IP Address:2001:DB8:0:0:0:0:0:53");
    expect((await execa("openssl", ["x509", "-noout", "-subject", "-in", join(dir, "client.pem")])).stdout).toContain("CN = coredns");
  });

  it("keeps a pair in one text and splits it back", async () => {
    const ca = await createCa("h5b test CA");
    expect(splitPair(joinPair(ca))).toEqual({ cert: `${ca.cert.trim()}\n`, key: `${ca.key.trim()}\n` });
    expect(() => splitPair("garbage")).toThrow();
  });
});
