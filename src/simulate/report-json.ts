import { formatBytes } from "../_quantity.js";
import type { Simulation } from "./simulate.js";
import { rules } from "./promises.js";
import { failureUnits } from "./failures.js";

/** Version of the JSON document below; bumped only when a field changes meaning or goes away (docs/simulate.md). */
export const SIMULATE_SCHEMA = "h5b.simulate/v1";

const cpu = (m: number) => `${m}m`;

/** The simulation as one stable JSON document: same spec, same bytes. Documented in docs/simulate.md. */
export function simulationJson(s: Simulation): Record<string, unknown> {
  const { model } = s;
  const workloadId = (w: number) => {
    const wl = model.workloads[w];
    return wl === undefined ? "" : `${wl.kind} ${wl.namespace}/${wl.name}`;
  };
  return {
    schema: SIMULATE_SCHEMA,
    cluster: model.cluster,
    depth: s.depth,
    nodes: model.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      arch: n.arch,
      allocatable: { cpu: cpu(n.allocatable.millicores), memory: formatBytes(n.allocatable.memoryBytes) },
      labels: n.labels,
      taints: n.taints.map((t) => `${t.key}${t.value !== "" ? `=${t.value}` : ""}:${t.effect}`),
    })),
    hosts: {
      server: model.hosts.server,
      storage: model.hosts.storage ?? null,
      dns: model.hosts.dns,
      dhcp: model.hosts.dhcp,
      gateway: model.hosts.gateway ?? null,
    },
    failures: failureUnits(model).map((f) => ({ id: f.id, kind: f.kind, takes: f.takes })),
    workloads: model.workloads.map((w, i) => ({
      id: workloadId(i),
      source: w.source,
      replicas: w.kind === "DaemonSet" ? null : w.replicas,
      essential: w.essential,
      architectures: w.architectures,
      architecturesFrom: w.architecturesFrom,
      request: { cpu: cpu(w.request.millicores), memory: formatBytes(w.request.memoryBytes) },
      volumes: w.volumes.map((v) => ({ name: v.name, kind: v.kind })),
      placement: s.placement[i] ?? [],
    })),
    services: s.rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      essential: r.essential,
      workloads: r.workloads.map(workloadId),
      type: r.service?.type ?? null,
      pool: r.service?.pool ?? null,
      addresses: r.service?.addresses ?? [],
      dnsName: r.service?.dnsName ?? null,
    })),
    scenarios: s.scenarios.map((sc) => ({
      id: sc.id,
      failures: sc.failures,
      effects: sc.effects,
      services: Object.fromEntries(
        sc.outcomes.map((o, i) => [s.rows[i]?.id ?? "", { status: o.status, ready: o.ready, readyAtFailure: o.readyAtFailure, desired: o.desired, reasons: o.reasons }]),
      ),
    })),
    promises: { rules, broken: s.broken, kept: s.broken.length === 0 },
    warnings: model.warnings.map((w) => ({ code: w.code, path: w.path, message: w.message })),
  };
}
