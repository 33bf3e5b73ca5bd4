import { H5bError, type Issue } from "../issue.js";
import type { Plan } from "../plan/types.js";
import { num, rec, str } from "./_obj.js";
import { readServices } from "./_services.js";
import { readWorkload, type WorkloadContext } from "./_workload.js";
import { type ManifestObject, metaOf, namespaceOf } from "./manifests.js";
import { parseTaint } from "../plan/taint.js";
import type { Model, SimNode } from "./types.js";

/** The parts of the plan the model reads (the bench and the checker build it from these alone). */
export type ModelPlan = Pick<Plan, "site" | "hosts" | "cluster" | "dns" | "workloads" | "loadBalancers" | "storage">;

const builtinPriorities: Readonly<Record<string, number>> = { "system-node-critical": 2000001000, "system-cluster-critical": 2000000000 };
const workloadKinds = new Set<string>(["Deployment", "StatefulSet", "DaemonSet"]);

/**
 * The simulator's picture of the homelab: nodes from the plan, workloads and services from the manifests k3s will
 * apply (and the user's extra ones), the hosts outside the cluster whose failure matters.
 * Throws an H5bError naming file and object for a manifest it cannot read.
 */
export function buildModel(plan: ModelPlan, objects: readonly ManifestObject[]): Model {
  const issues: Issue[] = [];
  const nodes = plan.hosts.filter((h) => h.k3s !== undefined).map((h): SimNode => {
    const k = h.k3s as NonNullable<typeof h.k3s>;
    const server = k.role === "server";
    return {
      name: h.name,
      role: k.role,
      arch: h.arch,
      allocatable: k.allocatable,
      // What the kubelet and k3s add to the labels h5b sets.
      labels: {
        ...k.labels,
        "kubernetes.io/arch": h.arch,
        "kubernetes.io/hostname": h.name,
        "kubernetes.io/os": "linux",
        ...(server ? { "node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/master": "true" } : {}),
      },
      taints: k.taints.map(parseTaint),
    };
  });

  const kindOf = (k: string) => objects.filter((o) => o.object.kind === k);
  const priorityClasses = new Map<string, number>(Object.entries(builtinPriorities));
  let defaultPriority = 0;
  for (const pc of kindOf("PriorityClass")) {
    const value = num(pc.object.value) ?? 0;
    priorityClasses.set(str(metaOf(pc).name) ?? "", value);
    if (pc.object.globalDefault === true) defaultPriority = value;
  }
  const nfsClass = plan.storage?.nfs.storageClass;
  const ctx: WorkloadContext = {
    declared: plan.workloads,
    prefix: plan.cluster.labelPrefix,
    claims: new Map(kindOf("PersistentVolumeClaim").map((c) => [`${namespaceOf(c)}/${str(metaOf(c).name)}`, str(rec(c.object.spec).storageClassName)])),
    // csi-driver-nfs's class is the default one, so a claim without a class lands on NFS too.
    onNfs: (cls) => nfsClass !== undefined && (cls === undefined || cls === nfsClass),
    // The NFS server's hostPaths: what it serves goes down with ZFS (a path there on another node is a folder of
    // that node, but nothing h5b renders does that).
    datasetAt: (path) => plan.storage?.datasets.find((d) => path === d.mountpoint || path.startsWith(`${d.mountpoint}/`))?.fullName,
    priorityClasses,
    defaultPriority,
  };
  const workloads = objects
    .filter((o) => workloadKinds.has(String(o.object.kind)))
    .flatMap((o) => readWorkload(o, ctx, issues) ?? [])
    .sort((x, y) => (`${x.namespace}/${x.name}/${x.kind}` < `${y.namespace}/${y.name}/${y.kind}` ? -1 : 1));
  const { services, announcers } = readServices(plan, objects);

  if (issues.some((i) => i.severity === "error")) throw new H5bError("simulate", issues);
  const gateway = plan.hosts.find((h) => h.roles.includes("gateway"))?.name;
  return {
    cluster: plan.cluster.name,
    nodes,
    workloads,
    services,
    announcers,
    hosts: {
      server: plan.cluster.server,
      ...(plan.storage !== undefined
        ? { storage: { host: plan.storage.host, export: `${plan.storage.nfs.server}:${plan.storage.nfs.exportPath}`, storageClass: plan.storage.nfs.storageClass } }
        : {}),
      dns: plan.dns.host,
      dhcp: plan.dns.dhcpHost,
      ...(gateway !== undefined ? { gateway } : {}),
      zones: [plan.site.zones.services, plan.site.zones.dhcp],
    },
    publicPools: plan.cluster.pools.filter((p) => p.name === "public").map((p) => p.name),
    warnings: issues,
  };
}
