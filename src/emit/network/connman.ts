import type { PlanHost, PlanHostNetwork } from "../../plan/types.js";
import { hostPath, linesFile, type OutputFile } from "../file.js";
import { PATHS } from "./paths.js";

/**
 * A k3OS node's LAN port for connman, which runs k3OS's network: static addresses and default routes for both
 * families, Porygon as resolver, the zones as search domains. The section matches the port by MAC, which survives
 * a kernel that names ports differently. On an IPv4-only LAN, IPv6 is `off` rather than left to autoconfiguration,
 * so the node has no address Porygon's DNS does not know of. k3OS writes the file at every boot from config.yaml's
 * `write_files`, and connman provisions a service when a file of that folder changes.
 */
export function emitConnmanService(net: PlanHostNetwork, host: PlanHost, ntpServers: readonly string[]): OutputFile {
  const { addresses, gateway, ipv6Gateway } = net.lan;
  // connman's form: address/prefix-length[/gateway], per family; the router itself has no gateway to name.
  const withGateway = (address: string, via: string | undefined) => (via !== undefined ? `${address}/${via}` : address);
  const lines = [
    `# ${host.name}'s LAN port (connman provisioning file), rendered by h5b.`,
    "[service_lan]",
    "Type = ethernet",
    `MAC = ${host.lanNic.mac}`,
    `IPv4 = ${withGateway(addresses.ipv4, gateway)}`,
    `IPv6 = ${addresses.ipv6 !== undefined ? withGateway(addresses.ipv6, ipv6Gateway) : "off"}`,
    ...(net.resolver !== undefined ? [`Nameservers = ${net.resolver.nameservers.join(",")}`, `SearchDomains = ${net.resolver.search.join(",")}`] : []),
    ...(ntpServers.length > 0 ? [`Timeservers = ${ntpServers.join(",")}`] : []),
  ];
  return linesFile(hostPath(net.host, PATHS.connmanService), lines);
}
