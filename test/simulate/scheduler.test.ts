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

  it("spread minDomains: with fewer domains than it asks, the minimum is 0 and a replica stays pending", () => {
    const rule: SpreadConstraint = { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "w" } } };
    const place = (spread: SpreadConstraint[]) => placement(new Simulator(model([node("a"), node("b")], [workload("w", { replicas: 3, spread })])))[0];
    expect(place([rule])).toEqual(["a", "a", "b"]);
    expect(place([{ ...rule, minDomains: 3 }])).toEqual(["a", "b"]);
    expect(place([{ ...rule, minDomains: 2 }])).toEqual(["a", "a", "b"]);
  });

  it("spread nodeAffinityPolicy: Ignore counts the domains of nodes its node selection leaves out", () => {
    const rule: SpreadConstraint = { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "w" } } };
    const nodes = [node("a", { labels: { pool: "x" } }), node("b", { labels: { pool: "x" } }), node("c")];
    const place = (spread: SpreadConstraint[]) => placement(new Simulator(model(nodes, [workload("w", { replicas: 3, nodeSelector: { pool: "x" }, spread })])))[0];
    expect(place([rule])).toEqual(["a", "a", "b"]);
    expect(place([{ ...rule, nodeAffinityPolicy: "Honor" }])).toEqual(["a", "a", "b"]);
    // c's empty domain holds the minimum at 0.
    expect(place([{ ...rule, nodeAffinityPolicy: "Ignore" }])).toEqual(["a", "b"]);
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
    // It was announced from a or b: after a fails it is b's, moved or not.
    expect(outcome(sim, fail(sim, "a"), "web")?.reasons).toContain("its address is announced from b (Local policy: a node with a ready endpoint)");
    const one = new Simulator(model(nodes, [workload("web", { nodeSelector: { "kubernetes.io/hostname": "a" } })], [lbService("web")], { announcers }));
    expect(outcome(one, fail(one, "a"), "web")?.reasons).not.toContain(expect.stringMatching(/its address/));
    const lone = new Simulator(model(nodes, [workload("web")], [lbService("web")], { announcers }));
    const lostOn = lone.healthyNodes(0)[0] as string;
    expect(outcome(lone, fail(lone, lostOn), "web")?.reasons).toContain(`its address moves to ${lostOn === "a" ? "b" : "a"} (Local policy: a node with a ready endpoint)`);
    const cpOnly = new Simulator(model(nodes, [workload("web", { nodeSelector: { "kubernetes.io/hostname": "cp" }, tolerations: [{ operator: "Exists" }] })], [lbService("web")], { announcers }));
    expect(cpOnly.healthy[0]).toMatchObject({ status: "down", reasons: ["MetalLB announces its address from no node: none it announces from has a ready endpoint (Local policy)"] });
  });

  it("says a Cluster-policy address only may move when another node could have announced it", () => {
    const nodes = [cp, node("a"), node("b"), node("c")];
    const sim = new Simulator(model(nodes, [workload("web", { replicas: 3 })], [lbService("web", { local: false })]));
    expect(outcome(sim, fail(sim, "a"), "web")?.reasons).toContain("its address moves to b, c or cp if a announced it");
    const two = new Simulator(model([node("a"), node("b")], [workload("web", { replicas: 2 })], [lbService("web", { local: false })]));
    expect(outcome(two, fail(two, "a"), "web")?.reasons).toContain("its address is announced from b");
  });

  it("says why a DaemonSet runs on no node, and keeps `asks for 0 replicas` for replicas: 0", () => {
    const sim = new Simulator(model(two(), [workload("agent", { kind: "DaemonSet", replicas: 0, nodeSelector: { disk: "ssd" } }), workload("idle", { replicas: 0 })]));
    expect(sim.healthy[0]).toMatchObject({ status: "down", reasons: [expect.stringMatching(/^it runs on no node: no node matches its node selection and tolerations \(cp: taint/)] });
    expect(sim.healthy[1]).toMatchObject({ status: "down", reasons: ["it asks for 0 replicas"] });
  });

  it("preempts a lower-priority pod to reschedule a higher-priority one, unless its policy is Never", () => {
    const vip = (o: Partial<SimWorkload> = {}) => workload("vip", { replicas: 2, priority: 1000, request: { millicores: 1000, memoryBytes: GI }, ...o });
    const filler = workload("filler", { nodeSelector: { "kubernetes.io/hostname": "b" }, request: { millicores: 2500, memoryBytes: GI } });
    const sim = new Simulator(model([node("a"), node("b")], [filler, vip()]));
    expect(placement(sim)).toEqual([["b"], ["a", "b"]]);
    expect(outcome(sim, fail(sim, "a"), "vip")).toMatchObject({
      status: "degraded",
      ready: 2,
      reasons: ["1 of 2 replicas ran on a", "rescheduled on b after the 5-minute eviction timeout", "preempting apps/filler on b (lower priority)"],
    });
    expect(outcome(sim, fail(sim, "a"), "filler")).toMatchObject({
      status: "down",
      readyAtFailure: 1,
      ready: 0,
      reasons: ["its only replica was preempted on b by apps/vip (higher priority)", expect.stringMatching(/^not rescheduled: no node can take it \(b: 2000m CPU free, needs 2500m\)/)],
    });
    const never = new Simulator(model([node("a"), node("b")], [filler, vip({ preemptionPolicy: "Never" })]));
    expect(outcome(never, fail(never, "a"), "filler")?.status).toBe("up");
    expect(outcome(never, fail(never, "a"), "vip")?.ready).toBe(1);
  });

  it("preempts the fewest pods of the lowest priority, on one node", () => {
    const pinned = (name: string, priority: number, on: string, millicores = 1000) => workload(name, { priority, nodeSelector: { "kubernetes.io/hostname": on }, request: { millicores, memoryBytes: GI } });
    const vip = workload("vip", { priority: 1000, nodeSelector: { pool: "x" }, request: { millicores: 2000, memoryBytes: GI } });
    const nodes = [node("a", { labels: { pool: "x" } }), ...["b", "c", "d"].map((n) => node(n, { cpu: n === "c" ? 3000 : 2000, labels: { pool: "x" } }))];
    // b: two victims, one of priority 100; c: two of priority 10; d: one of priority 10, the choice.
    const others = [pinned("b1", 100, "b"), pinned("b2", 10, "b"), pinned("c1", 10, "c"), pinned("c2", 10, "c"), pinned("c3", 10, "c"), pinned("d1", 10, "d", 2000)];
    const sim = new Simulator(model(nodes, [vip, ...others]));
    expect(placement(sim)[0]).toEqual(["a"]);
    const reasons = outcome(sim, fail(sim, "a"), "vip")?.reasons;
    expect(reasons).toEqual(["its only replica ran on a", "rescheduled on d after the 5-minute eviction timeout", "preempting apps/d1 on d (lower priority)"]);
    // On c alone it spares the pods it need not evict: two of the three go.
    const onC = new Simulator(model(nodes, [{ ...vip, nodeSelector: {}, requiredNodeTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["a", "c"] }] }] }, ...others]));
    expect(outcome(onC, fail(onC, "a"), "vip")?.reasons).toContain("preempting apps/c2 on c, apps/c3 on c (lower priority)");
  });

  it("reports a pool no L2Advertisement announces", () => {
    const sim = new Simulator(model(two(), [workload("web")], [lbService("web")], { announcers: new Map([["internal", []]]) }));
    expect(sim.healthy[0]).toMatchObject({ status: "down", reasons: ["no L2Advertisement announces pool internal"] });
  });
});
