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
