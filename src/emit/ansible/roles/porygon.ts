import type { Plan, PlanHost } from "../../../plan/types.js";
import type { OutputFile } from "../../file.js";
import { NODE_BINARIES, porygonReleases } from "../_releases.js";
import { PATHS } from "../../porygon/paths.js";
import { ETCD_SETUP_UNIT } from "../../porygon/etcd-setup.js";
import { ETCD_UNIT } from "../../porygon/etcd.js";
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
/**
 * The sha256 of the h5b package last installed, written only once its install succeeded: an install that failed
 * (or was cut short) is run again by the next deploy, although the package on the host no longer changes.
 */
const H5B_STAMP = `${H5B_TARBALL}.installed`;
const H5B_WHEN = "h5b_porygon.ddns and not h5b_skip_release_downloads";
const RESTART = "Restart the Porygon services whose files changed";
const CHECK_RESTARTS = "Fail for the Porygon services that did not restart";
const ETCD_SETUP = "Check that etcd's users, roles and host records were applied";
const KEA_UNITS = { kea4: "kea-dhcp4-server.service", kea6: "kea-dhcp6-server.service" } as const;

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

const unitFile = (unit: string) => `${PATHS.units}/${unit}`;
/**
 * What each of Porygon's units reads (its overlay files, its release binary, the h5b package): a deploy restarts a
 * unit when one of these changed, and no other. One new DHCP reservation restarts Kea's DHCPv4 server, not etcd and
 * CoreDNS, whose restart is a LAN-wide DNS outage. etcd's restart restarts h5b-etcd-setup.service with it (which
 * requires etcd); the setup's own files run it again without restarting etcd.
 */
const RESTARTS: Readonly<Record<string, readonly string[]>> = {
  [ETCD_UNIT]: [folder(PATHS.etcdConfig), `${unitFile(ETCD_UNIT)}.d/`],
  [ETCD_SETUP_UNIT]: [PATHS.etcdAuthScript, PATHS.hostRecordsScript, unitFile(ETCD_SETUP_UNIT)],
  [DNSCRYPT_UNIT]: [folder(PATHS.dnscrypt), unitFile(DNSCRYPT_UNIT), BINARIES.dnscrypt],
  [COREDNS_UNIT]: [folder(PATHS.corefile), unitFile(COREDNS_UNIT), BINARIES.coredns],
  [DDNS_UNIT]: [PATHS.ddnsConfig, PATHS.ddnsTsig, `${PATHS.ddnsPki}/`, unitFile(DDNS_UNIT), NODE_BINARIES.node, H5B_TARBALL],
  [KEA_UNITS.kea4]: [PATHS.kea4],
  [KEA_UNITS.kea6]: [PATHS.kea6],
  [KEA_DDNS_UNIT]: [PATHS.keaDdns, `${unitFile(KEA_DDNS_UNIT)}.d/`],
};

/** Paths as the overlay lists them: relative to `/`. */
const relative = (path: string) => path.replace(/^\//, "");

/**
 * The paths this run changed, relative to `/`: overlay files, release links and, once installed, the h5b package
 * (not after a failed install: the next run installs it again, then restarts). Read from the tasks' registered
 * results by the handlers, which run (force_handlers) even when a later task failed.
 */
const CHANGED = [
  "{{ ((h5b_porygon_files.results | default([])) + (h5b_porygon_files_secret.results | default([])))",
  "   | select('changed') | map(attribute='item.path') | list",
  "   + (h5b_porygon_links.results | default([]) | select('changed') | map(attribute='item.1.to') | map('regex_replace', '^/', '') | list)",
  `   + (['${relative(H5B_TARBALL)}'] if (h5b_porygon_h5b | default({})) is changed and h5b_porygon_h5b is succeeded else []) }}`,
].join("\n");

/** Handler variables: whether a path of `unit` (a Jinja expression) is among the changed ones. */
const changedFor = (unit: string): Record<string, string> => ({
  h5b_pattern: `^({{ h5b_porygon_restarts[${unit}] | map('regex_escape') | join('|') }})`,
  h5b_changed: "{{ h5b_porygon_changed | select('match', h5b_pattern) | list | length > 0 }}",
});

/**
 * Porygon: Kea and etcd from Debian; CoreDNS, dnscrypt-proxy and Node.js (for h5b ddns) from their releases,
 * checked against their sha256; and every file the Porygon emitters put under `hosts/<porygon>/`, whatever they are.
 */
export function porygonRole(): OutputFile[] {
  const role: Role = {
    name: "porygon",
    description: "Porygon: Kea, etcd, CoreDNS, dnscrypt-proxy and h5b ddns with their rendered configs and units",
    tasks: [
      // The checks first, before anything on the host changes.
      {
        name: "Check that the h5b package is given",
        "ansible.builtin.assert": {
          that: ["h5b_package is defined"],
          fail_msg: "h5b_package is not set: run `h5b deploy`, which packs h5b for `h5b ddns`, or pass -e h5b_package=<h5b-*.tgz>",
          quiet: true,
        },
        when: H5B_WHEN,
      },
      requireChecksums("h5b_porygon.releases"),
      {
        name: "Install Porygon's Debian packages",
        "ansible.builtin.apt": { name: "{{ h5b_porygon.packages }}", state: "present", update_cache: true, cache_valid_time: 3600 },
        when: "h5b_porygon.packages | length > 0",
      },
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
        register: "h5b_porygon_links",
        notify: [RESTART, CHECK_RESTARTS],
      }),
      ...overlayTasks("Porygon's rendered files", PORYGON_FILES, {
        notify: [RELOAD_SYSTEMD, RESTART, ETCD_SETUP, CHECK_RESTARTS],
        group: "{{ h5b_porygon.groups[item.path] | default('root') }}",
        register: "h5b_porygon_files",
      }),
      ...h5bTasks(),
      // Before the units are started: on a first deploy they start once, with their files, not twice.
      { name: "Apply what changed before the services start", "ansible.builtin.meta": "flush_handlers" },
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
      { ...reloadSystemdHandler(), when: [OUTSIDE_CHROOT, `h5b_porygon_changed | select('match', '^${relative(PATHS.units)}/') | list | length > 0`] },
      // In the order of h5b_porygon.units, each unit after those it is ordered after. A unit that fails to restart
      // stops neither the others nor etcd's setup below (a failed handler would end the host's handlers, and the
      // setup's scripts, unchanged at the next run, would not be run again); the last handler fails the run for it,
      // and the next run's start task starts it again.
      {
        name: RESTART,
        "ansible.builtin.systemd": { name: "{{ item }}", state: "restarted" },
        loop: "{{ h5b_porygon.units }}",
        when: "h5b_changed | bool",
        vars: changedFor("item"),
        register: "h5b_porygon_restarted",
        ignore_errors: true,
      },
      {
        // A restart of etcd started the setup again as its dependent, in the background: its failure would not fail
        // the restart. `systemctl start` waits for that run to end and fails with it (a failed setup is run once
        // more); Ansible's systemd module would take a setup still running for started, hence systemctl, which
        // ansible-lint is told to allow here. Changed scripts are run with a restart (a start of the setup that
        // ran already does nothing).
        name: ETCD_SETUP,
        "ansible.builtin.command": { argv: ["systemctl", "{{ 'restart' if h5b_changed | bool else 'start' }}", ETCD_SETUP_UNIT] },
        changed_when: "h5b_changed | bool",
        when: `h5b_porygon.etcd and ${OUTSIDE_CHROOT}`,
        vars: changedFor(`'${ETCD_SETUP_UNIT}'`),
        tags: ["skip_ansible_lint"],
      },
      {
        name: CHECK_RESTARTS,
        "ansible.builtin.fail": {
          msg: "{{ h5b_porygon_restarted.results | select('failed') | map(attribute='item') | join(', ') }} did not restart: journalctl -u <unit> says why",
        },
        when: ["not ansible_check_mode", "h5b_porygon_restarted.results | default([]) | select('failed') | list | length > 0"],
      },
    ],
    vars: {
      h5b_porygon_restarts: Object.fromEntries(Object.entries(RESTARTS).map(([unit, paths]) => [unit, paths.map(relative)])),
      h5b_porygon_changed: CHANGED,
    },
  };
  return roleFiles(role);
}

/**
 * `h5b ddns` is h5b itself: `h5b deploy` packs the running h5b (`npm pack`) and passes the tarball as
 * `h5b_package`; it is installed with the Node.js release, its dependencies from the npm registry. Installed when
 * the package changed or differs from the one last installed ({@link H5B_STAMP}), before the handlers restart h5b
 * ddns with it.
 */
function h5bTasks(): Task[] {
  const sha = "{{ h5b_porygon_package_file.stat.checksum | default('') }}";
  return [
    {
      name: "Copy the h5b package",
      "ansible.builtin.copy": { src: "{{ h5b_package }}", dest: H5B_TARBALL, owner: "root", group: "root", mode: "0644" },
      register: "h5b_porygon_package",
      when: H5B_WHEN,
    },
    {
      name: "Read the h5b package's sha256",
      "ansible.builtin.stat": { path: H5B_TARBALL, get_checksum: true, checksum_algorithm: "sha256" },
      register: "h5b_porygon_package_file",
      when: H5B_WHEN,
    },
    {
      // Missing before the first install.
      name: "Read the sha256 of the h5b package installed last",
      "ansible.builtin.slurp": { src: H5B_STAMP },
      register: "h5b_porygon_installed",
      failed_when: false,
      when: H5B_WHEN,
    },
    {
      name: "Install h5b for h5b ddns",
      "ansible.builtin.command": { argv: [NODE_BINARIES.npm, "install", "--global", "--omit=dev", "--prefix", H5B_PREFIX, H5B_TARBALL] },
      register: "h5b_porygon_h5b",
      changed_when: true,
      when: [H5B_WHEN, "h5b_porygon_package is changed or h5b_installed != h5b_sha"],
      vars: { h5b_installed: "{{ h5b_porygon_installed.content | default('') | b64decode | trim }}", h5b_sha: sha },
      notify: [RESTART, CHECK_RESTARTS],
    },
    {
      name: "Note which h5b package is installed",
      "ansible.builtin.copy": { content: `${sha}\n`, dest: H5B_STAMP, owner: "root", group: "root", mode: "0644" },
      when: H5B_WHEN,
    },
    // Before the handlers, which start h5b ddns through this link. force: in check mode the install did not run.
    checkModeTolerant({
      name: "Link h5b into /usr/local/bin",
      "ansible.builtin.file": { src: `${H5B_PREFIX}/bin/h5b`, dest: BINARIES.h5b, state: "link", force: true },
      when: H5B_WHEN,
    }),
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
    // Started and restarted in this order, each after the units its unit orders it after: etcd before CoreDNS and
    // h5b ddns, dnscrypt-proxy before CoreDNS, h5b ddns before kea-dhcp-ddns (which sends it the updates).
    units: [
      ...(dns ? [ETCD_UNIT, DNSCRYPT_UNIT, COREDNS_UNIT] : []),
      ...(dhcp ? [DDNS_UNIT, KEA_UNITS.kea4, ...(plan.families.includes("ipv6") ? [KEA_UNITS.kea6] : []), KEA_DDNS_UNIT] : []),
    ],
    // Files others must not read but a daemon's group must (path in the overlay -> group).
    groups: dhcp ? { [PATHS.keaDdns.slice(1)]: KEA_GROUP } : {},
    releases: porygonReleases(plan, host),
    ddns: dhcp,
    // h5b-etcd-setup.service: etcd's auth script, then the host records script, whenever etcd starts.
    etcd: dns,
  };
}
