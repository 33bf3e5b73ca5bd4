import { selectorMatches } from "./_labels.js";
import { isClusterDns, type JudgeContext, judge } from "./_judge.js";
import { noNodePhrase, plural } from "./_phrases.js";
import { type Conditions, conditionsOf, type Failure, failureUnits } from "./failures.js";
import { evictionSeconds } from "./filters.js";
import { evict, preemption, type Victim } from "./preemption.js";
import { type SchedState, Scheduler } from "./scheduler.js";
import type { Model, SimService, SimWorkload, WorkloadKind } from "./types.js";

export type Status = "up" | "degraded" | "down";

/** A line of the matrix: a Service (with the workloads it selects), or a workload no Service selects. */
export interface Row {
  /** `Service apps/wireguard`, `Deployment apps/media`. */
  readonly id: string;
  readonly kind: "Service" | WorkloadKind;
  readonly namespace: string;
  readonly name: string;
  readonly workloads: readonly number[];
  readonly service?: SimService;
  readonly essential: boolean;
}

export interface Outcome {
  readonly status: Status;
  /** Replicas ready once rescheduling (if the API server allows it) is done. */
  readonly ready: number;
  /** Replicas ready right after the failure, before anything is rescheduled. */
  readonly readyAtFailure: number;
  readonly desired: number;
  /** DaemonSet pods gone with their node: by design never placed elsewhere, so no recovery is owed for them. */
  readonly lostWithNode: number;
  /** The reason chain: `its only replica ran on x86-1`, `no other worker runs amd64`. */
  readonly reasons: readonly string[];
}

/** Where a workload's pods are in one scenario. */
export interface Pods {
  readonly desired: number;
  /** Nodes of the pods that outlived the failure. */
  readonly kept: readonly number[];
  /** Nodes whose failure took a pod (one entry per pod). */
  readonly lost: readonly number[];
  /** Nodes of the pods rescheduled after the failure. */
  readonly moved: readonly number[];
  /** Nodes of its pods that a higher-priority pod preempted (they ran until then), and whose pods did. */
  readonly preempted?: Preempted;
  /** The lower-priority pods its new pods preempted. */
  readonly preempting?: readonly Victim[];
  /** Why some replicas are not running (cannot be placed, or not rescheduled). */
  readonly why?: string;
  readonly nfsDown: boolean;
}

export interface Preempted {
  readonly nodes: readonly number[];
  /** `namespace/name` of the workloads whose pods took their place. */
  readonly by: readonly string[];
}

/**
 * The simulator: places every workload on the healthy cluster once, then answers each scenario from that
 * placement, re-placing only the pods the failure took and re-judging only the rows they back.
 */
export class Simulator {
  readonly model: Model;
  readonly scheduler: Scheduler;
  readonly rows: readonly Row[];
  readonly failures: readonly Failure[];
  readonly healthy: readonly Outcome[];
  private readonly rowsOf: readonly number[][];
  private readonly onNode: readonly number[][];
  private readonly nfs: readonly number[];
  private readonly onNfs: Uint8Array;
  /** Rows of LoadBalancer services: Porygon, the gateway and announcing nodes touch them without moving a pod. */
  private readonly lbRows: readonly number[];
  private readonly announcing: ReadonlyMap<string, Uint8Array>;
  private readonly judging: JudgeContext;
  private readonly healthyPods: readonly Pods[];
  private readonly usedCpu: Float64Array;
  private readonly usedMem: Float64Array;
  private readonly order: readonly number[];
  /** Position of each workload in `order`. */
  private readonly rank: Int32Array;

  constructor(model: Model) {
    this.model = model;
    this.scheduler = new Scheduler(model);
    this.failures = failureUnits(model);
    const { nodes, workloads } = model;
    this.rows = buildRows(model, this.scheduler);
    const rowsOf: number[][] = workloads.map(() => []);
    this.rows.forEach((r, i) => r.workloads.forEach((w) => rowsOf[w]?.push(i)));
    this.rowsOf = rowsOf;
    // Workloads a storage failure stops: NFS clients, and the NFS server on its datasets.
    this.nfs = workloads.flatMap((w, i) => (w.volumes.some((v) => v.kind === "nfs" || (v.kind === "hostPath" && v.dataset !== undefined)) ? [i] : []));
    this.onNfs = new Uint8Array(workloads.length);
    for (const w of this.nfs) this.onNfs[w] = 1;
    this.lbRows = this.rows.flatMap((r, i) => (r.service?.type === "LoadBalancer" ? [i] : []));
    this.announcing = new Map(
      [...model.announcers].map(([pool, ads]) => [pool, Uint8Array.from(nodes, (n) => (ads.some((sels) => sels.length === 0 || sels.some((s) => selectorMatches(s, n.labels))) ? 1 : 0))]),
    );
    // Higher priority first, then the model's (sorted) order: the queue kube-scheduler works through.
    this.order = workloads.map((_, i) => i).sort((a, b) => (workloads[b]?.priority ?? 0) - (workloads[a]?.priority ?? 0) || a - b);

    this.rank = new Int32Array(workloads.length);
    this.order.forEach((w, i) => (this.rank[w] = i));
    const placed = this.placeHealthy();
    this.usedCpu = placed.state.usedCpu;
    this.usedMem = placed.state.usedMem;
    this.healthyPods = placed.pods;
    const onNode: number[][] = nodes.map(() => []);
    this.healthyPods.forEach((p, w) => new Set(p.kept).forEach((n) => onNode[n]?.push(w)));
    this.onNode = onNode;
    this.judging = { model, announcing: this.announcing, healthy: (w) => this.healthyPods[w] as Pods };
    const none = conditionsOf(model, []);
    this.healthy = this.rows.map((r) => judge(this.judging, r, none, (w) => this.healthyPods[w] as Pods));
  }

  /** Every replica on the healthy cluster: DaemonSets first (one pod per node they fit), then by priority and name. */
  private placeHealthy(): { pods: Pods[]; state: SchedState } {
    const { nodes, workloads } = this.model;
    const pods: number[][] = workloads.map(() => []);
    const state = this.state(new Uint8Array(nodes.length), new Float64Array(nodes.length), new Float64Array(nodes.length), new Map(pods.map((p, i) => [i, p])));
    const why: (string | undefined)[] = [];
    const daemonSet = (w: number) => workloads[w]?.kind === "DaemonSet";
    for (const w of this.order.filter(daemonSet)) {
      const eligible = this.scheduler.eligible[w] as readonly number[];
      if (eligible.length === 0) why[w] = `it runs on no node: ${noNodePhrase(this.scheduler.explain(w, state), workloads[w]?.architectures ?? [], false)}`;
      for (const n of eligible) {
        if (this.scheduler.fitsOn(w, n, state)) {
          this.scheduler.reserve(w, n, state);
          pods[w]?.push(n);
        } else why[w] = `no room for its pod on ${nodes[n]?.name}`;
      }
    }
    for (const w of this.order.filter((x) => !daemonSet(x))) {
      const wl = workloads[w] as SimWorkload;
      for (let i = 0; i < wl.replicas; i++) {
        const n = this.scheduler.place(w, state);
        if (n === undefined) {
          const left = wl.replicas - i;
          const which = left === wl.replicas ? (wl.replicas === 1 ? "its replica" : `its ${wl.replicas} replicas`) : `${left} of ${plural(wl.replicas, "replica")}`;
          why[w] = `${which} cannot be placed: ${noNodePhrase(this.scheduler.explain(w, state), wl.architectures, false)}`;
          break;
        }
        this.scheduler.reserve(w, n, state);
        pods[w]?.push(n);
      }
    }
    const result = workloads.map((wl, w): Pods => {
      const desired = wl.kind === "DaemonSet" ? (this.scheduler.eligible[w] as readonly number[]).length : wl.replicas;
      const reason = why[w];
      return { desired, kept: pods[w] as number[], lost: [], moved: [], ...(reason !== undefined ? { why: reason } : {}), nfsDown: false };
    });
    return { pods: result, state };
  }

  /** Node names of a workload's pods on the healthy cluster. */
  healthyNodes(w: number): string[] {
    return (this.healthyPods[w]?.kept ?? []).map((n) => this.model.nodes[n]?.name ?? "");
  }

  /** The outcome of every row when `failures` happen together. */
  run(failures: readonly Failure[]): Outcome[] {
    const cond = conditionsOf(this.model, failures);
    const affected = new Set<number>();
    for (const n of cond.failedNodes) for (const w of this.onNode[n] as number[]) affected.add(w);
    if (cond.storage !== undefined) for (const w of this.nfs) affected.add(w);
    const overrides = new Map<number, readonly number[]>();
    const state = this.state(cond.down, this.usedCpu.slice(), this.usedMem.slice(), overrides);
    const order = [...affected].sort((a, b) => (this.rank[a] as number) - (this.rank[b] as number));
    for (const w of order) overrides.set(w, (this.healthyPods[w] as Pods).kept.filter((n) => cond.down[n] === 0));
    const result = new Map<number, Pods>();
    // A preempted pod's workload is affected too. It joins the queue in priority order: its priority is below the
    // pod that took its place, so it is not handled yet, and whatever it preempts in turn is not either.
    const preempted = new Map<number, Preempted>();
    for (let i = 0; i < order.length; i++) {
      const w = order[i] as number;
      result.set(w, this.reschedule(w, cond, state, preempted));
      for (const v of preempted.keys()) {
        if (affected.has(v)) continue;
        affected.add(v);
        const at = order.findIndex((x, k) => k > i && (this.rank[x] as number) > (this.rank[v] as number));
        order.splice(at < 0 ? order.length : at, 0, v);
      }
    }

    const rows = new Set<number>();
    for (const w of affected) for (const r of this.rowsOf[w] as number[]) rows.add(r);
    for (const i of this.lbRows) {
      const s = this.rows[i]?.service as SimService;
      const publicPool = s.pool !== undefined && this.model.publicPools.includes(s.pool);
      const announcer = s.pool !== undefined ? this.announcing.get(s.pool) : undefined;
      if ((cond.dns !== undefined && s.dnsName !== undefined) || (cond.gateway !== undefined && publicPool) || (!s.local && cond.failedNodes.some((n) => announcer?.[n] === 1))) rows.add(i);
    }
    if (cond.dns !== undefined || cond.gateway !== undefined) this.rows.forEach((r, i) => r.service !== undefined && isClusterDns(r.service) && rows.add(i));
    const out = this.healthy.slice();
    for (const i of rows) out[i] = judge(this.judging, this.rows[i] as Row, cond, (w) => result.get(w) ?? (this.healthyPods[w] as Pods));
    return out;
  }

  private state(down: Uint8Array, usedCpu: Float64Array, usedMem: Float64Array, pods: Map<number, readonly number[]>): SchedState {
    const healthy = this.healthyPods;
    return {
      down,
      usedCpu,
      usedMem,
      pods: (w) => pods.get(w) ?? healthy?.[w]?.kept ?? [],
      setPods: (w, nodes) => pods.set(w, nodes),
    };
  }

  /** What happens to one workload's lost and preempted pods: rescheduled elsewhere, or why not. */
  private reschedule(w: number, cond: Conditions, state: SchedState, preempted: Map<number, Preempted>): Pods {
    const base = this.healthyPods[w] as Pods;
    const wl = this.model.workloads[w] as SimWorkload;
    const kept = state.pods(w);
    const lost = base.kept.filter((n) => cond.down[n] === 1);
    const mine = preempted.get(w);
    const nfsDown = cond.storage !== undefined && this.onNfs[w] === 1;
    let why = base.why;
    let replace = 0;
    if (lost.length > 0 && wl.kind !== "DaemonSet") {
      if (wl.kind === "Pod") why = "not recreated: a bare Pod has no controller to replace it";
      else if (cond.api !== undefined) why = `not rescheduled: the API server is down (${cond.api})`;
      else if (wl.kind === "StatefulSet") why = "not recreated: a StatefulSet waits until the lost node is deleted";
      else if (evictionSeconds(wl.tolerations) === undefined) why = "never evicted: it tolerates node.kubernetes.io/unreachable for ever";
      else replace = lost.length;
    }
    // A preempted pod is deleted at once: every controller but a DaemonSet's (bound to that node) makes another.
    if (mine !== undefined && wl.kind !== "DaemonSet" && wl.kind !== "Pod") replace += mine.nodes.length;
    const { moved, victims, failed } = this.replace(w, replace, state, preempted);
    if (failed !== undefined) why = `${failed === replace ? "" : `${failed} of them `}not rescheduled: ${noNodePhrase(this.scheduler.explain(w, state), wl.architectures, true)}`;
    return {
      desired: base.desired,
      kept,
      lost,
      moved,
      ...(mine !== undefined ? { preempted: mine } : {}),
      ...(victims.length > 0 ? { preempting: victims } : {}),
      ...(why !== undefined ? { why } : {}),
      nfsDown,
    };
  }

  /**
   * Places `count` new pods of `w`, preempting lower-priority pods where nothing else makes room. `failed`: how
   * many found no node.
   */
  private replace(w: number, count: number, state: SchedState, preempted: Map<number, Preempted>): { moved: number[]; victims: Victim[]; failed?: number } {
    const moved: number[] = [];
    const victims: Victim[] = [];
    const now = [...state.pods(w)];
    const name = this.workloadName(w);
    for (let i = 0; i < count; i++) {
      let n = this.scheduler.place(w, state);
      if (n === undefined) {
        const p = preemption(this.scheduler, w, state);
        if (p === undefined) return { moved, victims, failed: count - i };
        for (const v of p.victims) {
          evict(this.scheduler, v, state);
          const entry = preempted.get(v.workload) ?? { nodes: [], by: [] };
          preempted.set(v.workload, { nodes: [...entry.nodes, v.node], by: [...new Set([...entry.by, name])] });
        }
        victims.push(...p.victims);
        n = p.node;
      }
      this.scheduler.reserve(w, n, state);
      moved.push(n);
      now.push(n);
      state.setPods(w, now);
    }
    return { moved, victims };
  }

  private workloadName(w: number): string {
    const wl = this.model.workloads[w];
    return wl === undefined ? "" : `${wl.namespace}/${wl.name}`;
  }
}

function buildRows(model: Model, scheduler: Scheduler): Row[] {
  const backed = new Set<number>();
  const rows: Row[] = model.services.map((s) => {
    const workloads = scheduler.matching([s.namespace], { matchLabels: s.selector });
    for (const w of workloads) backed.add(w);
    return { id: `Service ${s.namespace}/${s.name}`, kind: "Service", namespace: s.namespace, name: s.name, workloads, service: s, essential: workloads.some((w) => model.workloads[w]?.essential === true) };
  });
  model.workloads.forEach((w, i) => {
    if (!backed.has(i)) rows.push({ id: `${w.kind} ${w.namespace}/${w.name}`, kind: w.kind, namespace: w.namespace, name: w.name, workloads: [i], essential: w.essential });
  });
  return rows;
}
