import type { Plan, PlanHost } from "../../../plan/types.js";
import { hostPath, linesFile, type OutputFile } from "../../file.js";
import { checkModeTolerant, overlayTasks, type Role, roleFiles } from "../_role.js";
import { RELOAD_SYSTEMD, reloadSystemdHandler } from "./_shared.js";

const SENSORS_UNIT = "h5b-ipmi-sensors";

/** The BMC as the plan has it: tools, its LAN settings (IPv4; IPv6 comes from its Kea reservation), sensor and event logs. */
export function ipmiRole(): OutputFile[] {
  const role: Role = {
    name: "ipmi",
    description: "IPMI: ipmitool, the BMC's network from the plan, sensor and event logging",
    tasks: [
      { name: "Install the IPMI tools", "ansible.builtin.apt": { name: ["ipmitool", "freeipmi-ipmiseld"], state: "present" } },
      ...overlayTasks("the IPMI modules list and sensor logging units", ["etc/modules-load.d/h5b-ipmi.conf", `etc/systemd/system/${SENSORS_UNIT}`], {
        notify: [RELOAD_SYSTEMD],
      }),
      checkModeTolerant({ name: "Load the IPMI kernel modules", "community.general.modprobe": { name: "{{ item }}", state: "present" }, loop: ["ipmi_devintf", "ipmi_si"] }),
      checkModeTolerant({
        name: "Read the BMC's LAN settings",
        "ansible.builtin.command": { argv: ["ipmitool", "lan", "print", "{{ h5b_bmc.channel }}"] },
        register: "h5b_bmc_lan",
        changed_when: false,
        check_mode: false,
      }),
      {
        name: "Give the BMC its static address from the plan",
        "ansible.builtin.command": { argv: "{{ ['ipmitool', 'lan', 'set', h5b_bmc.channel | string] + item.set }}" },
        loop: "{{ h5b_bmc.settings }}",
        loop_control: { label: "{{ item.label }}" },
        when: "h5b_bmc_lan.stdout | default('') is not search('^' ~ (item.label | regex_escape) ~ ' *: ' ~ (item.expect | regex_escape) ~ ' *$', multiline=True)",
        changed_when: true,
      },
      // A changed unit is read again before it is started.
      { name: "Reload systemd if a unit changed", "ansible.builtin.meta": "flush_handlers" },
      checkModeTolerant({
        name: "Enable the event log and sensor logging",
        "ansible.builtin.systemd": { name: "{{ item }}", enabled: true, state: "started" },
        loop: ["ipmiseld.service", `${SENSORS_UNIT}.timer`],
      }),
    ],
    handlers: [reloadSystemdHandler()],
  };
  return roleFiles(role);
}

/** The settings `ipmitool lan set` takes, each with the `lan print` line that shows it is already so. */
export function bmcVars(plan: Plan, host: PlanHost): Record<string, unknown> | undefined {
  if (host.bmc === undefined) return undefined;
  const lan = plan.lan.ipv4;
  return {
    channel: 1,
    settings: [
      { label: "IP Address Source", set: ["ipsrc", "static"], expect: "Static Address" },
      { label: "IP Address", set: ["ipaddr", host.bmc.addresses.ipv4], expect: host.bmc.addresses.ipv4 },
      { label: "Subnet Mask", set: ["netmask", lan.netmask], expect: lan.netmask },
      { label: "Default Gateway IP", set: ["defgw", "ipaddr", lan.gateway], expect: lan.gateway },
    ],
  };
}

export function ipmiHostFiles(_plan: Plan, host: PlanHost): OutputFile[] {
  if (host.bmc === undefined) return [];
  const unit = (suffix: string) => hostPath(host.name, `/etc/systemd/system/${SENSORS_UNIT}.${suffix}`);
  return [
    linesFile(hostPath(host.name, "/etc/modules-load.d/h5b-ipmi.conf"), ["ipmi_devintf", "ipmi_si"]),
    linesFile(unit("service"), [
      "# Rendered by h5b: the BMC's sensor readings into the journal, for a record before and after a failure.",
      "[Unit]",
      "Description=Log the BMC's sensor readings",
      "",
      "[Service]",
      "Type=oneshot",
      "ExecStart=/usr/bin/ipmitool sdr elist full",
    ]),
    linesFile(unit("timer"), [
      "[Unit]",
      "Description=Log the BMC's sensor readings every five minutes",
      "",
      "[Timer]",
      "OnBootSec=2min",
      "OnUnitActiveSec=5min",
      "",
      "[Install]",
      "WantedBy=timers.target",
    ]),
  ];
}
