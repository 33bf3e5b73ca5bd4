/** Indents every line of a block by two spaces (terminal reports nest sections this way). */
export function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");
}
