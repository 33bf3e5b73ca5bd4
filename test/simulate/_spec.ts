import { emitClusterManifests } from "../../src/emit/cluster/index.js";
import { buildPlan } from "../../src/plan/build.js";
import type { Plan } from "../../src/plan/types.js";
import { modelOf, type Simulation, simulate } from "../../src/simulate/index.js";
import type { HomelabInput } from "../../src/spec/homelab.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";

type Workloads = Record<string, Record<string, unknown>>;

/** The default spec with an edit, planned and rendered in memory: its plan and its manifests (path -> text). */
export function renderSpec(edit: (spec: HomelabInput, workloads: Workloads) => void = () => {}): { plan: Plan; files: [string, string][] } {
  const input = defaultHomelabInput();
  edit(input, input.workloads as Workloads);
  const plan = buildPlan(parseHomelab(input).spec);
  return { plan, files: emitClusterManifests(plan).map((f) => [f.path, f.content]) };
}

export function simulateSpec(edit?: (spec: HomelabInput, workloads: Workloads) => void, depth: 1 | 2 = 1): Simulation {
  const { plan, files } = renderSpec(edit);
  return simulate(modelOf(plan, files), { depth });
}
