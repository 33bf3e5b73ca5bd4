/**
 * Problems a user can cause. Every stage collects all of them before it stops, so that one run shows everything
 * that is wrong; each carries the spec path (or file, or flag) it is about.
 */
export type Severity = "error" | "warning";

export interface Issue {
  /** Stable machine-readable code, asserted by tests (e.g. `range-overlap`). */
  readonly code: string;
  /** Where the problem is: a dotted spec path (`networks.lan.ipv4.ranges.public`), a file, or a flag. */
  readonly path: string;
  readonly message: string;
  readonly severity: Severity;
}

export function error(code: string, path: string, message: string): Issue {
  return { code, path, message, severity: "error" };
}

export function warning(code: string, path: string, message: string): Issue {
  return { code, path, message, severity: "warning" };
}

/** Thrown by a stage that found at least one error; carries every issue the stage found (warnings included). */
export class H5bError extends Error {
  readonly issues: readonly Issue[];
  constructor(stage: string, issues: readonly Issue[]) {
    const errors = issues.filter((i) => i.severity === "error");
    super(`${stage}: ${errors.length} error${errors.length === 1 ? "" : "s"}`);
    this.name = "H5bError";
    this.issues = issues;
  }
}

/** Throws an {@link H5bError} when `issues` holds an error; returns the warnings otherwise. */
export function assertNoErrors(stage: string, issues: readonly Issue[]): readonly Issue[] {
  if (issues.some((i) => i.severity === "error")) throw new H5bError(stage, issues);
  return issues;
}

/** Joins path segments the way users read them: `hosts.x86-1.disks[2].id`. */
export function pathOf(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else out += out === "" ? String(s) : `.${String(s)}`;
  }
  return out === "" ? "(root)" : out;
}

/** The errno code of a failed system call (`EACCES`, `ENOTDIR`, `EADDRINUSE`…), or undefined for other errors. */
export function systemErrorCode(e: unknown): string | undefined {
  const code = typeof e === "object" && e !== null ? (e as { code?: unknown; syscall?: unknown }) : undefined;
  return typeof code?.code === "string" && typeof code.syscall === "string" && /^E[A-Z]+$/.test(code.code) ? code.code : undefined;
}

/**
 * Runs `fn`; a failed system call in it (the machine's doing: a permission, a full disk, a taken port) becomes one
 * issue at `path`, saying what could not be done, instead of a stack. Anything else is a bug and propagates.
 */
export async function asUserError<T>(stage: string, code: string, path: string, what: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw systemError(e, stage, code, path, what);
  }
}

/** asUserError for synchronous work. */
export function asUserErrorSync<T>(stage: string, code: string, path: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw systemError(e, stage, code, path, what);
  }
}

/** The user error for a failed system call, or `e` itself (a bug, or already a user error). */
function systemError(e: unknown, stage: string, code: string, path: string, what: string): unknown {
  const errno = systemErrorCode(e);
  if (errno === undefined) return e;
  const where = (e as { path?: unknown; address?: unknown }).path ?? (e as { address?: unknown }).address;
  return new H5bError(stage, [error(code, path, `${what}: ${errno}${where !== undefined ? ` (${String(where)})` : ""}`)]);
}
