import type { Plan } from "../../plan/types.js";
import { PATHS } from "./paths.js";

/**
 * The start of a script that talks to Porygon's etcd as root (its client certificate, no password): `ctl` runs
 * etcdctl, `e` runs it quietly. The folder and endpoint can be moved with H5B_ETCD_PKI and H5B_ETCD_ENDPOINTS.
 */
export function etcdctlPrelude(plan: Plan): string[] {
  return [
    "set -eu",
    "export ETCDCTL_API=3",
    `PKI="\${H5B_ETCD_PKI:-${PATHS.etcdPki}}"`,
    `ENDPOINTS="\${H5B_ETCD_ENDPOINTS:-https://127.0.0.1:${plan.dns.etcdPort}}"`,
    'ctl() { etcdctl --endpoints="$ENDPOINTS" --cacert="$PKI/ca.crt" --cert="$PKI/root.crt" --key="$PKI/root.key" "$@"; }',
    'e() { ctl "$@" >/dev/null; }',
  ];
}
