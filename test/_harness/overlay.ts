/** The overlay path prefixes of a rendered role's tasks (`vars.h5b_prefixes` of each overlay task). */
export function overlayPrefixes(tasks: readonly { vars?: { h5b_prefixes?: readonly string[] } }[]): string[][] {
  return tasks.flatMap((t) => (t.vars?.h5b_prefixes !== undefined ? [[...t.vars.h5b_prefixes]] : []));
}

/** Whether one of the prefixes covers the overlay path (what the task's `h5b_pattern` matches). */
export function covers(prefixes: readonly string[], path: string): boolean {
  return prefixes.some((p) => path.startsWith(p));
}
