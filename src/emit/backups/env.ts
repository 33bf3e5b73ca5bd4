import type { PlanBackups } from "../../plan/types.js";
import { hostPath, linesFile, type OutputFile } from "../file.js";
import { PATHS } from "./paths.js";

/**
 * restic's settings as an environment file that both systemd and bash read (no quotes, no expansions): the
 * repository, and the files that hold the secrets rather than the secrets themselves, so this file holds none.
 */
export function resticEnv(b: PlanBackups): string[] {
  return [
    `# Rendered by h5b: restic's repository for the backups of ${b.host}, and where its secrets are (Ansible installs`,
    "# them from .h5b/secrets, mode 0600). h5b-restic reads this file.",
    `RESTIC_REPOSITORY=${b.repository}`,
    `RESTIC_PASSWORD_FILE=${PATHS.resticPassword}`,
    `RESTIC_CACHE_DIR=${PATHS.cache}`,
    `H5B_B2_KEY_ID_FILE=${PATHS.b2KeyId}`,
    `H5B_B2_APPLICATION_KEY_FILE=${PATHS.b2ApplicationKey}`,
  ];
}

export function emitResticEnv(b: PlanBackups): OutputFile {
  return linesFile(hostPath(b.host, PATHS.env), resticEnv(b), { mode: 0o644 });
}
