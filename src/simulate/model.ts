import { error, H5bError, type Issue, warning } from "../issue.js";
import type { Plan } from "../plan/types.js";
import { list, num, rec, str, stringMap, strings } from "./_obj.js";
import { affinityTerms, labelSelector, nodeSelectorTerm, podImages, podRequest, spreadConstraints, tolerations } from "./_podspec.js";
import { describe } from "../check/manifests.js";
import type { ManifestObject } from "./manifests.js";
import type { Effect, LabelSelector, Model, SimNode, SimService, SimVolume, SimWorkload, Taint, WorkloadKind } from "./types.js";
import { selectorMatches } from "./_labels.js";

/** The parts of the plan the model reads (the bench and the checker build it from these alone). */
export type ModelPlan = Pick<Plan, "site" | "hosts" | "cluster" | "dns" | "workloads" | "loadBalancers" | "storage">;

const builtinPriorities: Readonly<Record<string, number>> = { "system-node-critical": 2000001000, "system-cluster-critical": 2000000000 };
const workloadKinds = new Set<string>(["Deployment", "StatefulSet", "DaemonSet"]);
const byKey = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/**
 * The simulator's picture of the homelab: nodes from the plan, workloads and services from the manifests k3s will
 * apply (and the user's extra ones), the hosts outside the cluster whose failure matters.
 * Throws an H5bError naming file and object for a manifest it cannot read.
 */
export function buildModel(plan: ModelPlan, objects: readonly ManifestObject[]): Model {
  const issues: Issue[] = [];
  const prefix = plan.cluster.labelPrefix;
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
  const meta = (o: ManifestObject) => rec(o.object.metadata);
  const nsOf = (o: ManifestObject) => str(meta(o).namespace) ?? "default";
  const where = (o: ManifestObject) => `${o.file}: ${describe(o)}`;

  const priorityClasses = new Map<string, number>(Object.entries(builtinPriorities));
  let defaultPriority = 0;
  for (const pc of kindOf("PriorityClass")) {
    const value = num(pc.object.value) ?? 0;
    priorityClasses.set(str(meta(pc).name) ?? "", value);
    if (pc.object.globalDefault === true) defaultPriority = value;
  }
  const nfsClass = plan.storage?.nfs.storageClass;
  const claims = new Map(kindOf("PersistentVolumeClaim").map((c) => [`${nsOf(c)}/${str(meta(c).name)}`, str(rec(c.object.spec).storageClassName)]));
  // csi-driver-nfs's class is the default one, so a claim without a class lands on NFS too.
  const onNfs = (cls: string | undefined) => nfsClass !== undefined && (cls === undefined || cls === nfsClass);

  const workloads: SimWorkload[] = [];
  for (const o of objects.filter((x) => workloadKinds.has(String(x.object.kind)))) {
    const kind = o.object.kind as WorkloadKind;
    const name = str(meta(o).name);
    const namespace = nsOf(o);
    const spec = rec(o.object.spec);
    const tpl = rec(spec.template);
    const pod = rec(tpl.spec);
    if (name === undefined || list(pod.containers).length === 0) {
      issues.push(error("manifest-workload", where(o), "needs metadata.name and spec.template.spec.containers"));
      continue;
    }
    const images = podImages(pod);
    const annotations = { ...stringMap(rec(tpl.metadata).annotations), ...stringMap(meta(o).annotations) };
    const declared = plan.workloads.find((w) => w.namespace === namespace && w.name === name) ?? plan.workloads.find((w) => images.length > 0 && images.every((i) => i === w.image));
    const annotated = annotations[`${prefix}/architectures`];
    let architectures: readonly string[];
    let architecturesFrom: SimWorkload["architecturesFrom"];
    if (declared !== undefined) [architectures, architecturesFrom] = [declared.architectures, "spec"];
    else if (annotated !== undefined) [architectures, architecturesFrom] = [annotated.split(",").map((a) => a.trim()).filter((a) => a !== ""), "annotation"];
    else {
      [architectures, architecturesFrom] = [["amd64"], "assumed"];
      issues.push(warning("image-arch-unknown", where(o), `architectures of ${images.join(", ")} unknown: assuming amd64 only (declare the workload in the spec, or annotate it with ${prefix}/architectures: "amd64,arm64")`));
    }
    const affinity = rec(pod.affinity);
    const nodeAff = rec(affinity.nodeAffinity);
    const required = rec(nodeAff.requiredDuringSchedulingIgnoredDuringExecution);
    if (list(rec(affinity.podAffinity).requiredDuringSchedulingIgnoredDuringExecution).length > 0) {
      issues.push(warning("pod-affinity-ignored", where(o), "required pod affinity is not modelled: the simulator places this workload as if it had none"));
    }
    let request;
    try {
      request = podRequest(pod);
    } catch (e) {
      issues.push(error("manifest-quantity", where(o), `bad resource request: ${(e as Error).message}`));
      continue;
    }
    const volumes: SimVolume[] = list(pod.volumes).map((v): SimVolume => {
      const vo = rec(v);
      const vname = str(vo.name) ?? "";
      const pvc = rec(vo.persistentVolumeClaim);
      const claim = str(pvc.claimName);
      if (claim !== undefined) return onNfs(claims.get(`${namespace}/${claim}`)) ? { name: vname, kind: "nfs", claim } : { name: vname, kind: "other" };
      if (vo.nfs !== undefined) return { name: vname, kind: "nfs" };
      if (vo.hostPath !== undefined) return { name: vname, kind: "hostPath", path: str(rec(vo.hostPath).path) ?? "" };
      if (vo.emptyDir !== undefined) return { name: vname, kind: "emptyDir" };
      return { name: vname, kind: "other" };
    });
    for (const t of list(spec.volumeClaimTemplates)) {
      const tn = str(rec(rec(t).metadata).name) ?? "";
      if (onNfs(str(rec(rec(t).spec).storageClassName))) volumes.push({ name: tn, kind: "nfs", claim: `${tn}-${name}-N` });
    }
    const priorityName = str(pod.priorityClassName);
    const reqTerms = list(required.nodeSelectorTerms);
    workloads.push({
      kind,
      namespace,
      name,
      source: o.file,
      replicas: kind === "DaemonSet" ? 0 : (num(spec.replicas) ?? 1),
      podLabels: stringMap(rec(tpl.metadata).labels),
      nodeSelector: stringMap(pod.nodeSelector),
      ...(reqTerms.length > 0 ? { requiredNodeTerms: reqTerms.map(nodeSelectorTerm) } : {}),
      preferredNodeTerms: list(nodeAff.preferredDuringSchedulingIgnoredDuringExecution).map((p) => ({ weight: num(rec(p).weight) ?? 1, preference: nodeSelectorTerm(rec(p).preference) })),
      antiAffinity: affinityTerms(rec(affinity.podAntiAffinity).requiredDuringSchedulingIgnoredDuringExecution),
      spread: spreadConstraints(pod.topologySpreadConstraints),
      tolerations: tolerations(pod.tolerations),
      request,
      volumes,
      images,
      architectures,
      architecturesFrom,
      essential: declared?.essential === true || annotations[`${prefix}/essential`] === "true",
      priority: num(pod.priority) ?? (priorityName !== undefined ? (priorityClasses.get(priorityName) ?? 0) : defaultPriority),
    });
  }
  workloads.sort(byKey((w) => `${w.namespace}/${w.name}/${w.kind}`));

  const pools = kindOf("IPAddressPool").map((p) => ({ name: str(meta(p).name) ?? "", labels: stringMap(meta(p).labels), autoAssign: rec(p.object.spec).autoAssign !== false }));
  const poolNames = pools.length > 0 ? pools.map((p) => p.name) : plan.cluster.pools.map((p) => p.name);
  const announcers = new Map<string, LabelSelector[][]>(poolNames.map((n) => [n, []]));
  for (const adv of kindOf("L2Advertisement")) {
    const spec = rec(adv.object.spec);
    const named = strings(spec.ipAddressPools);
    const selectors = list(spec.ipAddressPoolSelectors).map(labelSelector);
    const all = named.length === 0 && selectors.length === 0;
    const nodeSelectors = list(spec.nodeSelectors).map((s) => labelSelector(s) ?? {});
    for (const p of pools.length > 0 ? pools : poolNames.map((name) => ({ name, labels: {} }))) {
      if (all || named.includes(p.name) || selectors.some((s) => selectorMatches(s, p.labels))) announcers.get(p.name)?.push(nodeSelectors);
    }
  }

  const a = plan.cluster.metallbAnnotations;
  const dnsKeys = ["external-dns.kubernetes.io/hostname", "external-dns.alpha.kubernetes.io/hostname", `${plan.cluster.externalDns.annotationPrefix}hostname`];
  const autoPool = pools.find((p) => p.autoAssign)?.name ?? plan.cluster.pools.find((p) => p.autoAssign)?.name;
  const services: SimService[] = [];
  for (const s of kindOf("Service")) {
    const spec = rec(s.object.spec);
    const selector = stringMap(spec.selector);
    if (Object.keys(selector).length === 0) continue; // endpoints managed by hand: nothing to simulate
    const ann = stringMap(meta(s).annotations);
    const type = str(spec.type) === "LoadBalancer" ? "LoadBalancer" : str(spec.type) === "NodePort" ? "NodePort" : "ClusterIP";
    const name = str(meta(s).name) ?? "";
    const namespace = nsOf(s);
    const planned = plan.loadBalancers.find((lb) => lb.namespace === namespace && lb.name === name);
    const pool = ann[a.pool] ?? ann["metallb.io/address-pool"] ?? ann["metallb.universe.tf/address-pool"] ?? planned?.pool ?? autoPool;
    const ips = ann[a.ips] ?? ann["metallb.io/loadBalancerIPs"];
    const addresses = planned?.addresses !== undefined ? Object.values(planned.addresses) : ips !== undefined ? ips.split(",").map((x) => x.trim()) : [];
    const dnsName = dnsKeys.map((k) => ann[k]).find((v) => v !== undefined);
    services.push({
      namespace,
      name,
      source: s.file,
      type,
      selector,
      local: str(spec.externalTrafficPolicy) === "Local",
      ...(type === "LoadBalancer" && pool !== undefined ? { pool } : {}),
      addresses: type === "LoadBalancer" ? addresses : [],
      ...(type === "LoadBalancer" && dnsName !== undefined ? { dnsName } : {}),
    });
  }
  services.sort(byKey((s) => `${s.namespace}/${s.name}`));

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

export function parseTaint(text: string): Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(text);
  if (m === null) throw new Error(`bad taint in the plan: ${text}`);
  return { key: m[1] as string, value: m[2] ?? "", effect: m[3] as Effect };
}
