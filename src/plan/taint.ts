/** A Kubernetes taint's effect. */
export type Effect = "NoSchedule" | "PreferNoSchedule" | "NoExecute";

/** A taint of the plan (`key=value:Effect` or `key:Effect`), split into its parts; no value reads as "". */
export interface Taint {
  readonly key: string;
  readonly value: string;
  readonly effect: Effect;
}

/** Parses a plan's taint; the spec's schema has already checked the form, so a bad one is a bug. */
export function parseTaint(text: string): Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(text);
  if (m === null) throw new Error(`bad taint in the plan: ${text}`);
  return { key: m[1] as string, value: m[2] ?? "", effect: m[3] as Effect };
}
