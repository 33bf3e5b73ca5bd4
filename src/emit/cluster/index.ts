import { K3S_MANIFESTS_DIR } from "../k3s/_flags.js";
import type { Plan } from "../../plan/types.js";
import { hostPath, type OutputFile, yamlDocuments } from "../file.js";
import { ciliumChart } from "./cilium.js";
import { clusterDnsObjects } from "./cluster-dns.js";
import { externalDnsCharts } from "./external-dns.js";
import { metallbChart, metallbPools } from "./metallb.js";
import { namespaces } from "./namespaces.js";
import { nfsServerObjects } from "./nfs-server.js";
import { rbac } from "./rbac.js";
import { spawnerVolumePolicy } from "./spawner-volumes.js";
import { csiNfsChart } from "./storage.js";
import { workloadObjects } from "./workloads.js";

export { ciliumValues } from "./cilium.js";
export { EXTERNAL_DNS_ETCD_SECRET, EXTERNAL_DNS_NAMESPACE, externalDnsValues } from "./external-dns.js";
export { metallbValues } from "./metallb.js";
export { csiNfsValues } from "./storage.js";
export { lbAnnotations } from "./_service.js";

/**
 * The server's auto-deploy folder. k3s applies every file there at start and on change; the number in each name
 * keeps them in dependency order for a reader (namespaces, CNI, cluster DNS, load balancer, DNS names, storage,
 * access, apps).
 */
export function emitClusterManifests(plan: Plan, workloadFiles: ReadonlyMap<string, ReadonlyMap<string, Buffer>> = new Map()): OutputFile[] {
  const file = (name: string, objs: readonly (Record<string, unknown> | undefined)[]): OutputFile[] => {
    const present = objs.filter((o) => o !== undefined);
    if (present.length === 0) return [];
    // A file with a Secret in it is root's alone, like every other file that holds a secret.
    const secret = present.some((o) => o.kind === "Secret");
    return [
      yamlDocuments(hostPath(plan.cluster.server, `${K3S_MANIFESTS_DIR}/${name}.yaml`), present, {
        header: `Rendered by h5b for cluster ${plan.cluster.name}; k3s applies this file from its auto-deploy folder.`,
        ...(secret ? { mode: 0o600 } : {}),
      }),
    ];
  };
  return [
    ...file("h5b-00-namespaces", namespaces(plan)),
    ...file("h5b-10-cilium", [ciliumChart(plan)]),
    ...file("h5b-15-cluster-dns", clusterDnsObjects(plan)),
    ...file("h5b-20-metallb", [metallbChart(plan)]),
    ...file("h5b-21-metallb-pools", metallbPools(plan)),
    ...file("h5b-30-external-dns", externalDnsCharts(plan)),
    // The server before the class that mounts it; 39 keeps the class's file name of earlier outputs.
    ...file("h5b-39-nfs-server", nfsServerObjects(plan)),
    ...file("h5b-40-csi-driver-nfs", [csiNfsChart(plan)]),
    ...file("h5b-50-rbac", [...rbac(plan), ...spawnerVolumePolicy(plan)]),
    ...plan.workloads.flatMap((w) => file(`h5b-60-app-${w.name}`, workloadObjects(plan, w, workloadFiles.get(w.name)))),
  ];
}
