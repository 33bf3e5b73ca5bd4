import type { PlanHostNetwork } from "../../plan/types.js";
import { hostPath, linesFile, type OutputFile } from "../file.js";
import { PATHS } from "./paths.js";

const option = (name: string, value: string) => `    ${name} ${value}`;

/**
 * ifupdown's interfaces(5) for one host. `auto`, not the installer's `allow-hotplug`: networking.service then brings
 * the ports up before network.target, so etcd, Kea and k3s find their addresses when they start. The IPv6 LAN
 * address is static (the `static` method turns stateless autoconfiguration off) and takes its default route from
 * the router's advertisements; the WAN port takes both families from the ISP, with `accept_ra 2` because the
 * gateway forwards.
 */
export function interfacesFile(net: PlanHostNetwork): string[] {
  const { lan } = net;
  const wan = net.wan;
  return [
    `# Rendered by h5b: ${net.host}'s network ports (interfaces(5)). Static LAN addresses, so that the host comes up`,
    "# without DHCP. Files in interfaces.d/ are still read, for ports h5b does not know about.",
    "source /etc/network/interfaces.d/*",
    "",
    "auto lo",
    "iface lo inet loopback",
    ...(wan !== undefined
      ? ["", `auto ${wan}`, `iface ${wan} inet dhcp`, ...(lan.addresses.ipv6 !== undefined ? [`iface ${wan} inet6 auto`, option("accept_ra", "2")] : [])]
      : []),
    "",
    `auto ${lan.nic}`,
    // IPv6 first: the first stanza brings the port up, and only the inet6 one turns autoconfiguration off. After
    // the inet one, a router advertisement arriving before the inet6 stanza ran would leave a second, SLAAC
    // address on the port until its lifetime ran out (the namespace test saw it every time).
    // No duplicate address detection: ifup waits for it, and on a port without link (the switch still booting after
    // a power cut) it never ends, ifup gives up on the port and the inet stanza never runs: no IPv4 at all.
    ...(lan.addresses.ipv6 !== undefined ? [`iface ${lan.nic} inet6 static`, option("address", lan.addresses.ipv6), option("dad-attempts", "0")] : []),
    `iface ${lan.nic} inet static`,
    option("address", lan.addresses.ipv4),
    ...(lan.gateway !== undefined ? [option("gateway", lan.gateway)] : []),
  ];
}

export function emitInterfaces(net: PlanHostNetwork): OutputFile {
  return linesFile(hostPath(net.host, PATHS.interfaces), interfacesFile(net));
}
