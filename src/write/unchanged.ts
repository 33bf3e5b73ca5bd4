import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { OutputFile } from "../emit/file.js";

/**
 * Whether an h5b output folder (with its `marker`) already holds exactly these files: the same paths, no others,
 * the same contents and modes. Reading a tree back costs a fraction of writing it anew, where every file and
 * folder created is a round trip to the disk.
 */
export function isUnchanged(outDir: string, marker: string, files: readonly OutputFile[]): boolean {
  if (!existsSync(join(outDir, marker))) return false;
  const wanted = new Map(files.map((f) => [f.path, f]));
  const present = listFiles(outDir).filter((p) => p !== marker);
  if (present.length !== wanted.size) return false;
  for (const p of present) {
    const f = wanted.get(p);
    if (f === undefined) return false;
    const abs = join(outDir, p);
    // A link put there by hand is not h5b's file, even where it leads to one with the same content.
    const stat = lstatSync(abs);
    if (!stat.isFile() || (stat.mode & 0o777) !== (f.mode ?? 0o644)) return false;
    if (readFileSync(abs, "utf8") !== f.content) return false;
  }
  return true;
}

function listFiles(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const abs = join(dir, e.name);
    return e.isDirectory() ? listFiles(root, abs) : [relative(root, abs)];
  });
}
