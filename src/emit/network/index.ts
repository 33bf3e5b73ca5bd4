import type { Plan, PlanHost } from "../../plan/types.js";
import type { OutputFile } from "../file.js";
import { emitConnmanService } from "./connman.js";
import { emitInterfaces } from "./interfaces.js";
import { emitNetworkManagerProfile } from "./nmconnection.js";
import { emitResolvConf } from "./resolv-conf.js";

export { interfacesFile } from "./interfaces.js";
export { keyfileLines, lanProfile, profileUuid } from "./nmconnection.js";
export { PATHS } from "./paths.js";
export { resolvConf } from "./resolv-conf.js";

/** Each host's own addresses and resolver, for what manages its ports (see PlanHostNetwork). */
export function emitHostNetworks(plan: Plan): OutputFile[] {
  return plan.hostNetworks.flatMap((net) => {
    switch (net.manager) {
      case "networkmanager":
        return [emitNetworkManagerProfile(net)];
      case "connman":
        return [emitConnmanService(net, plan.hosts.find((h) => h.name === net.host) as PlanHost, plan.site.ntpServers)];
      case "ifupdown":
        return [emitInterfaces(net), ...emitResolvConf(net)];
    }
  });
}
