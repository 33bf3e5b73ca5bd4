/** A per-port sysctl key; a port name with a dot (a VLAN, `eth0.10`) needs sysctl's slash form to stay one component. */
export function portSysctlKey(family: "ipv4" | "ipv6", nic: string, setting: string): string {
  return nic.includes(".") ? `net/${family}/conf/${nic}/${setting}` : `net.${family}.conf.${nic}.${setting}`;
}
