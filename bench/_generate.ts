import type { HomelabInput } from "../src/spec/homelab.js";
import { defaultHomelabInput } from "../src/spec/load.js";

/**
 * A large homelab for benchmarks: the default spec's Porygon, gateway and control plane, plus `workers` workers
 * (alternating arm64 and amd64) and `workloads` stateless workloads, ten of them public.
 */
export function generatedSpec(workers: number, workloads: number): HomelabInput {
  const spec = defaultHomelabInput() as HomelabInput & { hosts: Record<string, unknown>; workloads: Record<string, unknown> };
  const base = spec.hosts as Record<string, { roles: string[] }>;
  const keep = Object.fromEntries(Object.entries(base).filter(([, h]) => !h.roles.includes("k3s-agent")));
  const hosts: Record<string, unknown> = { ...keep };
  // Static IPv4 addresses .60-.209 of the default static /24 leave room for 150 workers.
  if (workers > 150) throw new Error("the generated LAN holds at most 150 workers");
  for (let i = 0; i < workers; i++) {
    const n = 100 + i;
    const mac = `02:00:00:00:${(n >> 8).toString(16).padStart(2, "0")}:${(n & 0xff).toString(16).padStart(2, "0")}`;
    hosts[`worker-${i}`] = {
      roles: ["k3s-agent"],
      hardware: { arch: i % 2 === 0 ? "arm64" : "amd64", cpu: { cores: 8 }, memory: { size: "32Gi" }, nics: [{ name: "eth0", mac }] },
      addresses: { ipv4: `10.0.0.${60 + i}`, ipv6: `2001:db8:10::${n.toString(16)}` },
    };
  }
  const apps: Record<string, unknown> = {};
  for (let i = 0; i < workloads; i++) {
    apps[`app-${i}`] = {
      image: `registry.example.org/app-${i}:1.0.${i}`,
      architectures: i % 3 === 0 ? ["amd64"] : ["amd64", "arm64"],
      replicas: 2,
      // Public services share the gateway's one IPv4 address, so each needs a port of its own.
      ports: [{ name: "http", port: i < 10 ? 8080 + i : 8080 }],
      exposure: i < 10 ? "public" : i % 5 === 0 ? "none" : "internal",
      resources: { cpu: "50m", memory: "64Mi" },
    };
  }
  return { ...spec, hosts, workloads: apps, storage: undefined, backups: undefined } as unknown as HomelabInput;
}
