import type { ManifestObject } from "../check/manifests.js";
import { buildModel, type ModelPlan } from "./model.js";
import { renderedObjects } from "./manifests.js";
import type { Model } from "./types.js";

/** The model of a rendered homelab: its plan, the server's auto-deploy manifests and the user's extra ones. */
export function modelOf(plan: ModelPlan, files: Iterable<readonly [string, string]>, extra: readonly ManifestObject[] = []): Model {
  return buildModel(plan, [...renderedObjects(files), ...extra]);
}
