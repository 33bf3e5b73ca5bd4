#!/bin/bash
# The storage host as the backup sees it, made in a private mount namespace (nothing here outlives the command):
# the rendered /etc/h5b/backup with the secrets Ansible installs beside it, the B2 endpoint's name on loopback
# (where the test's S3 server listens, in the test's network namespace), a /var/cache of its own, and the state
# folder the test gives (systemd's StateDirectory= sets STATE_DIRECTORY the same way). Then runs
# the command with the zfs and restic shims and the rendered scripts first on PATH.
set -euo pipefail
: "${OUT:?}" "${SECRETS:?}" "${SCRATCH:?}" "${SHIMS:?}" "${B2_HOST:?}" "${STATE_DIRECTORY:?}"
mount -t tmpfs h5b-test "$SCRATCH"
mkdir "$SCRATCH/upper" "$SCRATCH/work"
mount -t overlay h5b-test -o "lowerdir=/etc,upperdir=$SCRATCH/upper,workdir=$SCRATCH/work" /etc
mount -t tmpfs h5b-test /var/cache
cp -a "$OUT/etc/h5b" /etc/h5b
for f in restic-password b2-key-id b2-application-key; do
  install -m 0600 "$SECRETS/$f" "/etc/h5b/backup/$f"
done
if [[ ${WRONG_PASSWORD:-} == 1 ]]; then
  echo "not the repository's password" > /etc/h5b/backup/restic-password
fi
echo "127.0.0.1 $B2_HOST" >> /etc/hosts
export PATH="$SHIMS:$OUT/usr/local/sbin:$PATH"
exec "$@"
