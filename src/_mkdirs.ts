import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Makes `dir` and its missing parents, each with `mode`, one level at a time. Node's own recursive mkdir loops for
 * ever under a folder that refuses new entries with ENOENT (`/proc`); this fails at the first level that cannot
 * be made.
 */
export function mkdirs(dir: string, mode?: number): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) mkdirSync(d, mode !== undefined ? { mode } : {});
}
