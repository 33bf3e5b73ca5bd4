import { formatBytes } from "../_quantity.js";
import type { Allocatable } from "../plan/capacity.js";
import { formatSelector, termMatches } from "./_labels.js";
import type { SimNode, SimWorkload, Taint, Toleration } from "./types.js";

/** Why a node cannot take a pod: which filter said no, and in words. */
export interface Rejection {
  readonly filter: "taints" | "affinity" | "architecture" | "capacity" | "anti-affinity" | "spread";
  readonly detail: string;
}

export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect !== undefined && t.effect !== "" && t.effect !== taint.effect) return false;
  // An empty key with Exists tolerates every taint.
  if (t.key === undefined || t.key === "") return t.operator === "Exists";
  if (t.key !== taint.key) return false;
  return t.operator === "Exists" || (t.value ?? "") === taint.value;
}

const UNREACHABLE: Taint = { key: "node.kubernetes.io/unreachable", value: "", effect: "NoExecute" };

/**
 * Seconds a pod stays bound to an unreachable node before it is evicted, as the taint manager decides: the least
 * `tolerationSeconds` among its tolerations of the taint, for ever (undefined) when none of them sets one, and 300
 * when it has none (the DefaultTolerationSeconds admission plugin adds that one).
 */
export function evictionSeconds(tolerations: readonly Toleration[]): number | undefined {
  const matching = tolerations.filter((t) => tolerates(t, UNREACHABLE));
  if (matching.length === 0) return 300;
  const timed = matching.flatMap((t) => (t.tolerationSeconds !== undefined ? [Math.max(0, t.tolerationSeconds)] : []));
  return timed.length > 0 ? Math.min(...timed) : undefined;
}

/** Taints filter: a NoSchedule or NoExecute taint the pod does not tolerate keeps it off the node. */
export function taintFilter(node: SimNode, tolerations: readonly Toleration[]): Rejection | undefined {
  for (const taint of node.taints) {
    if (taint.effect === "PreferNoSchedule") continue;
    if (!tolerations.some((t) => tolerates(t, taint))) {
      return { filter: "taints", detail: `taint ${taint.key}${taint.value !== "" ? `=${taint.value}` : ""}:${taint.effect} not tolerated` };
    }
  }
  return undefined;
}

/** Node selection filter: nodeSelector and required node affinity (terms ORed, expressions ANDed). */
export function affinityFilter(node: SimNode, w: Pick<SimWorkload, "nodeSelector" | "requiredNodeTerms">): Rejection | undefined {
  for (const [k, v] of Object.entries(w.nodeSelector)) {
    if (node.labels[k] !== v) return { filter: "affinity", detail: `does not match nodeSelector ${formatSelector(w.nodeSelector)}` };
  }
  const terms = w.requiredNodeTerms;
  if (terms !== undefined && !terms.some((t) => termMatches(t, node.name, node.labels))) {
    return { filter: "affinity", detail: "does not match its required node affinity" };
  }
  return undefined;
}

/** Architecture filter: every image of the pod must be published for the node's architecture. */
export function architectureFilter(node: SimNode, architectures: readonly string[]): Rejection | undefined {
  if (architectures.includes(node.arch)) return undefined;
  return { filter: "architecture", detail: `runs ${node.arch}, the image is ${architectures.join("/")} only` };
}

/** Capacity filter: what is left of the node's allocatable CPU and memory must hold the pod's requests. */
export function capacityFilter(free: Allocatable, request: Allocatable): Rejection | undefined {
  const short: string[] = [];
  if (request.millicores > free.millicores) short.push(`${Math.max(0, free.millicores)}m CPU free, needs ${request.millicores}m`);
  if (request.memoryBytes > free.memoryBytes) short.push(`${formatBytes(Math.max(0, free.memoryBytes))} memory free, needs ${formatBytes(request.memoryBytes)}`);
  return short.length > 0 ? { filter: "capacity", detail: short.join(" and ") } : undefined;
}

/** The filters that do not depend on where other pods are: computed once per workload and node. */
export function staticFilters(node: SimNode, w: SimWorkload): Rejection | undefined {
  // Architecture before affinity: a rendered workload's affinity repeats its architectures, and that is the reason to tell.
  // A pod bound by nodeName skips the scheduler: only its node, and only the taints that evict (NoExecute), matter.
  if (w.nodeName !== undefined) {
    if (w.nodeName !== node.name) return { filter: "affinity", detail: `its pods are bound to ${w.nodeName} (nodeName)` };
    return taintFilter({ ...node, taints: node.taints.filter((t) => t.effect === "NoExecute") }, w.tolerations) ?? architectureFilter(node, w.architectures);
  }
  return taintFilter(node, w.tolerations) ?? architectureFilter(node, w.architectures) ?? affinityFilter(node, w);
}
