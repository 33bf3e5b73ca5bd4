import { APPS_NAMESPACE } from "../../plan/build.js";
import type { Plan } from "../../plan/types.js";
import { managedBy } from "./_helm.js";
import { EXTERNAL_DNS_NAMESPACE } from "./external-dns.js";
import { METALLB_NAMESPACE } from "./metallb.js";
import { SPAWNER_NAMESPACE_LABEL } from "./spawner-volumes.js";

/** The Pod Security labels of a namespace where a job spawner creates pods. */
export const SPAWNER_POD_SECURITY = {
  // No privileged pods, host namespaces, hostPath volumes or added capabilities: an account that may create Jobs
  // could otherwise mount a node's root (the control plane's among them) and take the cluster.
  "pod-security.kubernetes.io/enforce": "baseline",
  // Said to the spawner on each Job that would fail the stricter level, without refusing it.
  "pod-security.kubernetes.io/warn": "restricted",
} as const;

/** Every namespace the rendered objects live in, created before anything that goes into them. */
export function namespaces(plan: Plan): Record<string, unknown>[] {
  const names = new Set<string>([APPS_NAMESPACE, METALLB_NAMESPACE, EXTERNAL_DNS_NAMESPACE]);
  for (const sa of [...plan.access.monitoring, ...plan.access.jobSpawners]) names.add(sa.namespace);
  names.delete("kube-system");
  const spawners = new Set(plan.access.jobSpawners.map((sa) => sa.namespace));
  return [...names].sort().map((name) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      labels: {
        ...managedBy,
        // The speaker needs the host network and raw sockets to answer ARP and NDP.
        ...(name === METALLB_NAMESPACE ? { "pod-security.kubernetes.io/enforce": "privileged" } : {}),
        ...(spawners.has(name) ? { ...SPAWNER_POD_SECURITY, [SPAWNER_NAMESPACE_LABEL]: "true" } : {}),
      },
    },
  }));
}
