import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLeaseCsv } from "../../src/ddns/leases.js";
import { SECRET } from "./_fixture.js";
import { waitFor } from "./_kea.js";

const run = promisify(execFile);
const entry = fileURLToPath(new URL("../../dist/ddns/main.js", import.meta.url));
const tag = String(process.pid % 100000);
const NS = `h5bt${tag}s`;
const NC = `h5bt${tag}c`;
const ns = (args: string[]) => run("ip", ["netns", "exec", NS, ...args]);

/**
 * The DHCID that matters is the one kea-dhcp4 computes from a real DHCP exchange: perfdhcp leases addresses from
 * kea-dhcp4 in a network namespace, kea-dhcp-ddns registers them through h5b ddns, and the DHCIDs in etcd must be
 * byte for byte the ones `reconcile` computes from Kea's lease file. Then records lost from etcd are restored by
 * `reconcile` (the stand-alone entry, run in the namespace) with those same DHCIDs.
 */
describe("kea-dhcp4/6 + kea-dhcp-ddns + h5b ddns in a network namespace", () => {
  let dir: string;
  const children: ChildProcess[] = [];
  const start = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const c = spawn("ip", ["netns", "exec", NS, cmd, ...args], { stdio: "ignore", env });
    children.push(c);
    return c;
  };
  const etcdGet = async (prefix: string) => {
    const { stdout } = await ns(["etcdctl", "get", "--prefix", prefix]);
    const lines = stdout.split("\n").filter((l) => l !== "");
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < lines.length; i += 2) out[lines[i] ?? ""] = lines[i + 1] ?? "";
    return out;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "h5b-ddns-netns-"));
    await run("ip", ["netns", "add", NS]);
    await run("ip", ["netns", "add", NC]);
    for (const n of [NS, NC]) {
      await run("ip", ["netns", "exec", n, "ip", "link", "set", "lo", "up"]);
      // Without this the veth addresses stay tentative and neither kea-dhcp6 nor perfdhcp -6 can bind (labnotes);
      // set before the veth exists, so that it inherits the default.
      await run("ip", ["netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"]);
    }
    await run("ip", ["link", "add", `${NS}v`, "netns", NS, "type", "veth", "peer", "name", `${NC}v`, "netns", NC]);
    await ns(["sysctl", "-qw", `net.ipv6.conf.${NS}v.accept_dad=0`]);
    await run("ip", ["netns", "exec", NC, "sysctl", "-qw", `net.ipv6.conf.${NC}v.accept_dad=0`]);
    await ns(["ip", "addr", "add", "10.97.0.1/24", "dev", `${NS}v`]);
    await ns(["ip", "addr", "add", "fd97::1/64", "dev", `${NS}v`, "nodad"]);
    await ns(["ip", "link", "set", `${NS}v`, "up"]);
    await run("ip", ["netns", "exec", NC, "ip", "addr", "add", "10.97.0.2/24", "dev", `${NC}v`]);
    await run("ip", ["netns", "exec", NC, "ip", "link", "set", `${NC}v`, "up"]);

    start("etcd", ["--name", "e", "--data-dir", join(dir, "etcd"), "--logger", "zap", "--log-outputs", join(dir, "etcd.log"), "--unsafe-no-fsync"]);
    await waitFor(async () => ((await ns(["etcdctl", "endpoint", "health"]).then(() => true, () => false)) ? true : undefined), 15_000, "etcd");
    await writeFile(join(dir, "tsig.key"), `${SECRET}\n`);
    await writeFile(join(dir, "ddns.json"), JSON.stringify({
      listen: [{ address: "127.0.0.1", port: 53 }],
      zones: { forward: ["dyn.test"], reverse: ["0.97.10.in-addr.arpa", "0.0.0.0.0.0.0.0.0.0.0.0.7.9.d.f.ip6.arpa"] },
      tsig: { name: "ddns-key", secretFile: join(dir, "tsig.key") },
      etcd: { endpoints: ["http://127.0.0.1:2379"] },
    }));
    const daemon = spawn("ip", ["netns", "exec", NS, process.execPath, entry, "--config", join(dir, "ddns.json")], { stdio: ["ignore", "ignore", "pipe"] });
    children.push(daemon);
    let err = "";
    daemon.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    await waitFor(async () => (err.includes("ddns listening") ? true : undefined), 15_000, "h5b ddns");

    const server = [{ "ip-address": "127.0.0.1", port: 53 }];
    await writeFile(join(dir, "d2.json"), JSON.stringify({
      DhcpDdns: {
        "ip-address": "127.0.0.1", port: 53001, "dns-server-timeout": 1000, "ncr-protocol": "UDP", "ncr-format": "JSON",
        "tsig-keys": [{ name: "ddns-key", algorithm: "HMAC-SHA256", secret: SECRET }],
        "forward-ddns": { "ddns-domains": [{ name: "dyn.test.", "key-name": "ddns-key", "dns-servers": server }] },
        "reverse-ddns": {
          "ddns-domains": ["0.97.10.in-addr.arpa.", "0.0.0.0.0.0.0.0.0.0.0.0.7.9.d.f.ip6.arpa."].map((name) => ({ name, "key-name": "ddns-key", "dns-servers": server })),
        },
        loggers: [{ name: "kea-dhcp-ddns", output_options: [{ output: join(dir, "d2.log") }], severity: "INFO" }],
      },
    }));
    await writeFile(join(dir, "kea4.json"), JSON.stringify({
      Dhcp4: {
        "interfaces-config": { interfaces: [`${NS}v`], "dhcp-socket-type": "raw" },
        "lease-database": { type: "memfile", persist: true, name: join(dir, "kea-leases4.csv"), "lfc-interval": 0 },
        authoritative: true,
        "valid-lifetime": 600,
        subnet4: [{ id: 1, subnet: "10.97.0.0/24", pools: [{ pool: "10.97.0.100 - 10.97.0.200" }] }],
        "dhcp-ddns": { "enable-updates": true, "server-ip": "127.0.0.1", "server-port": 53001, "ncr-protocol": "UDP", "ncr-format": "JSON" },
        "ddns-send-updates": true, "ddns-qualifying-suffix": "dyn.test.", "ddns-override-client-update": true,
        "ddns-override-no-update": true, "ddns-replace-client-name": "always", "ddns-generated-prefix": "h",
        loggers: [{ name: "kea-dhcp4", output_options: [{ output: join(dir, "kea4.log") }], severity: "INFO" }],
      },
    }));
    await writeFile(join(dir, "kea6.json"), JSON.stringify({
      Dhcp6: {
        "interfaces-config": { interfaces: [`${NS}v`] },
        "lease-database": { type: "memfile", persist: true, name: join(dir, "kea-leases6.csv"), "lfc-interval": 0 },
        "server-id": { type: "LL", persist: false },
        "data-directory": dir,
        "preferred-lifetime": 300,
        "valid-lifetime": 600,
        subnet6: [{ id: 1, subnet: "fd97::/64", interface: `${NS}v`, pools: [{ pool: "fd97::100 - fd97::1ff" }] }],
        "dhcp-ddns": { "enable-updates": true, "server-ip": "127.0.0.1", "server-port": 53001, "ncr-protocol": "UDP", "ncr-format": "JSON" },
        "ddns-send-updates": true, "ddns-qualifying-suffix": "dyn.test.", "ddns-override-client-update": true,
        "ddns-override-no-update": true, "ddns-replace-client-name": "always", "ddns-generated-prefix": "h6",
        loggers: [{ name: "kea-dhcp6", output_options: [{ output: join(dir, "kea6.log") }], severity: "INFO" }],
      },
    }));
    const env = { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir };
    start("kea-dhcp-ddns", ["-c", join(dir, "d2.json")], env);
    start("kea-dhcp4", ["-c", join(dir, "kea4.json")], env);
    start("kea-dhcp6", ["-c", join(dir, "kea6.json")], env);
    const logHas = async (f: string, s: string) => ((await readFile(join(dir, f), "utf8").catch(() => "")).includes(s) ? true : undefined);
    await waitFor(() => logHas("d2.log", "DHCP_DDNS_STARTED"), 15_000, "kea-dhcp-ddns");
    await waitFor(() => logHas("kea4.log", "DHCP4_STARTED"), 15_000, "kea-dhcp4");
    await waitFor(() => logHas("kea6.log", "DHCP6_STARTED"), 15_000, "kea-dhcp6");
  });

  afterAll(async () => {
    for (const c of children.reverse()) {
      if (c.exitCode === null) {
        await new Promise<void>((r) => {
          c.once("exit", () => r());
          c.kill("SIGTERM");
          setTimeout(() => c.kill("SIGKILL"), 3000).unref();
        });
      }
    }
    for (const n of [NS, NC]) await run("ip", ["netns", "del", n]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it("perfdhcp's leases get A, PTR and exactly the DHCIDs that reconcile computes from Kea's lease file", async () => {
    const leases = await waitFor(async () => {
      await run("ip", ["netns", "exec", NC, "perfdhcp", "-4", "-l", `${NC}v`, "-r", "20", "-R", "10", "-n", "10", "-d", "1"]).catch(() => undefined);
      const l = parseLeaseCsv(await readFile(join(dir, "kea-leases4.csv"), "utf8").catch(() => "address,expire\n"));
      return l.length >= 5 ? l : undefined;
    }, 30_000, "leases");
    const d2Done = async () => ((await readFile(join(dir, "d2.log"), "utf8")).match(/DHCP_DDNS_ADD_SUCCEEDED/g) ?? []).length;
    await waitFor(async () => ((await d2Done()) >= leases.length ? true : undefined), 20_000, "kea-dhcp-ddns to finish");
    const dhcids = await etcdGet("/h5b-ddns/dhcid/");
    const skydns = await etcdGet("/skydns/");
    for (const l of leases) {
      const fqdn = l.fqdn.join(".");
      expect(fqdn).toMatch(/^h-10-97-0-\d+\.dyn\.test$/);
      const stored = Object.entries(dhcids).filter(([k]) => k.startsWith(`/h5b-ddns/dhcid/${fqdn}/`)).map(([, v]) => (JSON.parse(v) as { rdata: string }).rdata);
      expect(stored, fqdn).toEqual([l.dhcid?.toString("base64")]);
      const a = Object.entries(skydns).filter(([k]) => k.startsWith(`/skydns/test/dyn/${l.fqdn[0]}/`)).map(([, v]) => (JSON.parse(v) as { host: string }).host);
      expect(a).toEqual([l.address]);
    }
  });

  it("DHCPv6: AAAA, ip6.arpa PTR and the DUID-based DHCIDs reconcile computes", async () => {
    // Until the interfaces are fully up the first exchanges can be lost: run perfdhcp again until Kea holds leases.
    const leases = await waitFor(async () => {
      await run("ip", ["netns", "exec", NC, "perfdhcp", "-6", "-l", `${NC}v`, "-r", "20", "-R", "5", "-n", "5", "-d", "1"]).catch(() => undefined);
      const l = parseLeaseCsv(await readFile(join(dir, "kea-leases6.csv"), "utf8").catch(() => "address,duid,expire\n"));
      return l.length >= 3 ? l : undefined;
    }, 30_000, "v6 leases");
    const added = async () => ((await readFile(join(dir, "d2.log"), "utf8")).match(/IP Address: \[fd97/g) ?? []).length;
    await waitFor(async () => ((await added()) >= leases.length ? true : undefined), 20_000, "kea-dhcp-ddns (v6)");
    const dhcids = await etcdGet("/h5b-ddns/dhcid/");
    const skydns = await etcdGet("/skydns/");
    for (const l of leases) {
      const fqdn = l.fqdn.join(".");
      expect(fqdn).toMatch(/^h6-fd97-.*\.dyn\.test$/);
      const stored = Object.entries(dhcids).filter(([k]) => k.startsWith(`/h5b-ddns/dhcid/${fqdn}/`)).map(([, v]) => (JSON.parse(v) as { rdata: string }).rdata);
      expect(stored, fqdn).toEqual([l.dhcid?.toString("base64")]);
      expect(l.dhcid?.readUInt16BE(0)).toBe(2);
      const aaaa = Object.entries(skydns).filter(([k]) => k.startsWith(`/skydns/test/dyn/${l.fqdn[0]}/`)).map(([, v]) => (JSON.parse(v) as { host: string }).host);
      expect(aaaa).toEqual([l.address]);
    }
    expect(Object.keys(skydns).filter((k) => k.startsWith("/skydns/arpa/ip6/f/d/9/7/")).length).toBe(leases.length);
  });

  it("records lost from etcd are restored by reconcile, with Kea's DHCIDs", async () => {
    const before = { ...(await etcdGet("/skydns/")), ...(await etcdGet("/h5b-ddns/")) };
    await ns(["etcdctl", "del", "--prefix", "/skydns/test/dyn/"]);
    await ns(["etcdctl", "del", "--prefix", "/h5b-ddns/dhcid/h-"]);
    await ns(["etcdctl", "del", "--prefix", "/skydns/arpa/ip6/"]);
    const r = await ns([process.execPath, entry, "reconcile", "--config", join(dir, "ddns.json"), "--leases", join(dir, "kea-leases4.csv"), "--leases", join(dir, "kea-leases6.csv")]);
    expect(r.stdout).toMatch(/repaired/);
    const after = { ...(await etcdGet("/skydns/")), ...(await etcdGet("/h5b-ddns/")) };
    expect(after).toEqual(before);
  });
});
