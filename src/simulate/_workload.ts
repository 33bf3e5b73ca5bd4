import { error, type Issue, warning } from "../issue.js";
import type { PlanWorkload } from "../plan/types.js";
import { list, num, type Obj, rec, str, stringMap } from "./_obj.js";
import { affinityTerms, nodeSelectorTerm, podImages, podRequest, spreadConstraints, tolerations } from "./_podspec.js";
import { type ManifestObject, metaOf, namespaceOf, whereOf } from "./manifests.js";
import type { SimVolume, SimWorkload, WorkloadKind } from "./types.js";

/** What reading a workload needs besides the object: the spec's declarations, claims, priorities. */
export interface WorkloadContext {
  readonly declared: readonly PlanWorkload[];
  /** Label and annotation prefix (`h5b`). */
  readonly prefix: string;
  /** `namespace/claim` -> its storage class (undefined: the default class). */
  readonly claims: ReadonlyMap<string, string | undefined>;
  readonly onNfs: (storageClass: string | undefined) => boolean;
  /** Whether an inline NFS volume's server is the homelab's storage host (one of its names or addresses). */
  readonly isStorageServer: (server: string) => boolean;
  /** The ZFS dataset a host path lies in, if any. */
  readonly datasetAt: (path: string) => string | undefined;
  readonly priorityClasses: ReadonlyMap<string, number>;
  readonly defaultPriority: number;
  /** PriorityClasses with `preemptionPolicy: Never` ("" for the global default, when it is one). */
  readonly neverPreempt: ReadonlySet<string>;
}

/** A workload (a bare Pod too) as the scheduler model sees it; undefined (with an error) if unreadable. */
export function readWorkload(o: ManifestObject, ctx: WorkloadContext, issues: Issue[]): SimWorkload | undefined {
  const kind = o.object.kind as WorkloadKind;
  const name = str(metaOf(o).name);
  const namespace = namespaceOf(o);
  const spec = rec(o.object.spec);
  // A bare Pod is its own template.
  const tpl = kind === "Pod" ? { metadata: o.object.metadata, spec } : rec(spec.template);
  const pod = rec(tpl.spec);
  if (name === undefined || list(pod.containers).length === 0) {
    issues.push(error("manifest-workload", whereOf(o), `needs metadata.name and ${kind === "Pod" ? "spec" : "spec.template.spec"}.containers`));
    return undefined;
  }
  const images = podImages(pod);
  const annotations = { ...stringMap(rec(tpl.metadata).annotations), ...stringMap(metaOf(o).annotations) };
  const declared = ctx.declared.find((w) => w.namespace === namespace && w.name === name) ?? ctx.declared.find((w) => images.length > 0 && images.every((i) => i === w.image));
  const annotated = annotations[`${ctx.prefix}/architectures`];
  let architectures: readonly string[];
  let architecturesFrom: SimWorkload["architecturesFrom"];
  if (declared !== undefined) [architectures, architecturesFrom] = [declared.architectures, "spec"];
  else if (annotated !== undefined) [architectures, architecturesFrom] = [annotated.split(",").map((a) => a.trim()).filter((a) => a !== ""), "annotation"];
  else {
    [architectures, architecturesFrom] = [["amd64"], "assumed"];
    issues.push(warning("image-arch-unknown", whereOf(o), `architectures of ${images.join(", ")} unknown: assuming amd64 only (declare the workload in the spec, or annotate it with ${ctx.prefix}/architectures: "amd64,arm64")`));
  }
  const affinity = rec(pod.affinity);
  const nodeAff = rec(affinity.nodeAffinity);
  const required = rec(nodeAff.requiredDuringSchedulingIgnoredDuringExecution);
  if (list(rec(affinity.podAffinity).requiredDuringSchedulingIgnoredDuringExecution).length > 0) {
    issues.push(warning("pod-affinity-ignored", whereOf(o), "required pod affinity is not modelled: the simulator places this workload as if it had none"));
  }
  let request;
  try {
    request = podRequest(pod);
  } catch (e) {
    issues.push(error("manifest-quantity", whereOf(o), `bad resource request: ${(e as Error).message}`));
    return undefined;
  }
  const volumes: SimVolume[] = list(pod.volumes).map((v): SimVolume => {
    const vo = rec(v);
    const vname = str(vo.name) ?? "";
    const pvc = rec(vo.persistentVolumeClaim);
    const claim = str(pvc.claimName);
    if (claim !== undefined) return ctx.onNfs(ctx.claims.get(`${namespace}/${claim}`)) ? { name: vname, kind: "nfs", claim } : { name: vname, kind: "other" };
    // A NAS or another server outside the homelab's storage does not fail with it.
    if (vo.nfs !== undefined) return ctx.isStorageServer(str(rec(vo.nfs).server) ?? "") ? { name: vname, kind: "nfs" } : { name: vname, kind: "other" };
    if (vo.hostPath !== undefined) {
      const path = str(rec(vo.hostPath).path) ?? "";
      const dataset = ctx.datasetAt(path);
      return { name: vname, kind: "hostPath", path, ...(dataset !== undefined ? { dataset } : {}) };
    }
    if (vo.emptyDir !== undefined) return { name: vname, kind: "emptyDir" };
    return { name: vname, kind: "other" };
  });
  for (const t of list(spec.volumeClaimTemplates)) {
    const tn = str(rec(rec(t).metadata).name) ?? "";
    if (ctx.onNfs(str(rec(rec(t).spec).storageClassName))) volumes.push({ name: tn, kind: "nfs", claim: `${tn}-${name}-N` });
  }
  const priorityName = str(pod.priorityClassName);
  const reqTerms = list(required.nodeSelectorTerms);
  return {
    kind,
    namespace,
    name,
    source: o.file,
    replicas: kind === "DaemonSet" ? 0 : kind === "Pod" ? 1 : (num(spec.replicas) ?? 1),
    podLabels: stringMap(rec(tpl.metadata).labels),
    nodeSelector: stringMap(pod.nodeSelector),
    ...(str(pod.nodeName) !== undefined ? { nodeName: str(pod.nodeName) as string } : {}),
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
    essential: declared?.essential === true || annotations[`${ctx.prefix}/essential`] === "true",
    priority: num(pod.priority) ?? (priorityName !== undefined ? (ctx.priorityClasses.get(priorityName) ?? 0) : ctx.defaultPriority),
    ...(neverPreempts(pod, priorityName, ctx) ? { preemptionPolicy: "Never" as const } : {}),
  };
}

/** Admission copies the PriorityClass's preemptionPolicy into the pod, unless the pod sets its own. */
function neverPreempts(pod: Obj, priorityName: string | undefined, ctx: WorkloadContext): boolean {
  return (str(pod.preemptionPolicy) ?? (ctx.neverPreempt.has(priorityName ?? "") ? "Never" : undefined)) === "Never";
}
