import type { Outcome, Row } from "./engine.js";
import type { Failure } from "./failures.js";

/** The seed's availability promises, as rules over essential services. */
export const rules = [
  {
    id: "essential-up-when-healthy",
    description: "with nothing failed, an essential service runs every replica it asks for and is reachable",
  },
  {
    id: "essential-survives-single-failure",
    description: "an essential service stays responsive through any single failure of a node, the API server or storage (the seed: stateless containers are always up)",
  },
  {
    id: "essential-recovers-from-worker-failure",
    description: "after any single worker fails, an essential service gets every replica back on the other workers (the seed: worker node redundancy)",
  },
] as const;

export type RuleId = (typeof rules)[number]["id"];

export interface BrokenPromise {
  readonly rule: RuleId;
  /** Row id: `Service apps/wireguard`. */
  readonly service: string;
  /** Scenario id: `healthy`, `x86-1`, `storage`. */
  readonly scenario: string;
  readonly status: Outcome["status"];
  readonly reasons: readonly string[];
}

/** The rules, judged on the healthy scenario and every single failure (pairs are shown, never promised). */
export function brokenPromises(rows: readonly Row[], healthy: readonly Outcome[], singles: readonly { failure: Failure; outcomes: readonly Outcome[] }[]): BrokenPromise[] {
  const out: BrokenPromise[] = [];
  rows.forEach((row, i) => {
    if (!row.essential) return;
    const h = healthy[i] as Outcome;
    if (h.status !== "up") out.push({ rule: "essential-up-when-healthy", service: row.id, scenario: "healthy", status: h.status, reasons: h.reasons });
    for (const { failure, outcomes } of singles) {
      const o = outcomes[i] as Outcome;
      const promised = failure.takes.some((t) => t === "worker" || t === "api-server" || t === "storage");
      if (!promised || h.status === "down") continue;
      if (o.status === "down") out.push({ rule: "essential-survives-single-failure", service: row.id, scenario: failure.id, status: o.status, reasons: o.reasons });
      else if (failure.takes.includes("worker") && o.ready + o.lostWithNode < o.desired && h.ready >= h.desired) {
        out.push({ rule: "essential-recovers-from-worker-failure", service: row.id, scenario: failure.id, status: o.status, reasons: o.reasons });
      }
    }
  });
  return out;
}
