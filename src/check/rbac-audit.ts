import { describe, type ManifestObject, renderedManifests } from "./manifests.js";
import type { Checker, Finding } from "./types.js";

/** Verbs that let an account grant itself more than it was given. */
const ESCALATING = new Set(["escalate", "bind", "impersonate"]);
const BROAD_SUBJECTS = new Set(["system:authenticated", "system:unauthenticated", "system:serviceaccounts", "system:masters"]);

/** Resources whose creation runs pods of the creator's choosing. */
const POD_MAKERS = new Set(["pods", "jobs", "cronjobs", "deployments", "replicasets", "statefulsets", "daemonsets", "replicationcontrollers"]);
/** Pod Security levels that refuse privileged pods, host namespaces and hostPath volumes. */
const GUARDED = new Set(["baseline", "restricted"]);

/** Namespaces whose rendered Namespace object enforces at least Pod Security's baseline level. */
function guardedNamespaces(objects: readonly ManifestObject[]): Set<string> {
  const out = new Set<string>();
  for (const { object: o } of objects) {
    const meta = (o.metadata ?? {}) as { name?: unknown; labels?: Record<string, unknown> };
    if (o.kind === "Namespace" && typeof meta.name === "string" && GUARDED.has(String(meta.labels?.["pod-security.kubernetes.io/enforce"]))) out.add(meta.name);
  }
  return out;
}

/**
 * The seed's minimal RBAC: one administrator (the k3s admin kubeconfig, no binding needed), read-only monitoring
 * and namespaced job spawners. Anything broader in the rendered (or extra) objects is a finding.
 */
export function rbacFindings(objects: readonly ManifestObject[], check: string): Finding[] {
  const findings: Finding[] = [];
  const guarded = guardedNamespaces(objects);
  for (const o of objects) {
    const obj = o.object as Record<string, unknown>;
    const where = `${o.file} (${describe(o)})`;
    if (obj.kind === "Role" || obj.kind === "ClusterRole") {
      const rules = Array.isArray(obj.rules) ? (obj.rules as Record<string, unknown>[]) : [];
      rules.forEach((r, i) => {
        for (const field of ["verbs", "resources", "apiGroups", "nonResourceURLs"]) {
          const list = r[field];
          if (Array.isArray(list) && list.some((x) => x === "*" || (typeof x === "string" && x.endsWith("/*")))) {
            findings.push({ check, where, message: `rules[${i}].${field} has a wildcard: grant named ${field} only` });
          }
        }
        const verbs = Array.isArray(r.verbs) ? (r.verbs as string[]) : [];
        for (const v of verbs.filter((x) => ESCALATING.has(x))) findings.push({ check, where, message: `rules[${i}] grants '${v}', which lets the account raise its own rights` });
        const resources = Array.isArray(r.resources) ? (r.resources as string[]) : [];
        const makes = verbs.includes("create") ? resources.filter((x) => POD_MAKERS.has(x)) : [];
        const ns = (obj.metadata as { namespace?: unknown } | undefined)?.namespace;
        if (makes.length > 0 && (obj.kind === "ClusterRole" || typeof ns !== "string" || !guarded.has(ns))) {
          const scope = obj.kind === "ClusterRole" ? "in every namespace" : `in ${String(ns)}, which does not enforce Pod Security's baseline level`;
          findings.push({ check, where, message: `rules[${i}] creates ${makes.join(", ")} ${scope}: such an account can run a privileged pod on any node and take the cluster` });
        }
        if (resources.includes("secrets") && verbs.some((v) => ["get", "list", "watch"].includes(v))) {
          findings.push({ check, where, message: `rules[${i}] reads Secrets: only the administrator may` });
        }
      });
    }
    if (obj.kind === "RoleBinding" || obj.kind === "ClusterRoleBinding") {
      const ref = (obj.roleRef ?? {}) as Record<string, unknown>;
      if (ref.name === "cluster-admin" || ref.name === "admin") {
        findings.push({ check, where, message: `binds ${String(ref.name)}: only the administrator is cluster-admin, through the k3s admin kubeconfig` });
      }
      const subjects = Array.isArray(obj.subjects) ? (obj.subjects as Record<string, unknown>[]) : [];
      for (const s of subjects) {
        if (s.kind === "Group" && typeof s.name === "string" && BROAD_SUBJECTS.has(s.name)) findings.push({ check, where, message: `binds the group ${s.name}` });
      }
    }
  }
  return findings;
}

export const rbacAuditChecker: Checker = {
  name: "rbac-audit",
  description: "no wildcard or escalating grants, no Secret reads, no cluster-admin binding, no pod creation outside namespaces that enforce Pod Security's baseline",
  async run(ctx) {
    return { findings: rbacFindings(renderedManifests(ctx.files).objects, this.name) };
  },
};
