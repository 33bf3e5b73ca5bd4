import type { Plan, PlanGateway } from "../../plan/types.js";
import { hostPath, linesFile, type OutputFile } from "../file.js";
import { PATHS } from "./paths.js";

/** A per-interface key; a name with a dot (a VLAN, `eth0.10`) needs sysctl's slash form to stay one component. */
function interfaceKey(family: "ipv4" | "ipv6", nic: string, setting: string): string {
  return nic.includes(".") ? `net/${family}/conf/${nic}/${setting}` : `net.${family}.conf.${nic}.${setting}`;
}

/**
 * The gateway routes. IPv6 forwarding only with an IPv6 LAN; with it on, the kernel ignores router advertisements
 * unless told, and the WAN port still needs the ISP's for its default route (accept_ra = 2). Hairpinned connections
 * (a LAN client at the public IPv4 address) leave by the LAN port they came in on, for which the kernel would send
 * ICMP redirects naming the services' own addresses, which those clients are not talking to: none are sent.
 */
export function gatewaySysctl(plan: Plan, gw: PlanGateway): string[] {
  const v6 = plan.lan.ipv6 !== undefined ? ["net.ipv6.conf.all.forwarding = 1", `${interfaceKey("ipv6", gw.wanNic, "accept_ra")} = 2`] : [];
  return [
    `# Rendered by h5b: ${gw.host} routes between ${gw.lanNic} and ${gw.wanNic}.`,
    "net.ipv4.ip_forward = 1",
    `${interfaceKey("ipv4", gw.lanNic, "send_redirects")} = 0`,
    ...v6,
  ];
}

export function emitGatewaySysctl(plan: Plan, gw: PlanGateway): OutputFile {
  return linesFile(hostPath(gw.host, PATHS.sysctl), gatewaySysctl(plan, gw));
}
