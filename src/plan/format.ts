/**
 * The shape of `plan.json`, which `h5b check` and `h5b simulate --out` read back from an output folder. Raised
 * whenever the Plan's shape changes (`test/plan-format.test.ts` fails until it is), so that an output folder
 * written by another h5b is refused with a plain error, not read into a plan that lacks what the readers expect.
 */
export const PLAN_FORMAT = 7;
