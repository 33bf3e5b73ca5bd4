import type { Plan, PlanGateway } from "../../plan/types.js";
import { portSysctlKey } from "../_sysctl.js";
import { hostPath, linesFile, type OutputFile } from "../file.js";
import { PATHS, TABLE } from "./paths.js";

/**
 * The gateway's kernel settings that hold whether it forwards or not. Forwarding itself is not here (see
 * {@link forwardingDropIn}). With forwarding on, the kernel ignores router advertisements unless told, and the WAN port
 * still needs the ISP's for its default route (accept_ra = 2). Hairpinned connections (a LAN client at the public
 * IPv4 address) leave by the LAN port they came in on, for which the kernel would send ICMP redirects naming the
 * services' own addresses, which those clients are not talking to: none are sent. The kernel sends them while
 * `all` or the port says so, so both are off (and `default`, for a port that appears later).
 */
export function gatewaySysctl(plan: Plan, gw: PlanGateway): string[] {
  return [
    `# Rendered by h5b: ${gw.host} routes between ${gw.lanNic} and ${gw.wanNic} (forwarding: nftables.service).`,
    "net.ipv4.conf.all.send_redirects = 0",
    "net.ipv4.conf.default.send_redirects = 0",
    `${portSysctlKey("ipv4", gw.lanNic, "send_redirects")} = 0`,
    ...(plan.lan.ipv6 !== undefined ? [`${portSysctlKey("ipv6", gw.wanNic, "accept_ra")} = 2`] : []),
  ];
}

/**
 * Forwarding goes on once nftables.service has loaded the ruleset and off when the service stops or fails to start.
 * In sysctl.d it would be on at every boot whether the ruleset loaded or not, and routing unfiltered over IPv6 opens
 * every LAN address to the internet. Debian's stop (`nft flush ruleset`) would empty every table, others' too, while
 * forwarding is still on (ExecStopPost runs after it): the stop here turns forwarding off first, then deletes h5b's
 * table alone. An IPv4-only LAN keeps IPv6 forwarding off, also after a switch from dual stack.
 */
export function forwardingDropIn(plan: Plan, gw: PlanGateway): string[] {
  const v4 = "net.ipv4.ip_forward";
  const v6 = "net.ipv6.conf.all.forwarding";
  // One key a line: a kernel booted without IPv6 has no IPv6 keys, so that one may fail (`-`). IPv4 may not: the
  // stop then fails before it deletes the table.
  const off = [`/usr/sbin/sysctl -q -w ${v4}=0`, `-/usr/sbin/sysctl -q -w ${v6}=0`];
  return [
    `# Rendered by h5b: ${gw.host} forwards only while its firewall is loaded.`,
    "[Service]",
    ...(plan.lan.ipv6 !== undefined ? [`ExecStartPost=/usr/sbin/sysctl -q -w ${v4}=1 ${v6}=1`] : [`ExecStartPost=/usr/sbin/sysctl -q -w ${v4}=1`, `ExecStartPost=${off[1]}`]),
    "ExecStop=",
    ...off.map((c) => `ExecStop=${c}`),
    `ExecStop=-/usr/sbin/nft delete table inet ${TABLE}`,
    // A start that failed runs no ExecStop.
    ...off.map((c) => `ExecStopPost=${c}`),
  ];
}

export function emitGatewaySysctl(plan: Plan, gw: PlanGateway): OutputFile[] {
  return [linesFile(hostPath(gw.host, PATHS.sysctl), gatewaySysctl(plan, gw)), linesFile(hostPath(gw.host, PATHS.forwarding), forwardingDropIn(plan, gw))];
}
