import { parseBytes, parseMillicores } from "../_quantity.js";
import type { Allocatable } from "../plan/capacity.js";
import { list, num, type Obj, rec, str, stringMap, strings } from "./_obj.js";
import type { LabelSelector, NodeSelectorTerm, PodAffinityTerm, SelectorRequirement, SpreadConstraint, Toleration } from "./types.js";

/** Readers for the parts of a pod template the scheduler model uses. */

export function labelSelector(x: unknown): LabelSelector | undefined {
  if (x === undefined || x === null) return undefined;
  const o = rec(x);
  return { matchLabels: stringMap(o.matchLabels), matchExpressions: list(o.matchExpressions).map(requirement) };
}

function requirement(x: unknown): SelectorRequirement {
  const o = rec(x);
  return { key: str(o.key) ?? "", operator: (str(o.operator) ?? "In") as SelectorRequirement["operator"], values: strings(o.values) };
}

export function nodeSelectorTerm(x: unknown): NodeSelectorTerm {
  const o = rec(x);
  return { matchExpressions: list(o.matchExpressions).map(requirement), matchFields: list(o.matchFields).map(requirement) };
}

export function affinityTerms(x: unknown): PodAffinityTerm[] {
  return list(x).map((t) => {
    const o = rec(t);
    const sel = labelSelector(o.labelSelector);
    const namespaces = strings(o.namespaces);
    return { ...(sel !== undefined ? { labelSelector: sel } : {}), topologyKey: str(o.topologyKey) ?? "", ...(namespaces.length > 0 ? { namespaces } : {}) };
  });
}

export function spreadConstraints(x: unknown): SpreadConstraint[] {
  return list(x).map((c) => {
    const o = rec(c);
    const sel = labelSelector(o.labelSelector);
    const policy = str(o.nodeTaintsPolicy);
    return {
      maxSkew: num(o.maxSkew) ?? 1,
      topologyKey: str(o.topologyKey) ?? "",
      whenUnsatisfiable: str(o.whenUnsatisfiable) === "ScheduleAnyway" ? "ScheduleAnyway" : "DoNotSchedule",
      ...(sel !== undefined ? { labelSelector: sel } : {}),
      ...(policy === "Honor" || policy === "Ignore" ? { nodeTaintsPolicy: policy } : {}),
    };
  });
}

export function tolerations(x: unknown): Toleration[] {
  return list(x).map((t) => {
    const o = rec(t);
    const out: { -readonly [K in keyof Toleration]: Toleration[K] } = {};
    const key = str(o.key);
    const op = str(o.operator);
    const value = str(o.value);
    const effect = str(o.effect);
    const seconds = num(o.tolerationSeconds);
    if (key !== undefined) out.key = key;
    if (op === "Exists" || op === "Equal") out.operator = op;
    if (value !== undefined) out.value = value;
    if (effect !== undefined) out.effect = effect;
    if (seconds !== undefined) out.tolerationSeconds = seconds;
    return out;
  });
}

/** What the scheduler reserves for a pod: the containers' requests summed, or the largest init container's. */
export function podRequest(pod: Obj): Allocatable {
  const one = (c: unknown): Allocatable => {
    const req = rec(rec(rec(c).resources).requests);
    const cpu = req.cpu;
    const mem = req.memory;
    return {
      millicores: typeof cpu === "number" ? cpu * 1000 : typeof cpu === "string" ? parseMillicores(cpu) : 0,
      memoryBytes: typeof mem === "number" ? mem : typeof mem === "string" ? parseBytes(mem) : 0,
    };
  };
  const sum: { millicores: number; memoryBytes: number } = list(pod.containers).map(one).reduce((a, b) => ({ millicores: a.millicores + b.millicores, memoryBytes: a.memoryBytes + b.memoryBytes }), { millicores: 0, memoryBytes: 0 });
  for (const init of list(pod.initContainers).map(one)) {
    sum.millicores = Math.max(sum.millicores, init.millicores);
    sum.memoryBytes = Math.max(sum.memoryBytes, init.memoryBytes);
  }
  return sum;
}

export function podImages(pod: Obj): string[] {
  return [...list(pod.initContainers), ...list(pod.containers)].map((c) => str(rec(c).image)).filter((i): i is string => i !== undefined);
}
