import type { Plan, PlanHost } from "../../../plan/types.js";
import type { OutputFile } from "../../file.js";
import { PATHS } from "../../gateway/paths.js";
import { checkModeTolerant, overlayTasks, type Role, roleFiles } from "../_role.js";
import { OUTSIDE_CHROOT } from "./_shared.js";

const LOAD_FIREWALL = "Load the gateway's firewall";
const APPLY_SYSCTL = "Apply the gateway's forwarding settings";
const RESTART_RADVD = "Restart radvd";

/**
 * The LAN router: nftables and radvd from Debian, the rendered ruleset, forwarding settings and radvd.conf copied
 * from its overlay. The ruleset is loaded before forwarding is turned on, so a first deploy never routes unfiltered.
 */
export function gatewayRole(): OutputFile[] {
  const role: Role = {
    name: "gateway",
    description: "The LAN router: nftables ruleset, IP forwarding and router advertisements (radvd) from the spec",
    tasks: [
      {
        name: "Install the gateway's Debian packages",
        "ansible.builtin.apt": { name: "{{ h5b_gateway.packages }}", state: "present", update_cache: true, cache_valid_time: 3600 },
      },
      ...overlayTasks("the gateway's firewall", [PATHS.nftables], { notify: [LOAD_FIREWALL] }),
      { name: "Load the firewall before the gateway forwards", "ansible.builtin.meta": "flush_handlers" },
      checkModeTolerant({
        // Debian's unit loads /etc/nftables.conf at boot, before the network is up.
        name: "Enable the firewall at boot",
        "ansible.builtin.systemd": { name: "nftables.service", enabled: true, state: "started" },
      }),
      ...overlayTasks("the gateway's forwarding settings", [PATHS.sysctl], { notify: [APPLY_SYSCTL] }),
      ...overlayTasks("the router advertisement settings", [PATHS.radvd], { notify: [RESTART_RADVD] }),
      checkModeTolerant({
        name: "Enable router advertisements",
        "ansible.builtin.systemd": { name: "radvd.service", enabled: true, state: "started" },
        when: "h5b_gateway.radvd",
      }),
    ],
    handlers: [
      {
        // Not `systemctl reload`: the file replaces only h5b's table, and nft says why when it refuses it. Never in a
        // chroot, whose kernel (and firewall) is the machine's around it.
        name: LOAD_FIREWALL,
        "ansible.builtin.command": { argv: ["nft", "-f", PATHS.nftables] },
        changed_when: true,
        when: OUTSIDE_CHROOT,
      },
      { name: APPLY_SYSCTL, "ansible.builtin.systemd": { name: "systemd-sysctl.service", state: "restarted" } },
      checkModeTolerant({ name: RESTART_RADVD, "ansible.builtin.systemd": { name: "radvd.service", state: "restarted" }, when: "h5b_gateway.radvd" }),
    ],
  };
  return roleFiles(role);
}

/** What the gateway role installs on the gateway host: radvd only for an IPv6 LAN (it has no router advertisements else). */
export function gatewayVars(plan: Plan, host: PlanHost): Record<string, unknown> | undefined {
  if (plan.gateway?.host !== host.name) return undefined;
  const radvd = plan.lan.ipv6 !== undefined;
  return { packages: ["nftables", ...(radvd ? ["radvd"] : [])], radvd };
}
