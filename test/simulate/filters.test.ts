import { describe, expect, it } from "vitest";
import { affinityFilter, architectureFilter, capacityFilter, taintFilter, tolerates } from "../../src/simulate/filters.js";
import { parseTaint } from "../../src/plan/taint.js";
import type { NodeSelectorTerm, Toleration } from "../../src/simulate/types.js";
import { node } from "./_fixtures.js";

const MI = 2 ** 20;

describe("taints and tolerations filter", () => {
  const cases: { name: string; taints: string[]; tolerations: Toleration[]; rejected: boolean }[] = [
    { name: "no taint", taints: [], tolerations: [], rejected: false },
    { name: "NoSchedule, not tolerated", taints: ["dedicated=db:NoSchedule"], tolerations: [], rejected: true },
    { name: "NoExecute control plane, not tolerated", taints: ["CriticalAddonsOnly=true:NoExecute"], tolerations: [], rejected: true },
    { name: "Equal with the same value", taints: ["dedicated=db:NoSchedule"], tolerations: [{ key: "dedicated", operator: "Equal", value: "db" }], rejected: false },
    { name: "Equal with another value", taints: ["dedicated=db:NoSchedule"], tolerations: [{ key: "dedicated", operator: "Equal", value: "web" }], rejected: true },
    { name: "operator defaults to Equal", taints: ["dedicated=db:NoSchedule"], tolerations: [{ key: "dedicated", value: "db" }], rejected: false },
    { name: "Exists on the key", taints: ["CriticalAddonsOnly=true:NoExecute"], tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }], rejected: false },
    { name: "empty key with Exists tolerates everything", taints: ["a=b:NoSchedule", "c:NoExecute"], tolerations: [{ operator: "Exists" }], rejected: false },
    { name: "effect must match when given", taints: ["dedicated=db:NoExecute"], tolerations: [{ key: "dedicated", operator: "Exists", effect: "NoSchedule" }], rejected: true },
    { name: "PreferNoSchedule never filters", taints: ["spot=true:PreferNoSchedule"], tolerations: [], rejected: false },
    { name: "every taint must be tolerated", taints: ["a=1:NoSchedule", "b=2:NoSchedule"], tolerations: [{ key: "a", operator: "Exists" }], rejected: true },
  ];
  it.each(cases)("$name", ({ taints, tolerations, rejected }) => {
    const r = taintFilter(node("n", { taints }), tolerations);
    expect(r !== undefined).toBe(rejected);
    if (r !== undefined) expect(r.filter).toBe("taints");
  });

  it("names the taint it refused", () => {
    expect(taintFilter(node("n", { taints: ["CriticalAddonsOnly=true:NoExecute"] }), [])?.detail).toBe("taint CriticalAddonsOnly=true:NoExecute not tolerated");
  });

  it("matches a toleration to a valueless taint", () => {
    expect(tolerates({ key: "gpu", operator: "Exists" }, parseTaint("gpu:NoSchedule"))).toBe(true);
    expect(tolerates({ key: "gpu", operator: "Equal", value: "" }, parseTaint("gpu:NoSchedule"))).toBe(true);
  });
});

describe("node selection filter (nodeSelector and required node affinity)", () => {
  const n = node("pi-worker", { arch: "arm64", labels: { "h5b/role": "worker", disk: "ssd", rack: "3" } });
  const term = (key: string, operator: "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt", values?: string[]): NodeSelectorTerm => ({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] });
  const cases: { name: string; nodeSelector?: Record<string, string>; terms?: NodeSelectorTerm[]; rejected: boolean }[] = [
    { name: "nothing asked", rejected: false },
    { name: "nodeSelector matches", nodeSelector: { disk: "ssd" }, rejected: false },
    { name: "nodeSelector differs", nodeSelector: { disk: "hdd" }, rejected: true },
    { name: "nodeSelector on a missing label", nodeSelector: { gpu: "yes" }, rejected: true },
    { name: "In", terms: [term("kubernetes.io/arch", "In", ["amd64", "arm64"])], rejected: false },
    { name: "In, value absent", terms: [term("kubernetes.io/arch", "In", ["amd64"])], rejected: true },
    { name: "NotIn", terms: [term("disk", "NotIn", ["hdd"])], rejected: false },
    { name: "NotIn on a missing label holds", terms: [term("gpu", "NotIn", ["yes"])], rejected: false },
    { name: "Exists", terms: [term("h5b/role", "Exists")], rejected: false },
    { name: "DoesNotExist", terms: [term("h5b/role", "DoesNotExist")], rejected: true },
    { name: "Gt", terms: [term("rack", "Gt", ["2"])], rejected: false },
    { name: "Lt", terms: [term("rack", "Lt", ["2"])], rejected: true },
    { name: "terms are ORed", terms: [term("disk", "In", ["hdd"]), term("disk", "In", ["ssd"])], rejected: false },
    { name: "expressions in a term are ANDed", terms: [{ matchExpressions: [{ key: "disk", operator: "In", values: ["ssd"] }, { key: "rack", operator: "In", values: ["9"] }] }], rejected: true },
    { name: "an empty term matches nothing", terms: [{}], rejected: true },
    { name: "matchFields on the node name", terms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: ["pi-worker"] }] }], rejected: false },
    { name: "nodeSelector and affinity must both hold", nodeSelector: { disk: "hdd" }, terms: [term("disk", "Exists")], rejected: true },
  ];
  it.each(cases)("$name", ({ nodeSelector, terms, rejected }) => {
    const r = affinityFilter(n, { nodeSelector: nodeSelector ?? {}, ...(terms !== undefined ? { requiredNodeTerms: terms } : {}) });
    expect(r !== undefined).toBe(rejected);
    if (r !== undefined) expect(r.filter).toBe("affinity");
  });
});

describe("architecture filter", () => {
  const cases = [
    { node: "amd64", image: ["amd64"], rejected: false },
    { node: "arm64", image: ["amd64"], rejected: true },
    { node: "arm64", image: ["amd64", "arm64"], rejected: false },
    { node: "amd64", image: ["arm64"], rejected: true },
  ];
  it.each(cases)("a $node node and an image for $image", ({ node: arch, image, rejected }) => {
    const r = architectureFilter(node("n", { arch }), image);
    expect(r !== undefined).toBe(rejected);
    if (r !== undefined) expect(r.detail).toBe(`runs ${arch}, the image is ${image.join("/")} only`);
  });
});

describe("capacity filter", () => {
  const cases = [
    { name: "fits with room", free: [1000, 1024], need: [100, 128], detail: undefined },
    { name: "fits exactly", free: [100, 128], need: [100, 128], detail: undefined },
    { name: "short of CPU", free: [50, 1024], need: [100, 128], detail: "50m CPU free, needs 100m" },
    { name: "short of memory", free: [1000, 100], need: [100, 1024], detail: "100Mi memory free, needs 1Gi" },
    { name: "short of both", free: [0, 0], need: [100, 128], detail: "0m CPU free, needs 100m and 0 memory free, needs 128Mi" },
  ];
  it.each(cases)("$name", ({ free, need, detail }) => {
    const r = capacityFilter({ millicores: free[0] as number, memoryBytes: (free[1] as number) * MI }, { millicores: need[0] as number, memoryBytes: (need[1] as number) * MI });
    expect(r?.detail).toBe(detail);
  });
});
