import { readdirSync, type Stats, statSync } from "node:fs";
import { join } from "node:path";
import { type Issue, systemErrorCode } from "../issue.js";
import type { Shape } from "./shape.js";
import { notAFolder, SECRET_NAME, type SecretStore, TEMPORARY } from "./store.js";

/**
 * Every problem of the secrets already in the folder, found before anything is generated: a folder opened up by
 * hand (`chmod 644 *`) is reported whole in one run, not a file per build. Each file's mode is checked, whether
 * this spec reads it or not (any of them is a secret); its content when `shapeOf` knows its name.
 */
export function scanStore(store: SecretStore, shapeOf: (name: string) => Shape | undefined): Issue[] {
  const dir = store.dir;
  const kind = statOrMissing(dir);
  // A first build: there is nothing to check yet.
  if (kind === undefined) return [];
  if (!kind.isDirectory()) return [notAFolder(dir)];
  const files = readdirSync(dir)
    .sort()
    .filter((n) => SECRET_NAME.test(n) && !TEMPORARY.test(n) && statOrMissing(join(dir, n))?.isFile() === true);
  return files.flatMap((n) => store.problems(n, shapeOf(n)));
}

/** A link that leads nowhere counts as missing, as it does for the store, which writes a new secret in its place. */
function statOrMissing(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    if (systemErrorCode(e) === "ENOENT") return undefined;
    throw e;
  }
}
