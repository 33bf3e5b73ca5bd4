import { describe, expect, it } from "vitest";
import { Simulator } from "../../src/simulate/engine.js";
import { simulate } from "../../src/simulate/simulate.js";
import type { Failure } from "../../src/simulate/failures.js";
import type { SimWorkload, SpreadConstraint } from "../../src/simulate/types.js";
import { lbService, model, node, workload } from "./_fixtures.js";

const GI = 2 ** 30;
const placement = (sim: Simulator) => sim.model.workloads.map((_, w) => sim.healthyNodes(w).sort());
const fail = (sim: Simulator, ...ids: string[]): Failure[] => ids.map((id) => sim.failures.find((f) => f.id === id) as Failure);
const outcome = (sim: Simulator, failures: Failure[], name: string) => sim.run(failures)[sim.rows.findIndex((r) => r.name === name)];

const cp = node("cp", { arch: "arm64", role: "server", taints: ["CriticalAddonsOnly=true:NoExecute"] });

describe("scheduler model: placement on the healthy cluster", () => {
  const cases: { name: string; nodes: ReturnType<typeof node>[]; w: Partial<SimWorkload>; expected: string[] }[] = [
    { name: "taints: never on the tainted control plane", nodes: [cp, node("a")], w: { replicas: 2 }, expected: ["a", "a"] },
    { name: "taints: a toleration lets it in", nodes: [cp, node("a")], w: { replicas: 2, tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }] }, expected: ["a", "cp"] },
    { name: "architecture: an amd64 image stays off arm64", nodes: [node("pi", { arch: "arm64" }), node("x86")], w: { replicas: 2, architectures: ["amd64"] }, expected: ["x86", "x86"] },
    { name: "nodeSelector", nodes: [node("a", { labels: { disk: "ssd" } }), node("b")], w: { replicas: 2, nodeSelector: { disk: "ssd" } }, expected: ["a", "a"] },
    {
      name: "required node affinity",
      nodes: [node("a"), node("b", { labels: { zone: "z2" } })],
      w: { replicas: 1, requiredNodeTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["z2"] }] }] },
      expected: ["b"],
    },
    { name: "capacity: only the node with room", nodes: [node("small", { mem: 1 * GI }), node("big", { mem: 8 * GI })], w: { replicas: 3, request: { millicores: 100, memoryBytes: 2 * GI } }, expected: ["big", "big", "big"] },
    { name: "capacity: nowhere to go leaves replicas unplaced", nodes: [node("small", { mem: GI })], w: { replicas: 2, request: { millicores: 100, memoryBytes: 2 * GI } }, expected: [] },
    { name: "spread: default soft spread puts one replica per node", nodes: [node("a"), node("b")], w: { replicas: 2 }, expected: ["a", "b"] },
    {
      name: "spread: ScheduleAnyway still spreads, then doubles up",
      nodes: [node("a"), node("b")],
      w: { replicas: 3, spread: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app: "w" } } }] },
      expected: ["a", "a", "b"],
    },
    {
      name: "anti-affinity: one replica per node, the third has nowhere to go",
      nodes: [node("a"), node("b")],
      w: { replicas: 3, antiAffinity: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: "w" } } }] },
      expected: ["a", "b"],
    },
    {
      name: "spread DoNotSchedule over zones",
      nodes: [node("a1", { labels: { zone: "a" } }), node("a2", { labels: { zone: "a" } }), node("b1", { labels: { zone: "b" } })],
      w: { replicas: 4, spread: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "w" } } }] },
      expected: ["a1", "a2", "b1", "b1"],
    },
    { name: "scoring: PreferNoSchedule steers away", nodes: [node("a", { taints: ["spot=true:PreferNoSchedule"], mem: 16 * GI }), node("b")], w: { replicas: 1 }, expected: ["b"] },
    {
      name: "scoring: preferred affinity wins over room",
      nodes: [node("a", { mem: 64 * GI }), node("b", { labels: { fast: "yes" } })],
      w: { replicas: 1, preferredNodeTerms: [{ weight: 10, preference: { matchExpressions: [{ key: "fast", operator: "Exists" }] } }] },
      expected: ["b"],
    },
    { name: "scoring: most room left", nodes: [node("a", { mem: 4 * GI }), node("b", { mem: 16 * GI })], w: { replicas: 1 }, expected: ["b"] },
  ];
  it.each(cases)("$name", ({ nodes, w, expected }) => {
    const sim = new Simulator(model(nodes, [workload("w", w)]));
    expect(placement(sim)[0]).toEqual(expected);
  });

  it("explains a replica it cannot place", () => {
    const sim = new Simulator(model([cp, node("pi", { arch: "arm64" })], [workload("w", { architectures: ["amd64"] })]));
    expect(sim.healthy[0]?.status).toBe("down");
    expect(sim.healthy[0]?.reasons).toEqual(["its replica cannot be placed: no worker runs amd64"]);
  });

  it("places higher priority first when room is short", () => {
    const nodes = [node("a", { mem: 3 * GI })];
    const sim = new Simulator(model(nodes, [workload("low", { request: { millicores: 1, memoryBytes: 2 * GI } }), workload("high", { priority: 1000, request: { millicores: 1, memoryBytes: 2 * GI } })]));
    expect(placement(sim)).toEqual([[], ["a"]]);
  });

  it("keeps anti-affinity symmetric across workloads", () => {
    const sim = new Simulator(
      model([node("a"), node("b")], [workload("db", { antiAffinity: [{ topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { app: "web" } } }] }), workload("web", { replicas: 2 })]),
    );
    // db's rule keeps web's pods off db's node, though web itself says nothing about db.
    expect(placement(sim)).toEqual([["a"], ["b", "b"]]);
  });
});

describe("scheduler model: after a failure", () => {
  const two = () => [cp, node("a"), node("b")];

  it("re-places a lost replica while the API server is up", () => {
    const sim = new Simulator(model(two(), [workload("w", { replicas: 2 })]));
    const o = outcome(sim, fail(sim, "a"), "w");
    expect(o).toMatchObject({ status: "degraded", ready: 2, readyAtFailure: 1 });
    expect(o?.reasons).toEqual(["1 of 2 replicas ran on a", "rescheduled on b after the 5-minute eviction timeout"]);
  });

  it("re-places nothing while the API server is down", () => {
    const sim = new Simulator(model(two(), [workload("w", { replicas: 2 })]));
    const o = outcome(sim, fail(sim, "a", "api-server"), "w");
    expect(o).toMatchObject({ status: "degraded", ready: 1 });
    expect(o?.reasons).toContain("not rescheduled: the API server is down (the k3s server process failed)");
  });

  it("keeps a down node's domain for DoNotSchedule spread (Ignore), so the replica stays pending", () => {
    const rule: SpreadConstraint = { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "w" } } };
    const spread = [rule];
    const sim = new Simulator(model(two(), [workload("w", { replicas: 2, spread })]));
    expect(outcome(sim, fail(sim, "a"), "w")?.reasons.join("; ")).toContain("not rescheduled: no node can take it (b: one more pod there would break its DoNotSchedule topology spread)");
    const honor = new Simulator(model(two(), [workload("w", { replicas: 2, spread: [{ ...rule, nodeTaintsPolicy: "Honor" }] })]));
    expect(outcome(honor, fail(honor, "a"), "w")).toMatchObject({ status: "degraded", ready: 2 });
  });

  it("keeps a pod bound by nodeName on its node, and goes nowhere else when the node fails", () => {
    const sim = new Simulator(model(two(), [workload("w", { nodeName: "b" })]));
    expect(placement(sim)[0]).toEqual(["b"]);
    expect(outcome(sim, fail(sim, "a"), "w")?.status).toBe("up");
    const o = outcome(sim, fail(sim, "b"), "w");
    expect(o?.status).toBe("down");
    expect(o?.reasons.join("; ")).toContain("a: its pods are bound to b (nodeName)");
    // No scheduler looks at it: a NoSchedule taint does not keep it off its node, a NoExecute one does.
    const tainted = (effect: string) => new Simulator(model([cp, node("a"), node("t", { taints: [`dedicated=x:${effect}`] })], [workload("w", { nodeName: "t" })]));
    expect(placement(tainted("NoSchedule"))[0]).toEqual(["t"]);
    expect(placement(tainted("NoExecute"))[0]).toEqual([]);
  });

  it("does not recreate a StatefulSet's pod while its node is unreachable", () => {
    const sim = new Simulator(model(two(), [workload("db", { kind: "StatefulSet" })]));
    const lostOn = sim.healthyNodes(0)[0] as string;
    const o = outcome(sim, fail(sim, lostOn), "db");
    expect(o?.status).toBe("down");
    expect(o?.reasons).toEqual([`its only replica ran on ${lostOn}`, "not recreated: a StatefulSet waits until the lost node is deleted"]);
  });

  it("replaces a lost pod after its own eviction timeout: the least tolerationSeconds of its unreachable tolerations", () => {
    const unreachable = (s?: number) => ({ key: "node.kubernetes.io/unreachable", operator: "Exists" as const, effect: "NoExecute" as const, ...(s !== undefined ? { tolerationSeconds: s } : {}) });
    const sim = new Simulator(model(two(), [workload("w", { replicas: 2, tolerations: [unreachable(), unreachable(30)] })]));
    expect(outcome(sim, fail(sim, "a"), "w")?.reasons).toEqual(["1 of 2 replicas ran on a", "rescheduled on b after its 30-second eviction timeout"]);
  });

  it("never evicts a pod that tolerates unreachable nodes for ever", () => {
    const sim = new Simulator(model(two(), [workload("w", { tolerations: [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" }] })]));
    const lostOn = sim.healthyNodes(0)[0] as string;
    expect(outcome(sim, fail(sim, lostOn), "w")?.reasons).toContain("never evicted: it tolerates node.kubernetes.io/unreachable for ever");
  });

  it("loses a DaemonSet's pod with its node and places none elsewhere", () => {
    const sim = new Simulator(model(two(), [workload("agent", { kind: "DaemonSet", replicas: 0 })]));
    expect(placement(sim)[0]).toEqual(["a", "b"]);
    expect(outcome(sim, fail(sim, "a"), "agent")).toMatchObject({ status: "degraded", ready: 1, desired: 2, lostWithNode: 1, reasons: ["its pods on a are gone with the node"] });
  });

  it("owes no recovery for an essential DaemonSet's pod gone with its node, and owes it for a Deployment's", () => {
    const ds = simulate(model(two(), [workload("agent", { kind: "DaemonSet", replicas: 0, essential: true })]));
    expect(ds.broken).toEqual([]);
    const pinned = simulate(model(two(), [workload("w", { replicas: 2, essential: true, spread: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "w" } } }] })]));
    expect(pinned.broken.map((b) => `${b.rule} @${b.scenario}`)).toEqual(["essential-recovers-from-worker-failure @a", "essential-recovers-from-worker-failure @b"]);
  });

  it("moves a Local LoadBalancer's address to the node with the endpoint, and fails it when no announcing node has one", () => {
    const nodes = [cp, node("a", { labels: { "h5b/role": "worker" } }), node("b", { labels: { "h5b/role": "worker" } })];
    const announcers = new Map([["internal", [[{ matchLabels: { "h5b/role": "worker" } }]]]]);
    const sim = new Simulator(model(nodes, [workload("web", { replicas: 2 })], [lbService("web")], { announcers }));
    expect(outcome(sim, fail(sim, "a"), "web")?.reasons).toContain("its address moves to b (Local policy: a node with a ready endpoint)");
    const cpOnly = new Simulator(model(nodes, [workload("web", { nodeSelector: { "kubernetes.io/hostname": "cp" }, tolerations: [{ operator: "Exists" }] })], [lbService("web")], { announcers }));
    expect(cpOnly.healthy[0]).toMatchObject({ status: "down", reasons: ["MetalLB announces its address from no node: none it announces from has a ready endpoint (Local policy)"] });
  });

  it("reports a pool no L2Advertisement announces", () => {
    const sim = new Simulator(model(two(), [workload("web")], [lbService("web")], { announcers: new Map([["internal", []]]) }));
    expect(sim.healthy[0]).toMatchObject({ status: "down", reasons: ["no L2Advertisement announces pool internal"] });
  });
});
