import { linesFile, type OutputFile, yamlFile } from "../file.js";

interface Play {
  readonly name: string;
  readonly hosts: string;
  readonly role: string;
  /** Roles that need real hardware carry the `hardware` tag, which `h5b deploy --skip-hardware` leaves out. */
  readonly hardware?: boolean;
}

/**
 * In order: the base first, then the hardware (and the backups of the storage), the gateway, Porygon (DNS before the
 * cluster needs it), the k3s server, its agents, and last the hosts' own addresses and resolver (Porygon's resolver
 * is the CoreDNS its play starts). The Pis get their addresses before their own play, which reboots them for the
 * kernel command line: the addresses the common play added by hand do not survive that reboot, and k3s, started
 * next, needs the IPv6 address its node-ip names.
 */
const PLAYS: readonly Play[] = [
  { name: "Base of every Debian host", hosts: "debian_hosts", role: "common" },
  { name: "The Raspberry Pis' own addresses and resolver (before their reboot)", hosts: "raspberry_pis", role: "network" },
  { name: "Raspberry Pi specifics", hosts: "raspberry_pis", role: "raspberry_pi" },
  { name: "ZFS storage", hosts: "zfs_hosts", role: "zfs", hardware: true },
  { name: "Backups (restic to B2)", hosts: "backup_hosts", role: "backups" },
  { name: "IPMI", hosts: "bmc_hosts", role: "ipmi", hardware: true },
  { name: "The gateway (firewall and router advertisements)", hosts: "gateways", role: "gateway" },
  { name: "Porygon (DNS and DHCP)", hosts: "dns_servers:dhcp_servers", role: "porygon" },
  { name: "The k3s server", hosts: "k3s_servers", role: "k3s" },
  { name: "The k3s agents", hosts: "k3s_agents", role: "k3s" },
  { name: "The hosts' own addresses and resolver (applied at the next boot)", hosts: "network_hosts", role: "network" },
];

export function siteFiles(): OutputFile[] {
  const plays = PLAYS.map((p) => ({
    name: p.name,
    hosts: p.hosts,
    become: true,
    roles: [p.role],
    ...(p.hardware === true ? { tags: ["hardware"] } : {}),
  }));
  return [
    yamlFile("ansible/site.yml", plays, { header: "Rendered by h5b from the spec; edit the spec, not this file." }),
    linesFile("ansible/ansible.cfg", [
      "# Rendered by h5b. Run from this folder, or through `h5b deploy`.",
      "[defaults]",
      "inventory = inventory.yml",
      "roles_path = roles",
      "interpreter_python = /usr/bin/python3",
      "# Facts once per host and run, not once per play.",
      "gathering = smart",
      "# A host's pending handlers run even when a later task of the play fails on it: a config copied (or a binary",
      "# upgraded) before the failure still restarts its service, where the next run would find nothing changed.",
      "force_handlers = True",
      "",
      "# Modules go to the host through the connection's stdin, not as files first (SSH and chroot alike).",
      "[connection]",
      "pipelining = True",
    ]),
  ];
}
