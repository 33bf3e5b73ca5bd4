import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ddnsCommand } from "../../src/cli/ddns.js";
import { loadDdnsConfig, loadDdnsSecrets, parseDdnsConfig } from "../../src/ddns/config.js";
import { H5bError } from "../../src/issue.js";
import { createCa, issueCertificate } from "../../src/secrets/pki.js";

const minimal = { zones: { forward: ["lab.test"] }, tsig: { name: "ddns-key", secretFile: "tsig.key" }, etcd: {} };

function issuesOf(f: () => unknown): { path: string; message: string }[] {
  try {
    f();
  } catch (e) {
    if (e instanceof H5bError) return e.issues.map((i) => ({ path: i.path, message: i.message }));
    throw e;
  }
  return [];
}

describe("ddns config (zod)", () => {
  it("fills every default", () => {
    const c = parseDdnsConfig(minimal);
    expect(c.listen).toEqual([
      { address: "127.0.0.1", port: 53, udp: true, tcp: true },
      { address: "::1", port: 53, udp: true, tcp: true },
    ]);
    expect(c.tsig.algorithm).toBe("hmac-sha256");
    expect(c.etcd).toMatchObject({ endpoints: ["http://127.0.0.1:2379"], prefix: "/skydns/", metaPrefix: "/h5b-ddns/", timeoutMs: 400 });
    expect(c.limits).toEqual({ maxMessageSize: 4096, maxTcpConnections: 64, maxInFlight: 1024, tcpIdleTimeoutMs: 10000, tcpFrameTimeoutMs: 10000, maxBatch: 32 });
    expect(c.owner).toBe("h5b-ddns");
    expect(c.zones.reverse).toEqual([]);
    expect(c.metrics).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ["unknown key", { ...minimal, extra: 1 }, "(root)"],
    ["prefix without trailing slash", { ...minimal, etcd: { prefix: "/skydns" } }, "etcd.prefix"],
    ["meta prefix inside the CoreDNS prefix", { ...minimal, etcd: { metaPrefix: "/skydns/h5b/" } }, "etcd.metaPrefix"],
    ["reverse zone in forward", { ...minimal, zones: { forward: ["0.10.in-addr.arpa"] } }, "zones.forward[0]"],
    ["forward zone in reverse", { ...minimal, zones: { forward: ["lab.test"], reverse: ["lab2.test"] } }, "zones.reverse[0]"],
    ["overlapping zones", { ...minimal, zones: { forward: ["lab.test", "a.lab.test"] } }, "zones.forward[1]"],
    ["bad algorithm", { ...minimal, tsig: { name: "k", algorithm: "hmac-md5", secretFile: "x" } }, "tsig.algorithm"],
    ["bad listen address", { ...minimal, listen: [{ address: "localhost" }] }, "listen[0].address"],
    ["username without password file", { ...minimal, etcd: { username: "ddns" } }, "etcd.passwordFile"],
    ["endpoint without scheme", { ...minimal, etcd: { endpoints: ["127.0.0.1:2379"] } }, "etcd.endpoints[0]"],
    ["tiny message size", { ...minimal, limits: { maxMessageSize: 100 } }, "limits.maxMessageSize"],
  ])("%s is an error at its path", (_, value, path) => {
    expect(issuesOf(() => parseDdnsConfig(value)).map((i) => i.path)).toContain(path);
  });
});

describe("secrets and the CLI", () => {
  let dir: string;
  const SECRET_TEXT = "c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1iZS1wcmludGVk";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "h5b-ddns-cfg-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("relative paths are resolved against the config file, secrets are read from files", async () => {
    await writeFile(join(dir, "tsig.key"), `${SECRET_TEXT}\n`);
    await writeFile(join(dir, "pw"), "etcd-password\n");
    await writeFile(join(dir, "c.json"), JSON.stringify({ ...minimal, etcd: { username: "ddns", passwordFile: "pw" } }));
    const c = await loadDdnsConfig(join(dir, "c.json"));
    expect(c.tsig.secretFile).toBe(join(dir, "tsig.key"));
    const s = await loadDdnsSecrets(c);
    expect(s.tsigSecret.toString()).toBe("secret-that-must-never-be-printed");
    expect(s.etcdPassword).toBe("etcd-password");
  });

  it("a malformed secret is an error naming the field, never the content", async () => {
    await writeFile(join(dir, "bad.key"), "not base64 !! hunter2\n");
    await writeFile(join(dir, "b.json"), JSON.stringify({ ...minimal, tsig: { name: "k", secretFile: "bad.key" } }));
    const c = await loadDdnsConfig(join(dir, "b.json"));
    const err = await loadDdnsSecrets(c).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(H5bError);
    const text = JSON.stringify((err as H5bError).issues);
    expect(text).toContain("tsig.secretFile");
    expect(text).not.toContain("hunter2");
  });

  it("a --config that is not JSON (the key file beside it, say) is an error that quotes none of the file", async () => {
    await writeFile(join(dir, "key-as-config"), `${SECRET_TEXT}\n`);
    await writeFile(join(dir, "cut.json"), '{"listen": [\n  {"address": "::1",\n  "port" 53}]}');
    const message = async (f: string) =>
      loadDdnsConfig(join(dir, f)).then(
        () => "",
        (e: unknown) => (e as H5bError).issues.map((i) => i.message).join(),
      );
    const key = await message("key-as-config");
    expect(key).toContain("is not valid JSON");
    expect(key).not.toContain(SECRET_TEXT.slice(0, 4));
    expect(await message("cut.json")).toContain("line 3, column 10");
  });

  it("TLS files that hold no certificate or key, or a key of another certificate, stop the start naming each file", async () => {
    const ca = await createCa("test CA");
    const a = await issueCertificate(ca, { commonName: "h5b-ddns", usages: ["client"] });
    const b = await issueCertificate(ca, { commonName: "other", usages: ["client"] });
    const files = { "ca.crt": ca.cert, "a.crt": a.cert, "a.key": a.key, "b.key": b.key, "garbage.pem": "garbage\n" };
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    const issues = async (tls: { ca: string; cert: string; key: string }) => {
      await writeFile(join(dir, "t.json"), JSON.stringify({ ...minimal, etcd: { endpoints: ["https://127.0.0.1:2379"], tls } }));
      await writeFile(join(dir, "tsig.key"), `${SECRET_TEXT}\n`);
      const err = await loadDdnsSecrets(await loadDdnsConfig(join(dir, "t.json"))).then(() => undefined, (e: unknown) => e);
      return err instanceof H5bError ? err.issues.map((i) => [i.path, i.message.replaceAll(dir, "<dir>")]) : err;
    };
    expect(await issues({ ca: "ca.crt", cert: "a.crt", key: "a.key" })).toBeUndefined();
    expect(await issues({ ca: "garbage.pem", cert: "a.key", key: "a.crt" })).toEqual([
      ["etcd.tls.ca", "<dir>/garbage.pem does not hold a certificate in PEM"],
      ["etcd.tls.cert", "<dir>/a.key does not hold a certificate in PEM"],
      ["etcd.tls.key", "<dir>/a.crt does not hold a private key in PEM"],
    ]);
    expect(await issues({ ca: "ca.crt", cert: "a.crt", key: "b.key" })).toEqual([["etcd.tls.key", "<dir>/b.key is not the key of the certificate in <dir>/a.crt"]]);
  });

  it("h5b ddns reconcile with a bad config fails as a user error (H5bError) with the field path", async () => {
    await writeFile(join(dir, "d.json"), JSON.stringify({ ...minimal, etcd: { prefix: "nope" } }));
    const cmd = ddnsCommand().exitOverride();
    const err = await cmd.parseAsync(["reconcile", "--config", join(dir, "d.json"), "--leases", "/nonexistent"], { from: "user" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(H5bError);
    expect((err as H5bError).issues.map((i) => i.path)).toContain("etcd.prefix");
  });

  it("h5b ddns without --config is a user error", async () => {
    const err = await ddnsCommand().exitOverride().parseAsync([], { from: "user" }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(H5bError);
    expect((err as H5bError).issues[0]?.path).toBe("--config");
  });
});
