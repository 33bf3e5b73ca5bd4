import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveChecksums } from "../../src/deploy/checksums.js";
import { verifyMinisign } from "../../src/deploy/minisign.js";
import { DNSCRYPT_PROXY_MINISIGN_KEY } from "../../src/emit/ansible/_releases.js";

/** A minisign key pair and signer made with Node's Ed25519, laid out as minisign lays its files out. */
function minisignKey() {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const keyId = randomBytes(8);
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
  const pub = Buffer.concat([Buffer.from("Ed"), keyId, raw]).toString("base64");
  const signFile = (data: Buffer, comment = "timestamp:1700000000\tfile:release.tar.gz\thashed", alg = "ED") => {
    const message = alg === "ED" ? createHash("blake2b512").update(data).digest() : data;
    const sig = sign(null, message, privateKey);
    const global = sign(null, Buffer.concat([sig, Buffer.from(comment)]), privateKey);
    return [
      "untrusted comment: signature from minisign secret key",
      Buffer.concat([Buffer.from(alg), keyId, sig]).toString("base64"),
      `trusted comment: ${comment}`,
      global.toString("base64"),
      "",
    ].join("\n");
  };
  return { pub, signFile };
}

describe("minisign verification", () => {
  const { pub, signFile } = minisignKey();
  const data = randomBytes(4096);

  it("accepts a prehashed signature and its legacy form, returning the trusted comment", () => {
    expect(verifyMinisign(data, signFile(data), pub)).toBe("timestamp:1700000000\tfile:release.tar.gz\thashed");
    expect(verifyMinisign(data, signFile(data, "legacy", "Ed"), pub)).toBe("legacy");
  });

  it.each([
    ["a changed file", () => verifyMinisign(Buffer.concat([data, Buffer.from("x")]), signFile(data), pub), /does not match the file/],
    ["another key", () => verifyMinisign(data, minisignKey().signFile(data), pub), /signed with another key/],
    ["an altered trusted comment", () => verifyMinisign(data, signFile(data).replace("hashed", "trusted"), pub), /trusted comment was altered/],
    ["a file that is no signature", () => verifyMinisign(data, "hello\n", pub), /not a minisign signature file/],
    ["a bad public key", () => verifyMinisign(data, signFile(data), "AAAA"), /not a minisign public key/],
  ])("refuses %s", (_name, run, message) => expect(run).toThrow(message));

  it("knows dnscrypt-proxy's published key", () => {
    expect(Buffer.from(DNSCRYPT_PROXY_MINISIGN_KEY, "base64").subarray(0, 2).toString()).toBe("Ed");
    expect(Buffer.from(DNSCRYPT_PROXY_MINISIGN_KEY, "base64")).toHaveLength(42);
  });
});

describe("a release with a signature instead of a checksum file", () => {
  const dir = mkdtempSync(join(tmpdir(), "h5b-minisign-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const { pub, signFile } = minisignKey();
  const archive = randomBytes(10_000);
  const release = {
    name: "dnscrypt-proxy",
    version: "2.1.18",
    url: "https://example.org/dnscrypt-proxy.tar.gz",
    file: "dnscrypt-proxy.tar.gz",
    signature: { url: "https://example.org/dnscrypt-proxy.tar.gz.minisig", publicKey: pub },
    binaries: [{ to: "/usr/local/bin/dnscrypt-proxy" }],
  };

  it("is verified, and the verified archive's sha256 is pinned", async () => {
    const pin = join(dir, "ok.json");
    const r = await resolveChecksums([release], pin, () => Promise.resolve(signFile(archive)), () => Promise.resolve(archive));
    const sha = createHash("sha256").update(archive).digest("hex");
    expect(r).toEqual({ checksums: { [release.url]: sha }, missing: [] });
    expect(JSON.parse(readFileSync(pin, "utf8"))).toEqual({ [release.url]: sha });
  });

  it("is not pinned when the download does not match its signature", async () => {
    const r = await resolveChecksums([release], join(dir, "bad.json"), () => Promise.resolve(signFile(archive)), () => Promise.resolve(randomBytes(10)));
    expect(r.checksums).toEqual({});
    expect(r.missing.map((m) => m.reason)).toEqual([`dnscrypt-proxy's signature (${release.signature.url}) did not verify: the signature does not match the file`]);
  });

  it("says the download failed, not the signature, when offline", async () => {
    const offline = () => Promise.reject(new Error("fetch failed", { cause: new Error("getaddrinfo ENOTFOUND example.org") }));
    const r = await resolveChecksums([release], join(dir, "offline.json"), offline, offline);
    expect(r.missing.map((m) => m.reason)).toEqual([`could not download ${release.url} or its signature to verify it: getaddrinfo ENOTFOUND example.org`]);
  });
});
