import { selectorMatches, termMatches } from "./_labels.js";
import { affinityFilter, capacityFilter, type Rejection, staticFilters, taintFilter, tolerates } from "./filters.js";
import type { LabelSelector, Model, SimNode, SimWorkload, SpreadConstraint } from "./types.js";

const HOSTNAME = "kubernetes.io/hostname";

/** A spread rule compiled against the model: which workloads' pods it counts, over which domains. */
interface CompiledSpread {
  readonly c: SpreadConstraint;
  readonly peers: readonly number[];
  /** Domain of each node (undefined: the node lacks the key). */
  readonly domain: Domains;
  /**
   * Domains of the nodes the pod's node selection allows (every node with the key under `nodeAffinityPolicy:
   * Ignore`), down or not (Kubernetes keeps a NotReady node's domain).
   */
  readonly domains: readonly number[];
}

interface CompiledAnti {
  readonly peers: readonly number[];
  readonly domain: Domains;
}

/** A topology key's domains as small integers: `of[node]` is the node's domain, -1 when it lacks the key. */
interface Domains {
  readonly of: Int32Array;
  readonly size: number;
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
  private readonly index: ReadonlyMap<string, readonly number[]>;
  private readonly domainCache = new Map<string, Domains>();
  private readonly allocCpu: Float64Array;
  private readonly allocMem: Float64Array;
  /** Preferred node affinity weight of each node, for the workloads that have such preferences. */
  private readonly preferredWeights: readonly (Int32Array | undefined)[];

  constructor(model: Model) {
    this.model = model;
    const { nodes, workloads } = model;
    this.allocCpu = Float64Array.from(nodes, (n) => n.allocatable.millicores);
    this.allocMem = Float64Array.from(nodes, (n) => n.allocatable.memoryBytes);
    this.preferredWeights = workloads.map((w) =>
      w.preferredNodeTerms.length === 0 ? undefined : Int32Array.from(nodes, (n) => w.preferredNodeTerms.reduce((sum, p) => sum + (termMatches(p.preference, n.name, n.labels) ? p.weight : 0), 0)),
    );
    this.eligible = workloads.map((w) => nodes.flatMap((n, i) => (staticFilters(n, w) === undefined ? [i] : [])));
    // Pods by namespace and by label, so that resolving a selector does not scan every workload.
    const index = new Map<string, number[]>();
    const add = (key: string, j: number) => (index.get(key) ?? index.set(key, []).get(key))?.push(j);
    workloads.forEach((o, j) => {
      add(o.namespace, j);
      for (const [k, v] of Object.entries(o.podLabels)) add(`${o.namespace}\u0000${k}=${v}`, j);
    });
    this.index = index;
    const matching = (ns: readonly string[], sel: LabelSelector | undefined) => this.matching(ns, sel);
    const withAnti = workloads.flatMap((o, j) => o.antiAffinity.map((t) => ({ o, j, t })));
    this.spreads = workloads.map((w, i) => {
      // With no constraint of its own a pod still gets the scheduler's default soft spread over nodes.
      const own = w.spread.length > 0 ? w.spread : [{ maxSkew: 3, topologyKey: HOSTNAME, whenUnsatisfiable: "ScheduleAnyway" as const }];
      return own.map((c) => {
        const domain = this.domainOf(c.topologyKey);
        const counts = (k: number) => c.nodeAffinityPolicy === "Ignore" || this.selects(w, k);
        const allowed = nodes.flatMap((_, k) => (counts(k) && (domain.of[k] as number) >= 0 ? [domain.of[k] as number] : []));
        return { c, peers: c.labelSelector !== undefined ? matching([w.namespace], c.labelSelector) : w.spread.length > 0 ? [] : [i], domain, domains: [...new Set(allowed)] };
      });
    });
    this.antis = workloads.map((w, i) => {
      const own = w.antiAffinity.map((t) => ({ peers: matching(t.namespaces ?? [w.namespace], t.labelSelector), domain: this.domainOf(t.topologyKey) }));
      // Anti-affinity is symmetric: another workload's rule against this pod's labels keeps it away too.
      const theirs = withAnti
        .filter(({ o, t }) => (t.namespaces ?? [o.namespace]).includes(w.namespace) && selectorMatches(t.labelSelector, w.podLabels))
        .map(({ j, t }) => ({ peers: j === i ? [] : [j], domain: this.domainOf(t.topologyKey) }));
      return [...own, ...theirs].filter((a) => a.peers.length > 0);
    });
    this.softTaints = workloads.map((w) => Uint8Array.from(nodes, (n) => n.taints.filter((t) => t.effect === "PreferNoSchedule" && !w.tolerations.some((x) => tolerates(x, t))).length));
  }

  /** Workloads (indices, ascending) in one of `namespaces` whose pod labels the selector matches. */
  matching(namespaces: readonly string[], sel: LabelSelector | undefined): number[] {
    const first = Object.entries(sel?.matchLabels ?? {})[0];
    return namespaces
      .flatMap((n) => this.index.get(first === undefined ? n : `${n}\u0000${first[0]}=${first[1]}`) ?? [])
      .filter((j) => selectorMatches(sel, (this.model.workloads[j] as SimWorkload).podLabels))
      .sort((a, b) => a - b);
  }

  private domainOf(key: string): Domains {
    let d = this.domainCache.get(key);
    if (d === undefined) {
      const ids = new Map<string, number>();
      const of = Int32Array.from(this.model.nodes, (n) => {
        const v = n.labels[key];
        if (v === undefined) return -1;
        return ids.get(v) ?? ids.set(v, ids.size).size - 1;
      });
      d = { of, size: ids.size };
      this.domainCache.set(key, d);
    }
    return d;
  }

  private selects(w: SimWorkload, node: number): boolean {
    return affinityFilter(this.model.nodes[node] as SimNode, w) === undefined;
  }

  /** Where one more pod of workload `w` goes (on `only`, when given), or undefined when no node can take it. */
  place(w: number, s: SchedState, only?: number): number | undefined {
    const wl = this.model.workloads[w] as SimWorkload;
    const spreads = this.spreads[w] as readonly CompiledSpread[];
    const counts = spreads.map((sp) => this.countByDomain(sp, s));
    const mins = spreads.map((sp, k) => (sp.c.whenUnsatisfiable === "DoNotSchedule" ? this.minCount(sp, counts[k] as Int32Array, s, wl) : 0));
    const soft = this.softTaints[w] as Uint8Array;
    const pref = this.preferredWeights[w];
    const hasAnti = (this.antis[w] as readonly CompiledAnti[]).length > 0;
    const { millicores: cpu, memoryBytes: mem } = wl.request;
    // The score, compared in this order: fewer pods of its spread in the node's domain, fewer PreferNoSchedule
    // taints, more preferred-affinity weight, more room left (the mean of the CPU and memory shares).
    let best = -1;
    let bSpread = 0;
    let bTaint = 0;
    let bPref = 0;
    let bRoom = 0;
    const { down, usedCpu, usedMem } = s;
    const { allocCpu, allocMem } = this;
    const all = this.eligible[w] as readonly number[];
    const eligible = only === undefined ? all : all.includes(only) ? [only] : [];
    for (let i = 0; i < eligible.length; i++) {
      const n = eligible[i] as number;
      if (down[n] === 1) continue;
      const totalCpu = allocCpu[n] as number;
      const totalMem = allocMem[n] as number;
      const freeCpu = totalCpu - (usedCpu[n] as number) - cpu;
      const freeMem = totalMem - (usedMem[n] as number) - mem;
      if (freeCpu < 0 || freeMem < 0 || (hasAnti && this.antiViolated(w, n, s))) continue;
      let spread = 0;
      let ok = true;
      for (let k = 0; k < spreads.length && ok; k++) {
        const sp = spreads[k] as CompiledSpread;
        const d = sp.domain.of[n] as number;
        const hard = sp.c.whenUnsatisfiable === "DoNotSchedule";
        if (d < 0) {
          ok = !hard;
          continue;
        }
        const c = (counts[k] as Int32Array)[d] as number;
        if (hard) ok = c + 1 - (mins[k] as number) <= sp.c.maxSkew;
        else spread += c;
      }
      if (!ok) continue;
      const taint = soft[n] as number;
      const weight = pref === undefined ? 0 : (pref[n] as number);
      const room = totalCpu > 0 && totalMem > 0 ? freeCpu / totalCpu + freeMem / totalMem : 0;
      if (best === -1 || spread < bSpread || (spread === bSpread && (taint < bTaint || (taint === bTaint && (weight > bPref || (weight === bPref && room > bRoom)))))) {
        best = n;
        bSpread = spread;
        bTaint = taint;
        bPref = weight;
        bRoom = room;
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

  private antiViolated(w: number, n: number, s: SchedState): boolean {
    for (const a of this.antis[w] as readonly CompiledAnti[]) {
      const d = a.domain.of[n] as number;
      if (d < 0) continue;
      for (const p of a.peers) for (const m of s.pods(p)) if (a.domain.of[m] === d) return true;
    }
    return false;
  }

  private countByDomain(sp: CompiledSpread, s: SchedState): Int32Array {
    const counts = new Int32Array(sp.domain.size);
    for (const p of sp.peers) {
      for (const m of s.pods(p)) {
        const d = sp.domain.of[m] as number;
        if (d >= 0) counts[d] = (counts[d] as number) + 1;
      }
    }
    return counts;
  }

  private minCount(sp: CompiledSpread, counts: Int32Array, s: SchedState, wl: SimWorkload): number {
    let min = Number.POSITIVE_INFINITY;
    let eligible = 0;
    // Honor leaves out the domains of tainted nodes, unreachable (down) ones included; Ignore keeps them all.
    const live = sp.c.nodeTaintsPolicy === "Honor" ? new Set(this.model.nodes.flatMap((node, n) => (s.down[n] === 0 && taintFilter(node, wl.tolerations) === undefined ? [sp.domain.of[n] as number] : []))) : undefined;
    for (const d of sp.domains) {
      if (live !== undefined && !live.has(d)) continue;
      eligible++;
      min = Math.min(min, counts[d] as number);
    }
    // Too few domains to spread over: the scheduler counts the missing ones as empty.
    if (sp.c.minDomains !== undefined && eligible < sp.c.minDomains) return 0;
    return Number.isFinite(min) ? min : 0;
  }
}
