/** Shared fixture for the daemon's integration tests: an etcd, a TSIG secret file, and a daemon on loopback. */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseDdnsConfig, startDdns, type DdnsConfig, type DdnsConfigInput, type DdnsHandle } from "../../src/ddns/index.js";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { startEtcd, type EtcdInstance } from "../_harness/etcd.js";

const run = promisify(execFile);

export const SECRET = "P8FSvUgAgJS1tB4h36xXCr7KG+lxjtZaY18BRSFoBlw=";
export const WRONG_SECRET = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
export const FORWARD = "lab.test";
export const REVERSE4 = "0.99.10.in-addr.arpa";
export const REVERSE6 = "0.0.0.0.0.0.0.0.0.0.0.0.9.9.d.f.ip6.arpa";

export interface Fixture {
  readonly etcd: EtcdInstance;
  readonly ddns: DdnsHandle;
  readonly config: DdnsConfig;
  readonly port: number;
  readonly dir: string;
  readonly logs: string[];
  /** Path of the config as a JSON file (for the CLI functions that read one). */
  readonly configFile: string;
  /** Every key/value under the CoreDNS prefix and the daemon's prefix. */
  dump(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function startFixture(
  overrides: Partial<DdnsConfigInput> = {},
  opts: { etcd?: EtcdInstance; now?: () => number } = {},
): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), "h5b-ddns-"));
  const etcd = opts.etcd ?? (await startEtcd());
  await writeFile(join(dir, "tsig.key"), `${SECRET}\n`, { mode: 0o600 });
  const config = parseDdnsConfig({
    listen: [{ address: "127.0.0.1", port: 0 }],
    zones: { forward: [FORWARD], reverse: [REVERSE4, REVERSE6] },
    tsig: { name: "ddns-key", algorithm: "hmac-sha256", secretFile: join(dir, "tsig.key") },
    ...overrides,
    etcd: { endpoints: etcd.endpoints, ...overrides.etcd },
  });
  const logs: string[] = [];
  const ddns = await startDdns(config, { logger: (l) => logs.push(l), ...(opts.now ? { now: opts.now } : {}) });
  const port = ddns.listening[0]?.port ?? 0;
  const configFile = join(dir, "ddns.json");
  await writeFile(configFile, JSON.stringify(config));
  return {
    etcd,
    ddns,
    config,
    port,
    dir,
    logs,
    configFile,
    async dump() {
      const out: Record<string, string> = {};
      for (const prefix of ["/skydns/", "/h5b-ddns/"]) {
        const text = await etcd.ctl(["get", "--prefix", prefix]);
        const lines = text.split("\n").filter((l) => l !== "");
        for (let i = 0; i + 1 < lines.length; i += 2) out[lines[i] ?? ""] = lines[i + 1] ?? "";
      }
      return out;
    },
    async close() {
      await ddns.close();
      if (!opts.etcd) await etcd.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The `host` values CoreDNS's etcd plugin answers for the name at `path` (with or without its trailing `/`), read
 * from a dump as CoreDNS reads etcd: a PTR question (a name under `arpa`) reads the exact key alone; any other
 * reads every key below the path, or the path itself when nothing is below.
 */
export function servedHosts(dump: Readonly<Record<string, string>>, path: string): string[] {
  const exact = path.replace(/\/$/, "");
  const host = (v: string) => (JSON.parse(v) as { host: string }).host;
  const at = dump[exact] !== undefined ? [host(dump[exact])] : [];
  if (exact.includes("/arpa/")) return at;
  const below = Object.entries(dump)
    .filter(([k]) => k.startsWith(`${exact}/`))
    .map(([, v]) => host(v));
  return (below.length > 0 ? below : at).sort();
}

/** Runs nsupdate (BIND's) with a script; resolves with its exit code and output, never throws on failure. */
export async function nsupdate(script: string, secret = SECRET, key = "ddns-key", alg = "hmac-sha256"): Promise<{ code: number; out: string }> {
  const { spawn } = await import("node:child_process");
  return new Promise((resolve) => {
    const p = spawn("nsupdate", ["-y", `${alg}:${key}:${secret}`, "-t", "3"], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    p.on("close", (code) => resolve({ code: code ?? -1, out }));
    p.stdin.end(script);
  });
}

export async function dig(args: readonly string[]): Promise<string> {
  return (await run("dig", [...args])).stdout;
}

/**
 * The fixture of the enclosing `describe`: started before its tests and closed after them; with `fresh`, etcd is
 * emptied before each test. The getter throws until it has started.
 */
export function useFixture(opts: { readonly fresh?: boolean } = {}): () => Fixture {
  let fx: Fixture | undefined;
  beforeAll(async () => {
    fx = await startFixture();
  });
  afterAll(async () => {
    await fx?.close();
  });
  if (opts.fresh) {
    beforeEach(async () => {
      await fx?.etcd.ctl(["del", "--prefix", "/"]);
    });
  }
  return () => {
    if (fx === undefined) throw new Error("the daemon's fixture has not started");
    return fx;
  };
}
