import type { Plan, PlanHost } from "../../plan/types.js";
import { EVICTION_HARD_BYTES } from "../../plan/capacity.js";
import { atLeast } from "../../plan/versions.js";
import { clusterDnsAddresses } from "../cluster/cluster-dns.js";

/** Where Ansible puts the join token on Debian nodes (the token itself never enters the rendered tree). */
export const K3S_TOKEN_FILE = "/etc/rancher/k3s/token";
export const K3S_CONFIG_FILE = "/etc/rancher/k3s/config.yaml";
export const K3S_MANIFESTS_DIR = "/var/lib/rancher/k3s/server/manifests";

const joinFamilies = (plan: Plan, pair: { ipv4: string; ipv6?: string }) => plan.families.map((f) => pair[f] as string).join(",");

/**
 * The k3s settings of one node as flag name -> value, the form both k3s's config.yaml (keys without `--`)
 * and k3OS's `k3s_args` are made from. The design's fixed choices live here once.
 */
export function k3sFlags(plan: Plan, host: PlanHost): Record<string, string | boolean | readonly string[]> {
  const k3s = host.k3s;
  if (k3s === undefined) throw new Error(`${host.name} is not a k3s node`);
  const reserved = k3s.systemReserved;
  const common = {
    "node-name": host.name,
    "node-ip": joinFamilies(plan, host.addresses),
    "node-label": Object.entries(k3s.labels).map(([k, v]) => `${k}=${v}`),
    ...(k3s.taints.length > 0 ? { "node-taint": [...k3s.taints] } : {}),
    // Without a reserve the kubelet hands pods everything: a full node starves k3s and the Cilium agent, and the
    // capacity that validation and the simulator count with would not be the scheduler's. k3s sets its own hard
    // eviction thresholds for the disks only, which replace the kubelet's defaults, memory's among them: without it
    // restated here a node short of memory has the kernel kill processes instead of the kubelet evicting pods.
    "kubelet-arg": [
      `system-reserved=cpu=${reserved.millicores}m,memory=${reserved.memoryBytes / 2 ** 20}Mi`,
      `eviction-hard=memory.available<${EVICTION_HARD_BYTES / 2 ** 20}Mi,imagefs.available<5%,nodefs.available<5%`,
    ],
  };
  if (k3s.role === "agent") return { server: plan.cluster.apiServerUrl, ...common };
  // Disabling local-storage keeps k3s's local-path class from competing with the NFS default class; h5b renders the
  // cluster's DNS itself (two replicas on the workers, see clusterDnsObjects), at the addresses k3s would choose.
  const disable = ["coredns", "servicelb", "traefik", ...(plan.storage !== undefined ? ["local-storage"] : [])];
  return {
    ...common,
    "tls-san": [...plan.cluster.tlsSan],
    "cluster-cidr": joinFamilies(plan, plan.pods),
    "service-cidr": joinFamilies(plan, plan.services),
    "cluster-dns": clusterDnsAddresses(plan).join(","),
    "flannel-backend": "none",
    "disable-network-policy": true,
    "disable-kube-proxy": true,
    disable,
    "secrets-encryption": true,
    "write-kubeconfig-mode": "0600",
    // Pod Security admission is alpha in Kubernetes 1.22 (k3OS's k3s), off unless its feature gate is on: without
    // it the job spawners' namespaces would enforce nothing (the audit trusts their baseline label). Before 1.22
    // the gate does not exist, and the API server would refuse to start with it.
    ...(atLeast(plan.cluster.versions.k3s, "1.22.0") && !atLeast(plan.cluster.versions.k3s, "1.23.0") ? { "kube-apiserver-arg": ["feature-gates=PodSecurity=true"] } : {}),
  };
}
