import { PATHS } from "../../network/paths.js";
import type { OutputFile } from "../../file.js";
import { overlayTasks, type Role, roleFiles } from "../_role.js";

const APPLY_AT_BOOT = "Tell that the new addresses apply at the next boot";

/**
 * The host's own addresses and resolver (PlanHostNetwork). The last play: Porygon's resolver is its own CoreDNS,
 * which must run before the host resolves through it, and nothing earlier may lose its name lookups. The addresses
 * are not applied on the spot: bringing the port down and up again (or moving the host to its LAN address) would
 * cut the connection Ansible runs over. They apply at the next boot.
 */
export function networkRole(): OutputFile[] {
  const role: Role = {
    name: "network",
    description: "The host's static LAN addresses (ifupdown) and its resolver, applied at the next boot",
    tasks: [
      { name: "Look for ifupdown", "ansible.builtin.stat": { path: "/sbin/ifup" }, register: "h5b_ifup" },
      {
        name: "Check that ifupdown manages the network, as Debian's installer sets it up",
        "ansible.builtin.assert": {
          that: ["h5b_ifup.stat.exists"],
          // Another network manager (NetworkManager, systemd-networkd) would ignore the file or fight over the port.
          fail_msg: "{{ inventory_hostname }} has no ifupdown, which reads the addresses h5b writes to /etc/network/interfaces",
          quiet: true,
        },
      },
      ...overlayTasks("the network ports' settings", [PATHS.interfaces], { notify: [APPLY_AT_BOOT], backup: true }),
      ...overlayTasks("the resolver settings", [PATHS.resolvConf], { backup: true }),
    ],
    handlers: [
      {
        name: APPLY_AT_BOOT,
        "ansible.builtin.debug": {
          msg: "/etc/network/interfaces changed (the old one is kept beside it): it applies at the next boot or on `systemctl restart networking`",
        },
      },
    ],
  };
  return roleFiles(role);
}
