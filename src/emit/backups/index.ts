import type { Plan } from "../../plan/types.js";
import type { OutputFile } from "../file.js";
import { emitResticEnv } from "./env.js";
import { emitResticWrapper } from "./restic.js";
import { emitBackupScript } from "./script.js";
import { emitBackupUnits } from "./units.js";

export { resticEnv } from "./env.js";
export { PATHS, TIMER_UNIT } from "./paths.js";
export { resticWrapper } from "./restic.js";
export { backupScript, retentionFlags } from "./script.js";
export { backupService, backupTimer } from "./units.js";

/** The storage host's backups: restic's settings, the backup script and h5b-restic, a service and its timer. */
export function emitBackups(plan: Plan): OutputFile[] {
  const b = plan.backups;
  if (b === undefined) return [];
  return [emitResticEnv(b), emitResticWrapper(b), emitBackupScript(b), ...emitBackupUnits(b)];
}
