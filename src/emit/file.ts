import { stringify } from "yaml";

/** One rendered file: a path relative to the output folder, its text, and its mode (0600 when it holds a secret). */
export interface OutputFile {
  readonly path: string;
  readonly content: string;
  readonly mode?: number;
}

const yamlOptions = { lineWidth: 0, aliasDuplicateObjects: false } as const;

/** One YAML document. */
export function yamlFile(path: string, value: unknown, opts: { mode?: number; header?: string } = {}): OutputFile {
  return { path, content: header(opts.header, "#") + stringify(value, yamlOptions), ...(opts.mode !== undefined ? { mode: opts.mode } : {}) };
}

/** Several YAML documents separated by `---` (a Kubernetes manifest file). */
export function yamlDocuments(path: string, values: readonly unknown[], opts: { mode?: number; header?: string } = {}): OutputFile {
  const body = values.map((v) => stringify(v, yamlOptions)).join("---\n");
  return { path, content: header(opts.header, "#") + body, ...(opts.mode !== undefined ? { mode: opts.mode } : {}) };
}

export function yamlText(value: unknown): string {
  return stringify(value, yamlOptions);
}

export function jsonFile(path: string, value: unknown, opts: { mode?: number } = {}): OutputFile {
  return { path, content: `${JSON.stringify(value, null, 2)}\n`, ...(opts.mode !== undefined ? { mode: opts.mode } : {}) };
}

/** A line-oriented format (nftables, Corefile, systemd units): the lines joined, ending in a newline. */
export function linesFile(path: string, lines: readonly string[], opts: { mode?: number } = {}): OutputFile {
  return { path, content: `${lines.join("\n")}\n`, ...(opts.mode !== undefined ? { mode: opts.mode } : {}) };
}

function header(text: string | undefined, comment: string): string {
  if (text === undefined) return "";
  return `${text
    .split("\n")
    .map((l) => `${comment} ${l}`.trimEnd())
    .join("\n")}\n`;
}

/** Where a host's files go: `hosts/<host>/<absolute path on the host>`, a root overlay Ansible copies as it is. */
export function hostPath(host: string, absolute: string): string {
  return `hosts/${host}${absolute}`;
}
