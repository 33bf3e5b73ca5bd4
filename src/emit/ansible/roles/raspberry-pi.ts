import type { OutputFile } from "../../file.js";
import { type Role, roleFiles } from "../_role.js";
import { OUTSIDE_CHROOT } from "./_shared.js";

const CMDLINE = "/boot/firmware/cmdline.txt";
/** k3s's requirement on Raspberry Pi OS: the memory cgroup is off in the Pi kernel's default command line. */
const KERNEL_ARGS = ["cgroup_memory=1", "cgroup_enable=memory"];

/** Raspberry Pi OS Lite (Debian 12 arm64) as a k3s node. */
export function raspberryPiRole(): OutputFile[] {
  const role: Role = {
    name: "raspberry_pi",
    description: "Raspberry Pi OS Lite as a k3s node: memory cgroup on the kernel command line, no swap file",
    tasks: [
      { name: "Find the kernel command line", "ansible.builtin.stat": { path: CMDLINE }, register: "h5b_cmdline" },
      {
        name: "Enable the memory cgroup on the kernel command line",
        "ansible.builtin.replace": {
          path: CMDLINE,
          // Appends the argument to the one line unless it is already there, so a second run changes nothing.
          regexp: "^(?!.*(?:^| ){{ item }}(?: |$))(.+)$",
          replace: "\\1 {{ item }}",
        },
        loop: KERNEL_ARGS,
        when: "h5b_cmdline.stat.exists",
        notify: ["Reboot to apply the kernel command line"],
      },
      {
        // The kubelet refuses to run with swap on; Raspberry Pi OS makes a swap file with dphys-swapfile.
        name: "Remove the swap file service",
        "ansible.builtin.apt": { name: "dphys-swapfile", state: "absent", purge: true },
      },
    ],
    handlers: [
      {
        name: "Reboot to apply the kernel command line",
        "ansible.builtin.reboot": { msg: "h5b: rebooting to apply the kernel command line" },
        when: OUTSIDE_CHROOT,
      },
    ],
  };
  return roleFiles(role);
}
