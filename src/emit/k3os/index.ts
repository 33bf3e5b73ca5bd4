import { basename, dirname } from "node:path";
import type { Plan, PlanHost } from "../../plan/types.js";
import type { Secrets } from "../../secrets/store.js";
import { K3S_MANIFESTS_DIR, k3sFlags } from "../k3s/_flags.js";
import { hostPath, type OutputFile, yamlFile } from "../file.js";
import { PATHS as NETWORK_PATHS } from "../network/paths.js";

export const K3OS_CONFIG_FILE = "/var/lib/rancher/k3os/config.yaml";

/**
 * k3OS's config.yaml for each node on k3OS: it embeds the join token, so it is written mode 0600. No Ansible reaches a
 * k3OS node, so every other file rendered for the host (`hosts/<host>/…` in `others`: the server's auto-deploy
 * manifests, connman's static addresses) travels inside it as `write_files`, which k3OS writes at every boot before
 * k3s starts.
 */
export function emitK3os(plan: Plan, secrets: Secrets, others: readonly OutputFile[]): OutputFile[] {
  return plan.hosts.filter((h) => h.k3s !== undefined && h.os === "k3os").map((h) => k3osConfig(plan, h, secrets, hostFiles(h.name, others)));
}

/**
 * Where k3OS writes a file that a daemon watches, to be copied into place only when it changed. k3OS writes
 * `write_files` twice a boot (at boot, and again when its `ccapply` service runs, as k3s starts), each time as a
 * new file renamed over the old: connman re-provisions the port on every such rename, which drops the LAN just as
 * k3s starts.
 */
const STAGING = "/var/lib/rancher/k3os/h5b-staged";
const WATCHED: readonly string[] = [NETWORK_PATHS.connmanService];

/** The host's own files among the others, as k3OS's `write_files` entries in path order, and the boot commands that put the watched ones in place. */
function hostFiles(host: string, others: readonly OutputFile[]) {
  const root = hostPath(host, "");
  const mine = others.filter((f) => f.path.startsWith(`${root}/`)).sort((a, b) => (a.path < b.path ? -1 : 1));
  const bootCmd: string[] = [CONNMAN_IGNORES_CILIUM];
  const writeFiles = mine.map((f) => {
    let path = f.path.slice(root.length);
    if (WATCHED.includes(path)) {
      const staged = `${STAGING}${path}`;
      // The folder may not exist before the daemon's first start.
      bootCmd.push(`mkdir -p ${dirname(path)} && { cmp -s ${staged} ${path} || cp -p ${staged} ${path}; }`);
      path = staged;
    }
    return { path, content: f.content, owner: "root:root", permissions: `0${(f.mode ?? 0o644).toString(8)}` };
  });
  const manifests = writeFiles.map((f) => f.path).filter((p) => dirname(p) === K3S_MANIFESTS_DIR && basename(p).startsWith("h5b-"));
  if (manifests.length > 0) bootCmd.push(setAsideDropped(manifests.map((p) => basename(p))));
  return { writeFiles, bootCmd };
}

/**
 * k3OS writes connman's main.conf at every boot with only `veth` among the ports connman leaves alone; Cilium's
 * ports (`lxc…` per pod, `cilium_host`, `cilium_net`, `cilium_vxlan`) would each become a connman service that
 * autoconnects with DHCP and IPv6 autoconfiguration, adding addresses and routes beside Cilium's. The boot commands
 * run after k3OS wrote the file and before connman starts.
 */
const CONNMAN_IGNORES_CILIUM = "sed -i 's/^NetworkInterfaceBlacklist=.*/NetworkInterfaceBlacklist=veth,lxc,cilium_/' /etc/connman/main.conf";

/** Where the server's manifests that the spec no longer has are moved at boot. */
export const K3OS_DROPPED_DIR = "/var/lib/rancher/k3os/h5b-dropped";

/**
 * k3OS only writes files, so a manifest the spec no longer has (an app taken out) would stay in the auto-deploy
 * folder, and k3s would apply it again at every start, bringing back what the operator deleted. At boot, before k3s
 * starts, h5b's manifests that are not among `kept` are moved aside. What they made keeps running (k3s deletes
 * nothing): the operator deletes it with `kubectl delete -f` on the moved file (README). Deleting it here instead,
 * once k3s is up, could take an object that only moved to another file, which k3s had applied just before.
 */
function setAsideDropped(kept: readonly string[]): string {
  const names = kept.join(" ");
  return [
    `for f in ${K3S_MANIFESTS_DIR}/h5b-*.yaml; do`,
    `case " ${names} " in *" \${f##*/} "*) ;; *) [ -e "\$f" ] && mkdir -p ${K3OS_DROPPED_DIR} && mv -f "\$f" ${K3OS_DROPPED_DIR}/ ;; esac;`,
    "done",
  ].join(" ");
}

function k3osConfig(plan: Plan, host: PlanHost, secrets: Secrets, files: ReturnType<typeof hostFiles>): OutputFile {
  const k3s = host.k3s as NonNullable<PlanHost["k3s"]>;
  // k3OS takes the server, labels and taints in its own keys (labels and taints apply at registration) and the
  // rest as k3s arguments.
  const flags = k3sFlags(plan, host);
  const ownKeys = new Set(["server", "node-label", "node-taint"]);
  const args: string[] = [k3s.role];
  for (const [flag, value] of Object.entries(flags)) {
    if (ownKeys.has(flag)) continue;
    if (value === true) args.push(`--${flag}`);
    else if (Array.isArray(value)) for (const v of value) args.push(`--${flag}=${v}`);
    else args.push(`--${flag}=${String(value)}`);
  }
  const config = {
    hostname: host.name,
    ssh_authorized_keys: [...plan.access.administrator.sshKeys],
    ...(files.writeFiles.length > 0 ? { write_files: files.writeFiles } : {}),
    // Boot commands run once a boot, after the files are written and before connman starts.
    ...(files.bootCmd.length > 0 ? { boot_cmd: files.bootCmd } : {}),
    k3os: {
      ...(k3s.role === "agent" ? { server_url: plan.cluster.apiServerUrl } : {}),
      token: secrets.k3sToken.reveal(),
      k3s_args: args,
      labels: { ...k3s.labels },
      ...(k3s.taints.length > 0 ? { taints: [...k3s.taints] } : {}),
      dns_nameservers: plan.families.map((f) => plan.lan[f]?.dns as string),
      ntp_servers: [...plan.site.ntpServers],
    },
  };
  return yamlFile(hostPath(host.name, K3OS_CONFIG_FILE), config, {
    mode: 0o600,
    header: `k3OS configuration of ${host.name} (k3OS v0.22.2-k3s2r0, k3s ${k3s.version}; unmaintained since 2021), rendered by h5b.`,
  });
}
