/** Running the built CLI from tests, as a user runs it (bin/h5b.js over dist/: run `npm run build` first). */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { ROOT } from "./golden.js";

export const BIN = join(ROOT, "bin", "h5b.js");

/** `h5b <args>` in `cwd`, never throwing on a failed exit; colours off so that messages compare as text. */
export const runH5b = (args: readonly string[], cwd: string, env: Record<string, string> = {}) =>
  execa(process.execPath, [BIN, ...args], { cwd, reject: false, env: { NO_COLOR: "1", ...env } });

/** Every file under `root` (path from `root`, with its leading `/`) with its mode and content. */
export function fileTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(p.slice(root.length), `${(statSync(p).mode & 0o777).toString(8)} ${readFileSync(p, "utf8")}`);
    }
  };
  walk(root);
  return out;
}
