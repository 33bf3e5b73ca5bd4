import { isRaspberryPi } from "../../plan/network.js";
import type { Plan, PlanHost } from "../../plan/types.js";
import { type OutputFile, yamlFile } from "../file.js";
import { backupsVars } from "./roles/backups.js";
import { gatewayVars } from "./roles/gateway.js";
import { bmcVars } from "./roles/ipmi.js";
import { k3sVars } from "./roles/k3s.js";
import { porygonVars } from "./roles/porygon.js";
import { zfsVars } from "./roles/zfs.js";

/** Inventory groups, each with the hosts it holds; group names never equal a host name (Ansible would mix them up). */
export function groupsOf(plan: Plan): Record<string, string[]> {
  const debian = plan.hosts.filter((h) => h.os === "debian");
  const names = (hs: readonly PlanHost[]) => hs.map((h) => h.name);
  const withRole = (r: string) => names(debian.filter((h) => (h.roles as readonly string[]).includes(r)));
  return {
    debian_hosts: names(debian),
    gateways: withRole("gateway"),
    dns_servers: withRole("dns"),
    dhcp_servers: withRole("dhcp"),
    k3s_servers: withRole("k3s-server"),
    k3s_agents: withRole("k3s-agent"),
    raspberry_pis: names(debian.filter(isRaspberryPi)),
    zfs_hosts: names(debian.filter((h) => plan.storage?.host === h.name)),
    backup_hosts: names(debian.filter((h) => plan.backups?.host === h.name)),
    bmc_hosts: names(debian.filter((h) => h.bmc !== undefined)),
    network_hosts: names(debian.filter((h) => plan.hostNetworks.some((n) => n.host === h.name))),
  };
}

const HEADER = "Rendered by h5b from the spec; edit the spec, not this file.";

/**
 * `inventory.yml` (hosts, how to reach them, groups by role) and the plan's facts as variables: `group_vars/all.yml`
 * for the site, `host_vars/<host>.yml` for each host. k3OS nodes are not in it: they configure themselves from
 * their config.yaml.
 */
export function inventoryFiles(plan: Plan): OutputFile[] {
  const groups = groupsOf(plan);
  const debian = plan.hosts.filter((h) => h.os === "debian");
  const inventory = {
    all: {
      children: Object.fromEntries(
        Object.entries(groups).map(([g, hs]) => [
          g,
          {
            hosts: Object.fromEntries(
              hs.map((name) => {
                const h = debian.find((x) => x.name === name) as PlanHost;
                return [name, g === "debian_hosts" ? { ansible_host: h.addresses.ipv4, ansible_user: plan.access.administrator.name } : {}];
              }),
            ),
          },
        ]),
      ),
    },
  };
  const all = {
    h5b_site: plan.site,
    h5b_admin: plan.access.administrator,
    h5b_lan: plan.lan,
    h5b_cluster: { name: plan.cluster.name, server: plan.cluster.server, apiServerUrl: plan.cluster.apiServerUrl, versions: plan.cluster.versions },
    h5b_overlay: "{{ playbook_dir }}/../hosts/{{ inventory_hostname }}",
    h5b_overlay_files: "{{ query('community.general.filetree', h5b_overlay) | selectattr('state', 'eq', 'file') | list }}",
    h5b_checksums: {},
    h5b_skip_release_downloads: false,
  };
  return [
    yamlFile("ansible/inventory.yml", inventory, { header: HEADER }),
    yamlFile("ansible/group_vars/all.yml", all, {
      header: [
        HEADER,
        "h5b_secrets_dir: the .h5b/secrets folder; `h5b deploy` passes it.",
        "h5b_checksums: sha256 of each release download by URL; `h5b deploy` reads them from the releases' checksum files.",
        "h5b_skip_release_downloads: true only to converge a root that has no internet (h5b's own chroot test);",
        "  it leaves out the k3s, etcd, CoreDNS and dnscrypt-proxy binaries, so such a host cannot run them.",
      ].join("\n"),
    }),
    ...debian.map((h) => yamlFile(`ansible/host_vars/${h.name}.yml`, hostVars(plan, h), { header: HEADER })),
  ];
}

function hostVars(plan: Plan, host: PlanHost): Record<string, unknown> {
  const optional = (key: string, value: unknown) => (value !== undefined ? { [key]: value } : {});
  return {
    h5b_host: host,
    ...optional("h5b_k3s", k3sVars(plan, host)),
    ...optional("h5b_zfs", zfsVars(plan, host)),
    ...optional("h5b_backups", backupsVars(plan, host)),
    ...optional("h5b_bmc", bmcVars(plan, host)),
    ...optional("h5b_porygon", porygonVars(plan, host)),
    ...optional("h5b_gateway", gatewayVars(plan, host)),
    ...optional("h5b_network", plan.hostNetworks.find((n) => n.host === host.name)),
  };
}
