import { parseAllDocuments, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { checkers, runChecks } from "../../src/check/index.js";
import type { CheckContext } from "../../src/check/types.js";
import { renderWithTestSecrets } from "../_harness/golden.js";

const MANIFESTS = "hosts/pi-cp/var/lib/rancher/k3s/server/manifests";

async function context(config?: string): Promise<CheckContext & { files: Map<string, string> }> {
  const r = await renderWithTestSecrets(config);
  return { outDir: "/nonexistent", plan: r.plan, files: new Map(r.files.map((f) => [f.path, f.content])) };
}

/** Edits the objects of one rendered manifest file in place. */
function editManifest(ctx: { files: Map<string, string> }, file: string, edit: (objs: Record<string, any>[]) => void): void {
  const path = `${MANIFESTS}/${file}`;
  const objs = parseAllDocuments(ctx.files.get(path) ?? "").map((d) => d.toJS() as Record<string, any>);
  edit(objs);
  ctx.files.set(path, objs.map((o) => stringify(o)).join("---\n"));
}

// The broken cases concern the cluster's files; the DNS host's checkers (which start programs) have tests of their own.
const clusterCheckers = checkers.filter((c) => ["kubernetes-schema", "chart-values", "k3s-config", "design-rules", "rbac-audit"].includes(c.name));
const findingsOf = async (ctx: CheckContext) => (await runChecks(ctx, clusterCheckers)).findings.map((f) => `${f.check}: ${f.message}`);

describe("h5b check on rendered output", () => {
  it.each([undefined, "test/specs/pis-on-k3os.yaml", "test/specs/ipv4-only.yaml"])("%s has no findings", async (config) => {
    const report = await runChecks(await context(config), checkers);
    expect(report.findings).toEqual([]);
    expect(report.ran).toEqual(expect.arrayContaining(["kubernetes-schema", "chart-values", "k3s-config", "design-rules", "rbac-audit"]));
  });
});

/** Each case breaks the rendered output the way a bad emitter or a hand edit could, and names what must be found. */
const broken: readonly { name: string; edit: (ctx: { files: Map<string, string> }) => void; finding: RegExp }[] = [
  { name: "a Deployment without a selector", edit: (c) => editManifest(c, "h5b-60-app-dashboard.yaml", (o) => void delete o.find((x) => x.kind === "Deployment")!.spec.selector), finding: /kubernetes-schema: data\/spec must have required property selector/ },
  { name: "a Service with a bad ipFamilyPolicy", edit: (c) => editManifest(c, "h5b-60-app-dashboard.yaml", (o) => void (o.find((x) => x.kind === "Service")!.spec.ipFamilyPolicy = "DualStack")), finding: /kubernetes-schema: .*ipFamilyPolicy/ },
  { name: "a misspelled HelmChart field", edit: (c) => editManifest(c, "h5b-20-metallb.yaml", (o) => void (o[0]!.spec.targetNamspace = "x")), finding: /kubernetes-schema: \/spec must NOT have additional properties \('targetNamspace'\)/ },
  { name: "a pool without addresses", edit: (c) => editManifest(c, "h5b-21-metallb-pools.yaml", (o) => void delete o[0]!.spec.addresses), finding: /kubernetes-schema: \/spec must have required property 'addresses'/ },
  { name: "an unknown kind", edit: (c) => editManifest(c, "h5b-00-namespaces.yaml", (o) => void o.push({ apiVersion: "example.org/v1", kind: "Widget", metadata: { name: "w" } })), finding: /no schema for example.org\/v1\/Widget/ },
  { name: "a misspelled Cilium value", edit: (c) => editManifest(c, "h5b-10-cilium.yaml", (o) => void (o[0]!.spec.valuesContent += "\nkubeProxyReplacment: true")), finding: /chart-values: values must NOT have additional properties \('kubeProxyReplacment'\)/ },
  { name: "an old kube-proxy mode", edit: (c) => editManifest(c, "h5b-10-cilium.yaml", (o) => void (o[0]!.spec.valuesContent = o[0]!.spec.valuesContent.replace("kubeProxyReplacement: true", "kubeProxyReplacement: probe"))), finding: /chart-values: values\/kubeProxyReplacement/ },
  { name: "Cilium's CNI in k3s's flannel folders", edit: (c) => editManifest(c, "h5b-10-cilium.yaml", (o) => void (o[0]!.spec.valuesContent += "\ncni:\n  confPath: /var/lib/rancher/k3s/agent/etc/cni/net.d")), finding: /design-rules: k3s runs without flannel, so its containerd reads CNI from \/etc\/cni\/net\.d/ },
  { name: "the Cilium ingress with the Local policy", edit: (c) => editManifest(c, "h5b-10-cilium.yaml", (o) => void (o[0]!.spec.valuesContent = o[0]!.spec.valuesContent.replace("externalTrafficPolicy: Cluster", "externalTrafficPolicy: Local"))), finding: /design-rules: the Cilium ingress Service must use externalTrafficPolicy: Cluster/ },
  { name: "a LoadBalancer with the Cluster policy", edit: (c) => editManifest(c, "h5b-60-app-wireguard.yaml", (o) => void (o.find((x) => x.kind === "Service")!.spec.externalTrafficPolicy = "Cluster")), finding: /design-rules: a LoadBalancer service must use externalTrafficPolicy: Local/ },
  { name: "a LoadBalancer without a pool", edit: (c) => editManifest(c, "h5b-60-app-wireguard.yaml", (o) => void delete o.find((x) => x.kind === "Service")!.metadata.annotations["metallb.io/address-pool"]), finding: /design-rules: .*name its MetalLB pool/ },
  { name: "a LoadBalancer without a name", edit: (c) => editManifest(c, "h5b-60-app-dashboard.yaml", (o) => void delete o.find((x) => x.kind === "Service")!.metadata.annotations["external-dns.kubernetes.io/hostname"]), finding: /design-rules: .*DNS name/ },
  {
    name: "a LoadBalancer named with the annotation prefix external-dns 0.22 no longer reads",
    edit: (c) =>
      editManifest(c, "h5b-60-app-dashboard.yaml", (o) => {
        const ann = o.find((x) => x.kind === "Service")!.metadata.annotations;
        ann["external-dns.alpha.kubernetes.io/hostname"] = ann["external-dns.kubernetes.io/hostname"];
        delete ann["external-dns.kubernetes.io/hostname"];
      }),
    finding: /design-rules: .*reads external-dns\.kubernetes\.io\/hostname, not external-dns\.alpha/,
  },
  { name: "a single-stack LoadBalancer", edit: (c) => editManifest(c, "h5b-60-app-dashboard.yaml", (o) => void (o.find((x) => x.kind === "Service")!.spec.ipFamilyPolicy = "SingleStack")), finding: /design-rules: .*PreferDualStack/ },
  { name: "a workload tolerating the control plane's taint for every effect (an empty effect)", edit: (c) => editManifest(c, "h5b-60-app-dashboard.yaml", (o) => void (o.find((x) => x.kind === "Deployment")!.spec.template.spec.tolerations = [{ key: "CriticalAddonsOnly", operator: "Exists", effect: "" }])), finding: /design-rules: tolerates the control-plane taint/ },
  { name: "a workload tolerating the control plane", edit: (c) => editManifest(c, "h5b-60-app-dashboard.yaml", (o) => void (o.find((x) => x.kind === "Deployment")!.spec.template.spec.tolerations = [{ operator: "Exists" }])), finding: /design-rules: tolerates the control-plane taint/ },
  { name: "a single-family pool", edit: (c) => editManifest(c, "h5b-21-metallb-pools.yaml", (o) => void o[0]!.spec.addresses.pop()), finding: /design-rules: a pool must hold both/ },
  { name: "no L2Advertisement", edit: (c) => editManifest(c, "h5b-21-metallb-pools.yaml", (o) => void o.pop()), finding: /design-rules: no L2Advertisement/ },
  { name: "an NFS server with a misspelled probe", edit: (c) => editManifest(c, "h5b-39-nfs-server.yaml", (o) => void (o.find((x) => x.kind === "Deployment")!.spec.template.spec.containers[0].livenessProbe.tcpSocket = { prot: 2049 })), finding: /kubernetes-schema: .*livenessProbe\/tcpSocket must have required property port/ },
  { name: "an exports ConfigMap with a non-string value", edit: (c) => editManifest(c, "h5b-39-nfs-server.yaml", (o) => void (o.find((x) => x.kind === "ConfigMap")!.data.exports = 2049)), finding: /kubernetes-schema: .*data\/exports must be string/ },
  { name: "an NFS server on the pod network", edit: (c) => editManifest(c, "h5b-39-nfs-server.yaml", (o) => void delete o.find((x) => x.kind === "Deployment")!.spec.template.spec.hostNetwork), finding: /design-rules: the NFS server must use the host network/ },
  { name: "an NFS server free to run anywhere", edit: (c) => editManifest(c, "h5b-39-nfs-server.yaml", (o) => void delete o.find((x) => x.kind === "Deployment")!.spec.template.spec.nodeSelector), finding: /design-rules: the NFS server must be pinned to the storage host/ },
  { name: "no NFS server", edit: (c) => c.files.delete(`${MANIFESTS}/h5b-39-nfs-server.yaml`), finding: /design-rules: no NFS server \(Deployment kube-system\/nfs-server\)/ },
  { name: "a storage class on a share the server does not export", edit: (c) => editManifest(c, "h5b-40-csi-driver-nfs.yaml", (o) => void (o[0]!.spec.valuesContent = o[0]!.spec.valuesContent.replace("share: /k8s", "share: /tank/k8s"))), finding: /design-rules: the storage class's share \/tank\/k8s is not exported by the NFS server \(it exports \/exports, \/exports\/k8s, \/exports\/media under the root \/exports\)/ },
  { name: "a storage class on another server", edit: (c) => editManifest(c, "h5b-40-csi-driver-nfs.yaml", (o) => void (o[0]!.spec.valuesContent = o[0]!.spec.valuesContent.replace("server: 10.0.0.20", "server: 10.0.0.21"))), finding: /design-rules: the storage class mounts 10.0.0.21, not the storage host's address 10.0.0.20/ },
  { name: "exports without an NFSv4 root", edit: (c) => editManifest(c, "h5b-39-nfs-server.yaml", (o) => void (o.find((x) => x.kind === "ConfigMap")!.data.exports = o.find((x) => x.kind === "ConfigMap")!.data.exports.replaceAll("fsid=0,", ""))), finding: /design-rules: the storage class's share \/k8s is not exported by the NFS server \(its exports have no NFSv4 root \(fsid=0\)\)/ },
  { name: "a wildcard role", edit: (c) => editManifest(c, "h5b-50-rbac.yaml", (o) => void (o.find((x) => x.kind === "ClusterRole")!.rules[0].verbs = ["*"])), finding: /rbac-audit: rules\[0\]\.verbs has a wildcard/ },
  { name: "a cluster-admin binding", edit: (c) => editManifest(c, "h5b-50-rbac.yaml", (o) => void (o.find((x) => x.kind === "ClusterRoleBinding")!.roleRef.name = "cluster-admin")), finding: /rbac-audit: binds cluster-admin/ },
  { name: "a job spawner's namespace without Pod Security", edit: (c) => editManifest(c, "h5b-00-namespaces.yaml", (o) => void delete o.find((x) => x.metadata.name === "jobs")!.metadata.labels["pod-security.kubernetes.io/enforce"]), finding: /rbac-audit: rules\[0\] creates jobs in jobs, which does not enforce Pod Security's baseline level/ },
  { name: "monitoring creating pods", edit: (c) => editManifest(c, "h5b-50-rbac.yaml", (o) => void o.find((x) => x.kind === "ClusterRole")!.rules.push({ apiGroups: [""], resources: ["pods"], verbs: ["create"] })), finding: /rbac-audit: rules\[\d+\] creates pods in every namespace/ },
  { name: "monitoring reading Secrets", edit: (c) => editManifest(c, "h5b-50-rbac.yaml", (o) => void o.find((x) => x.kind === "ClusterRole")!.rules[0].resources.push("secrets")), finding: /rbac-audit: .*reads Secrets/ },
  { name: "an unknown k3s flag", edit: (c) => c.files.set("hosts/pi-worker/etc/rancher/k3s/config.yaml", `${c.files.get("hosts/pi-worker/etc/rancher/k3s/config.yaml")}node-lable: [a=b]\n`), finding: /k3s-config: node-lable is not a k3s flag/ },
  { name: "a server flag on an agent", edit: (c) => c.files.set("hosts/pi-worker/etc/rancher/k3s/config.yaml", `${c.files.get("hosts/pi-worker/etc/rancher/k3s/config.yaml")}cluster-cidr: 10.42.0.0/16\n`), finding: /k3s-config: cluster-cidr is a server flag/ },
  { name: "the server without its taint", edit: (c) => c.files.set("hosts/pi-cp/etc/rancher/k3s/config.yaml", (c.files.get("hosts/pi-cp/etc/rancher/k3s/config.yaml") ?? "").replace("  - CriticalAddonsOnly=true:NoExecute\n", "")), finding: /design-rules: the server lacks the taint/ },
];

describe("h5b check finds what is broken", () => {
  it.each(broken)("$name", async ({ edit, finding }) => {
    const ctx = await context();
    edit(ctx);
    expect(await findingsOf(ctx)).toEqual(expect.arrayContaining([expect.stringMatching(finding)]));
  });
});
