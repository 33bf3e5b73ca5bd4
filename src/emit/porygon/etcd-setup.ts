import type { Plan } from "../../plan/types.js";
import { type OutputFile, hostPath, linesFile } from "../file.js";
import { ETCD_UNIT } from "./etcd.js";
import { PATHS } from "./paths.js";

export const ETCD_SETUP_UNIT = "h5b-etcd-setup.service";

/**
 * Runs the etcd auth script, then the host records script, each time etcd starts: at boot, when a deploy restarts
 * etcd, and after etcd's data was lost or restored from an older snapshot. Without it, an etcd started empty kept
 * CoreDNS and h5b ddns out (no users, authentication off) and the hosts' names unserved until a deploy happened to
 * change a Porygon file. It requires etcd, so restarting etcd restarts it (systemd.unit(5), Requires=); both
 * scripts are safe to run again.
 */
export function etcdSetupUnit(): string[] {
  return [
    "[Unit]",
    "Description=h5b: etcd's users and roles, then the hosts' own DNS records",
    `Requires=${ETCD_UNIT}`,
    `After=${ETCD_UNIT}`,
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=${PATHS.etcdAuthScript}`,
    `ExecStart=${PATHS.hostRecordsScript}`,
    // A oneshot has no start timeout by default: an etcd that accepts connections but never answers would hold
    // the deploy that restarts it.
    "TimeoutStartSec=2min",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "",
    "[Install]",
    `WantedBy=${ETCD_UNIT}`,
  ];
}

export function etcdSetupFiles(plan: Plan): OutputFile[] {
  return [linesFile(hostPath(plan.dns.host, `${PATHS.units}/${ETCD_SETUP_UNIT}`), etcdSetupUnit())];
}
