#!/usr/bin/env node
// Benchmark (not a test): the same file of TSIG-signed single-record RFC 2136 updates, sent by dnsperf -u, to
// h5b ddns (etcd behind it) and to Knot DNS (Debian's knotd, same zone, same key), one after the other on this
// machine. Prints updates/s, latency (avg, p50, p99, max), the daemon's peak RSS, and the ratios h5b/Knot.
//
//   npm run bench:ddns                  # 20,000 updates, 100 in flight
//   UPDATES=5000 INFLIGHT=50 npm run bench:ddns
//   QPS=1000 INFLIGHT=32 UPDATES=10000 E2E=0 npm run bench:ddns   # paced (dnsperf -Q), as Kea sends: CPU per update
//
// Needs: etcd, knotd, dnsperf (scripts/debian-packages.txt) and a build (the npm script builds first).
import { spawn } from "node:child_process";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ddnsCommand, groupCommit, processCpu, root, run, SECRET, stop, waitFor, ZONE } from "./_common.mjs";

const UPDATES = Number(process.env.UPDATES ?? 20000);
const INFLIGHT = Number(process.env.INFLIGHT ?? 100);
const QPS = process.env.QPS;

const freePort = () =>
  new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });



/** CPU seconds (user + system) a process has used so far. */
const cpuSeconds = async (pid) => (await processCpu(pid)).seconds;

const perCore = (seconds, wall) => `${((seconds / wall) * 100).toFixed(0)}% of one core`;
const perUpdate = (seconds) => `${((seconds / UPDATES) * 1e6).toFixed(0)} µs per update`;

/** Peak resident set of a process, sampled from /proc (VmHWM is the kernel's own high-water mark). */
async function peakRss(pid) {
  const s = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const m = /VmHWM:\s+(\d+) kB/.exec(s);
  return m ? Number(m[1]) * 1024 : NaN;
}

async function dnsperf(port, file) {
  const { stdout } = await run(
    "dnsperf",
    ["-u", "-s", "127.0.0.1", "-p", String(port), "-d", file, "-n", "1", "-q", String(INFLIGHT), ...(QPS ? ["-Q", QPS] : []), "-t", "5", "-v", "-y", `hmac-sha256:ddns-key:${SECRET}`],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  const lat = [];
  const codes = {};
  for (const line of stdout.split("\n")) {
    const m = /^> (\S+) \S+ ([\d.]+)$/.exec(line);
    if (m) {
      codes[m[1]] = (codes[m[1]] ?? 0) + 1;
      lat.push(Number(m[2]));
    }
  }
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  const rate = Number(/Updates per second:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  const lost = Number(/Updates lost:\s+(\d+)/.exec(stdout)?.[1] ?? NaN);
  return { rate, lost, codes, avg: lat.reduce((a, b) => a + b, 0) / lat.length, p50: q(0.5), p99: q(0.99), max: lat.at(-1) ?? NaN };
}

async function benchH5b(dir, file) {
  const etcdDir = join(dir, "etcd");
  const cport = await freePort();
  const pport = await freePort();
  const endpoint = `http://127.0.0.1:${cport}`;
  // Durable etcd (fsync on), as on Porygon: the comparison with Knot's journal is only fair that way.
  const etcd = spawn("etcd", ["--name", "b", "--data-dir", etcdDir, "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
    "--listen-peer-urls", `http://127.0.0.1:${pport}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${pport}`,
    "--initial-cluster", `b=http://127.0.0.1:${pport}`, "--log-outputs", join(dir, "etcd.log"), "--logger", "zap"], { stdio: "ignore" });
  try {
    await waitFor(async () => (await run("etcdctl", ["--endpoints", endpoint, "endpoint", "health"])).stdout !== undefined, "etcd");
    const port = await freePort();
    const metricsPort = await freePort();
    await writeFile(join(dir, "tsig.key"), `${SECRET}\n`, { mode: 0o600 });
    const config = {
      listen: [{ address: "127.0.0.1", port }],
      zones: { forward: [ZONE] },
      tsig: { name: "ddns-key", algorithm: "hmac-sha256", secretFile: join(dir, "tsig.key") },
      etcd: { endpoints: [endpoint], timeoutMs: 2000 },
      metrics: { address: "127.0.0.1", port: metricsPort },
    };
    await writeFile(join(dir, "ddns.json"), JSON.stringify(config));
    const cmd = await ddnsCommand(join(dir, "ddns.json"));
    let stderr = "";
    // Per-update log lines are read and dropped, as the journal would take them under systemd.
    const daemon = spawn(cmd.command, cmd.args, { env: cmd.env, stdio: ["ignore", "ignore", "pipe"] });
    daemon.stderr.on("data", (d) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    try {
      await waitFor(async () => stderr.includes("ddns listening"), "h5b ddns");
      const c0 = [await cpuSeconds(daemon.pid), await cpuSeconds(etcd.pid)];
      const t0 = performance.now();
      const result = await dnsperf(port, file);
      const wall = (performance.now() - t0) / 1000;
      const used = [(await cpuSeconds(daemon.pid)) - c0[0], (await cpuSeconds(etcd.pid)) - c0[1]];
      result.cpu = `daemon ${perCore(used[0], wall)} (${perUpdate(used[0])}), etcd ${perCore(used[1], wall)} (${perUpdate(used[1])})`;
      result.rss = await peakRss(daemon.pid);
      const g = groupCommit(await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text());
      result.batches = g.transactions;
      result.batchSize = g.updates / g.transactions;
      result.fallbacks = g.fallbacks;
      return result;
    } finally {
      await stop(daemon);
    }
  } finally {
    await stop(etcd);
  }
}

async function benchKnot(dir, file) {
  const port = await freePort();
  for (const d of ["run", "db", "zones"]) await mkdir(join(dir, d), { recursive: true });
  await writeFile(join(dir, "zones", `${ZONE}.zone`), `$TTL 300\n@ IN SOA ns1.${ZONE}. hostmaster.${ZONE}. 1 3600 600 86400 300\n  IN NS ns1.${ZONE}.\nns1 IN A 10.99.0.1\n`);
  await writeFile(join(dir, "knot.conf"), [
    "server:", `    rundir: "${join(dir, "run")}"`, `    listen: 127.0.0.1@${port}`,
    "database:", `    storage: "${join(dir, "db")}"`,
    "log:", `  - target: "${join(dir, "knot.log")}"`, "    any: warning",
    "key:", "  - id: ddns-key", "    algorithm: hmac-sha256", `    secret: ${SECRET}`,
    "acl:", "  - id: ddns_acl", "    key: ddns-key", "    action: update",
    "zone:", `  - domain: ${ZONE}`, `    storage: "${join(dir, "zones")}"`, `    file: "${ZONE}.zone"`, "    acl: ddns_acl", "",
  ].join("\n"));
  const knot = spawn("knotd", ["-c", join(dir, "knot.conf")], { stdio: "ignore" });
  try {
    await waitFor(async () => (await run("dig", ["+short", "+time=1", "+tries=1", "-p", String(port), "@127.0.0.1", ZONE, "SOA"])).stdout.includes("ns1"), "knotd");
    const c0 = await cpuSeconds(knot.pid);
    const t0 = performance.now();
    const result = await dnsperf(port, file);
    const used = (await cpuSeconds(knot.pid)) - c0;
    result.cpu = `knotd ${perCore(used, (performance.now() - t0) / 1000)} (${perUpdate(used)})`;
    result.rss = await peakRss(knot.pid);
    return result;
  } finally {
    await stop(knot);
  }
}

const fmtMs = (s) => `${(s * 1000).toFixed(1)} ms`;
const fmtMb = (b) => `${(b / 1024 / 1024).toFixed(0)} MB`;

const dir = await mkdtemp(join(tmpdir(), "h5b-bench-ddns-"));
try {
  const lines = [];
  for (let i = 0; i < UPDATES; i++) {
    lines.push(ZONE, `add u${i}.${ZONE}. 300 A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, "send");
  }
  const file = join(dir, "updates.txt");
  await writeFile(file, `${lines.join("\n")}\n`);
  console.log(`h5b ddns vs Knot DNS: ${UPDATES} TSIG-signed single-record updates, dnsperf -u -q ${INFLIGHT}${QPS ? ` -Q ${QPS}` : ""}, one run each`);
  await mkdir(join(dir, "h5b"));
  await mkdir(join(dir, "knot"));
  const h = await benchH5b(join(dir, "h5b"), file);
  const k = await benchKnot(join(dir, "knot"), file);
  const row = (name, r) =>
    `${name.padEnd(9)} ${r.rate.toFixed(0).padStart(8)}/s  avg ${fmtMs(r.avg).padStart(9)}  p50 ${fmtMs(r.p50).padStart(9)}  p99 ${fmtMs(r.p99).padStart(9)}  max ${fmtMs(r.max).padStart(9)}  lost ${String(r.lost).padStart(5)}  rss ${fmtMb(r.rss).padStart(6)}  ${JSON.stringify(r.codes)}`;
  console.log(row("h5b ddns", h));
  console.log(row("knot", k));
  console.log(`cpu: ${h.cpu}; ${k.cpu}`);
  console.log(`h5b group commit: ${h.batches} batches, ${h.batchSize.toFixed(1)} updates per batch on average, ${h.fallbacks} fallbacks`);
  const ratio = h.rate / k.rate;
  console.log(`ratio h5b/Knot: rate ${ratio.toFixed(2)}x, p99 ${(h.p99 / k.p99).toFixed(2)}x, rss ${(h.rss / k.rss).toFixed(2)}x`);
  console.log(
    `targets: rate >= 0.8x Knot ${ratio >= 0.8 ? "met" : "NOT met"}; p99 < 50 ms ${h.p99 < 0.05 ? "met" : "NOT met"}; RSS < 100 MB ${h.rss < 100 * 1024 * 1024 ? "met" : "NOT met"}`,
  );
  if (process.getuid?.() === 0 && process.env.E2E !== "0") {
    console.log("");
    await new Promise((res) => spawn(process.execPath, [join(root, "bench/ddns/e2e.mjs")], { stdio: "inherit" }).on("exit", res));
  } else {
    console.log("end to end (perfdhcp -> kea-dhcp4 -> kea-dhcp-ddns): skipped (needs root for network namespaces; E2E=0 skips it)");
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
