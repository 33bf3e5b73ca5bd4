import type { SchedState, Scheduler } from "./scheduler.js";
import type { Model, SimWorkload } from "./types.js";

/** A pod evicted to make room: its workload and its node. */
export interface Victim {
  readonly workload: number;
  readonly node: number;
}

/**
 * kube-scheduler's default preemption, reduced to what the model knows: when no node can take a pod of `w`, the
 * node where evicting strictly lower-priority pods makes room, with the victims. On each node every lower-priority
 * pod is removed, then spared again from the highest priority down while the pod still fits; the node whose
 * victims' highest priority is lowest wins, then the one with fewest victims, then node order. PodDisruptionBudgets
 * and graceful termination are not modelled. Undefined when the pod may not preempt or no node would do.
 */
export function preemption(sched: Scheduler, w: number, s: SchedState): { node: number; victims: readonly Victim[] } | undefined {
  const { model } = sched;
  const wl = model.workloads[w] as SimWorkload;
  if (wl.preemptionPolicy === "Never") return undefined;
  const lower = model.workloads.flatMap((v, i) => (v.priority < wl.priority ? [i] : []));
  if (lower.length === 0) return undefined;
  let best: { node: number; victims: readonly Victim[] } | undefined;
  for (const n of sched.eligible[w] as readonly number[]) {
    if (s.down[n] === 1) continue;
    const victims = victimsOn(sched, w, n, s, lower);
    if (victims !== undefined && (best === undefined || fewer(model, victims, best.victims))) best = { node: n, victims };
  }
  return best;
}

/** Takes a pod of `v` off node `n`: its requests back to the node, one of its pods fewer there. */
export function evict(sched: Scheduler, v: Victim, s: SchedState): void {
  const r = (sched.model.workloads[v.workload] as SimWorkload).request;
  s.usedCpu[v.node] = (s.usedCpu[v.node] as number) - r.millicores;
  s.usedMem[v.node] = (s.usedMem[v.node] as number) - r.memoryBytes;
  const pods = [...s.pods(v.workload)];
  pods.splice(pods.indexOf(v.node), 1);
  s.setPods(v.workload, pods);
}

/** The fewest lower-priority pods on `n` whose eviction lets a pod of `w` in, or undefined when none would. */
function victimsOn(sched: Scheduler, w: number, n: number, s: SchedState, lower: readonly number[]): Victim[] | undefined {
  const priority = (v: number) => (sched.model.workloads[v] as SimWorkload).priority;
  // Highest priority first: the order in which they are spared.
  const pods = lower
    .flatMap((v) => s.pods(v).flatMap((m) => (m === n ? [{ workload: v, node: n }] : [])))
    .sort((a, b) => priority(b.workload) - priority(a.workload) || a.workload - b.workload);
  if (pods.length === 0) return undefined;
  const t = trial(s);
  for (const p of pods) evict(sched, p, t);
  if (sched.place(w, t, n) === undefined) return undefined;
  const victims: Victim[] = [];
  for (const p of pods) {
    sched.reserve(p.workload, n, t);
    t.setPods(p.workload, [...t.pods(p.workload), n]);
    if (sched.place(w, t, n) !== undefined) continue;
    evict(sched, p, t);
    victims.push(p);
  }
  return victims;
}

/** Whether victims `a` are a better choice than `b`: a lower highest priority, then fewer pods. */
function fewer(model: Model, a: readonly Victim[], b: readonly Victim[]): boolean {
  const top = (vs: readonly Victim[]) => Math.max(...vs.map((v) => model.workloads[v.workload]?.priority ?? 0));
  return top(a) < top(b) || (top(a) === top(b) && a.length < b.length);
}

/** A copy of the state to try evictions on, leaving the scenario's own untouched. */
function trial(s: SchedState): SchedState {
  const pods = new Map<number, readonly number[]>();
  return { down: s.down, usedCpu: s.usedCpu.slice(), usedMem: s.usedMem.slice(), pods: (w) => pods.get(w) ?? s.pods(w), setPods: (w, nodes) => pods.set(w, nodes) };
}
