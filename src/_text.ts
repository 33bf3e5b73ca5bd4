/** Indents every line of a block by two spaces (terminal reports nest sections this way). */
export function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}

/** A single-quoted word for sh and bash: nothing in it is expanded. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Why `JSON.parse` failed, without the excerpt of the input that V8 quotes in its message: the file may be a secret
 * (a TSIG key passed where its config was meant). Gives the line and column when V8 names a position.
 */
export function jsonSyntaxError(e: unknown, text: string): string {
  const message = e instanceof Error ? e.message : "";
  const at = /at position (\d+)/.exec(message);
  if (at?.[1] === undefined) return /end of JSON input/.test(message) ? "it ends too early" : "it does not parse";
  const before = text.slice(0, Number(at[1])).split("\n");
  return `it does not parse at line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}
