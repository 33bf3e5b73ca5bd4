import { nthAddress, parseCidr } from "../../_net.js";
import type { Plan } from "../../plan/types.js";
import { managedBy } from "./_helm.js";

const NAMESPACE = "kube-system";
/** The names k3s's own CoreDNS used, which pods and tools look for (`kube-dns` is the Service kubelets point at). */
const NAME = "coredns";
const SERVICE = "kube-dns";
const SELECTOR = { "k8s-app": "kube-dns" };
const IMAGE = "docker.io/coredns/coredns";
/** Architectures CoreDNS's image is published for, among those a spec can name (read by `h5b simulate`). */
const IMAGE_ARCHITECTURES = "amd64,arm64";
/** Cluster domain of the pods' names; k3s's default, which the kubelets are given too. */
export const CLUSTER_DOMAIN = "cluster.local";

/**
 * The cluster's DNS addresses: the tenth address of each service CIDR, the addresses k3s itself would choose, in the
 * cluster's family order. The server's config names them (`cluster-dns`), so the kubelets and this Service agree.
 */
export function clusterDnsAddresses(plan: Plan): string[] {
  return plan.families.map((f) => nthAddress(parseCidr(plan.services[f] as string), 10n));
}

/**
 * Pod DNS, in place of k3s's bundled CoreDNS (disabled in the server's config). k3s runs one replica that tolerates
 * the control plane's CriticalAddonsOnly taint: it can land on the control plane, and with that node down every pod
 * loses DNS, though the design keeps workloads serving without the control plane. Here two replicas run on the
 * workers only, never two on one node, with a disruption budget; the Corefile is k3s's without its
 * NodeHosts (k3s fills that file only for its own CoreDNS) and forwards to the node's resolver, Porygon.
 */
export function clusterDnsObjects(plan: Plan): Record<string, unknown>[] {
  const labels = { ...SELECTOR, ...managedBy };
  const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: NAMESPACE, labels, ...extra });
  const addresses = clusterDnsAddresses(plan);
  const corefile = [
    ".:53 {",
    "    errors",
    "    health {",
    "        lameduck 5s",
    "    }",
    "    ready",
    `    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {`,
    "        pods insecure",
    "        fallthrough in-addr.arpa ip6.arpa",
    "        ttl 30",
    "    }",
    "    prometheus :9153",
    "    forward . /etc/resolv.conf",
    "    cache 30",
    "    loop",
    "    reload",
    "    loadbalance",
    "}",
    "",
  ].join("\n");
  return [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(NAME) },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "h5b:coredns", labels },
      rules: [
        { apiGroups: [""], resources: ["endpoints", "services", "pods", "namespaces"], verbs: ["list", "watch"] },
        { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
      ],
    },
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "h5b:coredns", labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "h5b:coredns" },
      subjects: [{ kind: "ServiceAccount", name: NAME, namespace: NAMESPACE }],
    },
    { apiVersion: "v1", kind: "ConfigMap", metadata: meta(NAME), data: { Corefile: corefile } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: meta(NAME),
      spec: {
        replicas: 2,
        selector: { matchLabels: SELECTOR },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
        template: {
          metadata: { labels, annotations: { [`${plan.cluster.labelPrefix}/architectures`]: IMAGE_ARCHITECTURES } },
          spec: {
            priorityClassName: "system-cluster-critical",
            serviceAccountName: NAME,
            // Its upstream is the node's resolver (Porygon), not the cluster's own DNS.
            dnsPolicy: "Default",
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchExpressions: [{ key: `${plan.cluster.labelPrefix}/role`, operator: "In", values: ["worker"] }] }],
                },
              },
            },
            // DoNotSchedule: with a worker down its replacement waits for it rather than join the other replica, so the
            // two never end up on one node (ScheduleAnyway let them, for good, and that node's failure took DNS down).
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: SELECTOR } }],
            containers: [
              {
                name: NAME,
                image: `${IMAGE}:${plan.cluster.versions.coredns}`,
                args: ["-conf", "/etc/coredns/Corefile"],
                ports: [
                  { name: "dns", containerPort: 53, protocol: "UDP" },
                  { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                  { name: "metrics", containerPort: 9153, protocol: "TCP" },
                ],
                resources: { requests: { cpu: "100m", memory: "70Mi" }, limits: { memory: "170Mi" } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
                  readOnlyRootFilesystem: true,
                },
                livenessProbe: { httpGet: { path: "/health", port: 8080 }, initialDelaySeconds: 60, periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3 },
                readinessProbe: { httpGet: { path: "/ready", port: 8181 }, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 3 },
                volumeMounts: [{ name: "config", mountPath: "/etc/coredns", readOnly: true }],
              },
            ],
            volumes: [{ name: "config", configMap: { name: NAME, items: [{ key: "Corefile", path: "Corefile" }] } }],
          },
        },
      },
    },
    {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: meta(NAME),
      spec: { maxUnavailable: 1, selector: { matchLabels: SELECTOR } },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: meta(SERVICE, { annotations: { "prometheus.io/port": "9153", "prometheus.io/scrape": "true" } }),
      spec: {
        selector: SELECTOR,
        clusterIP: addresses[0],
        clusterIPs: addresses,
        ipFamilyPolicy: addresses.length > 1 ? "RequireDualStack" : "SingleStack",
        ports: [
          { name: "dns", port: 53, protocol: "UDP" },
          { name: "dns-tcp", port: 53, protocol: "TCP" },
          { name: "metrics", port: 9153, protocol: "TCP" },
        ],
      },
    },
  ];
}
