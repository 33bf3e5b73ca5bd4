import { type ManifestObject, readManifestDir, renderedManifests } from "../check/manifests.js";
import { H5bError, type Issue } from "../issue.js";

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
