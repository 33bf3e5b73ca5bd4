import type { Plan, PlanStorage } from "../../plan/types.js";
import { helmChart } from "./_helm.js";

export function csiNfsValues(storage: PlanStorage): Record<string, unknown> {
  return {
    storageClass: {
      create: true,
      name: storage.nfs.storageClass,
      annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      // What the NFS server pod exports: the dataset's path under its NFSv4 root, at the storage host's address. A
      // claim's folder is named after the claim, not after its volume (pvc-<uid>, known only to the control plane's
      // database): a control plane rebuilt from the spec makes the same claims again, and they find their data.
      // The driver never deletes a folder: a released volume cleaned up later would name the folder of the claim
      // made again since.
      parameters: { server: storage.nfs.server, share: storage.nfs.exportPath, subDir: "${pvc.metadata.namespace}/${pvc.metadata.name}", onDelete: "retain" },
      // A deleted claim keeps its data on ZFS until someone removes it on purpose.
      reclaimPolicy: "Retain",
      volumeBindingMode: "Immediate",
      mountOptions: [`nfsvers=${storage.nfs.version}`, "hard"],
    },
  };
}

/** csi-driver-nfs with one default StorageClass on the ZFS dataset the NFS server pod exports (h5b-39-nfs-server). */
export function csiNfsChart(plan: Plan): Record<string, unknown> | undefined {
  if (plan.storage === undefined) return undefined;
  return helmChart({
    name: "csi-driver-nfs",
    repo: "https://raw.githubusercontent.com/kubernetes-csi/csi-driver-nfs/master/charts",
    chart: "csi-driver-nfs",
    version: `v${plan.cluster.versions.csiDriverNfs.replace(/^v/, "")}`,
    targetNamespace: "kube-system",
    values: csiNfsValues(plan.storage),
  });
}
