import type { PlanBackups } from "../../plan/types.js";
import { hostPath, linesFile, type OutputFile } from "../file.js";
import { PATHS, shellWord } from "./paths.js";

/** `restic forget` flags of the spec's retention; a count of 0 leaves its rule out (restic's meaning of 0 too). */
export function retentionFlags(r: PlanBackups["retention"]): string[] {
  const rules = [
    ["--keep-daily", r.daily],
    ["--keep-weekly", r.weekly],
    ["--keep-monthly", r.monthly],
    ["--keep-yearly", r.yearly],
  ] as const;
  return rules.filter(([, n]) => n > 0).flatMap(([flag, n]) => [flag, String(n)]);
}

/**
 * `h5b-backup`: snapshot the datasets, back each one up from its snapshot with restic, apply the retention, and
 * release the snapshots. restic runs through `h5b-restic`, so the administrator's restores use the same settings.
 */
export function backupScript(b: PlanBackups): string[] {
  const snap = (d: string) => shellWord(`${d}@${b.snapshot}`);
  const keep = retentionFlags(b.retention);
  return [
    "#!/bin/bash",
    `# Rendered by h5b: the backup of ${b.host}'s ZFS datasets to B2 with restic (h5b-backup.timer runs it).`,
    "set -euo pipefail",
    "",
    "# One run at a time: a second one (started by hand while the timer's runs) would destroy the first one's snapshots.",
    `exec 9>${PATHS.lock}`,
    "if ! flock -n 9; then",
    '  echo "h5b-backup: another run is going on" >&2',
    "  exit 1",
    "fi",
    "",
    "# Destroys h5b's snapshots: after this run, and before it those a run that died left behind.",
    "release() {",
    ...b.datasets.flatMap((d) => [`  if zfs list -H -o name -t snapshot ${snap(d)} >/dev/null 2>&1; then`, `    zfs destroy ${snap(d)}`, "  fi"]),
    "}",
    "release",
    "trap release EXIT",
    "# A stop (systemd sends SIGINT, see the unit) ends the run here: restic, interrupted, exits normally, and bash",
    "# would go on with the next dataset.",
    "trap 'exit 130' INT TERM",
    "",
    "# A run that was killed leaves its lock in the repository, and restic never skips a lock by itself: every later",
    "# run would fail on it. `unlock` removes only stale locks (a live run's stay); before `init` it has nothing to open.",
    "h5b-restic unlock >/dev/null 2>&1 || true",
    "",
    "# A repository that cannot be opened is created; `init` refuses one that exists, so a wrong password stops here.",
    "if ! h5b-restic cat config >/dev/null 2>&1; then",
    "  h5b-restic init",
    "fi",
    "",
    "# One command: ZFS snapshots the datasets of a pool atomically, so every dataset shows the same moment.",
    `zfs snapshot ${b.datasets.map(snap).join(" ")}`,
    "",
    "# Each dataset from inside its snapshot, so the restic snapshot holds the dataset's files at its root,",
    "# tagged with the dataset's name (what a restore and the retention select by).",
    "backup() {",
    "  local mountpoint",
    '  mountpoint="$(zfs get -H -o value mountpoint "$1")"',
    '  if [[ $mountpoint != /* ]]; then',
    '    echo "h5b-backup: $1 is not mounted (mountpoint $mountpoint)" >&2',
    "    return 1",
    "  fi",
    `  (cd "$mountpoint/.zfs/snapshot/${b.snapshot}" && h5b-restic backup --host ${shellWord(b.host)} --tag "$1" .)`,
    "}",
    "# A dataset that fails does not stop the others nor the retention; the run still fails at the end. restic exits 3",
    "# when it made the snapshot but could not read some files (a file ZFS cannot repair fails every night).",
    "status=0",
    ...b.datasets.map((d) => `backup ${shellWord(d)} || status=$?`),
    "",
    ...(keep.length > 0
      ? [
          "# The retention counts per dataset (host and tag), whatever path its snapshots were read from.",
          `h5b-restic forget --prune --host ${shellWord(b.host)} --group-by host,tags ${keep.join(" ")}`,
        ]
      : ["# The retention keeps every snapshot (all its counts are 0)."]),
    "",
    "# The repository's structure (indexes, snapshots, trees, and every pack the index names is there), so damage shows",
    "# the night it happens rather than at the restore. Trees come from the local cache where it has them; the files'",
    "# data is read only by a restore (or by `h5b-restic check --read-data` by hand).",
    "h5b-restic check --with-cache || status=$?",
    'exit "$status"',
  ];
}

export function emitBackupScript(b: PlanBackups): OutputFile {
  return linesFile(hostPath(b.host, PATHS.script), backupScript(b), { mode: 0o755 });
}
