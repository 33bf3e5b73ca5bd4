import type { PlanBackups } from "../../plan/types.js";
import { hostPath, linesFile, type OutputFile } from "../file.js";
import { PATHS } from "./paths.js";

/**
 * The service runs the script once; the timer starts it on the spec's schedule, and at the next boot when the host
 * was off at that time (`Persistent=`). No sandboxing: ZFS mounts a snapshot's folder on first access, which a
 * private mount namespace would keep from the script, and snapshotting needs root anyway.
 */
export function backupService(b: PlanBackups): string[] {
  return [
    "# Rendered by h5b: started by h5b-backup.timer.",
    "[Unit]",
    `Description=h5b backup of ${b.host}'s ZFS datasets to B2 (restic)`,
    "Wants=network-online.target",
    "After=network-online.target zfs-mount.service",
    "",
    "[Service]",
    "Type=oneshot",
    `ExecStart=${PATHS.script}`,
    "# Where the script keeps the id of the repository it backs up to.",
    `StateDirectory=${PATHS.state.slice("/var/lib/".length)}`,
    "# restic releases its repository lock on SIGINT only; systemd's default SIGTERM (a stop, a shutdown) would leave it.",
    "KillSignal=SIGINT",
    "# The NFS server's threads come first for the CPU. (ZFS issues the disk reads from its own threads, which an I/O",
    "# class set here would not reach.)",
    "Nice=10",
  ];
}

export function backupTimer(b: PlanBackups): string[] {
  return [
    "# Rendered by h5b from the spec's backups.schedule.",
    "[Unit]",
    `Description=h5b backup of ${b.host}'s ZFS datasets to B2 (restic), on a schedule`,
    "",
    "[Timer]",
    `OnCalendar=${b.schedule}`,
    "Persistent=true",
    "",
    "[Install]",
    "WantedBy=timers.target",
  ];
}

export function emitBackupUnits(b: PlanBackups): OutputFile[] {
  return [linesFile(hostPath(b.host, PATHS.service), backupService(b)), linesFile(hostPath(b.host, PATHS.timer), backupTimer(b))];
}
