import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { K3S_MANIFESTS_DIR } from "../emit/k3s/_flags.js";
import { error, H5bError, type Issue } from "../issue.js";

/** One Kubernetes object and the file it came from. */
export interface ManifestObject {
  readonly source: string;
  readonly object: Readonly<Record<string, unknown>>;
}

const manifestFile = /\.(ya?ml|json)$/;

/** The objects k3s would apply from the server's auto-deploy folder of a rendered output (path -> text). */
export function renderedManifests(files: Iterable<readonly [string, string]>, server: string): ManifestObject[] {
  const dir = `hosts/${server}${K3S_MANIFESTS_DIR}/`;
  const chosen = [...files].filter(([p]) => p.startsWith(dir) && manifestFile.test(p)).sort(([a], [b]) => (a < b ? -1 : 1));
  return parseFiles(chosen);
}

/** Every manifest under a folder of the user's (recursively, in path order). */
export function readManifestDir(dir: string): ManifestObject[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new H5bError("simulate", [error("manifests-missing", dir, "no such folder of manifests")]);
  const found: [string, string][] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (manifestFile.test(name)) found.push([join(dir, relative(dir, p)), readFileSync(p, "utf8")]);
    }
  };
  walk(dir);
  return parseFiles(found);
}

function parseFiles(files: readonly (readonly [string, string])[]): ManifestObject[] {
  const issues: Issue[] = [];
  const out: ManifestObject[] = [];
  for (const [source, text] of files) {
    for (const doc of parseAllDocuments(text, { prettyErrors: false })) {
      if (doc.errors.length > 0) {
        for (const e of doc.errors) {
          const pos = e.linePos?.[0];
          issues.push(error("manifest-syntax", pos ? `${source}:${pos.line}:${pos.col}` : source, e.message.split("\n")[0] ?? e.code));
        }
        continue;
      }
      collect(doc.toJS() as unknown, source, out, issues);
    }
  }
  if (issues.length > 0) throw new H5bError("simulate", issues);
  return out;
}

function collect(value: unknown, source: string, out: ManifestObject[], issues: Issue[]): void {
  if (value === null || value === undefined) return;
  if (typeof value !== "object" || Array.isArray(value)) {
    issues.push(error("manifest-not-object", source, "a document is not a Kubernetes object"));
    return;
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.kind !== "string") {
    issues.push(error("manifest-no-kind", source, "a document has no kind"));
    return;
  }
  if (obj.kind === "List" || (obj.kind.endsWith("List") && Array.isArray(obj.items))) {
    for (const item of Array.isArray(obj.items) ? obj.items : []) collect(item, source, out, issues);
    return;
  }
  out.push({ source, object: obj });
}
