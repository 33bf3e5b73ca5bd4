import { describe, expect, it } from "vitest";
import { clusterDnsAddresses, clusterDnsObjects } from "../../src/emit/cluster/cluster-dns.js";
import { k3sFlags } from "../../src/emit/k3s/_flags.js";
import { buildPlan } from "../../src/plan/build.js";
import type { Plan } from "../../src/plan/types.js";
import type { HomelabInput } from "../../src/spec/homelab.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import { ipv4Only } from "../spec/_helpers.js";

/** Parsed manifests, walked freely in assertions. */
type Any = any;

function planOf(edit: (s: HomelabInput) => void = () => {}): Plan {
  const input = defaultHomelabInput();
  edit(input);
  return buildPlan(parseHomelab(input).spec);
}

const byKind = (plan: Plan, kind: string): Any => clusterDnsObjects(plan).find((o) => o.kind === kind);
const server = (plan: Plan) => k3sFlags(plan, plan.hosts.find((h) => h.name === plan.cluster.server) as Plan["hosts"][number]);

describe("the cluster's DNS, in place of k3s's CoreDNS", () => {
  it("takes k3s's addresses, the tenth of each service CIDR, and tells the kubelets through cluster-dns", () => {
    const plan = planOf();
    expect(clusterDnsAddresses(plan)).toEqual(["10.43.0.10", "fd00:43::a"]);
    expect(byKind(plan, "Service").spec).toMatchObject({ clusterIP: "10.43.0.10", clusterIPs: ["10.43.0.10", "fd00:43::a"], ipFamilyPolicy: "RequireDualStack" });
    expect(server(plan)["cluster-dns"]).toBe("10.43.0.10,fd00:43::a");
    expect(server(plan).disable).toContain("coredns");
    const v4 = planOf(ipv4Only);
    expect(byKind(v4, "Service").spec).toMatchObject({ clusterIP: "10.43.0.10", clusterIPs: ["10.43.0.10"], ipFamilyPolicy: "SingleStack" });
  });

  it("runs two replicas on the workers only, never two on one node, never on the control plane", () => {
    const plan = planOf();
    const deployment = byKind(plan, "Deployment");
    const pod = deployment.spec.template.spec;
    expect(deployment.spec.replicas).toBe(2);
    expect(pod.tolerations).toBeUndefined();
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: `${plan.cluster.labelPrefix}/role`, operator: "In", values: ["worker"] }] },
    ]);
    expect(pod.topologySpreadConstraints).toEqual([
      { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { "k8s-app": "kube-dns" } } },
    ]);
    expect(byKind(plan, "PodDisruptionBudget").spec.maxUnavailable).toBe(1);
    // The node's resolver (Porygon) is its upstream; the cluster's own names it answers itself.
    expect(pod.dnsPolicy).toBe("Default");
    expect(byKind(plan, "ConfigMap").data.Corefile).toContain("kubernetes cluster.local in-addr.arpa ip6.arpa {");
    expect(byKind(plan, "ConfigMap").data.Corefile).toContain("forward . /etc/resolv.conf");
  });

  it("reads only what it serves: no Secrets, no writes", () => {
    const role = byKind(planOf(), "ClusterRole");
    expect(role.rules.flatMap((r: Any) => r.verbs)).toEqual(["list", "watch", "list", "watch"]);
    expect(role.rules.flatMap((r: Any) => r.resources)).not.toContain("secrets");
  });
});
