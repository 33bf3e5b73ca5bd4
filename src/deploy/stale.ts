import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { OutputFile } from "../emit/index.js";
import { MARKER } from "../write/writer.js";

/** Whether the output folder differs from what the spec renders now (a file changed, missing, extra, or its mode). */
export function isStale(outDir: string, files: readonly OutputFile[]): boolean {
  if (!existsSync(join(outDir, MARKER))) return true;
  const wanted = new Map(files.map((f) => [f.path, f]));
  const present = listFiles(outDir).filter((p) => p !== MARKER);
  if (present.length !== wanted.size) return true;
  for (const p of present) {
    const f = wanted.get(p);
    if (f === undefined) return true;
    const abs = join(outDir, p);
    if ((statSync(abs).mode & 0o777) !== (f.mode ?? 0o644)) return true;
    if (readFileSync(abs, "utf8") !== f.content) return true;
  }
  return false;
}

function listFiles(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const abs = join(dir, e.name);
    return e.isDirectory() ? listFiles(root, abs) : [relative(root, abs)];
  });
}
