import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { yamlValue } from "../_yaml.js";
import { error, H5bError, type Issue } from "../issue.js";

/** One object of a Kubernetes manifest file, with where it came from. */
export interface ManifestObject {
  readonly file: string;
  /** 0-based position of the document in its file. */
  readonly index: number;
  readonly object: Record<string, unknown> & { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
}

const MANIFEST_PATH = /^hosts\/[^/]+\/var\/lib\/rancher\/k3s\/server\/manifests\/[^/]+\.ya?ml$/;

export function isManifestPath(path: string): boolean {
  return MANIFEST_PATH.test(path);
}

/** Parses every YAML document of the given files; a file that is not valid YAML is one issue per error. */
export function parseManifests(files: Iterable<readonly [string, string]>): { objects: ManifestObject[]; issues: Issue[] } {
  const objects: ManifestObject[] = [];
  const issues: Issue[] = [];
  for (const [file, text] of files) {
    parseAllDocuments(text).forEach((doc, index) => {
      if (doc.errors.length > 0) {
        for (const e of doc.errors) issues.push(error("yaml-syntax", `${file}:${e.linePos?.[0]?.line ?? 0}`, e.message.split("\n")[0] ?? e.code));
        return;
      }
      const read = yamlValue(doc);
      if ("problem" in read) {
        issues.push(error("yaml-alias", `${file}#${index}`, read.problem));
        return;
      }
      const object = read.value;
      if (object === null || object === undefined) return;
      if (typeof object !== "object" || Array.isArray(object)) {
        issues.push(error("not-an-object", `${file}#${index}`, "a manifest document must be a mapping"));
        return;
      }
      objects.push({ file, index, object: object as ManifestObject["object"] });
    });
  }
  return { objects, issues };
}

/** Reads a folder of the user's extra manifests (`*.yaml`, `*.yml`, recursively). */
export function readManifestDir(dir: string): { objects: ManifestObject[]; issues: Issue[] } {
  const files: [string, string][] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch {
      throw new H5bError("manifests", [error("no-such-dir", dir, "cannot read this folder of manifests")]);
    }
    for (const n of names) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(n)) files.push([p, readFileSync(p, "utf8")]);
    }
  };
  walk(dir);
  return parseManifests(files);
}

/** `Kind namespace/name` for messages. */
export function describe(o: ManifestObject): string {
  const m = o.object.metadata ?? {};
  const ns = typeof m.namespace === "string" ? `${m.namespace}/` : "";
  return `${String(o.object.kind)} ${ns}${String(m.name)}`;
}

/** The rendered manifests of a check context. */
export function renderedManifests(files: ReadonlyMap<string, string>): { objects: ManifestObject[]; issues: Issue[] } {
  return parseManifests([...files].filter(([p]) => isManifestPath(p)));
}
