import { describe, expect, it } from "vitest";
import { generatedSpec } from "../../bench/_generate.js";
import { buildPlan } from "../../src/plan/build.js";
import { parseHomelab } from "../../src/spec/load.js";

// `npm run bench` builds generated specs; a new validation rule must not quietly turn them into errors.
describe("the benchmark's generated specs", () => {
  it.each([
    [4, 20],
    [100, 1000],
  ])("%i nodes and %i workloads are valid and plan", (nodes, workloads) => {
    const { spec } = parseHomelab(generatedSpec(nodes, workloads));
    const plan = buildPlan(spec);
    expect(plan.workloads).toHaveLength(workloads);
    expect(plan.hosts.filter((h) => h.roles.includes("k3s-agent")).length).toBeGreaterThanOrEqual(nodes);
  });
});
