import type { Plan, PlanHost } from "../../../plan/types.js";
import { portSysctlKey } from "../../_sysctl.js";
import { hostPath, linesFile, type OutputFile } from "../../file.js";
import { checkModeTolerant, overlayTasks, type Role, roleFiles } from "../_role.js";
import { OUTSIDE_CHROOT } from "./_shared.js";

const PACKAGES = ["ca-certificates", "openssh-server", "sudo", "systemd-timesyncd", "unattended-upgrades"];
const SYSCTL_FILE = "/etc/sysctl.d/90-h5b.conf";
const SERVICES = ["ssh.service", "systemd-timesyncd.service", "unattended-upgrades.service"];

/** The base every Debian host gets: packages, hostname, time, SSH keys, sysctl, unattended upgrades. */
/** `ip address add` of one static address (`item`); an IPv4 one labelled `<port>:h5b` where the name fits. */
const STATIC_ADDRESS_ARGV = [
  "{{ ['ip', 'address', 'add', item, 'dev', h5b_network.lan.nic]",
  "   + (['label', h5b_network.lan.nic ~ ':h5b'] if ':' not in item and (h5b_network.lan.nic | length) <= 11 else []) }}",
].join("\n");

export function commonRole(): OutputFile[] {
  const role: Role = {
    name: "common",
    description: "Base of every Debian host: packages, hostname, time, SSH keys, sysctl, unattended upgrades",
    tasks: [
      {
        name: "Check that the host runs Debian 12 (or Raspberry Pi OS based on it)",
        "ansible.builtin.assert": {
          that: ["ansible_facts['distribution'] == 'Debian'", "ansible_facts['distribution_major_version'] == '12'"],
          fail_msg: "h5b provisions Debian 12 hosts; {{ inventory_hostname }} runs {{ ansible_facts['distribution'] }} {{ ansible_facts['distribution_version'] }}",
          quiet: true,
        },
      },
      {
        name: "Install the base packages",
        "ansible.builtin.apt": { name: PACKAGES, state: "present", update_cache: true, cache_valid_time: 3600 },
      },
      {
        // Until the reboot, the installer's dhclient runs on: when its lease goes, it deletes its address, and with
        // it every address of the same prefix added after it, unless the kernel promotes those.
        name: "Keep the static IPv4 address when the installer's DHCP lease goes (until the next boot)",
        "ansible.builtin.command": { argv: ["sysctl", "--write", "net.ipv4.conf.{{ h5b_network.lan.nic }}.promote_secondaries=1"] },
        when: [OUTSIDE_CHROOT, "h5b_network is defined"],
        changed_when: false,
      },
      {
        // Services bind the host's static LAN addresses (Porygon's etcd, CoreDNS and Kea), which the network play
        // only writes for the next boot. Added beside the addresses the host has now, they are there at once, and
        // the connection Ansible runs over keeps its own. Never in a chroot: its network is the machine's. The IPv4
        // one under a label of its own (at most 15 characters): dhclient flushes the addresses labelled as the port.
        name: "Add the host's static LAN addresses beside its current ones (the rest applies at the next boot)",
        "ansible.builtin.command": { argv: STATIC_ADDRESS_ARGV },
        loop: "{{ (h5b_network.lan.addresses.values() | list) if h5b_network is defined else [] }}",
        when: [OUTSIDE_CHROOT, "(item.split('/') | first) not in (ansible_facts['all_ipv4_addresses'] + ansible_facts['all_ipv6_addresses'])"],
        changed_when: true,
      },
      ...overlayTasks("the hostname files", ["etc/hostname", "etc/hosts"], { notify: ["Apply the hostname"] }),
      ...overlayTasks("the time settings", ["etc/timezone", "etc/systemd/timesyncd.conf.d/"], { notify: ["Restart systemd-timesyncd"] }),
      {
        name: "Set the time zone",
        "ansible.builtin.file": { src: "/usr/share/zoneinfo/{{ h5b_site.timeZone }}", dest: "/etc/localtime", state: "link", force: true },
      },
      // Only the common file: the gateway role turns forwarding on itself, once its firewall is loaded.
      ...overlayTasks("the sysctl settings", [SYSCTL_FILE], { notify: ["Apply sysctl settings"] }),
      ...overlayTasks("the unattended upgrade settings", ["etc/apt/apt.conf.d/"]),
      checkModeTolerant({
        name: "Enable SSH, time synchronisation and unattended upgrades",
        "ansible.builtin.systemd": { name: "{{ item }}", enabled: true, state: "started" },
        loop: SERVICES,
      }),
      {
        name: "Create the administrator",
        "ansible.builtin.user": { name: "{{ h5b_admin.name }}", groups: ["sudo"], append: true, shell: "/bin/bash" },
      },
      {
        name: "Authorize the administrator's SSH keys (and only them)",
        "ansible.posix.authorized_key": { user: "{{ h5b_admin.name }}", key: "{{ h5b_admin.sshKeys | join('\\n') }}", exclusive: true },
        // With no key in the spec, h5b leaves the keys set up at first boot alone rather than lock everyone out.
        when: "h5b_admin.sshKeys | length > 0",
      },
      ...overlayTasks("the SSH server settings", ["etc/ssh/sshd_config.d/"], { notify: ["Reload the SSH server"] }),
      {
        name: "Remove the SSH server settings' earlier name",
        "ansible.builtin.file": { path: "/etc/ssh/sshd_config.d/50-h5b.conf", state: "absent" },
        notify: ["Reload the SSH server"],
      },
    ],
    handlers: [
      {
        name: "Apply the hostname",
        "ansible.builtin.command": { argv: ["hostname", "--file", "/etc/hostname"] },
        changed_when: true,
        // A chroot shares the kernel's hostname with the machine around it: that one is not ours to change.
        when: OUTSIDE_CHROOT,
      },
      checkModeTolerant({ name: "Restart systemd-timesyncd", "ansible.builtin.systemd": { name: "systemd-timesyncd.service", state: "restarted" } }),
      { name: "Apply sysctl settings", "ansible.builtin.systemd": { name: "systemd-sysctl.service", state: "restarted" } },
      checkModeTolerant({ name: "Reload the SSH server", "ansible.builtin.systemd": { name: "ssh.service", state: "reloaded" } }),
    ],
  };
  return roleFiles(role);
}

/**
 * Sysctl settings of a host: k3s nodes forward packets, which makes the kernel ignore router advertisements unless
 * told. Not on a host whose ports NetworkManager manages: with the profile's static addresses it ignores
 * advertisements, turns the kernel's handling of them off and routes IPv6 statically; turning that handling on again
 * (at each sysctl reload) would give the port a second, autoconfigured address.
 */
function sysctl(plan: Plan, host: PlanHost): string[] {
  if (host.k3s === undefined) return [];
  const kernelRa = plan.hostNetworks.find((n) => n.host === host.name)?.manager !== "networkmanager";
  const v6 = plan.families.includes("ipv6")
    ? [
        // accept_ra first: systemd-sysctl applies the lines in order, and turning forwarding on while a port still
        // has accept_ra 1 drops the default route its router advertisements gave it, until the next one.
        ...(kernelRa ? ["net.ipv6.conf.all.accept_ra = 2", `${portSysctlKey("ipv6", host.lanNic.name, "accept_ra")} = 2`] : []),
        "net.ipv6.conf.all.forwarding = 1",
      ]
    : [];
  return [
    "# Rendered by h5b: k3s nodes route pod traffic; Cilium and the kubelet watch many files.",
    "net.ipv4.ip_forward = 1",
    ...v6,
    "fs.inotify.max_user_instances = 8192",
    "fs.inotify.max_user_watches = 524288",
  ];
}

/** The root overlay files the common role installs on one host. */
export function commonHostFiles(plan: Plan, host: PlanHost): OutputFile[] {
  const at = (p: string) => hostPath(host.name, p);
  const self = (addr: string | undefined) => (addr !== undefined ? [`${addr}\t${host.fqdn} ${host.name}`] : []);
  const sysctlLines = sysctl(plan, host);
  const keys = plan.access.administrator.sshKeys;
  return [
    linesFile(at("/etc/hostname"), [host.name]),
    linesFile(at("/etc/hosts"), [
      "127.0.0.1\tlocalhost",
      ...self(host.addresses.ipv4),
      "::1\tlocalhost ip6-localhost ip6-loopback",
      "ff02::1\tip6-allnodes",
      "ff02::2\tip6-allrouters",
      ...self(host.addresses.ipv6),
    ]),
    linesFile(at("/etc/timezone"), [plan.site.timeZone]),
    linesFile(at("/etc/systemd/timesyncd.conf.d/50-h5b.conf"), ["[Time]", `NTP=${plan.site.ntpServers.join(" ")}`]),
    linesFile(at("/etc/apt/apt.conf.d/20auto-upgrades"), ['APT::Periodic::Update-Package-Lists "1";', 'APT::Periodic::Unattended-Upgrade "1";']),
    ...(sysctlLines.length > 0 ? [linesFile(at(SYSCTL_FILE), sysctlLines)] : []),
    // Passwords stay on until the spec names a key, so that the first deploy cannot lock the administrator out. sshd
    // keeps the first value it reads of each setting: 00 sorts before the drop-ins others write (cloud-init's
    // 50-cloud-init.conf turns passwords on in Debian's cloud images).
    ...(keys.length > 0
      ? [linesFile(at("/etc/ssh/sshd_config.d/00-h5b.conf"), ["PasswordAuthentication no", "KbdInteractiveAuthentication no", "PermitRootLogin no"])]
      : []),
  ];
}
