import type { Plan } from "../../plan/types.js";
import type { OutputFile } from "../file.js";
import { emitNftables } from "./nftables.js";
import { emitRadvd } from "./radvd.js";
import { emitGatewaySysctl } from "./sysctl.js";

export { lanServices, type LanService } from "./_lan-services.js";
export { nftablesRuleset } from "./nftables.js";
export { PATHS, TABLE } from "./paths.js";
export { radvdConfig } from "./radvd.js";
export { forwardingDropIn, gatewaySysctl } from "./sysctl.js";

/** The LAN router: its nftables ruleset, forwarding (with the ruleset) and router advertisements. None for a router h5b does not run. */
export function emitGateway(plan: Plan): OutputFile[] {
  const gw = plan.gateway;
  if (gw === undefined) return [];
  return [emitNftables(plan, gw), ...emitGatewaySysctl(plan, gw), ...emitRadvd(plan, gw)];
}
