import { effectsOf } from "./effects.js";
import { type Outcome, type Row, Simulator } from "./engine.js";
import { conditionsOf, type Failure, scenarioId } from "./failures.js";
import { type BrokenPromise, brokenPromises } from "./promises.js";
import type { Model } from "./types.js";

export interface Scenario {
  /** `healthy`, `x86-1`, `x86-1+storage`. */
  readonly id: string;
  readonly failures: readonly string[];
  /** What fails outside the services (names, leases, internet), in words. */
  readonly effects: readonly string[];
  /** One outcome per row, in row order. */
  readonly outcomes: readonly Outcome[];
}

export interface Simulation {
  readonly model: Model;
  readonly depth: 1 | 2;
  readonly rows: readonly Row[];
  /** Nodes of each workload's pods on the healthy cluster, by workload index. */
  readonly placement: readonly (readonly string[])[];
  readonly scenarios: readonly Scenario[];
  readonly broken: readonly BrokenPromise[];
}

/** Every pair of the single failures, in a stable order. */
export function pairs<T>(xs: readonly T[]): [T, T][] {
  return xs.flatMap((a, i) => xs.slice(i + 1).map((b): [T, T] => [a, b]));
}

/** The healthy scenario, every single failure and, at depth 2, every pair; and the promises judged on them. */
export function simulate(model: Model, opts: { depth?: 1 | 2 } = {}): Simulation {
  const depth = opts.depth ?? 1;
  const sim = new Simulator(model);
  const hosting = new Set(model.workloads.flatMap((_, w) => sim.healthyNodes(w)));
  const scenario = (failures: readonly Failure[], outcomes: readonly Outcome[]): Scenario => ({
    id: scenarioId(failures),
    failures: failures.map((f) => f.id),
    effects: effectsOf(model, conditionsOf(model, failures), hosting),
    outcomes,
  });
  const singles = sim.failures.map((failure) => ({ failure, outcomes: sim.run([failure]) }));
  const scenarios = [scenario([], sim.healthy), ...singles.map((s) => scenario([s.failure], s.outcomes))];
  if (depth === 2) for (const pair of pairs(sim.failures)) scenarios.push(scenario(pair, sim.run(pair)));
  return {
    model,
    depth,
    rows: sim.rows,
    placement: model.workloads.map((_, w) => sim.healthyNodes(w)),
    scenarios,
    broken: brokenPromises(sim.rows, sim.healthy, singles),
  };
}
