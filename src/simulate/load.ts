import { buildModel, type ModelPlan } from "./model.js";
import { type ManifestObject, readManifestDir, renderedManifests } from "./manifests.js";
import type { Model } from "./types.js";

/** The model of a rendered homelab: its plan, the server's auto-deploy manifests and the user's extra ones. */
export function modelOf(plan: ModelPlan, files: Iterable<readonly [string, string]>, extraDirs: readonly string[] = []): Model {
  const extra: ManifestObject[] = extraDirs.flatMap((d) => readManifestDir(d));
  return buildModel(plan, [...renderedManifests(files, plan.cluster.server), ...extra]);
}
