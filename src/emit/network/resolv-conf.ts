import type { PlanHostNetwork } from "../../plan/types.js";
import { hostPath, linesFile, type OutputFile } from "../file.js";
import { PATHS } from "./paths.js";

/** resolv.conf(5): the LAN's DNS server (CoreDNS on Porygon) and the zones, as Kea hands them to DHCP clients. */
export function resolvConf(host: string, resolver: NonNullable<PlanHostNetwork["resolver"]>): string[] {
  return [
    `# Rendered by h5b: ${host} resolves through the LAN's DNS server.`,
    `search ${resolver.search.join(" ")}`,
    ...resolver.nameservers.map((a) => `nameserver ${a}`),
  ];
}

export function emitResolvConf(net: PlanHostNetwork): OutputFile[] {
  return net.resolver !== undefined ? [linesFile(hostPath(net.host, PATHS.resolvConf), resolvConf(net.host, net.resolver))] : [];
}
