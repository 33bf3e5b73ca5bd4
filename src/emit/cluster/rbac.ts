import type { Plan } from "../../plan/types.js";
import { managedBy } from "./_helm.js";

export const MONITORING_ROLE = "h5b:monitoring";
export const JOB_SPAWNER_ROLE = "h5b:job-spawner";

/**
 * Read-only view for monitoring: every workload and network object, node metrics, never Secrets or ConfigMaps
 * (which often hold credentials). Resources and verbs are spelled out; wildcards would grow with new APIs.
 */
const monitoringRules = [
  { apiGroups: [""], resources: ["nodes", "nodes/metrics", "namespaces", "pods", "services", "endpoints", "persistentvolumeclaims", "persistentvolumes", "events"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["apps"], resources: ["deployments", "daemonsets", "statefulsets", "replicasets"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["get", "list", "watch"] },
  // The API server's own metrics; the kubelet's (cAdvisor's included) are authorized as nodes/metrics.
  { nonResourceURLs: ["/metrics"], verbs: ["get"] },
];

/** Jobs in their own namespace only: create and clean up, and read what they did. */
const jobSpawnerRules = [
  { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "list", "watch", "create", "delete"] },
  { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
];

export function rbac(plan: Plan): Record<string, unknown>[] {
  const labels = { ...managedBy };
  const out: Record<string, unknown>[] = [];
  const sa = (name: string, namespace: string) => ({
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name, namespace, labels },
    automountServiceAccountToken: true,
  });
  if (plan.access.monitoring.length > 0) {
    out.push({ apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: MONITORING_ROLE, labels }, rules: monitoringRules });
    for (const m of plan.access.monitoring) {
      out.push(sa(m.name, m.namespace), {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: `${MONITORING_ROLE}:${m.namespace}:${m.name}`, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: MONITORING_ROLE },
        subjects: [{ kind: "ServiceAccount", name: m.name, namespace: m.namespace }],
      });
    }
  }
  for (const j of plan.access.jobSpawners) {
    out.push(
      sa(j.name, j.namespace),
      { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: JOB_SPAWNER_ROLE, namespace: j.namespace, labels }, rules: jobSpawnerRules },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: `${JOB_SPAWNER_ROLE}:${j.name}`, namespace: j.namespace, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: JOB_SPAWNER_ROLE },
        subjects: [{ kind: "ServiceAccount", name: j.name, namespace: j.namespace }],
      },
    );
  }
  return dedupe(out);
}

/** Two job spawners in one namespace share the Role; emit it once. */
function dedupe(objs: Record<string, unknown>[]): Record<string, unknown>[] {
  const seen = new Set<string>();
  return objs.filter((o) => {
    const m = o.metadata as { name: string; namespace?: string };
    const k = `${String(o.kind)}/${m.namespace ?? ""}/${m.name}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
