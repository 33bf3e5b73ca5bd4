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
    const taints = str(o.nodeTaintsPolicy);
    const affinity = str(o.nodeAffinityPolicy);
    const minDomains = num(o.minDomains);
    return {
      maxSkew: num(o.maxSkew) ?? 1,
      topologyKey: str(o.topologyKey) ?? "",
      whenUnsatisfiable: str(o.whenUnsatisfiable) === "ScheduleAnyway" ? "ScheduleAnyway" : "DoNotSchedule",
      ...(sel !== undefined ? { labelSelector: sel } : {}),
      ...(taints === "Honor" || taints === "Ignore" ? { nodeTaintsPolicy: taints } : {}),
      ...(affinity === "Honor" || affinity === "Ignore" ? { nodeAffinityPolicy: affinity } : {}),
      ...(minDomains !== undefined ? { minDomains } : {}),
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

type Request = { millicores: number; memoryBytes: number };

/**
 * One container's request. Admission copies a limit into the request it lacks (per resource), so a container with
 * limits alone reserves its limits.
 */
function containerRequest(c: unknown): Request {
  const resources = rec(rec(c).resources);
  const req = rec(resources.requests);
  const lim = rec(resources.limits);
  const cpu = req.cpu ?? lim.cpu;
  const mem = req.memory ?? lim.memory;
  return {
    millicores: typeof cpu === "number" ? cpu * 1000 : typeof cpu === "string" ? parseMillicores(cpu) : 0,
    memoryBytes: typeof mem === "number" ? mem : typeof mem === "string" ? parseBytes(mem) : 0,
  };
}

const add = (a: Request, b: Request): Request => ({ millicores: a.millicores + b.millicores, memoryBytes: a.memoryBytes + b.memoryBytes });
const max = (a: Request, b: Request): Request => ({ millicores: Math.max(a.millicores, b.millicores), memoryBytes: Math.max(a.memoryBytes, b.memoryBytes) });

/**
 * What the scheduler reserves for a pod, as kube-scheduler adds it up: the containers' requests summed, or the
 * largest init container's if larger. A sidecar (an init container with `restartPolicy: Always`) keeps running
 * beside the containers, so it counts in the sum, and under every init container that starts after it.
 */
export function podRequest(pod: Obj): Allocatable {
  let sum = list(pod.containers).map(containerRequest).reduce(add, { millicores: 0, memoryBytes: 0 });
  let sidecars: Request = { millicores: 0, memoryBytes: 0 };
  let init: Request = { millicores: 0, memoryBytes: 0 };
  for (const c of list(pod.initContainers)) {
    const r = containerRequest(c);
    if (str(rec(c).restartPolicy) === "Always") {
      sum = add(sum, r);
      sidecars = add(sidecars, r);
      init = max(init, sidecars);
    } else init = max(init, add(r, sidecars));
  }
  return max(sum, init);
}

export function podImages(pod: Obj): string[] {
  return [...list(pod.initContainers), ...list(pod.containers)].map((c) => str(rec(c).image)).filter((i): i is string => i !== undefined);
}
