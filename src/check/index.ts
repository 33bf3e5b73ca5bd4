import type { Checker } from "./types.js";

export type { CheckContext, Checker, CheckResult, Finding, Skipped } from "./types.js";
export { readOutput, runChecks } from "./run.js";

/** Every checker `h5b check` runs, in order. */
export const checkers: readonly Checker[] = [];
