import type { Checker } from "../check/types.js";
import { modelOf } from "./load.js";
import { brokenLines } from "./report-text.js";
import { simulate } from "./simulate.js";

/** `h5b check` runs the simulator too: a broken availability promise is a finding like any other. */
export const promisesChecker: Checker = {
  name: "promises",
  description: "the seed's availability promises hold for every single failure (h5b simulate)",
  async run(ctx) {
    const sim = simulate(modelOf(ctx.plan, ctx.files));
    const lines = brokenLines(sim);
    return {
      findings: sim.broken.map((b, i) => {
        const row = sim.rows.find((r) => r.id === b.service);
        return { check: "promises", where: `${row?.service?.source ?? row?.workloads.map((w) => sim.model.workloads[w]?.source).find((x) => x !== undefined) ?? "plan.json"} (${b.service})`, message: lines[i] ?? b.rule };
      }),
    };
  },
};
