import { atLeast } from "../../plan/versions.js";
import type { Plan } from "../../plan/types.js";
import { helmChart } from "./_helm.js";
import { lbAnnotations } from "./_service.js";

export function ciliumValues(plan: Plan): Record<string, unknown> {
  const v = plan.cluster.versions.cilium;
  const ingress = plan.cluster.cilium.ingress;
  const ingressLb = plan.loadBalancers.find((lb) => lb.name === "cilium-ingress" && lb.namespace === "kube-system");
  return {
    // Before 1.14 the chart took a mode name; from 1.16 it only takes true/false.
    kubeProxyReplacement: atLeast(v, "1.14.0") ? true : "strict",
    k8sServiceHost: plan.cluster.apiServerAddress,
    k8sServicePort: plan.cluster.apiServerPort,
    ipv4: { enabled: true },
    ipv6: { enabled: plan.families.includes("ipv6") },
    // Use the per-node pod CIDRs that k3s allocates from cluster-cidr, so both families come from the spec.
    ipam: { mode: "kubernetes" },
    // No cni paths: k3s points its containerd at its own CNI folders only while its flannel runs. With
    // flannel-backend none, containerd reads its defaults, /etc/cni/net.d and /opt/cni/bin, which are also the
    // chart's; Cilium installs its plugin and loopback there.
    // MetalLB owns LoadBalancer addresses and their announcement; Cilium must not compete.
    ...(atLeast(v, "1.14.0") ? { l2announcements: { enabled: false } } : {}),
    ...(atLeast(v, "1.17.0") ? { defaultLBServiceIPAM: "none" } : atLeast(v, "1.13.0") ? { enableLBIPAM: false } : {}),
    hubble: { enabled: true, relay: { enabled: plan.cluster.cilium.hubbleRelay }, ui: { enabled: plan.cluster.cilium.hubbleUi } },
    ingressController:
      ingress !== undefined && ingressLb !== undefined
        ? {
            enabled: true,
            default: true,
            loadbalancerMode: "shared",
            // Cluster, not Local: the chart's Service has no selector and Cilium gives it one endpoint of its own
            // making (192.192.192.192:9999) on no node, so with Local no MetalLB speaker would ever announce the
            // address. Cilium hands the traffic to the Envoy of whichever node receives it, which passes the client's
            // address in X-Forwarded-For.
            service: { type: "LoadBalancer", externalTrafficPolicy: "Cluster", annotations: lbAnnotations(plan, ingressLb) },
          }
        : { enabled: false },
  };
}

export function ciliumChart(plan: Plan): Record<string, unknown> {
  return helmChart({
    name: "cilium",
    repo: "https://helm.cilium.io/",
    chart: "cilium",
    version: plan.cluster.versions.cilium,
    targetNamespace: "kube-system",
    // Nodes stay NotReady until the CNI runs, so the install job must run before it.
    bootstrap: true,
    values: ciliumValues(plan),
  });
}
