import type { PlanHostNetwork } from "../../../plan/types.js";
import { PATHS } from "../../network/paths.js";
import type { OutputFile } from "../../file.js";
import { overlayTasks, type Role, roleFiles } from "../_role.js";

const APPLY_AT_BOOT = "Tell that the new addresses apply at the next boot";

/**
 * Per network manager of a Debian host (PlanHostNetwork.manager; k3OS's connman gets its file from config.yaml): the
 * program that must be there, what it reads, how to apply it now.
 */
const MANAGERS: Record<Exclude<PlanHostNetwork["manager"], "connman">, { program: string; reads: string; applyNow: string }> = {
  // Not `systemctl restart networking`: ifdown reads the new, static stanza, so the installer's dhclient goes on
  // running, and when its lease ends or changes it flushes the port's IPv4 addresses, the static one too.
  ifupdown: { program: "/sbin/ifup", reads: PATHS.interfaces, applyNow: "a reboot (not a restart of networking, which leaves the installer's dhclient running)" },
  networkmanager: {
    program: "/usr/sbin/NetworkManager",
    reads: `${PATHS.networkManagerProfiles}h5b-lan.nmconnection`,
    applyNow: "`nmcli connection reload && nmcli connection up h5b-lan`",
  },
};
const manager = "h5b_net_manager";

/**
 * The host's own addresses and resolver (PlanHostNetwork), for ifupdown or NetworkManager, whichever the plan says
 * manages the host's ports. The last play: Porygon's resolver is its own CoreDNS, which must run before the host
 * resolves through it, and nothing earlier may lose its name lookups. The addresses are not applied on the spot:
 * bringing the port down and up again (or moving the host to its LAN address) would cut the connection Ansible runs
 * over. They apply at the next boot.
 */
export function networkRole(): OutputFile[] {
  const role: Role = {
    name: "network",
    description: "The host's static LAN addresses (ifupdown or NetworkManager) and its resolver, applied at the next boot",
    vars: { h5b_managers: MANAGERS, h5b_net_manager: "{{ h5b_managers[h5b_network.manager] }}" },
    tasks: [
      { name: "Look for the program that manages the network", "ansible.builtin.stat": { path: `{{ ${manager}.program }}` }, register: "h5b_manager" },
      {
        name: "Check that it is there (ifupdown on Debian, NetworkManager on Raspberry Pi OS)",
        "ansible.builtin.assert": {
          that: ["h5b_manager.stat.exists"],
          // Another network manager would ignore the file or fight over the port.
          fail_msg: `{{ inventory_hostname }} has no {{ ${manager}.program }}, which reads the addresses h5b writes to {{ ${manager}.reads }}`,
          quiet: true,
        },
      },
      // Each host has only the files of its own manager in its overlay: the other pattern matches nothing.
      ...overlayTasks("the network ports' settings", [PATHS.interfaces, PATHS.networkManagerProfiles], { notify: [APPLY_AT_BOOT], backup: true }),
      ...overlayTasks("the resolver settings", [PATHS.resolvConf], { backup: true }),
    ],
    handlers: [
      {
        name: APPLY_AT_BOOT,
        "ansible.builtin.debug": { msg: `{{ ${manager}.reads }} changed (the old one is kept beside it): it applies at the next boot, or now on {{ ${manager}.applyNow }}` },
      },
    ],
  };
  return roleFiles(role);
}
