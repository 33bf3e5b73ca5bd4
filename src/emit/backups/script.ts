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
 * Opens the repository, creating it only on the host's first run and only when the store says there is nothing at
 * its place. restic 0.14 takes any failure to read the repository's config as "no repository" (and `init` then
 * writes a new key and config over an existing repository, which makes every snapshot in it unreadable), so the
 * script decides itself: an error other than "no such key" (a key without read access, B2 failing, a wrong
 * password) stops the run, and so does any error once the host knows its repository's id, or a repository whose id
 * is not that one (another host's, or one made anew).
 */
function openRepository(): string[] {
  return [
    "# The repository is created only on the host's first run, and only where the store says nothing is there:",
    "# restic 0.14's init takes any failed read for \"no repository\" and would write a new key and config over one.",
    "# After that, the repository must be the one whose id the host keeps.",
    `state="\${STATE_DIRECTORY:-${PATHS.state}}"`,
    'known="$state/repository-id"',
    'mkdir -p "$state"',
    'if ! config="$(h5b-restic cat config 2>"$state/open-error")"; then',
    '  if ! grep -qE "The specified key does not exist|repository does not exist" "$state/open-error"; then',
    '    cat "$state/open-error" >&2',
    '    echo "h5b-backup: the repository cannot be opened; not creating one (see above)" >&2',
    "    exit 1",
    "  fi",
    '  if [[ -e $known ]]; then',
    '    echo "h5b-backup: there is no repository where this host backed up to ($(<"$known")); if it moved on purpose, remove $known" >&2',
    "    exit 1",
    "  fi",
    "  h5b-restic init",
    '  config="$(h5b-restic cat config)"',
    "fi",
    `id="$(sed -nE 's/^ *"id": *"([0-9a-f]+)".*/\\1/p' <<<"$config")"`,
    'if [[ -z $id ]]; then',
    '  echo "h5b-backup: the repository config has no id" >&2',
    "  exit 1",
    "fi",
    'if [[ -e $known && $(<"$known") != "$id" ]]; then',
    '  echo "h5b-backup: the repository is $id, not $(<"$known"), the one this host backs up to; if it was made anew on purpose, remove $known" >&2',
    "  exit 1",
    "fi",
    // Written once, whole (a full disk must not leave an empty id behind).
    'if [[ ! -e $known ]]; then',
    '  echo "$id" >"$known.new" && mv "$known.new" "$known"',
    "fi",
  ];
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
    ...openRepository(),
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
    "# A dataset that fails does not stop the others; the run still fails at the end. restic exits 3 when it made the",
    "# snapshot but could not read some files (a file ZFS cannot repair fails every night); any other failure made no",
    "# snapshot, and the packs it uploaded so far are named by no snapshot yet (a long first upload cut short).",
    "status=0",
    "complete=1",
    ...b.datasets.map((d) => `backup ${shellWord(d)} || { status=$?; [[ $status == 3 ]] || complete=0; }`),
    "",
    ...(keep.length > 0
      ? [
          "# The retention counts per dataset (host and tag), whatever path its snapshots were read from. Only after a run",
          "# that made every snapshot: prune deletes every pack no snapshot names, which would throw away the uploaded",
          "# part of a cut-short backup that the next run would otherwise reuse.",
          "if ((complete)); then",
          `  h5b-restic forget --prune --host ${shellWord(b.host)} --group-by host,tags ${keep.join(" ")}`,
          "else",
          '  echo "h5b-backup: a dataset made no snapshot; the retention waits for a complete run" >&2',
          "fi",
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
