import type { Skipped } from "./types.js";

/**
 * For a checker that runs its program under `unshare` (a throwaway user, mount and network namespace): the skip to
 * report when those namespaces could not be made (a machine without unprivileged user namespaces), rather than blame
 * the file. unshare says so itself; the checkers' scripts exit 125 or more when they cannot set up their private
 * folders (chroot's own code for that too). Undefined when the program ran.
 */
export function namespaceSkip(check: string, program: string, r: { readonly exitCode?: number }, output: string): Skipped | undefined {
  if (r.exitCode !== undefined && r.exitCode < 125 && !/^unshare: /m.test(output)) return undefined;
  return { check, reason: `no private namespace to run ${program} in: ${output.trim() || `exit ${String(r.exitCode)}`}` };
}
