import "reflect-metadata";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { H5bError } from "../../src/issue.js";
import { buildPlan } from "../../src/plan/build.js";
import { dnsSecrets } from "../../src/secrets/dns.js";
import { CaUnusable, createCa, issueCertificate, joinPair } from "../../src/secrets/pki.js";
import { prepareSecrets } from "../../src/secrets/prepare.js";
import { SecretStore } from "../../src/secrets/store.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "h5b-etcd-ca-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const plan = buildPlan(parseHomelab(defaultHomelabInput()).spec);
const ca = () => join(dir, "etcd-ca");

/** A CA made elsewhere with an RSA key: a fine CA, but not one h5b signs with (ECDSA P-256). */
async function rsaCa(): Promise<string> {
  const alg = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 } as const;
  const keys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({ name: "CN=someone else's CA", keys, signingAlgorithm: alg, extensions: [new x509.BasicConstraintsExtension(true, 0, true)] });
  return joinPair({ cert: cert.toString("pem"), key: x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY") });
}

/** The issues of a failed build of Porygon's secrets, through the one entry a build uses and the direct one. */
async function refusals(): Promise<unknown[]> {
  const store = new SecretStore(dir);
  return [await prepareSecrets(plan, store).catch((e: unknown) => e), await dnsSecrets(plan, store).catch((e: unknown) => e)];
}

describe("an etcd CA h5b cannot sign with", () => {
  const spoil: Record<string, (text: string) => Promise<string> | string> = {
    "a changed letter in the certificate": (t) => t.replace(/^MIIB/m, "MXXB"),
    "a changed letter in the key": (t) => t.replace(/^(MI[A-Za-z0-9+/]{6})/m, "AAAAAAAA"),
    "the key of another CA": async (t) => t.replace(/-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/, (await createCa("another")).key.trim()),
    "an RSA CA": () => rsaCa(),
  };
  for (const [what, edit] of Object.entries(spoil)) {
    it(`is refused at its file, without a stack or its content: ${what}`, async () => {
      await prepareSecrets(plan, new SecretStore(dir));
      // The server's certificate must be issued again, which is when the CA's key is first used.
      for (const n of readdirSync(dir).filter((n) => n.startsWith("etcd-server-"))) rmSync(join(dir, n));
      const text = await edit(readFileSync(ca(), "utf8"));
      expect(text).not.toBe(readFileSync(ca(), "utf8"));
      writeFileSync(ca(), text);
      for (const e of await refusals()) {
        expect(e).toBeInstanceOf(H5bError);
        expect((e as H5bError).issues.map((i) => [i.code, i.path])).toEqual([["secret-malformed", ca()]]);
        for (const line of text.split("\n").filter((l) => !l.startsWith("-----") && l.length > 0)) expect(JSON.stringify((e as H5bError).issues)).not.toContain(line.slice(0, 16));
      }
      expect(readdirSync(dir).filter((n) => n.startsWith("etcd-server-"))).toEqual([]);
    });
  }

  it("is refused even when every certificate it signed is there (it is copied into the rendered files)", async () => {
    await prepareSecrets(plan, new SecretStore(dir));
    writeFileSync(ca(), readFileSync(ca(), "utf8").replace(/^(MI[A-Za-z0-9+/]{6})/m, "AAAAAAAA"));
    for (const e of await refusals()) expect((e as H5bError).issues.map((i) => i.code)).toEqual(["secret-malformed"]);
  });

  it("that the X.509 library cannot read is the CA's fault, not a bug", async () => {
    await expect(issueCertificate({ cert: "garbage", key: "garbage" }, { commonName: "x", usages: ["client"] })).rejects.toBeInstanceOf(CaUnusable);
  });
});
