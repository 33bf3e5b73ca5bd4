import { canonicalAddress, literalFamily } from "../_net.js";
import { error, H5bError, type Issue, warning } from "../issue.js";
import type { Plan } from "../plan/types.js";
import { num, rec, str } from "./_obj.js";
import { readServices } from "./_services.js";
import { readWorkload, type WorkloadContext } from "./_workload.js";
import { groupOf, type ManifestObject, metaOf, namespaceOf, ofKind, whereOf } from "./manifests.js";
import { parseTaint } from "../plan/taint.js";
import type { Model, SimNode } from "./types.js";

/** The parts of the plan the model reads (the bench and the checker build it from these alone). */
export type ModelPlan = Pick<Plan, "site" | "hosts" | "cluster" | "dns" | "workloads" | "loadBalancers" | "storage">;

const builtinPriorities: Readonly<Record<string, number>> = { "system-node-critical": 2000001000, "system-cluster-critical": 2000000000 };
/** What makes pods the model places, by `group/kind` (the core group is ""). */
const workloadKinds = new Set<string>(["apps/Deployment", "apps/StatefulSet", "apps/DaemonSet", "apps/ReplicaSet", "/ReplicationController", "/Pod"]);
/** What makes pods that run to completion: left out, with a warning. */
const batchKinds = new Set<string>(["batch/Job", "batch/CronJob"]);

/**
 * An object defined twice (in the rendered manifests and the user's, or in two of the user's files): the API server
 * keeps one object per group, kind, namespace and name, so simulating both would count its pods twice, and which
 * copy wins depends on the order they are applied in.
 */
function duplicates(objects: readonly ManifestObject[]): Issue[] {
  const first = new Map<string, ManifestObject>();
  const issues: Issue[] = [];
  for (const o of objects) {
    const name = str(metaOf(o).name);
    if (name === undefined) continue;
    const key = `${groupOf(o)}\u0000${String(o.object.kind)}\u0000${namespaceOf(o)}\u0000${name}`;
    const seen = first.get(key);
    if (seen === undefined) first.set(key, o);
    else issues.push(error("manifest-duplicate", whereOf(o), `is also defined in ${seen.file}: Kubernetes keeps one of them; rename this one, or leave it out`));
  }
  return issues;
}

/** Names and addresses of the storage host as a volume's `nfs.server` may give them (compared in canonical form). */
function storageServer(plan: ModelPlan): (server: string) => boolean {
  const storage = plan.storage;
  if (storage === undefined) return () => false;
  const host = plan.hosts.find((h) => h.name === storage.host);
  const known = new Set(
    [storage.host, storage.nfs.server, storage.hostAddresses.ipv4, storage.hostAddresses.ipv6, host?.fqdn, host?.addresses.ipv4, host?.addresses.ipv6]
      .filter((x): x is string => x !== undefined)
      .map(canonicalServer),
  );
  return (server) => known.has(canonicalServer(server));
}

/** `X86-1.lan.example.org.` and `[2001:DB8::0005]` as `x86-1.lan.example.org` and `2001:db8::5`. */
function canonicalServer(server: string): string {
  const bare = server.trim().replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "").toLowerCase();
  return literalFamily(bare) !== undefined ? canonicalAddress(bare) : bare;
}

/**
 * The simulator's picture of the homelab: nodes from the plan, workloads and services from the manifests k3s will
 * apply (and the user's extra ones), the hosts outside the cluster whose failure matters.
 * Throws an H5bError naming file and object for a manifest it cannot read.
 */
export function buildModel(plan: ModelPlan, objects: readonly ManifestObject[]): Model {
  const issues: Issue[] = duplicates(objects);
  const nodes = plan.hosts.filter((h) => h.k3s !== undefined).map((h): SimNode => {
    const k = h.k3s as NonNullable<typeof h.k3s>;
    const server = k.role === "server";
    return {
      name: h.name,
      role: k.role,
      arch: h.arch,
      allocatable: k.allocatable,
      // What the kubelet (the deprecated beta labels too, which it still sets) and k3s's embedded cloud controller
      // add to the labels h5b sets.
      labels: {
        ...k.labels,
        "beta.kubernetes.io/arch": h.arch,
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/instance-type": "k3s",
        "kubernetes.io/arch": h.arch,
        "kubernetes.io/hostname": h.name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "k3s",
        ...(server ? { "node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/master": "true" } : {}),
      },
      taints: k.taints.map(parseTaint),
    };
  });

  const kindOf = (group: string, k: string) => ofKind(objects, group, k);
  const priorityClasses = new Map<string, number>(Object.entries(builtinPriorities));
  let defaultPriority = 0;
  const neverPreempt = new Set<string>();
  for (const pc of kindOf("scheduling.k8s.io", "PriorityClass")) {
    const value = num(pc.object.value) ?? 0;
    const name = str(metaOf(pc).name) ?? "";
    const never = pc.object.preemptionPolicy === "Never";
    priorityClasses.set(name, value);
    if (never) neverPreempt.add(name);
    if (pc.object.globalDefault === true) {
      defaultPriority = value;
      if (never) neverPreempt.add("");
    }
  }
  const nfsClass = plan.storage?.nfs.storageClass;
  const ctx: WorkloadContext = {
    declared: plan.workloads,
    prefix: plan.cluster.labelPrefix,
    claims: new Map(kindOf("", "PersistentVolumeClaim").map((c) => [`${namespaceOf(c)}/${str(metaOf(c).name)}`, str(rec(c.object.spec).storageClassName)])),
    // csi-driver-nfs's class is the default one, so a claim without a class lands on NFS too.
    onNfs: (cls) => nfsClass !== undefined && (cls === undefined || cls === nfsClass),
    isStorageServer: storageServer(plan),
    // The NFS server's hostPaths: what it serves goes down with ZFS (a path there on another node is a folder of
    // that node, but nothing h5b renders does that).
    datasetAt: (path) => plan.storage?.datasets.find((d) => path === d.mountpoint || path.startsWith(`${d.mountpoint}/`))?.fullName,
    priorityClasses,
    defaultPriority,
    neverPreempt,
  };
  const kindKey = (o: ManifestObject) => `${groupOf(o)}/${String(o.object.kind)}`;
  for (const o of objects.filter((x) => batchKinds.has(kindKey(x)))) {
    issues.push(warning("workload-not-simulated", whereOf(o), `not simulated: a ${String(o.object.kind)}'s pods run to completion, so the simulator neither places them nor counts what they request`));
  }
  const workloads = objects
    .filter((o) => workloadKinds.has(kindKey(o)))
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
