import { PLAN_FORMAT } from "../plan/format.js";
import type { Plan } from "../plan/types.js";
import type { Secrets } from "../secrets/store.js";
import { emitAnsible } from "./ansible/index.js";
import { emitBackups } from "./backups/index.js";
import { emitClusterManifests } from "./cluster/index.js";
import { type OutputFile, jsonFile } from "./file.js";
import { emitGateway } from "./gateway/index.js";
import { emitK3os } from "./k3os/index.js";
import { emitK3s } from "./k3s/index.js";
import { emitHostNetworks } from "./network/index.js";
import { emitPorygon } from "./porygon/index.js";

export type { OutputFile } from "./file.js";
export { hostPath, jsonFile, linesFile, yamlDocuments, yamlFile, yamlText } from "./file.js";

/**
 * Path of the plan as JSON in the output (no secrets in it): what `h5b simulate` and `h5b check` read back, with the
 * format it is written in first.
 */
export const PLAN_FILE = "plan.json";

/** Every emitter, in one place; each is a pure function of the plan (and of the secrets it must embed). */
export function emitAll(plan: Plan, secrets: Secrets): OutputFile[] {
  const files = [jsonFile(PLAN_FILE, { format: PLAN_FORMAT, ...plan }), ...emitK3s(plan), ...emitClusterManifests(plan, secrets.workloads.files), ...emitAnsible(plan), ...emitPorygon(plan, secrets), ...emitGateway(plan), ...emitHostNetworks(plan), ...emitBackups(plan)];
  // Last: a k3OS node's config.yaml carries the files rendered for it.
  return [...files, ...emitK3os(plan, secrets, files)];
}
