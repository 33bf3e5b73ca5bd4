import { parseTaint } from "../../src/plan/taint.js";
import type { Model, SimNode, SimService, SimWorkload } from "../../src/simulate/types.js";

const GI = 2 ** 30;

/** A node for scheduler tables: 4 cores and 8 GiB unless told otherwise. */
export function node(name: string, o: { arch?: string; cpu?: number; mem?: number; labels?: Record<string, string>; taints?: string[]; role?: "server" | "agent" } = {}): SimNode {
  const arch = o.arch ?? "amd64";
  return {
    name,
    role: o.role ?? "agent",
    arch,
    allocatable: { millicores: o.cpu ?? 4000, memoryBytes: o.mem ?? 8 * GI },
    labels: { "kubernetes.io/arch": arch, "kubernetes.io/hostname": name, ...o.labels },
    taints: (o.taints ?? []).map(parseTaint),
  };
}

/** A Deployment for scheduler tables: 1 replica of 100m and 128 MiB, multi-arch, labelled `app: <name>`. */
export function workload(name: string, o: Partial<SimWorkload> = {}): SimWorkload {
  return {
    kind: "Deployment",
    namespace: "apps",
    name,
    source: "test",
    replicas: 1,
    podLabels: { app: name },
    nodeSelector: {},
    preferredNodeTerms: [],
    antiAffinity: [],
    spread: [],
    tolerations: [],
    request: { millicores: 100, memoryBytes: 128 * 2 ** 20 },
    volumes: [],
    images: [`example.org/${name}:1`],
    architectures: ["amd64", "arm64"],
    architecturesFrom: "spec",
    essential: false,
    priority: 0,
    ...o,
  };
}

export function lbService(name: string, o: Partial<SimService> = {}): SimService {
  return { namespace: "apps", name, source: "test", type: "LoadBalancer", selector: { app: name }, local: true, pool: "internal", addresses: [], dnsName: `${name}.svc.example.org`, ...o };
}

/** A cluster with the given nodes and workloads; every node announces every pool; Porygon and a gateway beside it. */
export function model(nodes: SimNode[], workloads: SimWorkload[], services: SimService[] = [], o: Partial<Model> = {}): Model {
  return {
    cluster: "test",
    nodes,
    workloads,
    services,
    announcers: new Map([
      ["internal", [[]]],
      ["public", [[]]],
    ]),
    hosts: { server: nodes.find((n) => n.role === "server")?.name ?? "none", dns: "porygon", dhcp: "porygon", gateway: "gateway", zones: ["svc.example.org"] },
    publicPools: ["public"],
    warnings: [],
    ...o,
  };
}
