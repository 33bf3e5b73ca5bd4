import type { Plan } from "../../plan/types.js";
import { helmChart, managedBy } from "./_helm.js";

export const METALLB_NAMESPACE = "metallb-system";

export function metallbValues(): Record<string, unknown> {
  // Layer 2 only: no BGP, so neither FRR nor FRR-K8s (the chart turns the latter on by default from 0.16).
  return { frrk8s: { enabled: false }, speaker: { frr: { enabled: false } } };
}

export function metallbChart(plan: Plan): Record<string, unknown> {
  return helmChart({
    name: "metallb",
    repo: "https://metallb.github.io/metallb",
    chart: "metallb",
    version: plan.cluster.versions.metallb,
    targetNamespace: METALLB_NAMESPACE,
    values: metallbValues(),
  });
}

/** The two pools of the seed, each holding both families (MetalLB takes dual-stack addresses from one pool only). */
export function metallbPools(plan: Plan): Record<string, unknown>[] {
  const pools = plan.cluster.pools.map((p) => ({
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name: p.name, namespace: METALLB_NAMESPACE, labels: { ...managedBy } },
    spec: { addresses: [...p.addresses], autoAssign: p.autoAssign, avoidBuggyIPs: p.avoidBuggyIPs },
  }));
  const l2 = {
    apiVersion: "metallb.io/v1beta1",
    kind: "L2Advertisement",
    metadata: { name: "lan", namespace: METALLB_NAMESPACE, labels: { ...managedBy } },
    spec: {
      ipAddressPools: plan.cluster.pools.map((p) => p.name),
      // Only workers announce: the control plane runs no endpoints, and with the Local policy it must not answer.
      nodeSelectors: [{ matchLabels: { [`${plan.cluster.labelPrefix}/role`]: "worker" } }],
    },
  };
  return [...pools, l2];
}
