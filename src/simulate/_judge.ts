import { alternatives, lostPhrase, names, plural } from "./_phrases.js";
import type { Outcome, Pods, Row, Status } from "./engine.js";
import type { Conditions } from "./failures.js";
import { evictionSeconds } from "./filters.js";
import type { Victim } from "./preemption.js";
import type { Model, SimWorkload } from "./types.js";

/** When a lost pod is replaced: after its eviction timeout (the node's 50 s grace before NotReady comes first). */
function eviction(wl: SimWorkload): string {
  const s = evictionSeconds(wl.tolerations) ?? 300;
  return s === 300 ? "after the 5-minute eviction timeout" : `after its ${s}-second eviction timeout`;
}

/**
 * Where MetalLB announces an address from once a failure took some of the nodes it could announce from. It elects
 * one of the candidates by a hash the model does not reproduce, so the address surely moves only when every former
 * candidate is down, and its node is known only when one candidate is left.
 */
function addressPhrase(before: readonly string[], gone: readonly string[], after: readonly string[]): string {
  const moved = gone.length === before.length;
  if (after.length === 1) return moved ? `its address moves to ${after[0]}` : `its address is announced from ${after[0]}`;
  return `its address moves to ${alternatives(after)}${moved ? "" : ` if ${names(gone)} announced it`}`;
}

/** `its only replica was preempted`, `1 of 2 replicas were preempted`. */
function preemptedPhrase(n: number, total: number): string {
  if (n === total) return total === 1 ? "its only replica was preempted" : `its ${total} replicas were preempted`;
  return `${n} of ${plural(total, "replica")} ${n === 1 ? "was" : "were"} preempted`;
}

/** `apps/filler on pi-worker`, `2 pods of apps/batch on a and b`. */
function victimsPhrase(model: Model, victims: readonly Victim[], nodeName: (n: number) => string): string {
  const byWorkload = new Map<number, number[]>();
  for (const v of victims) byWorkload.set(v.workload, [...(byWorkload.get(v.workload) ?? []), v.node]);
  return [...byWorkload]
    .map(([w, nodes]) => {
      const wl = model.workloads[w];
      const who = `${wl?.namespace}/${wl?.name}`;
      return `${nodes.length > 1 ? `${nodes.length} pods of ${who}` : who} on ${names(nodes.map(nodeName))}`;
    })
    .join(", ");
}

/** The cluster's DNS Service (k3s's name for it, which h5b's cluster DNS keeps). */
export function isClusterDns(s: { readonly namespace: string; readonly name: string }): boolean {
  return s.namespace === "kube-system" && s.name === "kube-dns";
}

export interface JudgeContext {
  readonly model: Model;
  /** Pool -> 1 for each node an L2Advertisement of the pool announces from. */
  readonly announcing: ReadonlyMap<string, Uint8Array>;
  /** A workload's pods on the healthy cluster. */
  readonly healthy: (w: number) => Pods;
}

/**
 * A row's status in one scenario, and the reasons in order: what the failure took, what rescheduling did, storage,
 * where MetalLB announces the address from, names and internet access.
 */
export function judge(ctx: JudgeContext, row: Row, cond: Conditions, podsOf: (w: number) => Pods): Outcome {
  const nodeName = (n: number) => ctx.model.nodes[n]?.name ?? "";
  const reasons: string[] = [];
  let desired = 0;
  let lostWithNode = 0;
  let atFailure = 0;
  let after = 0;
  const readyAt: number[] = [];
  const readyAfter: number[] = [];
  // Workloads that ask for no pod (a DaemonSet that fits no node has said why already).
  const idle: ((s: string) => void)[] = [];
  for (const w of row.workloads) {
    const p = podsOf(w);
    const wl = ctx.model.workloads[w] as SimWorkload;
    const say = (s: string) => reasons.push(row.workloads.length > 1 || (row.kind === "Service" && row.name !== wl.name) ? `${wl.name}: ${s}` : s);
    desired += p.desired;
    if (p.desired === 0 && wl.kind !== "DaemonSet") idle.push(say);
    if (wl.kind === "DaemonSet") lostWithNode += p.lost.length;
    const preempted = p.preempted?.nodes ?? [];
    const total = p.kept.length + p.lost.length + preempted.length;
    if (p.lost.length > 0) say(wl.kind === "DaemonSet" ? `its pods on ${names(p.lost.map(nodeName))} are gone with the node` : lostPhrase(p.lost.map(nodeName), total));
    if (p.preempted !== undefined) say(`${preemptedPhrase(preempted.length, total)} on ${names(preempted.map(nodeName))} by ${names(p.preempted.by)} (higher priority)`);
    if (p.moved.length > 0) {
      // Only a pod lost with its node waits for the eviction timeout; a preempted one is replaced at once.
      say(p.lost.length > 0 ? `rescheduled on ${names(p.moved.map(nodeName))} ${eviction(wl)}` : `recreated on ${names(p.moved.map(nodeName))}`);
      // The nodes resolve through Porygon alone and reach registries through the gateway: only an image already
      // on the node starts while either is down.
      const noRegistry = cond.dns !== undefined ? `no registry resolves (${cond.dns})` : cond.gateway !== undefined ? `no registry is reachable (${cond.gateway})` : undefined;
      if (noRegistry !== undefined) say(`its new pods start only where its image is already pulled: ${noRegistry}`);
    }
    if (p.preempting !== undefined) say(`preempting ${victimsPhrase(ctx.model, p.preempting, nodeName)} (lower priority)`);
    if (p.why !== undefined) say(p.why);
    if (p.nfsDown && p.kept.length + p.moved.length > 0) {
      const claim = wl.volumes.find((v) => v.kind === "nfs");
      const dataset = wl.volumes.find((v) => v.kind === "hostPath" && v.dataset !== undefined);
      const where =
        claim?.kind === "nfs"
          ? `NFS${claim.claim !== undefined ? ` (claim ${claim.claim})` : ""}`
          : `ZFS${dataset?.kind === "hostPath" && dataset.dataset !== undefined ? ` (${dataset.dataset})` : ""}`;
      say(`its data is on ${where} and storage is down (${cond.storage})`);
    } else {
      // A preempted pod served until a replacement of the failure took its place.
      readyAt.push(...p.kept, ...preempted);
      readyAfter.push(...p.kept, ...p.moved);
      atFailure += p.kept.length + preempted.length;
      after += p.kept.length + p.moved.length;
    }
  }
  if (row.workloads.length === 0) reasons.push(`its selector ${Object.entries(row.service?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(",")} matches no pods`);
  let reachableAt = atFailure > 0;
  let reachableAfter = after > 0;
  const s = row.service;
  if (s?.type === "LoadBalancer") {
    const announcer = s.pool !== undefined ? ctx.announcing.get(s.pool) : undefined;
    const from = (ready: readonly number[], down = cond.down) => {
      if (announcer === undefined) return [];
      const live = (n: number) => down[n] === 0 && announcer[n] === 1;
      return s.local ? [...new Set(ready.filter(live))] : ready.length > 0 ? ctx.model.nodes.flatMap((_, n) => (live(n) ? [n] : [])) : [];
    };
    const at = from(readyAt);
    const later = from(readyAfter);
    if (announcer === undefined || !announcer.includes(1)) reasons.push(`no L2Advertisement announces pool ${s.pool ?? "(none)"}`);
    else if (later.length === 0 && after > 0) reasons.push(`MetalLB announces its address from no node: none it announces from has a ready endpoint${s.local ? " (Local policy)" : ""}`);
    else if (cond.failedNodes.length > 0 && (at.length > 0 || later.length > 0)) {
      const healthyFrom = from(row.workloads.flatMap((w) => (ctx.healthy(w)).kept), new Uint8Array(cond.down.length));
      const gone = healthyFrom.filter((n) => cond.down[n] === 1);
      if (gone.length > 0 && later.length > 0) reasons.push(`${addressPhrase(healthyFrom.map(nodeName), gone.map(nodeName), later.map(nodeName))}${s.local ? " (Local policy: a node with a ready endpoint)" : ""}`);
    }
    reachableAt &&= at.length > 0;
    reachableAfter &&= later.length > 0;
  }
  let status: Status = !reachableAfter || !reachableAt ? "down" : atFailure < desired || after < desired ? "degraded" : "up";
  if (desired === 0 && row.workloads.length > 0) {
    status = "down";
    for (const say of idle) say("it asks for 0 replicas");
  }
  if (s !== undefined && isClusterDns(s)) {
    // Cluster DNS answers cluster.local itself and forwards every other name to the nodes' resolver, Porygon.
    if (cond.dns !== undefined) reasons.push(`pods resolve cluster.local names only: every other name is forwarded to the nodes' resolver (${cond.dns})`);
    else if (cond.gateway !== undefined) reasons.push(`pods resolve no internet names (${cond.gateway}); cluster.local and the home zones still resolve`);
    if (status === "up" && reasons.length > 0) status = "degraded";
  }
  if (s?.type === "LoadBalancer") {
    if (cond.dns !== undefined && s.dnsName !== undefined) reasons.push(`its name ${s.dnsName} does not resolve for LAN clients (${cond.dns}); its address still answers`);
    if (cond.gateway !== undefined && s.pool !== undefined && ctx.model.publicPools.includes(s.pool)) reasons.push(`unreachable from the internet (${cond.gateway}); LAN clients still reach it`);
    if (status === "up" && reasons.length > 0) status = "degraded";
  }
  return { status, ready: after, readyAtFailure: atFailure, desired, lostWithNode, reasons };
}
