import { parse } from "yaml";
import { parseCidr } from "../_net.js";
import { parseTaint } from "../plan/taint.js";
import type { Plan } from "../plan/types.js";
import { tolerates } from "../simulate/filters.js";
import type { Toleration } from "../simulate/types.js";
import { nfsFindings } from "./_nfs-rules.js";
import { describe, type ManifestObject, renderedManifests } from "./manifests.js";
import type { Checker, Finding } from "./types.js";

const POOL_ANNOTATIONS = ["metallb.io/address-pool", "metallb.universe.tf/address-pool"];
const HOSTNAME_ANNOTATIONS = ["external-dns.kubernetes.io/hostname", "external-dns.alpha.kubernetes.io/hostname"];
/** containerd's own CNI paths, which k3s leaves in place when its flannel is off (flannel-backend: none). */
const CONTAINERD_CNI_PATHS = { binPath: "/opt/cni/bin", confPath: "/etc/cni/net.d" } as const;
const POD_TEMPLATES: Readonly<Record<string, (o: Record<string, unknown>) => unknown>> = {
  Deployment: (o) => dig(o, "spec", "template", "spec"),
  StatefulSet: (o) => dig(o, "spec", "template", "spec"),
  DaemonSet: (o) => dig(o, "spec", "template", "spec"),
  ReplicaSet: (o) => dig(o, "spec", "template", "spec"),
  Job: (o) => dig(o, "spec", "template", "spec"),
  CronJob: (o) => dig(o, "spec", "jobTemplate", "spec", "template", "spec"),
  Pod: (o) => dig(o, "spec"),
};

function dig(o: unknown, ...keys: string[]): unknown {
  let cur = o;
  for (const k of keys) cur = cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[k] : undefined;
  return cur;
}

/**
 * Checks one LoadBalancer service (or the chart-made ingress service's settings) against the design. The ingress is
 * the one exception to the Local policy: its Service has no pods behind it (Envoy runs in every Cilium agent).
 */
export function lbServiceFindings(plan: Plan, where: string, s: { annotations: unknown; externalTrafficPolicy: unknown; ipFamilyPolicy?: unknown }, check: string, chartMade = false): Finding[] {
  const f: Finding[] = [];
  const ann = (s.annotations ?? {}) as Record<string, unknown>;
  if (chartMade && s.externalTrafficPolicy !== "Cluster") {
    f.push({ check, where, message: "the Cilium ingress Service must use externalTrafficPolicy: Cluster: it has no endpoint on any node, so with Local MetalLB would announce it from none" });
  } else if (!chartMade && s.externalTrafficPolicy !== "Local") {
    f.push({ check, where, message: "a LoadBalancer service must use externalTrafficPolicy: Local (clients' source addresses, no extra hop)" });
  }
  const pool = POOL_ANNOTATIONS.map((a) => ann[a]).find((v) => v !== undefined);
  if (pool === undefined) f.push({ check, where, message: "a LoadBalancer service must name its MetalLB pool (metallb.io/address-pool)" });
  else if (!plan.cluster.pools.some((p) => p.name === pool)) f.push({ check, where, message: `pool ${String(pool)} is not one of ${plan.cluster.pools.map((p) => p.name).join(", ")}` });
  // external-dns reads one annotation prefix: 0.22 the new one only, older ones the alpha one only.
  const hostname = `${plan.cluster.externalDns.annotationPrefix}hostname`;
  if (typeof ann[hostname] !== "string") {
    const other = HOSTNAME_ANNOTATIONS.find((a) => typeof ann[a] === "string");
    const message = other === undefined ? `a LoadBalancer service must have a DNS name (${hostname})` : `the external-dns h5b runs reads ${hostname}, not ${other}: the service would get no DNS name`;
    f.push({ check, where, message });
  }
  if (!chartMade && plan.families.length === 2 && s.ipFamilyPolicy !== "PreferDualStack" && s.ipFamilyPolicy !== "RequireDualStack") {
    f.push({ check, where, message: "on a dual-stack LAN a LoadBalancer service must be PreferDualStack" });
  }
  return f;
}

/** Whether a pod template's tolerations let it onto nodes with the taint (Kubernetes' rule, as the simulator applies it). */
function toleratesTaint(tolerations: unknown, taint: string): boolean {
  const parsed = parseTaint(taint);
  return Array.isArray(tolerations) && (tolerations as Toleration[]).some((t) => tolerates(t, parsed));
}

export function designFindings(plan: Plan, objects: readonly ManifestObject[], check: string): Finding[] {
  const findings: Finding[] = [];
  for (const o of objects) {
    const where = `${o.file} (${describe(o)})`;
    const obj = o.object;
    if (obj.kind === "Service" && dig(obj, "spec", "type") === "LoadBalancer") {
      findings.push(...lbServiceFindings(plan, where, { annotations: dig(obj, "metadata", "annotations"), externalTrafficPolicy: dig(obj, "spec", "externalTrafficPolicy"), ipFamilyPolicy: dig(obj, "spec", "ipFamilyPolicy") }, check));
    }
    const template = typeof obj.kind === "string" ? POD_TEMPLATES[obj.kind]?.(obj) : undefined;
    if (template !== undefined && toleratesTaint(dig(template, "tolerations"), plan.cluster.controlPlaneTaint)) {
      findings.push({ check, where, message: `tolerates the control-plane taint ${plan.cluster.controlPlaneTaint}: workloads never run on the control plane` });
    }
    if (obj.kind === "IPAddressPool" && plan.families.length === 2) {
      const addrs = (dig(obj, "spec", "addresses") ?? []) as string[];
      const fams = new Set(addrs.map((a) => (a.includes(":") ? "ipv6" : "ipv4")));
      if (fams.size < 2) findings.push({ check, where, message: "a pool must hold both an IPv4 and an IPv6 range: MetalLB gives dual-stack services addresses from one pool only" });
      for (const a of addrs.filter((x) => x.includes("/"))) {
        const fam = a.includes(":") ? "ipv6" : "ipv4";
        const prefix = plan.lan[fam]?.prefix.cidr;
        if (prefix !== undefined) {
          const c = parseCidr(a);
          const p = parseCidr(prefix);
          if (c.first < p.first || c.last > p.last) findings.push({ check, where, message: `${a} is outside the LAN ${prefix}: MetalLB layer 2 only answers on the local segment` });
        }
      }
    }
    if (obj.kind === "HelmChart" && dig(obj, "spec", "chart") === "cilium") {
      const values = parse(String(dig(obj, "spec", "valuesContent") ?? "")) as Record<string, unknown> | null;
      const ic = dig(values, "ingressController") as Record<string, unknown> | undefined;
      if (ic?.enabled === true) {
        findings.push(...lbServiceFindings(plan, `${where} ingressController.service`, { annotations: dig(ic, "service", "annotations"), externalTrafficPolicy: dig(ic, "service", "externalTrafficPolicy") }, check, true));
      }
      const cni = (dig(values, "cni") ?? {}) as Record<string, unknown>;
      for (const [key, path] of Object.entries(CONTAINERD_CNI_PATHS)) {
        if (cni[key] !== undefined && cni[key] !== path) {
          findings.push({ check, where: `${where} cni.${key}`, message: `k3s runs without flannel, so its containerd reads CNI from ${path}; Cilium's ${String(cni[key])} would never be read and no node would turn Ready` });
        }
      }
      if (values?.kubeProxyReplacement !== true && values?.kubeProxyReplacement !== "true" && values?.kubeProxyReplacement !== "strict") {
        findings.push({ check, where, message: "k3s runs without kube-proxy, so Cilium must replace it (kubeProxyReplacement)" });
      }
    }
  }
  const kinds = new Set(objects.map((o) => o.object.kind));
  if (kinds.has("IPAddressPool") && !kinds.has("L2Advertisement")) {
    findings.push({ check, where: "manifests", message: "no L2Advertisement: MetalLB would assign addresses that nobody announces" });
  }
  findings.push(...nfsFindings(plan, objects, check));
  return findings;
}

/** The server's own config must carry the taint that keeps workloads off the control plane. */
function serverTaintFindings(plan: Plan, files: ReadonlyMap<string, string>, check: string): Finding[] {
  const server = plan.hosts.find((h) => h.name === plan.cluster.server);
  const path = server?.os === "k3os" ? `hosts/${plan.cluster.server}/var/lib/rancher/k3os/config.yaml` : `hosts/${plan.cluster.server}/etc/rancher/k3s/config.yaml`;
  const text = files.get(path);
  if (text === undefined) return [{ check, where: path, message: "the k3s server has no rendered configuration" }];
  const cfg = parse(text) as Record<string, unknown>;
  const taints = (server?.os === "k3os" ? dig(cfg, "k3os", "taints") : cfg["node-taint"]) as string[] | undefined;
  return (taints ?? []).includes(plan.cluster.controlPlaneTaint) ? [] : [{ check, where: path, message: `the server lacks the taint ${plan.cluster.controlPlaneTaint}: workloads could land on the control plane` }];
}

export const designRulesChecker: Checker = {
  name: "design-rules",
  description: "the seed's rules on the rendered objects: Local, pooled, named LB services; control plane kept free; dual-stack pools; the NFS server serving the storage class's share",
  async run(ctx) {
    const { objects } = renderedManifests(ctx.files);
    return { findings: [...designFindings(ctx.plan, objects, this.name), ...serverTaintFindings(ctx.plan, ctx.files, this.name)] };
  },
};
