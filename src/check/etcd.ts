import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { parse } from "yaml";
import { missingProgram, programEnv } from "./_program.js";
import type { CheckContext, Checker, Finding, Skipped } from "./types.js";

/** Keys of etcd's configuration file (embed.Config, 3.4 to 3.6); `experimental-*` ones come and go. */
const KEYS = new Set([
  "name", "data-dir", "wal-dir", "snapshot-count", "heartbeat-interval", "election-timeout", "initial-election-tick-advance",
  "quota-backend-bytes", "backend-batch-limit", "backend-batch-interval", "max-txn-ops", "max-request-bytes", "listen-peer-urls",
  "listen-client-urls", "listen-client-http-urls", "enable-grpc-gateway", "listen-metrics-urls", "max-snapshots", "max-wals", "cors", "host-whitelist",
  "initial-advertise-peer-urls", "advertise-client-urls", "discovery", "discovery-fallback", "discovery-proxy", "discovery-srv",
  "discovery-srv-name", "initial-cluster", "initial-cluster-token", "initial-cluster-state", "strict-reconfig-check", "enable-v2",
  "enable-pprof", "proxy", "proxy-failure-wait", "proxy-refresh-interval", "proxy-dial-timeout", "proxy-write-timeout",
  "proxy-read-timeout", "client-transport-security", "peer-transport-security", "debug", "log-level", "logger", "log-outputs",
  "log-format", "log-rotation-config-json", "enable-log-rotation", "force-new-cluster", "auto-compaction-mode",
  "auto-compaction-retention", "cipher-suites", "tls-min-version", "tls-max-version", "unsafe-no-fsync", "metrics", "auth-token",
  "auth-token-ttl", "bcrypt-cost", "grpc-keepalive-min-time", "grpc-keepalive-interval", "grpc-keepalive-timeout",
  "self-signed-cert-validity", "socket-reuse-port", "socket-reuse-address", "feature-gates", "snapshot-catchup-entries",
  "max-concurrent-streams", "corrupt-check-time", "compact-hash-check-time",
]);
const TLS_KEYS = new Set([
  "cert-file", "key-file", "client-cert-file", "client-key-file", "client-cert-auth", "trusted-ca-file", "auto-tls", "allowed-cn",
  "allowed-hostname", "crl-file", "skip-client-san-verification",
]);
const FILE_KEYS = ["cert-file", "key-file", "trusted-ca-file", "client-cert-file", "client-key-file", "crl-file"];
const CONFIG = /^hosts\/([^/]+)\/etc\/etcd\/etcd\.conf\.yml$/;
const READY = /ready to serve client requests|serving client traffic securely/;

/**
 * etcd's config parses and holds only keys etcd knows; then, when etcd is installed, the server starts from it
 * in a throwaway namespace that owns the addresses it listens on. Files it names are taken from the output
 * (systemd credentials through the unit's LoadCredential lines); only the data folder moves.
 */
export const etcdChecker: Checker = {
  name: "etcd",
  description: "etcd's configuration has only etcd's keys and the server starts with it (when etcd is installed)",
  async run(ctx) {
    const findings: Finding[] = [];
    const skipped: Skipped[] = [];
    for (const [path, text] of ctx.files) {
      const m = CONFIG.exec(path);
      if (m === null) continue;
      const f = (message: string) => findings.push({ check: this.name, where: path, message });
      let cfg: Record<string, unknown>;
      try {
        cfg = (parse(text) ?? {}) as Record<string, unknown>;
      } catch (e) {
        f(`is not YAML: ${(e as Error).message.split("\n")[0]}`);
        continue;
      }
      for (const k of Object.keys(cfg)) if (!KEYS.has(k) && !k.startsWith("experimental-")) f(`${k} is not an etcd setting`);
      for (const side of ["client-transport-security", "peer-transport-security"]) {
        const t = cfg[side];
        if (t !== undefined) for (const k of Object.keys(t as object)) if (!TLS_KEYS.has(k)) f(`${side}.${k} is not an etcd setting`);
      }
      if (findings.length > 0) continue;
      const missing = missingProgram(this.name, [["etcd", "etcd-server"], ["ip", "iproute2"], ["unshare", "util-linux"]]);
      if (missing !== undefined) {
        skipped.push(missing);
        continue;
      }
      const problem = await startsWith(ctx, m[1] as string, cfg);
      if (problem !== undefined) f(problem);
    }
    return { findings, skipped };
  },
};

/** Where a file the config names is in the output, following systemd credentials back to their source. */
function outputPathOf(ctx: CheckContext, host: string, file: string): string | undefined {
  const cred = /^\/run\/credentials\/([^/]+)\/(.+)$/.exec(file);
  let source = file;
  if (cred !== null) {
    const dropins = [...ctx.files].filter(([p]) => p.startsWith(`hosts/${host}/etc/systemd/system/${cred[1]}`));
    const line = dropins.flatMap(([, t]) => t.split("\n")).find((l) => l.startsWith(`LoadCredential=${cred[2]}:`));
    if (line === undefined) return undefined;
    source = line.slice(`LoadCredential=${cred[2]}:`.length);
  }
  const p = `hosts/${host}${source}`;
  return ctx.files.has(p) ? p : undefined;
}

async function startsWith(ctx: CheckContext, host: string, cfg: Record<string, unknown>): Promise<string | undefined> {
  const tmp = mkdtempSync(join(tmpdir(), "h5b-check-etcd-"));
  try {
    const tls = { ...(cfg["client-transport-security"] as Record<string, unknown> | undefined) };
    for (const k of FILE_KEYS) {
      const file = tls[k];
      if (typeof file !== "string") continue;
      const out = outputPathOf(ctx, host, file);
      if (out === undefined) return `client-transport-security.${k} names ${file}, which the output does not provide`;
      const local = join(tmp, k);
      writeFileSync(local, ctx.files.get(out) as string, { mode: 0o600 });
      tls[k] = local;
    }
    const log = join(tmp, "etcd.log");
    const conf = { ...cfg, "data-dir": join(tmp, "data"), "log-outputs": [log], "client-transport-security": tls };
    writeFileSync(join(tmp, "etcd.conf.yml"), JSON.stringify(conf));
    const urls = ["listen-client-urls", "listen-peer-urls"].flatMap((k) => String(cfg[k] ?? "").split(",")).filter(Boolean);
    const addresses = [...new Set(urls.map((u) => new URL(u).hostname.replace(/^\[|\]$/g, "")))];
    const script = 'ip link set lo up && for a in "$@"; do ip addr add "$a" dev lo 2>/dev/null; done; exec etcd';
    const child = execa("unshare", ["--user", "--map-root-user", "--net", "sh", "-c", script, "sh", ...addresses], {
      reject: false,
      env: { ...programEnv(), ETCD_CONFIG_FILE: join(tmp, "etcd.conf.yml") },
    });
    const deadline = Date.now() + 20_000;
    let text = "";
    while (Date.now() < deadline && child.exitCode === null) {
      await new Promise((r) => setTimeout(r, 200));
      try {
        text = readFileSync(log, "utf8");
      } catch {
        // not yet written
      }
      if (READY.test(text)) break;
    }
    const exited = child.exitCode !== null;
    child.kill("SIGTERM");
    const { stderr } = await child;
    if (READY.test(text)) return undefined;
    // Errors before the logger is set up (a bad value in the file) go to stderr only.
    const last = `${text}\n${String(stderr)}`.trim().split("\n").slice(-2).join(" ") || "(no output)";
    return exited ? `etcd exits at start with it: ${last}` : `etcd did not become ready within 20 s: ${last}`;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
