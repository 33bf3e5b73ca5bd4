import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { yamlValue } from "../_yaml.js";
import { error, H5bError, type Issue, pathOf } from "../issue.js";
import defaultSpec from "./default.js";
import { type Homelab, homelabSchema, type HomelabInput } from "./homelab.js";
import { validateHomelab } from "./validate.js";

/** Files `h5b` looks for in the working directory, in this order, when no `--config` is given. */
export const configFileNames = ["h5b.config.ts", "h5b.config.mts", "h5b.config.js", "h5b.config.mjs", "homelab.yaml", "homelab.yml"];

export interface LoadedSpec {
  /** Where it came from, for people: a file path, or `(embedded default)`. */
  readonly source: string;
  /** The spec file; absent for the embedded default. */
  readonly file?: string;
  readonly spec: Homelab;
  /** Warnings from validation (errors throw). */
  readonly warnings: readonly Issue[];
}

export function findConfigFile(cwd: string): string | undefined {
  const found = configFileNames.map((name) => resolve(cwd, name)).filter((p) => existsSync(p));
  // Two specs side by side (`h5b init` and then `h5b init --yaml`): reading one would ignore the user's edits to the other.
  if (found.length > 1) {
    throw new H5bError("load", found.slice(1).map((p) => error("spec-ambiguous", p, `is a second spec beside ${found[0]}: remove one, or pass --config`)));
  }
  return found[0];
}

/** Reads a spec file (TypeScript/JavaScript module or YAML) into raw input, before any checking. */
export async function readSpecFile(file: string): Promise<unknown> {
  if (!existsSync(file)) throw new H5bError("load", [error("file-missing", file, "no such spec file")]);
  if (/\.ya?ml$/.test(file)) return parseYaml(readText(file), file);
  if (/\.[mc]?[jt]s$/.test(file)) return importModule(file);
  throw new H5bError("load", [error("file-kind", file, "a spec is a .ts/.js module or a .yaml file")]);
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "EISDIR" ? "is a folder, not a spec file" : code === "EACCES" ? "cannot be read: permission denied" : `cannot be read (${code ?? String(e)})`;
    throw new H5bError("load", [error("file-unreadable", file, why)]);
  }
}

function parseYaml(text: string, file: string): unknown {
  // YAML 1.1's tags (!!binary, !!timestamp, !!set) would make values no field takes: an unknown tag is an error.
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, resolveKnownTags: false });
  const problems = [...doc.errors, ...doc.warnings.filter((w) => w.code === "TAG_RESOLVE_FAILED")];
  if (problems.length > 0) {
    throw new H5bError(
      "load",
      problems.map((e) => {
        const pos = e.linePos?.[0];
        return error("yaml-syntax", pos ? `${file}:${pos.line}:${pos.col}` : file, (e.message.split("\n")[0] ?? e.code).replace(/ at line \d+, column \d+:?$/, ""));
      }),
    );
  }
  const read = yamlValue(doc);
  if ("problem" in read) throw new H5bError("load", [error("yaml-alias", file, read.problem)]);
  return read.value;
}

async function importModule(file: string): Promise<unknown> {
  // jiti compiles TypeScript on the fly, so a user's h5b.config.ts needs no build step on Node 20.
  const { createJiti } = await import("jiti");
  // `import { defineHomelab } from "h5b"` resolves to this very h5b, installed in the project or not.
  const self = fileURLToPath(new URL(`../index${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url));
  const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false, alias: { h5b: self } });
  try {
    const mod = await jiti.import<{ default?: unknown }>(pathToFileURL(file).href);
    if (mod === null || typeof mod !== "object" || !("default" in mod) || mod.default === undefined) {
      throw new H5bError("load", [error("no-default-export", file, "the module must `export default defineHomelab({...})`")]);
    }
    return mod.default;
  } catch (e) {
    if (e instanceof H5bError) throw e;
    const lines = e instanceof Error ? e.message.split("\n").map((l) => l.trim()) : [String(e)];
    // A syntax error names its place on a line of its own (`file:line:column`): the issue points there.
    const at = lines.find((l) => l.startsWith(`${file}:`)) ?? file;
    throw new H5bError("load", [error("module-error", at, `could not load: ${lines[0] ?? String(e)}`)]);
  }
}

/** What a value of each type is called in a message, as a spec's author would write it. */
const TYPE_NAMES: Readonly<Record<string, string>> = {
  int: "a whole number",
  number: "a number",
  string: "a string",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  record: "a mapping",
};

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "object") return "a mapping";
  return `the ${typeof value} ${String(value)}`;
}

/** Turns zod's findings into h5b issues with readable spec paths. */
export function schemaIssues(zerr: z.ZodError): Issue[] {
  return zerr.issues.map((i) => {
    if (i.code === "unrecognized_keys") {
      return error("unknown-key", pathOf([...i.path, ...(i.keys.length === 1 ? [i.keys[0] ?? ""] : [])]), `unknown key${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => `'${k}'`).join(", ")}`);
    }
    if (i.code === "invalid_type" && i.input === undefined) return error("missing", pathOf(i.path), "is required");
    // An enum's message lists its values; the field is missing, not wrong.
    if (i.code === "invalid_value" && i.input === undefined) return error("missing", pathOf(i.path), `is required: ${i.message.replace(/^must be /, "")}`);
    // A name in a map (a host, a workload, a file) that its pattern refuses: say what the name must be.
    if (i.code === "invalid_key") {
      const why = i.issues.map((k) => k.message).join("; ");
      return error("invalid-key", pathOf(i.path), `the name '${String(i.input)}' ${why.startsWith("must") ? why : `is not allowed: ${why}`}`);
    }
    if (i.code === "invalid_type" && TYPE_NAMES[i.expected] !== undefined) {
      return error("invalid-type", pathOf(i.path), `must be ${TYPE_NAMES[i.expected]}, not ${describe(i.input)}`);
    }
    return error(i.code.replace(/_/g, "-"), pathOf(i.path), i.message);
  });
}

/** Parses raw input against the schema and the design's rules; throws one error with every issue. */
export function parseHomelab(raw: unknown): { spec: Homelab; warnings: readonly Issue[] } {
  // With the input in each issue, a value of the wrong type is told apart from a missing one.
  const parsed = homelabSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new H5bError("spec", schemaIssues(parsed.error));
  const issues = validateHomelab(parsed.data);
  if (issues.some((i) => i.severity === "error")) throw new H5bError("spec", issues);
  return { spec: parsed.data, warnings: issues };
}

/** Loads the spec from `file`, else from the working directory, else the embedded default. */
export async function loadSpec(opts: { file?: string; cwd?: string } = {}): Promise<LoadedSpec> {
  const cwd = opts.cwd ?? process.cwd();
  const file = opts.file !== undefined ? resolve(cwd, opts.file) : findConfigFile(cwd);
  const raw: unknown = file === undefined ? defaultHomelabInput() : await readSpecFile(file);
  const { spec, warnings } = parseHomelab(raw);
  return file !== undefined ? { source: file, file, spec, warnings } : { source: "(embedded default)", spec, warnings };
}

/** A fresh copy of the embedded default spec (the seed's homelab). */
export function defaultHomelabInput(): HomelabInput {
  return structuredClone(defaultSpec);
}
