import { parse } from "yaml";
import type { Checker, Finding } from "./types.js";

/**
 * k3s silently skips a config.yaml key it does not know ("Unknown flag ... skipping"), and an agent skips server
 * flags the same way, so a typo would go unnoticed until the cluster misbehaves. Flag names of k3s v1.36.
 */
const COMMON = [
  "config", "debug", "data-dir", "token", "token-file", "server", "node-name", "with-node-id", "node-label", "node-taint", "node-ip",
  "node-external-ip", "node-internal-dns", "node-external-dns", "resolv-conf", "flannel-iface", "flannel-conf", "flannel-cni-conf",
  "kubelet-arg", "kube-proxy-arg", "protect-kernel-defaults", "selinux", "lb-server-port", "private-registry", "system-default-registry",
  "container-runtime-endpoint", "default-runtime", "image-service-endpoint", "snapshotter", "pause-image", "prefer-bundled-bin",
  "vpn-auth", "vpn-auth-file", "rootless", "airgap-extra-registry", "disable-default-registry-endpoint", "nonroot-devices", "log", "v",
];
const SERVER_ONLY = [
  "bind-address", "advertise-address", "advertise-port", "tls-san", "tls-san-security", "https-listen-port", "supervisor-port", "apiserver-port",
  "apiserver-bind-address", "cluster-cidr", "service-cidr", "service-node-port-range", "cluster-dns", "cluster-domain", "flannel-backend",
  "flannel-ipv6-masq", "flannel-external-ip", "egress-selector-mode", "servicelb-namespace", "write-kubeconfig", "write-kubeconfig-mode",
  "write-kubeconfig-group", "helm-job-image", "agent-token", "agent-token-file", "cluster-init", "cluster-reset", "cluster-reset-restore-path",
  "kube-apiserver-arg", "etcd-arg", "kube-controller-manager-arg", "kube-scheduler-arg", "kube-cloud-controller-manager-arg",
  "datastore-endpoint", "datastore-cafile", "datastore-certfile", "datastore-keyfile", "etcd-expose-metrics", "etcd-disable-snapshots",
  "etcd-snapshot-schedule-cron", "etcd-snapshot-retention", "etcd-snapshot-dir", "etcd-snapshot-compress", "default-local-storage-path",
  "disable", "disable-scheduler", "disable-cloud-controller", "disable-kube-proxy", "disable-network-policy", "disable-helm-controller",
  "disable-apiserver", "disable-controller-manager", "disable-etcd", "embedded-registry", "supervisor-metrics", "secrets-encryption",
  "secrets-encryption-provider", "enable-pprof",
];
const DISABLE_VALUES = new Set(["coredns", "servicelb", "traefik", "local-storage", "metrics-server", "runtimes"]);
const CONFIG = /^hosts\/([^/]+)\/etc\/rancher\/k3s\/config\.yaml$/;

export function k3sConfigFindings(path: string, text: string, role: "server" | "agent", check: string): Finding[] {
  const known = new Set(role === "server" ? [...COMMON, ...SERVER_ONLY] : COMMON);
  const cfg = parse(text) as Record<string, unknown> | null;
  const findings: Finding[] = [];
  for (const key of Object.keys(cfg ?? {})) {
    const flag = key.replace(/\+$/, "");
    if (!known.has(flag)) {
      const why = role === "agent" && SERVER_ONLY.includes(flag) ? "is a server flag, which an agent skips" : "is not a k3s flag; k3s would skip it";
      findings.push({ check, where: path, message: `${key} ${why}` });
    }
  }
  const disable = cfg?.disable;
  for (const d of Array.isArray(disable) ? disable : disable !== undefined ? [disable] : []) {
    if (!DISABLE_VALUES.has(String(d))) findings.push({ check, where: path, message: `disable: ${String(d)} is not a packaged component` });
  }
  for (const label of Array.isArray(cfg?.["node-label"]) ? (cfg["node-label"] as unknown[]) : []) {
    if (String(label).startsWith("node-role.kubernetes.io/")) findings.push({ check, where: path, message: `${String(label)}: the kubelet refuses node-role labels and k3s would not start` });
  }
  return findings;
}

export const k3sConfigChecker: Checker = {
  name: "k3s-config",
  description: "every k3s config.yaml key is a flag k3s knows for that node's role",
  async run(ctx) {
    const findings: Finding[] = [];
    for (const [path, text] of ctx.files) {
      const m = CONFIG.exec(path);
      if (m === null) continue;
      const host = ctx.plan.hosts.find((h) => h.name === m[1]);
      findings.push(...k3sConfigFindings(path, text, host?.k3s?.role ?? "agent", this.name));
    }
    return { findings };
  },
};
