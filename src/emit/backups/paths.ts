import { shellQuote } from "../../_text.js";
import { BACKUP_SECRETS } from "../../secrets/backups.js";

const DIR = "/etc/h5b/backup";

/**
 * Where the backup's files live on the storage host. The secrets sit beside the settings in a folder only root may
 * enter; Ansible copies them from the store, so no rendered file holds one.
 */
export const PATHS = {
  dir: DIR,
  env: `${DIR}/restic.env`,
  resticPassword: `${DIR}/${BACKUP_SECRETS.resticPassword}`,
  b2KeyId: `${DIR}/${BACKUP_SECRETS.b2KeyId}`,
  b2ApplicationKey: `${DIR}/${BACKUP_SECRETS.b2ApplicationKey}`,
  cache: "/var/cache/h5b-backup",
  /** systemd's StateDirectory= of the service; the script reads $STATE_DIRECTORY, so a test can move it. */
  state: "/var/lib/h5b-backup",
  lock: "/run/h5b-backup.lock",
  script: "/usr/local/sbin/h5b-backup",
  restic: "/usr/local/sbin/h5b-restic",
  service: "/etc/systemd/system/h5b-backup.service",
  timer: "/etc/systemd/system/h5b-backup.timer",
} as const;

export const TIMER_UNIT = "h5b-backup.timer";

/** A word for bash, quoted only when it has to be (dataset names and paths seldom do). */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : shellQuote(s);
}
