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
    const sourceOf = (id: string) => {
      const row = sim.rows.find((r) => r.id === id);
      return row?.service?.source ?? sim.model.workloads[row?.workloads[0] ?? -1]?.source ?? "plan.json";
    };
    return { findings: sim.broken.map((b, i) => ({ check: "promises", where: `${sourceOf(b.service)} (${b.service})`, message: lines[i] as string })) };
  },
};
