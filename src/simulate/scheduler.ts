import { selectorMatches, termMatches } from "./_labels.js";
import { affinityFilter, capacityFilter, type Rejection, staticFilters, taintFilter, tolerates } from "./filters.js";
import type { Model, SimNode, SimWorkload, SpreadConstraint } from "./types.js";

const HOSTNAME = "kubernetes.io/hostname";

/** A spread rule compiled against the model: which workloads' pods it counts, over which domains. */
interface CompiledSpread {
  readonly c: SpreadConstraint;
  readonly peers: readonly number[];
  /** Domain of each node (undefined: the node lacks the key). */
  readonly domain: readonly (string | undefined)[];
  /** Domains of the nodes the pod's node selection allows, down or not (Kubernetes keeps a NotReady node's domain). */
  readonly domains: readonly string[];
}

interface CompiledAnti {
  readonly peers: readonly number[];
  readonly domain: readonly (string | undefined)[];
}

/** Mutable per-scenario state: what each node has left and where each workload's pods are. */
export interface SchedState {
  readonly down: Uint8Array;
  readonly usedCpu: Float64Array;
  readonly usedMem: Float64Array;
  pods(w: number): readonly number[];
  setPods(w: number, nodes: readonly number[]): void;
}

export interface NodeRejection {
  readonly node: string;
  readonly rejection: Rejection;
}

/**
 * A deterministic model of kube-scheduler: filters (taints and tolerations, nodeSelector and node affinity,
 * image architecture, capacity, required pod anti-affinity, DoNotSchedule topology spread), then scoring
 * (ScheduleAnyway spread, PreferNoSchedule taints, preferred node affinity, least allocated, node name).
 * Static filters are worked out once per workload and node; a scenario only pays for the pods it moves.
 */
export class Scheduler {
  readonly model: Model;
  /** Nodes each workload's static filters accept, in node order. */
  readonly eligible: readonly (readonly number[])[];
  private readonly spreads: readonly (readonly CompiledSpread[])[];
  private readonly antis: readonly (readonly CompiledAnti[])[];
  private readonly softTaints: readonly Uint8Array[];
  private readonly domainCache = new Map<string, (string | undefined)[]>();

  constructor(model: Model) {
    this.model = model;
    const { nodes, workloads } = model;
    this.eligible = workloads.map((w) => nodes.flatMap((n, i) => (staticFilters(n, w) === undefined ? [i] : [])));
    const matching = (ns: readonly string[], sel: Parameters<typeof selectorMatches>[0]) =>
      workloads.flatMap((o, j) => (ns.includes(o.namespace) && selectorMatches(sel, o.podLabels) ? [j] : []));
    this.spreads = workloads.map((w, i) => {
      // With no constraint of its own a pod still gets the scheduler's default soft spread over nodes.
      const own = w.spread.length > 0 ? w.spread : [{ maxSkew: 3, topologyKey: HOSTNAME, whenUnsatisfiable: "ScheduleAnyway" as const }];
      return own.map((c) => {
        const domain = this.domainOf(c.topologyKey);
        const allowed = nodes.flatMap((n, k) => (this.selects(w, k) ? [domain[k]] : [])).filter((d): d is string => d !== undefined);
        return { c, peers: c.labelSelector !== undefined ? matching([w.namespace], c.labelSelector) : w.spread.length > 0 ? [] : [i], domain, domains: [...new Set(allowed)] };
      });
    });
    this.antis = workloads.map((w, i) => {
      const own = w.antiAffinity.map((t) => ({ peers: matching(t.namespaces ?? [w.namespace], t.labelSelector), domain: this.domainOf(t.topologyKey) }));
      // Anti-affinity is symmetric: another workload's rule against this pod's labels keeps it away too.
      const theirs = workloads.flatMap((o, j) =>
        o.antiAffinity.filter((t) => (t.namespaces ?? [o.namespace]).includes(w.namespace) && selectorMatches(t.labelSelector, w.podLabels)).map((t) => ({ peers: j === i ? [] : [j], domain: this.domainOf(t.topologyKey) })),
      );
      return [...own, ...theirs].filter((a) => a.peers.length > 0);
    });
    this.softTaints = workloads.map((w) => Uint8Array.from(nodes, (n) => n.taints.filter((t) => t.effect === "PreferNoSchedule" && !w.tolerations.some((x) => tolerates(x, t))).length));
  }

  private domainOf(key: string): (string | undefined)[] {
    let d = this.domainCache.get(key);
    if (d === undefined) {
      d = this.model.nodes.map((n) => n.labels[key]);
      this.domainCache.set(key, d);
    }
    return d;
  }

  private selects(w: SimWorkload, node: number): boolean {
    return affinityFilter(this.model.nodes[node] as SimNode, w) === undefined;
  }

  /** Where one more pod of workload `w` goes, or undefined when no node can take it. */
  place(w: number, s: SchedState): number | undefined {
    const wl = this.model.workloads[w] as SimWorkload;
    const spreads = this.spreads[w] as readonly CompiledSpread[];
    const counts = spreads.map((sp) => this.countByDomain(sp, s));
    const mins = spreads.map((sp, k) => (sp.c.whenUnsatisfiable === "DoNotSchedule" ? this.minCount(sp, counts[k] as Map<string, number>, s, wl) : 0));
    let best = -1;
    let bestKey: number[] = [];
    for (const n of this.eligible[w] as readonly number[]) {
      if (s.down[n] === 1 || !this.fitsOn(w, n, s) || this.antiViolated(w, n, s)) continue;
      let soft = 0;
      let hardOk = true;
      spreads.forEach((sp, k) => {
        const d = sp.domain[n];
        if (d === undefined) {
          if (sp.c.whenUnsatisfiable === "DoNotSchedule") hardOk = false;
          return;
        }
        const c = (counts[k] as Map<string, number>).get(d) ?? 0;
        if (sp.c.whenUnsatisfiable === "DoNotSchedule") {
          if (c + 1 - (mins[k] as number) > sp.c.maxSkew) hardOk = false;
        } else soft += c;
      });
      if (!hardOk) continue;
      const key = [soft, (this.softTaints[w] as Uint8Array)[n] as number, -this.preferred(wl, n), -this.freeShare(n, wl, s)];
      if (best === -1 || less(key, bestKey)) {
        best = n;
        bestKey = key;
      }
    }
    return best === -1 ? undefined : best;
  }

  /** Takes a pod's requests from a node. */
  reserve(w: number, n: number, s: SchedState): void {
    const r = (this.model.workloads[w] as SimWorkload).request;
    s.usedCpu[n] = (s.usedCpu[n] as number) + r.millicores;
    s.usedMem[n] = (s.usedMem[n] as number) + r.memoryBytes;
  }

  /** Why no node could take a pod of `w`: one rejection per live node, in node order. */
  explain(w: number, s: SchedState): NodeRejection[] {
    const wl = this.model.workloads[w] as SimWorkload;
    const out: NodeRejection[] = [];
    const spreads = this.spreads[w] as readonly CompiledSpread[];
    this.model.nodes.forEach((node, n) => {
      if (s.down[n] === 1) return;
      const r =
        staticFilters(node, wl) ??
        capacityFilter(this.free(n, s), wl.request) ??
        (this.antiViolated(w, n, s) ? { filter: "anti-affinity" as const, detail: "already runs a pod its anti-affinity excludes" } : undefined) ??
        (spreads.some((sp) => sp.c.whenUnsatisfiable === "DoNotSchedule")
          ? { filter: "spread" as const, detail: "one more pod there would break its DoNotSchedule topology spread" }
          : undefined);
      if (r !== undefined) out.push({ node: node.name, rejection: r });
    });
    return out;
  }

  private free(n: number, s: SchedState) {
    const a = (this.model.nodes[n] as SimNode).allocatable;
    return { millicores: a.millicores - (s.usedCpu[n] as number), memoryBytes: a.memoryBytes - (s.usedMem[n] as number) };
  }

  /** Capacity alone: whether the node has room for one more pod of `w`. */
  fitsOn(w: number, n: number, s: SchedState): boolean {
    const r = (this.model.workloads[w] as SimWorkload).request;
    const f = this.free(n, s);
    return r.millicores <= f.millicores && r.memoryBytes <= f.memoryBytes;
  }

  private freeShare(n: number, wl: SimWorkload, s: SchedState): number {
    const a = (this.model.nodes[n] as SimNode).allocatable;
    const f = this.free(n, s);
    const cpu = a.millicores > 0 ? (f.millicores - wl.request.millicores) / a.millicores : 0;
    const mem = a.memoryBytes > 0 ? (f.memoryBytes - wl.request.memoryBytes) / a.memoryBytes : 0;
    return (cpu + mem) / 2;
  }

  private preferred(wl: SimWorkload, n: number): number {
    if (wl.preferredNodeTerms.length === 0) return 0;
    const node = this.model.nodes[n] as SimNode;
    let sum = 0;
    for (const p of wl.preferredNodeTerms) if (termMatches(p.preference, node.name, node.labels)) sum += p.weight;
    return sum;
  }

  private antiViolated(w: number, n: number, s: SchedState): boolean {
    for (const a of this.antis[w] as readonly CompiledAnti[]) {
      const d = a.domain[n];
      if (d === undefined) continue;
      for (const p of a.peers) for (const m of s.pods(p)) if (a.domain[m] === d) return true;
    }
    return false;
  }

  private countByDomain(sp: CompiledSpread, s: SchedState): Map<string, number> {
    const counts = new Map<string, number>();
    for (const p of sp.peers) {
      for (const m of s.pods(p)) {
        const d = sp.domain[m];
        if (d !== undefined) counts.set(d, (counts.get(d) ?? 0) + 1);
      }
    }
    return counts;
  }

  private minCount(sp: CompiledSpread, counts: Map<string, number>, s: SchedState, wl: SimWorkload): number {
    let min = Number.POSITIVE_INFINITY;
    const honorTaints = sp.c.nodeTaintsPolicy === "Honor";
    const live = honorTaints ? new Set(this.model.nodes.flatMap((node, n) => (s.down[n] === 0 && taintFilter(node, wl.tolerations) === undefined && sp.domain[n] !== undefined ? [sp.domain[n] as string] : []))) : undefined;
    for (const d of sp.domains) {
      if (live !== undefined && !live.has(d)) continue;
      min = Math.min(min, counts.get(d) ?? 0);
    }
    return Number.isFinite(min) ? min : 0;
  }
}

function less(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x !== y) return x < y;
  }
  return false;
}
