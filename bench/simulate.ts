import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { render } from "../src/pipeline.js";
import { modelOf, pairs, Simulator } from "../src/simulate/index.js";
import type { HomelabInput } from "../src/spec/homelab.js";
import { defaultHomelabInput } from "../src/spec/load.js";

/**
 * Simulator benchmark (a figure, not a test). Targets from the issue: a cluster of 200 nodes and 2,000 workloads,
 * every single failure within 2 s and every pair within 30 s. Smaller clusters are timed too, and the time per
 * scenario printed for each, so that growth can be read.
 */
function clusterSpec(nodes: number, workloads: number): HomelabInput {
  const spec = defaultHomelabInput() as unknown as { hosts: Record<string, unknown>; workloads: Record<string, unknown>; networks: { lan: { ipv4: { ranges: { static: string } } } } };
  // The default's server, pi-worker and x86-1 (ZFS) stay; generated workers make up the rest.
  spec.networks.lan.ipv4.ranges.static = "10.0.0.0/23";
  const extra = nodes - 3;
  for (let i = 0; i < extra; i++) {
    const n = 0x100 + i;
    spec.hosts[`worker-${String(i).padStart(3, "0")}`] = {
      roles: ["k3s-agent"],
      hardware: {
        arch: i % 3 === 0 ? "amd64" : "arm64",
        cpu: { cores: i % 3 === 0 ? 16 : 4 },
        memory: { size: i % 3 === 0 ? "64Gi" : "8Gi" },
        nics: [{ name: "eth0", mac: `02:00:00:00:${(n >> 8).toString(16).padStart(2, "0")}:${(n & 0xff).toString(16).padStart(2, "0")}` }],
      },
      addresses: { ipv4: `10.0.${n >> 8}.${n & 0xff}`, ipv6: `2001:db8:10::${(0x400 + i).toString(16)}` },
    };
  }
  const apps: Record<string, unknown> = {};
  for (let i = 0; i < workloads; i++) {
    apps[`app-${String(i).padStart(4, "0")}`] = {
      image: `registry.example.org/app-${i}:1.0.${i}`,
      architectures: i % 4 === 0 ? ["amd64"] : ["amd64", "arm64"],
      replicas: 1 + (i % 3),
      ports: [{ name: "http", port: 8080 }],
      exposure: i % 10 === 0 ? "internal" : "none",
      state: i % 25 === 0 ? "nfs" : "stateless",
      essential: i % 7 === 0,
      resources: { cpu: "50m", memory: "64Mi" },
    };
  }
  spec.workloads = apps;
  return spec as unknown as HomelabInput;
}

const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
const tmp = mkdtempSync(join(tmpdir(), "h5b-bench-sim-"));
try {
  const rows: string[][] = [["cluster", "scenarios", "total", "per scenario", "target"]];
  for (const [nodes, workloads, withPairs] of [
    [50, 500, true],
    [100, 1000, true],
    [200, 2000, true],
  ] as const) {
    const file = join(tmp, `spec-${nodes}.yaml`);
    writeFileSync(file, stringify(clusterSpec(nodes, workloads)));
    const r = await render({ cwd: tmp, config: file, secretsDir: join(tmp, "secrets") });
    const model = modelOf(r.plan, r.files.map((f) => [f.path, f.content] as const));
    const label = `${nodes} nodes, ${workloads} workloads`;
    let t = process.hrtime.bigint();
    const sim = new Simulator(model);
    const placement = ms(t);
    rows.push([label, "placement", `${placement.toFixed(0)} ms`, "", ""]);
    t = process.hrtime.bigint();
    for (const f of sim.failures) sim.run([f]);
    const single = ms(t);
    const big = nodes === 200;
    rows.push([label, `${sim.failures.length} single`, `${single.toFixed(0)} ms`, `${((single * 1000) / sim.failures.length).toFixed(0)} µs`, big ? `with placement ${(placement + single).toFixed(0)} ms <= 2000 ms ${placement + single <= 2000 ? "ok" : "MISSED"}` : ""]);
    if (withPairs) {
      const all = pairs(sim.failures);
      t = process.hrtime.bigint();
      for (const p of all) sim.run(p);
      const pair = ms(t);
      rows.push([label, `${all.length} pairs`, `${pair.toFixed(0)} ms`, `${((pair * 1000) / all.length).toFixed(0)} µs`, big ? `<= 30000 ms ${pair <= 30000 ? "ok" : "MISSED"}` : ""]);
    }
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  process.stdout.write(`h5b simulate benchmark\n${rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n")}\n`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
