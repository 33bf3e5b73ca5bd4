import type { Plan, PlanHost } from "../../../plan/types.js";
import type { OutputFile } from "../../file.js";
import { porygonReleases } from "../_releases.js";
import { overlayTasks, type Role, roleFiles } from "../_role.js";
import { RELOAD_SYSTEMD, reloadSystemdHandler, requireChecksum } from "./_shared.js";

const RELEASES_DIR = "/var/cache/h5b/releases";
const INSTALL_DIR = "/usr/local/lib/h5b";
const RESTART = "Restart the Porygon services";
/** Every unit Porygon's emitters render, found in the overlay at run time so that new ones need no change here. */
const OVERLAY_UNITS = "query('community.general.filetree', h5b_overlay) | selectattr('path', 'match', '^etc/systemd/system/[^/]+[.](service|timer)$')";

/**
 * Porygon: Kea from Debian, etcd, CoreDNS and dnscrypt-proxy from their releases (checked against their sha256),
 * and every file the Porygon emitters put under `hosts/<porygon>/`, whatever they are.
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
      requireChecksum("", "h5b_porygon.releases"),
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
      {
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
      },
      {
        name: "Link the release binaries into /usr/local/bin",
        "ansible.builtin.file": { src: `${INSTALL_DIR}/{{ item.0.name }}-{{ item.0.version }}/{{ item.1.from }}`, dest: "/usr/local/bin/{{ item.1.name }}", state: "link" },
        loop: "{{ h5b_porygon.releases | subelements('binaries') }}",
        loop_control: { label: "{{ item.1.name }}" },
        when: "not h5b_skip_release_downloads",
        notify: [RESTART],
      },
      ...overlayTasks("Porygon's rendered files", "all", { notify: [RELOAD_SYSTEMD, RESTART] }),
      {
        name: "Enable and start Porygon's services",
        "ansible.builtin.systemd": { name: "{{ item }}", enabled: true, state: "started" },
        loop: "{{ h5b_porygon_units }}",
      },
    ],
    handlers: [
      reloadSystemdHandler(),
      { name: RESTART, "ansible.builtin.systemd": { name: "{{ item }}", state: "restarted" }, loop: "{{ h5b_porygon_units }}" },
    ],
    defaults: {
      h5b_porygon_units: `{{ h5b_porygon.units + (${OVERLAY_UNITS} | map(attribute='path') | map('basename') | list) }}`,
    },
  };
  return roleFiles(role);
}

/** What the Porygon role installs on one host: Kea on the DHCP host, the releases on the DNS host. */
export function porygonVars(plan: Plan, host: PlanHost): Record<string, unknown> | undefined {
  const dns = host.name === plan.dns.host;
  const dhcp = host.name === plan.dns.dhcpHost;
  if (!dns && !dhcp) return undefined;
  const kea = ["kea-dhcp4-server", ...(plan.families.includes("ipv6") ? ["kea-dhcp6-server"] : []), "kea-dhcp-ddns-server"];
  return {
    packages: dhcp ? kea : [],
    units: dhcp ? kea.map((p) => `${p}.service`) : [],
    releases: dns ? porygonReleases(plan, host) : [],
  };
}
