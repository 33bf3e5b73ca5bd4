/** Runs Debian's kea-dhcp-ddns (D2, Kea 2.2) for tests, pointed at an h5b ddns on loopback. */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../_harness/etcd.js";

const run = promisify(execFile);

export interface D2 {
  readonly port: number;
  readonly configFile: string;
  readonly logFile: string;
  log(): Promise<string>;
  /** Sends one NameChangeRequest as Kea's DHCP servers do: UDP, a two-octet length, then JSON. */
  send(ncr: Ncr): Promise<void>;
  stop(): Promise<void>;
}

export interface Ncr {
  add: boolean;
  fqdn: string;
  ip: string;
  dhcid: Buffer;
  forward?: boolean;
  reverse?: boolean;
  leaseLength?: number;
}

export function d2Config(dir: string, port: number, dnsPort: number, secret: string, domains: { forward: string[]; reverse: string[] }) {
  const servers = [{ "ip-address": "127.0.0.1", port: dnsPort }];
  return {
    DhcpDdns: {
      "ip-address": "127.0.0.1",
      port,
      "dns-server-timeout": 1000,
      "ncr-protocol": "UDP",
      "ncr-format": "JSON",
      "control-socket": { "socket-type": "unix", "socket-name": join(dir, "d2.sock") },
      "tsig-keys": [{ name: "ddns-key", algorithm: "HMAC-SHA256", secret }],
      "forward-ddns": { "ddns-domains": domains.forward.map((name) => ({ name: `${name}.`, "key-name": "ddns-key", "dns-servers": servers })) },
      "reverse-ddns": { "ddns-domains": domains.reverse.map((name) => ({ name: `${name}.`, "key-name": "ddns-key", "dns-servers": servers })) },
      loggers: [{ name: "kea-dhcp-ddns", output_options: [{ output: join(dir, "d2.log") }], severity: "DEBUG", debuglevel: 50 }],
    },
  };
}

export async function checkD2Config(file: string, dir: string): Promise<string> {
  const env = { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir };
  const r = await run("kea-dhcp-ddns", ["-t", file], { env });
  return r.stdout + r.stderr;
}

export async function startD2(dir: string, dnsPort: number, secret: string, domains: { forward: string[]; reverse: string[] }): Promise<D2> {
  const port = await freePort();
  const configFile = join(dir, "d2.json");
  const logFile = join(dir, "d2.log");
  await writeFile(configFile, JSON.stringify(d2Config(dir, port, dnsPort, secret, domains), null, 2));
  await checkD2Config(configFile, dir);
  const env = { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir };
  const child: ChildProcess = spawn("kea-dhcp-ddns", ["-c", configFile], { env, stdio: "ignore" });
  const log = async () => readFile(logFile, "utf8").catch(() => "");
  const deadline = Date.now() + 10_000;
  while (!(await log()).includes("DHCP_DDNS_STARTED")) {
    if (child.exitCode !== null) throw new Error(`kea-dhcp-ddns exited: ${await log()}`);
    if (Date.now() > deadline) throw new Error("kea-dhcp-ddns did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    configFile,
    logFile,
    log,
    async send(n) {
      const expires = new Date(Date.now() + (n.leaseLength ?? 600) * 1000).toISOString().replace(/[-:T]/g, "").slice(0, 14);
      const json = JSON.stringify({
        "change-type": n.add ? 0 : 1,
        "forward-change": n.forward ?? true,
        "reverse-change": n.reverse ?? true,
        fqdn: n.fqdn,
        "ip-address": n.ip,
        dhcid: n.dhcid.toString("hex").toUpperCase(),
        "lease-expires-on": expires,
        "lease-length": n.leaseLength ?? 600,
        "use-conflict-resolution": true,
      });
      const body = Buffer.from(json);
      const wire = Buffer.alloc(2 + body.length);
      wire.writeUInt16BE(body.length, 0);
      body.copy(wire, 2);
      const s = createSocket("udp4");
      await new Promise<void>((resolve, reject) => s.send(wire, port, "127.0.0.1", (e) => (e ? reject(e) : resolve())));
      s.close();
    },
    async stop() {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      });
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `ms`. */
export async function waitFor<T>(check: () => Promise<T | undefined>, ms = 8000, what = "condition"): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
