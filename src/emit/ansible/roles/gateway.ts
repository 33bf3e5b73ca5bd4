import type { Plan, PlanHost } from "../../../plan/types.js";
import type { OutputFile } from "../../file.js";
import { PATHS } from "../../gateway/paths.js";
import { checkModeTolerant, overlayTasks, type Role, roleFiles, type Task } from "../_role.js";
import { OUTSIDE_CHROOT, RELOAD_SYSTEMD, reloadSystemdHandler } from "./_shared.js";

const LOAD_FIREWALL = "Load the gateway's firewall";
const RESTART_FIREWALL = "Restart the firewall, and forwarding with it";
const APPLY_SYSCTL = "Apply the gateway's kernel settings";
const RESTART_RADVD = "Restart radvd";

/**
 * The ruleset closes SSH on the WAN port, and the play reconnects to the gateway after loading it (a later play, or
 * once the SSH control connection lapsed): a gateway reached at its WAN address, as it may be on a first deploy
 * while it still hangs off the old router by that port, would be lost halfway. Compared with the address Ansible
 * connects to; a host name is not resolved, and passes.
 */
const reachedThroughLan: Task = {
  name: "Check that Ansible reaches the gateway through its LAN port",
  "ansible.builtin.assert": {
    that: ["ansible_host | default(inventory_hostname) not in h5b_wan_addresses"],
    fail_msg: [
      "Ansible reaches {{ inventory_hostname }} at {{ ansible_host | default(inventory_hostname) }}, an address of its WAN port {{ h5b_gateway.wan_nic }},",
      "which the firewall closes to SSH. Reach it through its LAN port (ansible_host in the inventory) and deploy again.",
    ].join("\n"),
    quiet: true,
  },
  vars: {
    h5b_wan_facts: "{{ ansible_facts[h5b_gateway.wan_nic | replace('-', '_') | replace('.', '_')] | default({}) }}",
    // In parts: ansible-lint keeps lines under 160 characters.
    h5b_wan_v4: "{{ [h5b_wan_facts.ipv4.address | default('')] + (h5b_wan_facts.ipv4_secondaries | default([]) | map(attribute='address') | list) }}",
    h5b_wan_addresses: "{{ h5b_wan_v4 + (h5b_wan_facts.ipv6 | default([]) | map(attribute='address') | list) }}",
  },
};

/**
 * The LAN router: nftables and radvd from Debian, the rendered ruleset, kernel settings and radvd.conf copied from its
 * overlay. Forwarding is switched by nftables.service itself (h5b's drop-in): on once the ruleset is loaded, off
 * when the service stops, so neither a first deploy nor a boot whose ruleset fails to load routes unfiltered.
 */
export function gatewayRole(): OutputFile[] {
  const role: Role = {
    name: "gateway",
    description: "The LAN router: nftables ruleset, IP forwarding with it, and router advertisements (radvd) from the spec",
    tasks: [
      reachedThroughLan,
      {
        name: "Install the gateway's Debian packages",
        "ansible.builtin.apt": { name: "{{ h5b_gateway.packages }}", state: "present", update_cache: true, cache_valid_time: 3600 },
      },
      ...overlayTasks("the gateway's firewall", [PATHS.nftables], { notify: [LOAD_FIREWALL] }),
      ...overlayTasks("the gateway's kernel settings", [PATHS.sysctl], { notify: [APPLY_SYSCTL] }),
      ...overlayTasks("the switch of forwarding with the firewall", [PATHS.forwarding], { notify: [RELOAD_SYSTEMD, RESTART_FIREWALL] }),
      { name: "Load the firewall, and forwarding with it", "ansible.builtin.meta": "flush_handlers" },
      checkModeTolerant({
        // Debian's unit loads /etc/nftables.conf at boot, before the network is up; h5b's drop-in then turns forwarding on.
        name: "Enable the firewall at boot",
        "ansible.builtin.systemd": { name: "nftables.service", enabled: true, state: "started" },
      }),
      ...overlayTasks("the router advertisement settings", [PATHS.radvd], { notify: [RESTART_RADVD] }),
      checkModeTolerant({
        name: "Enable router advertisements",
        "ansible.builtin.systemd": { name: "radvd.service", enabled: true, state: "started" },
        when: "h5b_gateway.radvd",
      }),
      // A LAN switched to IPv4 only: radvd would go on advertising the old prefix and DNS server, a default route
      // into nothing for every client. Removing the package stops it.
      {
        name: "Remove radvd from an IPv4-only LAN",
        "ansible.builtin.apt": { name: "radvd", state: "absent", purge: true },
        when: "not h5b_gateway.radvd",
      },
      {
        name: "Remove the router advertisement settings from an IPv4-only LAN",
        "ansible.builtin.file": { path: PATHS.radvd, state: "absent" },
        when: "not h5b_gateway.radvd",
      },
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
      reloadSystemdHandler(),
      { name: APPLY_SYSCTL, "ansible.builtin.systemd": { name: "systemd-sysctl.service", state: "restarted" } },
      // A new switch takes effect as at boot: the stop turns forwarding off and deletes h5b's table, the start loads
      // it and turns forwarding on.
      { name: RESTART_FIREWALL, "ansible.builtin.systemd": { name: "nftables.service", state: "restarted" }, when: OUTSIDE_CHROOT },
      checkModeTolerant({ name: RESTART_RADVD, "ansible.builtin.systemd": { name: "radvd.service", state: "restarted" }, when: "h5b_gateway.radvd" }),
    ],
  };
  return roleFiles(role);
}

/** What the gateway role installs on the gateway host: radvd only for an IPv6 LAN (it has no router advertisements else). */
export function gatewayVars(plan: Plan, host: PlanHost): Record<string, unknown> | undefined {
  if (plan.gateway?.host !== host.name) return undefined;
  const radvd = plan.lan.ipv6 !== undefined;
  return { packages: ["nftables", ...(radvd ? ["radvd"] : [])], radvd, wan_nic: plan.gateway.wanNic };
}
