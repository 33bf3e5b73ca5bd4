import type { Plan, PlanHost } from "../../plan/types.js";
import type { OutputFile } from "../file.js";
import { inventoryFiles } from "./inventory.js";
import { backupsRole } from "./roles/backups.js";
import { commonHostFiles, commonRole } from "./roles/common.js";
import { gatewayRole } from "./roles/gateway.js";
import { ipmiHostFiles, ipmiRole } from "./roles/ipmi.js";
import { k3sHostFiles, k3sRole } from "./roles/k3s.js";
import { networkRole } from "./roles/network.js";
import { porygonRole } from "./roles/porygon.js";
import { raspberryPiRole } from "./roles/raspberry-pi.js";
import { zfsHostFiles, zfsRole } from "./roles/zfs.js";
import { siteFiles } from "./site.js";

export { groupsOf } from "./inventory.js";
export { hostReleases, k3sRelease, porygonReleases, type Release, releasesOf } from "./_releases.js";

const hostFiles: readonly ((plan: Plan, host: PlanHost) => OutputFile[])[] = [commonHostFiles, k3sHostFiles, zfsHostFiles, ipmiHostFiles];

/**
 * `ansible/`: the inventory and variables from the plan, `site.yml` and the roles that converge every Debian host;
 * plus the files of the hosts' root overlays that only these roles need (hostname, time, sysctl, units).
 */
export function emitAnsible(plan: Plan): OutputFile[] {
  const debian = plan.hosts.filter((h) => h.os === "debian");
  return [
    ...inventoryFiles(plan),
    ...siteFiles(),
    ...commonRole(),
    ...raspberryPiRole(),
    ...zfsRole(),
    ...backupsRole(),
    ...ipmiRole(),
    ...gatewayRole(),
    ...porygonRole(),
    ...k3sRole(),
    ...networkRole(),
    ...debian.flatMap((h) => hostFiles.flatMap((f) => f(plan, h))),
  ];
}
