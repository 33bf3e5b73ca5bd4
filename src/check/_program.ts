import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import type { Skipped } from "./types.js";

// Daemons live in sbin, which an ordinary user's PATH often lacks.
const EXTRA_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/** Absolute path of an executable on PATH (or in the sbin folders), or undefined. */
export function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":").filter(Boolean), ...EXTRA_DIRS];
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The first of `needs` ([program, Debian package]) that is missing, as a Skipped naming the package. */
export function missingProgram(check: string, needs: readonly (readonly [string, string])[]): Skipped | undefined {
  const gone = needs.find(([program]) => findProgram(program) === undefined);
  if (gone === undefined) return undefined;
  return { check, reason: `${gone[0]} is not installed (Debian package ${gone[1]}: apt-get install ${gone[1]})` };
}
