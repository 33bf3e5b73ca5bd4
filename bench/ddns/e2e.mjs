#!/usr/bin/env node
// End-to-end benchmark (not a test; needs root for network namespaces): perfdhcp drives kea-dhcp4 with DDNS on,
// kea-dhcp-ddns sends the TSIG-signed updates to h5b ddns (etcd behind it), then the same run against Knot DNS.
// Reports names registered per second and p50/p99 from the lease allocation (DHCPACK) to kea-dhcp-ddns logging
// the name as added, which it does only after the DNS server confirmed the update (so the record is readable).
//
//   npm run build && node bench/ddns/e2e.mjs            # 3,000 leases at 500/s (npm run bench:ddns runs it too)
//   LEASES=6000 RATE=1500 node bench/ddns/e2e.mjs
//
// kea-dhcp-ddns 2.2 itself tops out near 500 names/s here (its queue then drops requests), whichever DNS server is
// behind it, so the default rate stays just below that: the figure compares the servers, not D2. D2 keeps at most
// 32 transactions (names) in flight, each a forward then a reverse update, so a server whose round trip grows past
// about 25 ms makes D2's own queue grow, and the latency with it.
//
//   DETAIL=1 node bench/ddns/e2e.mjs   # D2 at debug level: its queue wait and the server's round trip as D2 sees
//                                      # them, and ACK->added over time (debug logging slows D2: compare servers only)
import { spawn } from "node:child_process";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ddnsCommand, run, SECRET, sleep, stop, waitFor, ZONE } from "./_common.mjs";

const LEASES = Number(process.env.LEASES ?? 3000);
const RATE = Number(process.env.RATE ?? 500);
const DETAIL = process.env.DETAIL === "1";
const RZONE = "98.10.in-addr.arpa";
const tag = String(process.pid % 100000);
const NS = `h5bb-s${tag}`;
const NC = `h5bb-c${tag}`;
const inNs = (ns, cmd, args, opts = {}) => spawn("ip", ["netns", "exec", ns, cmd, ...args], { stdio: "ignore", ...opts });

async function sh(cmd, args) {
  return (await run(cmd, args)).stdout;
}



async function netns() {
  await sh("ip", ["netns", "add", NS]);
  await sh("ip", ["netns", "add", NC]);
  await sh("ip", ["link", "add", `vb${tag}s`, "netns", NS, "type", "veth", "peer", "name", `vb${tag}c`, "netns", NC]);
  for (const ns of [NS, NC]) await sh("ip", ["netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
  await sh("ip", ["netns", "exec", NS, "ip", "addr", "add", "10.98.0.1/16", "dev", `vb${tag}s`]);
  await sh("ip", ["netns", "exec", NS, "ip", "link", "set", `vb${tag}s`, "up"]);
  // perfdhcp acts as a relay: it needs an address, which becomes giaddr and selects Kea's subnet.
  await sh("ip", ["netns", "exec", NC, "ip", "addr", "add", "10.98.0.2/16", "dev", `vb${tag}c`]);
  await sh("ip", ["netns", "exec", NC, "ip", "link", "set", `vb${tag}c`, "up"]);
}

async function teardown() {
  for (const ns of [NS, NC]) await run("ip", ["netns", "del", ns]).catch(() => undefined);
}

function keaConfigs(dir) {
  // Kea rotates a log at 10 MB and keeps one old file; at debug level a long run would lose its first names.
  const log = (name, file, severity = "INFO") => [{ name, output_options: [{ output: join(dir, file), maxsize: 1 << 30 }], severity }];
  const dhcp4 = {
    Dhcp4: {
      "interfaces-config": { interfaces: [`vb${tag}s`], "dhcp-socket-type": "raw" },
      "lease-database": { type: "memfile", persist: false },
      authoritative: true,
      "valid-lifetime": 3600,
      subnet4: [{ id: 1, subnet: "10.98.0.0/16", pools: [{ pool: "10.98.1.0 - 10.98.250.255" }] }],
      "dhcp-ddns": { "enable-updates": true, "server-ip": "127.0.0.1", "server-port": 53001, "max-queue-size": 100000, "ncr-protocol": "UDP", "ncr-format": "JSON" },
      "ddns-send-updates": true,
      "ddns-qualifying-suffix": `${ZONE}.`,
      "ddns-override-client-update": true,
      "ddns-override-no-update": true,
      "ddns-replace-client-name": "always",
      "ddns-generated-prefix": "p",
      loggers: log("kea-dhcp4", "kea4.log"),
    },
  };
  const server = [{ "ip-address": "127.0.0.1", port: 53 }];
  const d2 = {
    DhcpDdns: {
      "ip-address": "127.0.0.1",
      port: 53001,
      "dns-server-timeout": 2000,
      "ncr-protocol": "UDP",
      "ncr-format": "JSON",
      "tsig-keys": [{ name: "ddns-key", algorithm: "HMAC-SHA256", secret: SECRET }],
      "forward-ddns": { "ddns-domains": [{ name: `${ZONE}.`, "key-name": "ddns-key", "dns-servers": server }] },
      "reverse-ddns": { "ddns-domains": [{ name: `${RZONE}.`, "key-name": "ddns-key", "dns-servers": server }] },
      loggers: DETAIL ? [{ ...log("kea-dhcp-ddns", "d2.log", "DEBUG")[0], debuglevel: 55 }] : log("kea-dhcp-ddns", "d2.log"),
    },
  };
  return { dhcp4, d2 };
}

/** Parses Kea log lines `YYYY-MM-DD HH:MM:SS.mmm SEVERITY [...] MESSAGE_ID ...` into entries with their continuation lines. */
function keaLog(text) {
  const out = [];
  for (const line of text.split("\n")) {
    const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) +\S+ +\[[^\]]+\] (\S+) (.*)$/.exec(line);
    if (m) out.push({ t: Date.parse(`${m[1].replace(" ", "T")}Z`), id: m[2], text: m[3] });
    else if (out.length > 0) out[out.length - 1].text += `\n${line}`;
  }
  return out;
}

async function backend(kind, dir) {
  const children = [];
  if (kind === "h5b") {
    children.push(inNs(NS, "etcd", ["--name", "e", "--data-dir", join(dir, "etcd"), "--logger", "zap", "--log-outputs", join(dir, "etcd.log")]));
    await waitFor(async () => (await sh("ip", ["netns", "exec", NS, "etcdctl", "endpoint", "health"])) !== undefined, "etcd");
    await writeFile(join(dir, "tsig.key"), `${SECRET}\n`, { mode: 0o600 });
    await writeFile(join(dir, "ddns.json"), JSON.stringify({
      listen: [{ address: "127.0.0.1", port: 53 }],
      zones: { forward: [ZONE], reverse: [RZONE] },
      tsig: { name: "ddns-key", secretFile: join(dir, "tsig.key") },
      etcd: { endpoints: ["http://127.0.0.1:2379"], timeoutMs: 1500 },
    }));
    const cmd = await ddnsCommand(join(dir, "ddns.json"));
    const d = inNs(NS, cmd.command, cmd.args, { env: cmd.env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    d.stderr.on("data", (c) => {
      if (err.length < 4096) err += c.toString();
    });
    children.push(d);
    await waitFor(async () => err.includes("ddns listening"), "h5b ddns");
  } else {
    for (const d of ["run", "db", "zones"]) await mkdir(join(dir, d), { recursive: true });
    for (const z of [ZONE, RZONE]) {
      await writeFile(join(dir, "zones", `${z}.zone`), `$TTL 300\n@ IN SOA ns1.${ZONE}. hostmaster.${ZONE}. 1 3600 600 86400 300\n  IN NS ns1.${ZONE}.\n${z === ZONE ? "ns1 IN A 10.98.0.1\n" : ""}`);
    }
    await writeFile(join(dir, "knot.conf"), [
      "server:", `    rundir: "${join(dir, "run")}"`, "    listen: 127.0.0.1@53",
      "database:", `    storage: "${join(dir, "db")}"`,
      "log:", `  - target: "${join(dir, "knot.log")}"`, "    any: warning",
      "key:", "  - id: ddns-key", "    algorithm: hmac-sha256", `    secret: ${SECRET}`,
      "acl:", "  - id: ddns_acl", "    key: ddns-key", "    action: update",
      "zone:",
      ...[ZONE, RZONE].flatMap((z) => [`  - domain: ${z}`, `    storage: "${join(dir, "zones")}"`, `    file: "${z}.zone"`, "    acl: ddns_acl"]),
      "",
    ].join("\n"));
    children.push(inNs(NS, "knotd", ["-c", join(dir, "knot.conf")]));
    await waitFor(async () => (await sh("ip", ["netns", "exec", NS, "dig", "+short", "+time=1", "+tries=1", "@127.0.0.1", ZONE, "SOA"])).includes("ns1"), "knotd");
  }
  return children;
}

async function measure(kind, dir) {
  await mkdir(dir, { recursive: true });
  const children = await backend(kind, dir);
  try {
    const { dhcp4, d2 } = keaConfigs(dir);
    await writeFile(join(dir, "d2.json"), JSON.stringify(d2));
    await writeFile(join(dir, "kea4.json"), JSON.stringify(dhcp4));
    const env = { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir };
    children.push(inNs(NS, "kea-dhcp-ddns", ["-c", join(dir, "d2.json")], { env }));
    children.push(inNs(NS, "kea-dhcp4", ["-c", join(dir, "kea4.json")], { env }));
    await waitFor(async () => (await readFile(join(dir, "kea4.log"), "utf8")).includes("DHCP4_STARTED"), "kea-dhcp4");
    await waitFor(async () => (await readFile(join(dir, "d2.log"), "utf8")).includes("DHCP_DDNS_STARTED"), "kea-dhcp-ddns");
    const perf = await run("ip", ["netns", "exec", NC, "perfdhcp", "-4", "-l", `vb${tag}c`, "-r", String(RATE), "-R", "1000000", "-n", String(LEASES), "-d", "2"], { maxBuffer: 64 << 20 }).catch((e) => e);
    // Let kea-dhcp-ddns drain its queue: stop when the number of finished requests has not moved for 3 s.
    let last = -1;
    for (let still = 0; still < 30; ) {
      const n = ((await readFile(join(dir, "d2.log"), "utf8")).match(/DHCP_DDNS_(ADD|REMOVE)_(SUCCEEDED|FAILED)/g) ?? []).length;
      still = n === last ? still + 1 : 0;
      last = n;
      await sleep(100);
    }
    const leases = new Map();
    for (const e of keaLog(await readFile(join(dir, "kea4.log"), "utf8"))) {
      const m = e.id === "DHCP4_LEASE_ALLOC" ? /lease (\d+\.\d+\.\d+\.\d+) has been allocated/.exec(e.text) : null;
      if (m) leases.set(m[1], e.t);
    }
    const done = [];
    let failed = 0;
    for (const e of keaLog(await readFile(join(dir, "d2.log"), "utf8"))) {
      if (e.id === "DHCP_DDNS_ADD_FAILED") failed++;
      if (e.id !== "DHCP_DDNS_ADD_SUCCEEDED") continue;
      const ip = /IP Address: \[([^\]]+)\]/.exec(e.text)?.[1];
      if (ip && leases.has(ip)) done.push({ t: e.t, lat: e.t - leases.get(ip), acked: leases.get(ip) });
    }
    if (DETAIL) detail(kind, keaLog(await readFile(join(dir, "d2.log"), "utf8")), done);
    done.sort((a, b) => a.t - b.t);
    const lat = done.map((d) => d.lat).sort((a, b) => a - b);
    const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
    const span = ((done.at(-1)?.t ?? 0) - (done[0]?.t ?? 0)) / 1000;
    const exchanges = /Rate: ([\d.]+) 4-way exchanges\/second/.exec(perf.stdout ?? "")?.[1] ?? "?";
    return { leases: leases.size, registered: done.length, failed, rate: done.length / span, p50: q(0.5), p99: q(0.99), exchanges };
  } finally {
    for (const c of children.reverse()) await stop(c);
  }
}

const pct = (a, p) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))] ?? NaN;

/** Where the time goes (DETAIL=1): D2's queue (waiting for one of its 32 slots), the server's round trips, and when. */
function detail(kind, d2, done) {
  const byId = new Map();
  for (const e of d2) {
    const id = /^Request ID (\w+)/.exec(e.text)?.[1];
    if (id === undefined) continue;
    if (!byId.has(id)) byId.set(id, []);
    byId.get(id).push(e);
  }
  const queued = [];
  const rtt = [];
  for (const evs of byId.values()) {
    const at = (id, k = 0) => evs.filter((e) => e.id === id)[k]?.t;
    const sent = [at("DHCP_DDNS_UPDATE_REQUEST_SENT"), at("DHCP_DDNS_UPDATE_REQUEST_SENT", 1)];
    const answered = [at("DHCP_DDNS_UPDATE_RESPONSE_RECEIVED"), at("DHCP_DDNS_UPDATE_RESPONSE_RECEIVED", 1)];
    const received = at("DHCP_DDNS_QUEUE_MGR_QUEUE_RECEIVE");
    if (received !== undefined && sent[0] !== undefined) queued.push(sent[0] - received);
    for (let i = 0; i < 2; i++) if (sent[i] !== undefined && answered[i] !== undefined) rtt.push(answered[i] - sent[i]);
  }
  const t0 = Math.min(...done.map((d) => d.acked));
  const slices = [];
  for (const d of done) (slices[Math.floor((d.acked - t0) / 1000)] ??= []).push(d.lat);
  console.log(`${kind.padEnd(5)} D2 queue p50 ${pct(queued, 0.5)} p99 ${pct(queued, 0.99)} ms; server round trip p50 ${pct(rtt, 0.5)} p99 ${pct(rtt, 0.99)} ms (${rtt.length})`);
  console.log(`${kind.padEnd(5)} ACK->added p50/p99 by second of ACK: ${slices.map((l, i) => `${i}s ${pct(l, 0.5)}/${pct(l, 0.99)}`).join("  ")}`);
}

if (process.getuid?.() !== 0) {
  console.error("✖ the end-to-end benchmark needs root (network namespaces)");
  process.exit(2);
}
const dir = await mkdtemp(join(tmpdir(), "h5b-bench-e2e-"));
try {
  console.log(`end to end: perfdhcp ${LEASES} DORA at ${RATE}/s -> kea-dhcp4 -> kea-dhcp-ddns -> (h5b ddns + etcd | Knot)`);
  const results = {};
  for (const kind of ["h5b", "knot"]) {
    await teardown();
    await netns();
    try {
      results[kind] = await measure(kind, join(dir, kind));
    } finally {
      await teardown();
    }
    const r = results[kind];
    console.log(`${kind.padEnd(5)} leases ${r.leases}  names registered ${r.registered} (failed ${r.failed})  ${r.rate.toFixed(0)} names/s  ACK->added p50 ${r.p50} ms p99 ${r.p99} ms  (perfdhcp: ${r.exchanges} exchanges/s)`);
  }
  console.log(`ratio h5b/Knot: names/s ${(results.h5b.rate / results.knot.rate).toFixed(2)}x, p99 ${(results.h5b.p99 / results.knot.p99).toFixed(2)}x`);
} finally {
  await teardown();
  await rm(dir, { recursive: true, force: true });
}
