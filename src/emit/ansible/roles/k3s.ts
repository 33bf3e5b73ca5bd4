import type { Plan, PlanHost } from "../../../plan/types.js";
import { K3S_CONFIG_FILE, K3S_MANIFESTS_DIR, K3S_TOKEN_FILE } from "../../k3s/index.js";
import { hostPath, linesFile, type OutputFile } from "../../file.js";
import { K3S_BINARY, k3sRelease } from "../_releases.js";
import { checkModeTolerant, overlayTasks, type Role, roleFiles, type Task } from "../_role.js";
import { guardHostSecrets, RELOAD_SYSTEMD, reloadSystemdHandler, requireChecksums, requireSecretsDir } from "./_shared.js";

const RESTART = "Restart k3s";

/** Where a k3s server keeps its token in k3s's secure format (`K10<CA hash>::server:<password>`). */
export const K3S_SERVER_TOKEN_FILE = "/var/lib/rancher/k3s/server/token";

/** The systemd unit k3s's own installer would write for this node. */
export function k3sUnitName(host: PlanHost): string {
  return host.k3s?.role === "server" ? "k3s.service" : "k3s-agent.service";
}

const MANIFESTS = "h5b_k3s_manifests";
const KEPT = "h5b_manifests_kept";
/** Per file found: one the overlay no longer has, on the server (agents have no manifests). */
const dropped = { loop: "{{ h5b_manifests_there.files | default([]) | map(attribute='path') | sort }}", when: ["h5b_k3s.role == 'server'", `item | basename not in ${KEPT}`] };

/**
 * The server's manifests that h5b wrote and the spec no longer has (an app or a component taken out), and what k3s
 * made from each: k3s applies a file that lands or changes, but leaves everything running when one is deleted. So
 * the objects go first (`kubectl delete -f`), then the file. Before the new files are copied: an object that moved
 * to another file is in a file that changed, which k3s applies again once it lands. The user's own files (not
 * `h5b-`) are not touched. The folder and binary are role variables so that a test can run these tasks elsewhere.
 */
const droppedManifestTasks: Task[] = [
  {
    name: "Find the auto-deploy manifests h5b wrote",
    "ansible.builtin.find": { paths: `{{ ${MANIFESTS} }}`, patterns: "h5b-*.yaml" },
    register: "h5b_manifests_there",
    when: "h5b_k3s.role == 'server'",
  },
  {
    name: "Delete what each manifest the spec no longer has made (k3s leaves it running when the file goes)",
    "ansible.builtin.command": { argv: ["{{ h5b_k3s_binary }}", "kubectl", "delete", "--ignore-not-found", "--wait=false", "--filename", "{{ item }}"] },
    ...dropped,
    changed_when: true,
  },
  { name: "Remove the manifests the spec no longer has", "ansible.builtin.file": { path: "{{ item }}", state: "absent" }, ...dropped },
];

const SERVER_TOKEN = "h5b_k3s_server_token";
const pinned = "h5b_k3s.server_host is defined";
const SECRET = "lookup('ansible.builtin.file', h5b_secrets_dir ~ '/k3s-token')";

/**
 * An agent whose server Ansible deploys joins with the server's own token, which k3s writes in its secure format:
 * the hash of the cluster's CA in it makes the agent refuse a server that shows another CA (with the password
 * alone, an agent trusts whichever server answers at the address and hands it the password). The server's play
 * runs first, so its token is there; that it holds the secrets folder's password is checked, as the server's copy
 * is (a secrets folder made anew must not turn the agents to another password). In check mode before the server's
 * first start there is no token yet, and nothing is written.
 */
const pinnedTokenTasks: Task[] = [
  {
    name: "Read the k3s server's token (secure format, with the hash of the cluster's CA)",
    "ansible.builtin.slurp": { src: "{{ h5b_k3s_server_token_file }}" },
    delegate_to: "{{ h5b_k3s.server_host }}",
    register: SERVER_TOKEN,
    failed_when: false,
    no_log: true,
    when: pinned,
  },
  {
    name: "Check that the server's token holds the secrets folder's password",
    "ansible.builtin.assert": {
      that: [
        `${SERVER_TOKEN}.content is defined`,
        `(${SERVER_TOKEN}.content | b64decode | trim) is match('K10[0-9a-f]+::server:')`,
        `(${SERVER_TOKEN}.content | b64decode | trim).split('::server:', 1)[1] == ${SECRET}`,
      ],
      fail_msg: [
        "{{ h5b_k3s_server_token_file }} on {{ h5b_k3s.server_host }} is missing or does not hold the password in {{ h5b_secrets_dir }}/k3s-token.",
        "Deploy the server first (its play comes before the agents'); if it runs, its cluster was made with another password:",
        "put that one in the secrets folder: it follows ::server: in that file (ssh {{ h5b_k3s.server_host }} sudo cat {{ h5b_k3s_server_token_file }}).",
      ].join("\n"),
      quiet: true,
    },
    when: [pinned, `not (ansible_check_mode and ${SERVER_TOKEN}.content is not defined)`],
  },
  {
    name: "Install the server's token as the join token",
    "ansible.builtin.copy": { content: `{{ ${SERVER_TOKEN}.content | b64decode | trim }}\n`, dest: "{{ h5b_k3s_token_file }}", owner: "root", group: "root", mode: "0600" },
    no_log: true,
    diff: false,
    notify: [RESTART],
    when: [pinned, `${SERVER_TOKEN}.content is defined`],
  },
];

/**
 * k3s from its pinned release, checked against the release's sha256 (no installer script piped to a shell); the
 * config.yaml and unit h5b rendered; the join token (the secrets folder's, or the server's for its agents); on the
 * server, the auto-deploy manifests.
 */
export function k3sRole(): OutputFile[] {
  const role: Role = {
    name: "k3s",
    description: "k3s from its pinned release with its checksum, config, unit, join token and auto-deploy manifests",
    tasks: [
      requireSecretsDir,
      requireChecksums("[h5b_k3s.release]"),
      {
        name: "Download the pinned k3s release",
        "ansible.builtin.get_url": {
          url: "{{ h5b_k3s.release.url }}",
          dest: K3S_BINARY,
          checksum: "sha256:{{ h5b_checksums[h5b_k3s.release.url] }}",
          owner: "root",
          group: "root",
          mode: "0755",
        },
        when: "not h5b_skip_release_downloads",
        notify: [RESTART],
      },
      {
        name: "Link kubectl, crictl and ctr to k3s",
        "ansible.builtin.file": { src: K3S_BINARY, dest: "/usr/local/bin/{{ item }}", state: "link", force: true },
        loop: ["kubectl", "crictl", "ctr"],
      },
      {
        name: "Create the k3s configuration folder",
        "ansible.builtin.file": { path: "/etc/rancher/k3s", state: "directory", owner: "root", group: "root", mode: "0755" },
      },
      ...guardHostSecrets("h5b_k3s.secrets", "h5b_k3s_token_on_host"),
      {
        name: "Install the join token",
        "ansible.builtin.copy": { src: "{{ h5b_secrets_dir }}/k3s-token", dest: "{{ h5b_k3s_token_file }}", owner: "root", group: "root", mode: "0600" },
        diff: false,
        notify: [RESTART],
        when: `not (${pinned})`,
      },
      ...pinnedTokenTasks,
      ...overlayTasks("the k3s configuration and unit", [K3S_CONFIG_FILE, "/etc/rancher/k3s/config.yaml.d/", "/etc/systemd/system/k3s"], {
        notify: [RELOAD_SYSTEMD, RESTART],
      }),
      ...droppedManifestTasks,
      // Copied in name order, which the cluster emitter made the dependency order: k3s applies each file as it lands.
      ...overlayTasks("the auto-deploy manifests", [`${K3S_MANIFESTS_DIR}/`]),
      {
        // containerd loads its pod profile with apparmor_parser wherever the kernel has AppArmor on (Debian's does),
        // and every pod fails without it; Debian's kernel only recommends the package.
        name: "Install AppArmor's tools",
        "ansible.builtin.apt": { name: "apparmor", state: "present", update_cache: true, cache_valid_time: 3600 },
      },
      // A first deploy starts k3s once, with everything in place, rather than start it and restart it at the end.
      { name: "Apply what changed before k3s starts", "ansible.builtin.meta": "flush_handlers" },
      checkModeTolerant({
        name: "Enable and start k3s",
        "ansible.builtin.systemd": { name: "{{ h5b_k3s.unit }}", enabled: true, state: "started" },
      }),
    ],
    handlers: [reloadSystemdHandler(), checkModeTolerant({ name: RESTART, "ansible.builtin.systemd": { name: "{{ h5b_k3s.unit }}", state: "restarted" } })],
    vars: {
      [MANIFESTS]: K3S_MANIFESTS_DIR,
      h5b_k3s_binary: K3S_BINARY,
      h5b_k3s_token_file: K3S_TOKEN_FILE,
      h5b_k3s_server_token_file: K3S_SERVER_TOKEN_FILE,
      // The names of the manifests in the host's overlay.
      [KEPT]: `{{ h5b_overlay_files | map(attribute='path') | select('match', '${K3S_MANIFESTS_DIR.slice(1)}/') | map('basename') | list }}`,
    },
  };
  return roleFiles(role);
}

/**
 * What the k3s role installs on one node: its release and unit, and the join token it must not overwrite; for an
 * agent of a server that Ansible deploys (not k3OS), that server, whose token the agent takes.
 */
export function k3sVars(plan: Plan, host: PlanHost): Record<string, unknown> | undefined {
  if (host.k3s === undefined) return undefined;
  const server = plan.hosts.find((h) => h.name === plan.cluster.server);
  const pinned = host.k3s.role === "agent" && server?.os === "debian";
  return {
    role: host.k3s.role,
    version: host.k3s.version,
    unit: k3sUnitName(host),
    release: k3sRelease(host),
    ...(pinned ? { server_host: server.name } : {}),
    secrets: pinned ? [] : [{ name: "k3s-token", dest: K3S_TOKEN_FILE, guards: "the cluster" }],
  };
}

/** The unit file of each Debian k3s node, as the k3s installer writes it (Type=notify only on the server). */
export function k3sHostFiles(_plan: Plan, host: PlanHost): OutputFile[] {
  if (host.k3s === undefined) return [];
  const server = host.k3s.role === "server";
  return [
    linesFile(hostPath(host.name, `/etc/systemd/system/${k3sUnitName(host)}`), [
      "# Rendered by h5b: the unit k3s's installer writes, without the installer.",
      "[Unit]",
      `Description=Lightweight Kubernetes (k3s ${host.k3s.role})`,
      "Documentation=https://docs.k3s.io",
      "Wants=network-online.target",
      "After=network-online.target",
      "",
      "[Install]",
      "WantedBy=multi-user.target",
      "",
      "[Service]",
      `Type=${server ? "notify" : "exec"}`,
      "EnvironmentFile=-/etc/default/%N",
      "KillMode=process",
      "Delegate=yes",
      "User=root",
      "LimitNOFILE=1048576",
      "LimitNPROC=infinity",
      "LimitCORE=infinity",
      "TasksMax=infinity",
      "TimeoutStartSec=0",
      "Restart=always",
      "RestartSec=5s",
      "ExecStartPre=-/sbin/modprobe br_netfilter",
      "ExecStartPre=-/sbin/modprobe overlay",
      `ExecStart=${K3S_BINARY} ${host.k3s.role}`,
    ]),
  ];
}
