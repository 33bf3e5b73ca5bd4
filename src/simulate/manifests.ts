import { describe, type ManifestObject, readManifestDir, renderedManifests } from "../check/manifests.js";
import { H5bError, type Issue } from "../issue.js";
import { type Obj, rec, str } from "./_obj.js";

export type { ManifestObject };

function orThrow(r: { objects: ManifestObject[]; issues: Issue[] }): ManifestObject[] {
  if (r.issues.some((i) => i.severity === "error")) throw new H5bError("simulate", r.issues);
  return r.objects;
}

/** The objects k3s would apply from the server's auto-deploy folder of a rendered output (path -> text). */
export function renderedObjects(files: Iterable<readonly [string, string]>): ManifestObject[] {
  return orThrow(renderedManifests(new Map(files)));
}

/** Every manifest in a folder of the user's (recursively). */
export function extraObjects(dir: string): ManifestObject[] {
  return orThrow(readManifestDir(dir));
}

export const metaOf = (o: ManifestObject): Obj => rec(o.object.metadata);
export const namespaceOf = (o: ManifestObject): string => str(metaOf(o).namespace) ?? "default";
/** The object's API group: `apps`, `metallb.io`, and "" for the core group (`apiVersion: v1`). */
export function groupOf(o: ManifestObject): string {
  const version = str(o.object.apiVersion) ?? "";
  const slash = version.indexOf("/");
  return slash < 0 ? "" : version.slice(0, slash);
}

/**
 * Whether the object is `kind` of the group: a custom resource may reuse a built-in kind's name
 * (`apps.example.com/v1 Deployment`), and that is not the object the model reads.
 */
const isKind = (o: ManifestObject, group: string, kind: string): boolean => o.object.kind === kind && groupOf(o) === group;

/** The objects that are `kind` of the group (see isKind). */
export const ofKind = (objects: readonly ManifestObject[], group: string, kind: string): ManifestObject[] => objects.filter((o) => isKind(o, group, kind));
/** `file: Kind namespace/name`, the path of an issue about one object. */
export const whereOf = (o: ManifestObject): string => `${o.file}: ${describe(o)}`;
