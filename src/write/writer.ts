import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, normalize, resolve } from "node:path";
import type { OutputFile } from "../emit/file.js";
import { error, H5bError } from "../issue.js";

/** A file h5b leaves in every output folder, so that it never replaces a folder it did not make. */
export const MARKER = ".h5b-output";

export interface WriteResult {
  readonly dir: string;
  readonly files: number;
  readonly bytes: number;
}

/**
 * Writes the whole tree or nothing: files go to a sibling temporary folder which then replaces the output
 * folder in two renames, so a failure part-way leaves the previous output as it was. Files are written in path
 * order with their modes; nothing in them depends on time, so two builds of one spec are byte-identical.
 */
export function writeTree(outDir: string, files: readonly OutputFile[]): WriteResult {
  const dir = resolve(outDir);
  checkPaths(files);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new H5bError("write", [error("out-not-dir", outDir, "exists and is not a folder")]);
    if (readdirSync(dir).length > 0 && !existsSync(join(dir, MARKER))) {
      throw new H5bError("write", [error("out-not-h5b", outDir, `is not empty and was not written by h5b (no ${MARKER}); choose another --out`)]);
    }
  }
  const tmp = `${dir}.h5b-tmp-${process.pid}`;
  const old = `${dir}.h5b-old-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  let bytes = 0;
  try {
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, MARKER), "This folder is written by `h5b build`; edit the spec, not these files.\n");
    // The umask can only take bits away; chmod again only for a mode it would change.
    const umask = process.umask();
    const made = new Set<string>([tmp]);
    for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      const p = join(tmp, f.path);
      const parent = dirname(p);
      if (!made.has(parent)) {
        mkdirSync(parent, { recursive: true });
        made.add(parent);
      }
      const mode = f.mode ?? 0o644;
      writeFileSync(p, f.content, { mode });
      if ((mode & umask) !== 0) chmodSync(p, mode);
      bytes += Buffer.byteLength(f.content);
    }
    if (existsSync(dir)) renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(dir) && existsSync(old)) renameSync(old, dir);
    throw e;
  }
  return { dir, files: files.length, bytes };
}

function checkPaths(files: readonly OutputFile[]): void {
  const seen = new Set<string>();
  for (const f of files) {
    const n = normalize(f.path);
    // Emitters are ours, so a bad path is a bug, not a user error.
    if (isAbsolute(f.path) || n.startsWith("..") || n !== f.path || f.path === MARKER) throw new Error(`emitter produced a bad path: ${f.path}`);
    if (seen.has(f.path)) throw new Error(`two emitters produced ${f.path}`);
    seen.add(f.path);
  }
}
