import { atLeast } from "../../plan/versions.js";
import type { Plan } from "../../plan/types.js";
import { managedBy } from "./_helm.js";

/** The label of the namespaces where a job spawner creates pods (see SPAWNER_POD_SECURITY). */
export const SPAWNER_NAMESPACE_LABEL = "h5b/job-spawner";

export const SPAWNER_VOLUMES_POLICY = "h5b-job-spawner-volumes";

/** What a pod of a job spawner may mount: the volume types Pod Security's restricted level allows, less inline CSI. */
const ALLOWED = ["configMap", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"] as const;

/**
 * Pod Security's baseline level, which the spawners' namespaces enforce, allows any network volume: a Job could
 * mount the storage host's NFS export (`nfs: {server, path}`) from its node, which the export trusts with root,
 * and read or write every claim's data. This policy keeps their pods to the volume types of the restricted level
 * (inline CSI left out too, as the NFS CSI driver could mount a share that way), without the rest of that level.
 * ValidatingAdmissionPolicy is GA from Kubernetes 1.30; an older cluster gets none (decisions.md).
 */
export function spawnerVolumePolicy(plan: Plan): Record<string, unknown>[] {
  if (plan.access.jobSpawners.length === 0 || !atLeast(plan.cluster.versions.k3s, "1.30.0")) return [];
  const labels = { ...managedBy };
  const expression = `!has(object.spec.volumes) || object.spec.volumes.all(v, ${ALLOWED.map((t) => `has(v.${t})`).join(" || ")})`;
  return [
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { name: SPAWNER_VOLUMES_POLICY, labels },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }] },
        validations: [{ expression, reason: "Forbidden", message: `a job spawner's pod may mount only ${ALLOWED.join(", ")} volumes` }],
      },
    },
    {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: SPAWNER_VOLUMES_POLICY, labels },
      spec: {
        policyName: SPAWNER_VOLUMES_POLICY,
        validationActions: ["Deny"],
        matchResources: { namespaceSelector: { matchLabels: { [SPAWNER_NAMESPACE_LABEL]: "true" } } },
      },
    },
  ];
}
