import type { Plan } from "../../plan/types.js";
import { PATHS } from "./paths.js";

/** CoreDNS's etcd key of a DNS name: the prefix, then the labels from the root down (`/skydns/org/example/home`). */
export function etcdPath(plan: Plan, name: string): string {
  return `${plan.dns.prefix}${name.replace(/\.$/, "").split(".").reverse().join("/")}`;
}

/** A single-quoted shell word. */
export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

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
