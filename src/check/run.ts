import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { PLAN_FILE } from "../emit/index.js";
import { asUserErrorSync, error, H5bError } from "../issue.js";
import { PLAN_FORMAT } from "../plan/format.js";
import type { Plan } from "../plan/types.js";
import { MARKER } from "../write/writer.js";
import type { CheckContext, Checker, Finding, Skipped } from "./types.js";

/** Reads an output folder written by `h5b build` back into a check context. */
export function readOutput(outDir: string, stage = "check"): CheckContext {
  const dir = resolve(outDir);
  if (!existsSync(join(dir, MARKER))) {
    throw new H5bError(stage, [error("no-output", outDir, "is not an output folder of h5b build: run `h5b build` first, or name one with --out")]);
  }
  const files = new Map<string, string>();
  // Links and other non-files are not h5b's (it writes none): they are neither followed nor checked.
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const stat = lstatSync(p);
      if (stat.isDirectory()) walk(p);
      else if (stat.isFile()) files.set(relative(dir, p), readFileSync(p, "utf8"));
    }
  };
  asUserErrorSync(stage, "out-read", outDir, "cannot read the output folder", () => walk(dir));
  const planText = files.get(PLAN_FILE);
  if (planText === undefined) throw new H5bError(stage, [error("no-plan", join(outDir, PLAN_FILE), "is missing; rebuild the output")]);
  let read: Plan & { format?: unknown };
  try {
    read = JSON.parse(planText) as Plan & { format?: unknown };
  } catch {
    throw new H5bError(stage, [error("plan-unreadable", join(outDir, PLAN_FILE), "is not JSON; rebuild the output")]);
  }
  const { format, ...plan } = read;
  if (format !== PLAN_FORMAT) {
    const found = typeof format === "number" ? `format ${format}` : "no format";
    throw new H5bError(stage, [error("plan-format", join(outDir, PLAN_FILE), `was written by another version of h5b (${found}, this one reads ${PLAN_FORMAT}); run \`h5b build\` again`)]);
  }
  return { outDir: dir, plan, files };
}

export interface CheckReport {
  readonly findings: readonly Finding[];
  readonly skipped: readonly Skipped[];
  readonly ran: readonly string[];
}

export async function runChecks(ctx: CheckContext, checkers: readonly Checker[]): Promise<CheckReport> {
  const findings: Finding[] = [];
  const skipped: Skipped[] = [];
  const ran: string[] = [];
  for (const c of checkers) {
    const r = await c.run(ctx);
    findings.push(...r.findings);
    skipped.push(...(r.skipped ?? []));
    if ((r.skipped ?? []).length === 0) ran.push(c.name);
  }
  return { findings, skipped, ran };
}
