import type { PlanBackups } from "../../plan/types.js";
import { hostPath, linesFile, type OutputFile } from "../file.js";
import { PATHS } from "./paths.js";

/**
 * `h5b-restic`: restic with the repository's settings and credentials, for the backup script and for the
 * administrator alike (`h5b-restic snapshots`, `h5b-restic restore …`), so a restore runs exactly as a backup does.
 */
export function resticWrapper(b: PlanBackups): string[] {
  const example = b.datasets[0] ?? "<dataset>";
  return [
    "#!/bin/bash",
    `# Rendered by h5b: restic on the backup repository of ${b.host}, e.g. \`h5b-restic snapshots\`, or`,
    `# \`h5b-restic restore latest --host ${b.host} --tag ${example} --target /path/to/an/empty/folder\`.`,
    "set -euo pipefail",
    "set -a",
    "# shellcheck source=/dev/null",
    `. ${PATHS.env}`,
    "set +a",
    "# B2's S3 API takes the application key as AWS credentials, which restic reads from the environment only.",
    'AWS_ACCESS_KEY_ID="$(<"$H5B_B2_KEY_ID_FILE")"',
    'AWS_SECRET_ACCESS_KEY="$(<"$H5B_B2_APPLICATION_KEY_FILE")"',
    "export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY",
    'exec restic "$@"',
  ];
}

export function emitResticWrapper(b: PlanBackups): OutputFile {
  return linesFile(hostPath(b.host, PATHS.restic), resticWrapper(b), { mode: 0o755 });
}
