import { accessSync, constants, readFileSync } from "node:fs";
import { basename, join } from "node:path";
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

/**
 * The environment for running the programs {@link findProgram} finds: PATH with the sbin folders added, so that a
 * program found in /usr/sbin also runs by its name (directly, or from a script under `unshare`).
 */
export function programEnv(): { PATH: string } {
  const dirs = (process.env.PATH ?? "").split(":").filter(Boolean);
  return { PATH: [...dirs, ...EXTRA_DIRS.filter((d) => !dirs.includes(d))].join(":") };
}

/** The first of `needs` ([program, Debian package]) that is missing, as a Skipped naming the package. */
export function missingProgram(check: string, needs: readonly (readonly [string, string])[]): Skipped | undefined {
  const gone = needs.find(([program]) => findProgram(program) === undefined);
  if (gone === undefined) return undefined;
  return { check, reason: `${gone[0]} is not installed (Debian package ${gone[1]}: apt-get install ${gone[1]})` };
}

let loaded: string | undefined;
/**
 * The argv prefix that runs `program` outside its AppArmor profile, when one is enforced: Debian's profiles for
 * Kea and dhclient allow only their packaged paths, and checks and tests run them on files in a temporary folder.
 * Empty when AppArmor is off or does not confine the program. `profiles` is the kernel's list of loaded profiles.
 */
export function unconfined(program: string, profiles: string = loadedProfiles()): string[] {
  const confined = profiles.split("\n").some((l) => l.endsWith("(enforce)") && l.includes(basename(program)));
  return confined ? ["aa-exec", "-p", "unconfined", "--"] : [];
}

function loadedProfiles(): string {
  if (loaded === undefined) {
    try {
      loaded = readFileSync("/sys/kernel/security/apparmor/profiles", "utf8");
    } catch {
      loaded = "";
    }
  }
  return loaded;
}
