import { existsSync, lstatSync, readdirSync, readlinkSync, rmSync, statSync, utimesSync } from "node:fs";
import { chmod, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, normalize, resolve } from "node:path";
import { mkdirs } from "../_mkdirs.js";
import type { OutputFile } from "../emit/file.js";
import { asUserError, asUserErrorSync, error, H5bError } from "../issue.js";
import { isUnchanged } from "./unchanged.js";

/** A file h5b leaves in every output folder, so that it never replaces a folder it did not make. */
export const MARKER = ".h5b-output";

/**
 * Whether `file` (a spec) changed after the output folder was last written or found unchanged (its marker's time):
 * the output then says nothing about the spec as it is. False when either is missing.
 */
export function outputOlderThan(outDir: string, file: string): boolean {
  const marker = join(outDir, MARKER);
  return existsSync(marker) && existsSync(file) && statSync(file).mtimeMs > statSync(marker).mtimeMs;
}

export interface WriteResult {
  readonly dir: string;
  readonly files: number;
  readonly bytes: number;
  /** The folder already held exactly these files and was left as it was. */
  readonly unchanged: boolean;
}

/**
 * Creating a file or folder is a round trip to the filesystem that can take a millisecond on a VM's disk, and an
 * output tree holds a few hundred of them: they are issued several at a time (libuv runs four at once).
 */
const PARALLEL = 16;

/**
 * Writes the whole tree or nothing: files go to a sibling temporary folder which then replaces the output
 * folder in two renames, so a failure part-way leaves the previous output as it was. Nothing in the files
 * depends on time or on the order they were written in, so two builds of one spec are byte-identical; a folder
 * that already holds exactly the files is left untouched.
 */
/**
 * An output folder that is a link (to another disk, say) is written where it points, made there if missing, and
 * stays a link: the swap renames folders, and renaming onto the link would replace it.
 */
function linkTarget(path: string): string {
  let p = path;
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      if (!lstatSync(p).isSymbolicLink()) return p;
      link = readlinkSync(p);
    } catch {
      return p;
    }
    p = resolve(dirname(p), link);
  }
  throw new H5bError("write", [error("out-link-loop", path, "is a link that leads around in a loop")]);
}

/** A folder that holds files but not h5b's marker: the writer never replaces it. */
export function isForeignFolder(dir: string): boolean {
  return readdirSync(dir).length > 0 && !existsSync(join(dir, MARKER));
}

export async function writeTree(outDir: string, files: readonly OutputFile[]): Promise<WriteResult> {
  const dir = linkTarget(resolve(outDir));
  checkPaths(files);
  const readError = (fn: () => boolean) => asUserErrorSync("write", "out-read", outDir, "cannot read the output folder", fn);
  if (existsSync(dir)) {
    if (!readError(() => statSync(dir).isDirectory())) throw new H5bError("write", [error("out-not-dir", outDir, "exists and is not a folder")]);
    if (readError(() => isForeignFolder(dir))) {
      throw new H5bError("write", [error("out-not-h5b", outDir, `is not empty and was not written by h5b (no ${MARKER}); choose another --out`)]);
    }
  }
  const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
  await asUserError("write", "out-write", outDir, "cannot clean beside the output folder", () => removeLeftovers(dir));
  if (readError(() => isUnchanged(dir, MARKER, files))) {
    // The marker's time says when the output was last known to match its spec (`h5b simulate --out` reads it).
    const now = new Date();
    await asUserError("write", "out-write", outDir, "cannot write the output folder", () => utimesSync(join(dir, MARKER), now, now));
    return { dir, files: files.length, bytes, unchanged: true };
  }
  return asUserError("write", "out-write", outDir, "cannot write the output folder", () => swapIn(dir, files, bytes));
}

/** Builds the tree beside `dir` and swaps it in; an interrupt (Ctrl-C) waits until the swap and its cleanup end. */
async function swapIn(dir: string, files: readonly OutputFile[], bytes: number): Promise<WriteResult> {
  // A parent that does not exist yet is made first; the temporary folder itself is made alone, so that a parent
  // that cannot hold folders (a file, /proc) fails at once.
  mkdirs(dirname(dir));
  const tmp = `${dir}${TMP}${process.pid}`;
  const old = `${dir}${OLD}${process.pid}`;
  let interrupted: NodeJS.Signals | undefined;
  const hold = (signal: NodeJS.Signals) => {
    interrupted = signal;
  };
  process.on("SIGINT", hold).on("SIGTERM", hold);
  try {
    await writeBeside(dir, tmp, old, files);
  } finally {
    process.off("SIGINT", hold).off("SIGTERM", hold);
    if (interrupted !== undefined) process.kill(process.pid, interrupted);
  }
  return { dir, files: files.length, bytes, unchanged: false };
}

async function writeBeside(dir: string, tmp: string, old: string, files: readonly OutputFile[]): Promise<void> {
  await rm(tmp, { recursive: true, force: true });
  try {
    await mkdir(tmp);
    // Every folder first, parents before children, each level at once; then every file at once.
    for (const level of foldersByDepth(files)) await inParallel(level, (d) => mkdir(join(tmp, d)));
    // The umask can only take bits away; chmod again only for a mode it would change.
    const umask = process.umask();
    const all: OutputFile[] = [{ path: MARKER, content: "This folder is written by `h5b build`; edit the spec, not these files.\n" }, ...files];
    await inParallel(all, async (f) => {
      const p = join(tmp, f.path);
      const mode = f.mode ?? 0o644;
      await writeFile(p, f.content, { mode });
      if ((mode & umask) !== 0) await chmod(p, mode);
    });
    if (existsSync(dir)) await rename(dir, old);
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (!existsSync(dir) && existsSync(old)) await rename(old, dir);
    throw e;
  }
  await rm(old, { recursive: true, force: true });
}

const TMP = ".h5b-tmp-";
const OLD = ".h5b-old-";

/**
 * Removes what a build killed part-way left beside the output folder: its half-written new tree or the previous
 * output it had moved aside (they hold the hosts' private keys). Only those of processes that are gone.
 */
function removeLeftovers(dir: string): void {
  const parent = dirname(dir);
  // A parent that is not a folder is for the write to report.
  if (!existsSync(parent) || !statSync(parent).isDirectory()) return;
  for (const name of readdirSync(parent)) {
    const rest = [TMP, OLD].map((k) => `${basename(dir)}${k}`).find((p) => name.startsWith(p));
    const pid = rest === undefined ? "" : name.slice(rest.length);
    if (!/^\d+$/.test(pid) || alive(Number(pid))) continue;
    rmSync(join(parent, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/** The folders the files need (relative, without `.`), grouped by depth, shallowest first. */
function foldersByDepth(files: readonly OutputFile[]): string[][] {
  const levels: Set<string>[] = [];
  for (const f of files) {
    const parts = f.path.split("/");
    for (let depth = 1; depth < parts.length; depth++) (levels[depth - 1] ??= new Set()).add(parts.slice(0, depth).join("/"));
  }
  return levels.map((l) => [...l]);
}

/** Runs `fn` over the items, at most {@link PARALLEL} at a time; the first failure rejects once all have settled. */
async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
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
