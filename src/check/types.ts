import type { Plan } from "../plan/types.js";

/** Something wrong in the rendered output (not in the spec): `h5b check` lists them and exits 1. */
export interface Finding {
  /** Which checker found it (`kubernetes-schema`, `design-rules`, `kea`, …). */
  readonly check: string;
  /** Output file (relative to the output folder) and, where known, the object in it (`Service apps/wireguard`). */
  readonly where: string;
  readonly message: string;
}

/** A checker that could not run (its program is missing): said plainly, with the package that provides it. */
export interface Skipped {
  readonly check: string;
  readonly reason: string;
}

export interface CheckContext {
  /** Absolute path of the output folder. */
  readonly outDir: string;
  /** The plan read back from the output's plan.json. */
  readonly plan: Plan;
  /** Every file of the output, relative path -> text. */
  readonly files: ReadonlyMap<string, string>;
}

export interface CheckResult {
  readonly findings: readonly Finding[];
  readonly skipped?: readonly Skipped[];
}

export interface Checker {
  readonly name: string;
  readonly description: string;
  run(ctx: CheckContext): Promise<CheckResult>;
}
