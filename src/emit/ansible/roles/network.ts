import type { PlanHostNetwork } from "../../../plan/types.js";
import { PATHS } from "../../network/paths.js";
import type { OutputFile } from "../../file.js";
import { overlayTasks, type Role, roleFiles } from "../_role.js";

const APPLY_AT_BOOT = "Tell that the new addresses apply at the next boot";
const APPLY_AT_BOOT_NM = "Tell that the new profile applies at the next boot";

/** `when` for the tasks of one network manager (PlanHostNetwork.manager, in the host's variables). */
const managedBy = (manager: PlanHostNetwork["manager"]) => `h5b_network.manager == '${manager}'`;

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
    tasks: [
      { name: "Look for ifupdown", "ansible.builtin.stat": { path: "/sbin/ifup" }, register: "h5b_ifup", when: managedBy("ifupdown") },
      {
        name: "Check that ifupdown manages the network, as Debian's installer sets it up",
        "ansible.builtin.assert": {
          that: ["h5b_ifup.stat.exists"],
          // Another network manager (NetworkManager, systemd-networkd) would ignore the file or fight over the port.
          fail_msg: "{{ inventory_hostname }} has no ifupdown, which reads the addresses h5b writes to /etc/network/interfaces",
          quiet: true,
        },
        when: managedBy("ifupdown"),
      },
      { name: "Look for NetworkManager", "ansible.builtin.stat": { path: "/usr/sbin/NetworkManager" }, register: "h5b_nm", when: managedBy("networkmanager") },
      {
        name: "Check that NetworkManager manages the network, as on Raspberry Pi OS",
        "ansible.builtin.assert": {
          that: ["h5b_nm.stat.exists"],
          fail_msg: "{{ inventory_hostname }} has no NetworkManager, which reads the profile h5b writes to /etc/NetworkManager/system-connections",
          quiet: true,
        },
        when: managedBy("networkmanager"),
      },
      // Each host has only the files of its own manager in its overlay: the other copies loop over nothing.
      ...overlayTasks("the network ports' settings", [PATHS.interfaces, PATHS.networkManagerProfiles], { notify: [APPLY_AT_BOOT, APPLY_AT_BOOT_NM], backup: true }),
      ...overlayTasks("the resolver settings", [PATHS.resolvConf], { backup: true }),
    ],
    // Both notified; each says how its own manager applies the change.
    handlers: [
      {
        name: APPLY_AT_BOOT,
        "ansible.builtin.debug": {
          msg: "/etc/network/interfaces changed (the old one is kept beside it): it applies at the next boot or on `systemctl restart networking`",
        },
        when: managedBy("ifupdown"),
      },
      {
        name: APPLY_AT_BOOT_NM,
        "ansible.builtin.debug": { msg: "The NetworkManager profile changed: it applies at the next boot or on `nmcli connection reload && nmcli connection up h5b-lan`" },
        when: managedBy("networkmanager"),
      },
    ],
  };
  return roleFiles(role);
}
