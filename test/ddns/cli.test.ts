import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startEtcd, type EtcdInstance } from "../_harness/etcd.js";
import { nsupdate, SECRET } from "./_fixture.js";

const entry = fileURLToPath(new URL("../../dist/ddns/main.js", import.meta.url));

/** The built stand-alone entry (`node dist/ddns/main.js`), as systemd would run it on Porygon. */
describe("h5b ddns as a process", () => {
  let etcd: EtcdInstance;
  let dir: string;
  beforeAll(async () => {
    etcd = await startEtcd();
    dir = await mkdtemp(join(tmpdir(), "h5b-ddns-cli-"));
    await writeFile(join(dir, "tsig.key"), `${SECRET}\n`);
    await writeFile(join(dir, "pw"), "super-secret-etcd-password\n");
  });
  afterAll(async () => {
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const start = (args: string[]) => {
    const p = spawn(process.execPath, [entry, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number>((r) => p.on("exit", (code) => r(code ?? -1)));
    return { p, output: () => out, exited };
  };

  it("runs from a config file, answers updates, logs them, and stops on SIGTERM with exit code 0", async () => {
    const port = await freePort();
    await writeFile(
      join(dir, "ddns.json"),
      JSON.stringify({ listen: [{ address: "127.0.0.1", port }], zones: { forward: ["lab.test"] }, tsig: { name: "ddns-key", secretFile: "tsig.key" }, etcd: { endpoints: etcd.endpoints } }),
    );
    const d = start(["--config", join(dir, "ddns.json")]);
    const deadline = Date.now() + 15_000;
    while (!d.output().includes("ddns listening")) {
      if (Date.now() > deadline) throw new Error(`no start: ${d.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await nsupdate(`server 127.0.0.1 ${port}\nzone lab.test.\nupdate add cli.lab.test. 60 A 10.99.0.1\nsend\n`);
    expect(r.code).toBe(0);
    // SIGHUP (a closed terminal, a reload by habit) neither ends it nor stops it answering.
    d.p.kill("SIGHUP");
    while (!d.output().includes("ddns SIGHUP: ignored")) await new Promise((res) => setTimeout(res, 20));
    expect((await nsupdate(`server 127.0.0.1 ${port}\nzone lab.test.\nupdate add hup.lab.test. 60 A 10.99.0.2\nsend\n`)).code).toBe(0);
    d.p.kill("SIGTERM");
    expect(await d.exited).toBe(0);
    expect(d.output()).toMatch(/ddns client=127\.0\.0\.1:\d+ key=ddns-key zone=lab\.test names=cli\.lab\.test op=update result=NOERROR/);
    expect(d.output()).toContain("ddns stopped");
    expect(d.output()).not.toContain(SECRET);
    expect(await etcd.ctl(["get", "--prefix", "--keys-only", "/skydns/test/lab/cli/"])).toMatch(/h5b-a-/);
  });

  it("a config error exits 2 naming the field, and never prints a secret", async () => {
    await writeFile(
      join(dir, "bad.json"),
      JSON.stringify({ zones: { forward: ["lab.test"] }, tsig: { name: "ddns-key", secretFile: "pw", algorithm: "md5" }, etcd: { username: "u", passwordFile: "pw" } }),
    );
    const d = start(["--config", join(dir, "bad.json")]);
    expect(await d.exited).toBe(2);
    expect(d.output()).toContain("tsig.algorithm");
    expect(d.output()).not.toContain("super-secret-etcd-password");
  });

  it("a listen address whose port is taken exits 2 naming the entry, without a stack", async () => {
    const port = await freePort();
    const taken = createServer().listen(port, "127.0.0.1");
    await once(taken, "listening");
    try {
      await writeFile(
        join(dir, "taken.json"),
        JSON.stringify({ listen: [{ address: "127.0.0.1", port }], zones: { forward: ["lab.test"] }, tsig: { name: "ddns-key", secretFile: "tsig.key" }, etcd: { endpoints: etcd.endpoints } }),
      );
      const d = start(["--config", join(dir, "taken.json")]);
      expect(await d.exited).toBe(2);
      expect(d.output()).toContain(`✖ cannot listen on 127.0.0.1 port ${port}: EADDRINUSE`);
      expect(d.output()).toContain("→ at listen[0]");
      expect(d.output()).not.toMatch(/\n\s+at .*\.js:\d+/);
      // The metrics port too.
      const dnsPort = await freePort();
      await writeFile(
        join(dir, "taken-metrics.json"),
        JSON.stringify({ listen: [{ address: "127.0.0.1", port: dnsPort }], metrics: { address: "127.0.0.1", port }, zones: { forward: ["lab.test"] }, tsig: { name: "ddns-key", secretFile: "tsig.key" }, etcd: { endpoints: etcd.endpoints } }),
      );
      const m = start(["--config", join(dir, "taken-metrics.json")]);
      expect(await m.exited).toBe(2);
      expect(m.output()).toContain(`✖ cannot listen on 127.0.0.1 port ${port}: EADDRINUSE`);
      expect(m.output()).toContain("→ at metrics");
      expect(m.output()).not.toMatch(/\n\s+at .*\.js:\d+/);
    } finally {
      taken.close();
    }
  });

  it("a secret file that is not base64 exits 2 without echoing it", async () => {
    await writeFile(join(dir, "bad2.json"), JSON.stringify({ zones: { forward: ["lab.test"] }, tsig: { name: "ddns-key", secretFile: "pw" }, etcd: { endpoints: etcd.endpoints } }));
    const d = start(["--config", join(dir, "bad2.json")]);
    expect(await d.exited).toBe(2);
    expect(d.output()).toContain("tsig.secretFile");
    expect(d.output()).not.toContain("super-secret-etcd-password");
  });
});
