import type { Plan } from "../../plan/types.js";
import type { OutputFile } from "../file.js";
import { emitInterfaces } from "./interfaces.js";
import { emitNetworkManagerProfile } from "./nmconnection.js";
import { emitResolvConf } from "./resolv-conf.js";

export { interfacesFile } from "./interfaces.js";
export { keyfileLines, lanProfile, profileUuid } from "./nmconnection.js";
export { PATHS } from "./paths.js";
export { resolvConf } from "./resolv-conf.js";

/** Each Debian host's own addresses and resolver, for what manages its ports (see PlanHostNetwork). */
export function emitHostNetworks(plan: Plan): OutputFile[] {
  return plan.hostNetworks.flatMap((net) =>
    net.manager === "networkmanager" ? [emitNetworkManagerProfile(net)] : [emitInterfaces(net), ...emitResolvConf(net)],
  );
}
