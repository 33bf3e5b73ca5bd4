import type { Plan, PlanHost } from "../../../plan/types.js";
import type { OutputFile } from "../../file.js";
import { porygonReleases } from "../_releases.js";
import { PATHS } from "../../porygon/paths.js";
import { ETCD_SETUP_UNIT } from "../../porygon/etcd-setup.js";
import { KEA_DDNS_UNIT, KEA_GROUP } from "../../porygon/kea-dhcp-ddns.js";
import { COREDNS_UNIT } from "../../porygon/corefile.js";
import { DDNS_UNIT } from "../../porygon/ddns-config.js";
import { BINARIES, DNSCRYPT_UNIT, PORYGON_UNITS } from "../../porygon/systemd.js";
import { checkModeTolerant, overlayTasks, type Role, roleFiles, type Task } from "../_role.js";
import { OUTSIDE_CHROOT, RELOAD_SYSTEMD, reloadSystemdHandler, requireChecksums } from "./_shared.js";

const RELEASES_DIR = "/var/cache/h5b/releases";
const INSTALL_DIR = "/usr/local/lib/h5b";
const H5B_PREFIX = "/usr/local/lib/h5b/app";
const H5B_TARBALL = `${RELEASES_DIR}/h5b.tgz`;
const INSTALL_H5B = "Install h5b for h5b ddns";
const RESTART = "Restart the Porygon services";
const ETCD_SETUP = "Check that etcd's users, roles and host records were applied";

const folder = (file: string) => `${file.slice(0, file.lastIndexOf("/"))}/`;
/**
 * Where Porygon's emitters write on the host. Only these: the host's other overlay files (its resolver, its ports,
 * its name) belong to the common and network roles, which install them when it is safe to.
 */
const PORYGON_FILES = [
  ...[PATHS.kea4, PATHS.etcdConfig, PATHS.corefile, PATHS.dnscrypt].map(folder),
  // h5b ddns's files only: /etc/h5b also holds other roles' (the backups').
  PATHS.ddnsConfig,
  PATHS.ddnsTsig,
  `${PATHS.ddnsPki}/`,
  PATHS.etcdAuthScript,
  PATHS.hostRecordsScript,
  ...[...PORYGON_UNITS, ETCD_SETUP_UNIT].map((u) => `${PATHS.units}/${u}`),
  `${PATHS.units}/etcd.service.d/`,
  `${PATHS.units}/${KEA_DDNS_UNIT}.d/`,
];

/**
 * Porygon: Kea and etcd from Debian; CoreDNS, dnscrypt-proxy and Node.js (for h5b ddns) from their releases,
 * checked against their sha256; and every file the Porygon emitters put under `hosts/<porygon>/`, whatever they are.
 */
export function porygonRole(): OutputFile[] {
  const role: Role = {
    name: "porygon",
    description: "Porygon: Kea, etcd, CoreDNS, dnscrypt-proxy and h5b ddns with their rendered configs and units",
    tasks: [
      {
        name: "Install Porygon's Debian packages",
        "ansible.builtin.apt": { name: "{{ h5b_porygon.packages }}", state: "present", update_cache: true, cache_valid_time: 3600 },
        when: "h5b_porygon.packages | length > 0",
      },
      requireChecksums("h5b_porygon.releases"),
      {
        name: "Create the release folders",
        "ansible.builtin.file": { path: "{{ item }}", state: "directory", owner: "root", group: "root", mode: "0755" },
        loop: [RELEASES_DIR, INSTALL_DIR],
      },
      {
        name: "Download the pinned releases",
        "ansible.builtin.get_url": {
          url: "{{ item.url }}",
          dest: `${RELEASES_DIR}/{{ item.file }}`,
          checksum: "sha256:{{ h5b_checksums[item.url] }}",
          owner: "root",
          group: "root",
          mode: "0644",
        },
        loop: "{{ h5b_porygon.releases }}",
        loop_control: { label: "{{ item.name }} {{ item.version }}" },
        when: "not h5b_skip_release_downloads",
      },
      {
        name: "Create a folder per release",
        "ansible.builtin.file": { path: `${INSTALL_DIR}/{{ item.name }}-{{ item.version }}`, state: "directory", owner: "root", group: "root", mode: "0755" },
        loop: "{{ h5b_porygon.releases }}",
        loop_control: { label: "{{ item.name }} {{ item.version }}" },
        when: "not h5b_skip_release_downloads",
      },
      checkModeTolerant({
        name: "Unpack the releases",
        "ansible.builtin.unarchive": {
          src: `${RELEASES_DIR}/{{ item.file }}`,
          dest: `${INSTALL_DIR}/{{ item.name }}-{{ item.version }}`,
          remote_src: true,
          owner: "root",
          group: "root",
        },
        loop: "{{ h5b_porygon.releases }}",
        loop_control: { label: "{{ item.name }} {{ item.version }}" },
        when: "not h5b_skip_release_downloads",
      }),
      checkModeTolerant({
        name: "Link the release binaries into /usr/local/bin",
        "ansible.builtin.file": { src: `${INSTALL_DIR}/{{ item.0.name }}-{{ item.0.version }}/{{ item.1.from }}`, dest: "{{ item.1.to }}", state: "link" },
        loop: "{{ h5b_porygon.releases | subelements('binaries') }}",
        loop_control: { label: "{{ item.1.to }}" },
        when: "not h5b_skip_release_downloads",
        notify: [RESTART, ETCD_SETUP],
      }),
      ...overlayTasks("Porygon's rendered files", PORYGON_FILES, {
        notify: [RELOAD_SYSTEMD, RESTART, ETCD_SETUP],
        group: "{{ h5b_porygon.groups[item.path] | default('root') }}",
      }),
      // After the files: the flush in there restarts units, which must be on the host by then.
      ...h5bTasks(),
      checkModeTolerant({
        name: "Enable and start Porygon's services",
        "ansible.builtin.systemd": { name: "{{ item }}", enabled: true, state: "started" },
        loop: "{{ h5b_porygon.units }}",
      }),
      // Enabled for etcd, so that it runs whenever etcd starts (a deploy's restart of etcd runs it again).
      checkModeTolerant({
        name: "Enable and start etcd's setup",
        "ansible.builtin.systemd": { name: ETCD_SETUP_UNIT, enabled: true, state: "started" },
        when: "h5b_porygon.etcd",
      }),
    ],
    handlers: [
      {
        name: INSTALL_H5B,
        "ansible.builtin.command": { argv: ["/usr/local/bin/npm", "install", "--global", "--omit=dev", "--prefix", H5B_PREFIX, H5B_TARBALL] },
        changed_when: true,
        notify: [RESTART, ETCD_SETUP],
      },
      reloadSystemdHandler(),
      checkModeTolerant({ name: RESTART, "ansible.builtin.systemd": { name: "{{ item }}", state: "restarted" }, loop: "{{ h5b_porygon.units }}" }),
      {
        // After the restart (handlers run in this order), which started the setup again as etcd's dependent, in
        // the background: its failure would not fail the restart. `systemctl start` waits for that run to end and
        // fails with it (a failed setup is run once more); Ansible's systemd module would take a setup still
        // running for started, hence systemctl, which ansible-lint is told to allow here.
        name: ETCD_SETUP,
        "ansible.builtin.command": { argv: ["systemctl", "start", ETCD_SETUP_UNIT] },
        changed_when: false,
        when: `h5b_porygon.etcd and ${OUTSIDE_CHROOT}`,
        tags: ["skip_ansible_lint"],
      },
    ],
  };
  return roleFiles(role);
}

/**
 * `h5b ddns` is h5b itself: `h5b deploy` packs the running h5b (`npm pack`) and passes the tarball as
 * `h5b_package`; it is installed with the Node.js release, its dependencies from the npm registry.
 */
function h5bTasks(): Task[] {
  const when = "h5b_porygon.ddns and not h5b_skip_release_downloads";
  return [
    {
      name: "Check that the h5b package is given",
      "ansible.builtin.assert": {
        that: ["h5b_package is defined"],
        fail_msg: "h5b_package is not set: run `h5b deploy`, which packs h5b for `h5b ddns`, or pass -e h5b_package=<h5b-*.tgz>",
        quiet: true,
      },
      when,
    },
    {
      name: "Copy the h5b package",
      "ansible.builtin.copy": { src: "{{ h5b_package }}", dest: H5B_TARBALL, owner: "root", group: "root", mode: "0644" },
      when,
      notify: [INSTALL_H5B],
    },
    // Before the flush: the restart in there starts h5b ddns, whose unit runs the link and waits for its port. On a
    // first deploy the link's target comes with the install the flush runs first (force: made before it exists).
    checkModeTolerant({
      name: "Link h5b into /usr/local/bin",
      "ansible.builtin.file": { src: `${H5B_PREFIX}/bin/h5b`, dest: BINARIES.h5b, state: "link", force: true },
      when,
    }),
    { name: "Install h5b before its unit starts", "ansible.builtin.meta": "flush_handlers" },
  ];
}

/** What the Porygon role installs on one host: Kea on the DHCP host, the releases on the DNS host. */
export function porygonVars(plan: Plan, host: PlanHost): Record<string, unknown> | undefined {
  const dns = host.name === plan.dns.host;
  const dhcp = host.name === plan.dns.dhcpHost;
  if (!dns && !dhcp) return undefined;
  const kea = ["kea-dhcp4-server", ...(plan.families.includes("ipv6") ? ["kea-dhcp6-server"] : []), "kea-dhcp-ddns-server"];
  // Porygon's etcd unit is Debian's etcd-server's, with h5b's drop-in; etcd-client brings etcdctl for the scripts.
  const etcd = ["etcd-server", "etcd-client"];
  return {
    packages: [...(dns ? etcd : []), ...(dhcp ? [...kea, "xz-utils"] : [])],
    // Restarted in this order: h5b ddns before kea-dhcp-ddns, which sends it the updates.
    units: [
      ...(dns ? ["etcd.service", COREDNS_UNIT, DNSCRYPT_UNIT] : []),
      ...(dhcp ? [DDNS_UNIT, ...kea.map((p) => `${p}.service`)] : []),
    ],
    // Files others must not read but a daemon's group must (path in the overlay -> group).
    groups: dhcp ? { [PATHS.keaDdns.slice(1)]: KEA_GROUP } : {},
    releases: porygonReleases(plan, host),
    ddns: dhcp,
    // h5b-etcd-setup.service: etcd's auth script, then the host records script, whenever etcd starts.
    etcd: dns,
  };
}
