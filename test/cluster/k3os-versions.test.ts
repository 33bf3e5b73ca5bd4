import { describe, expect, it } from "vitest";
import { ciliumValues } from "../../src/emit/cluster/cilium.js";
import { k3sFlags } from "../../src/emit/k3s/_flags.js";
import { buildPlan } from "../../src/plan/build.js";
import type { Plan } from "../../src/plan/types.js";
import type { HomelabInput } from "../../src/spec/homelab.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import { pisOnK3os } from "../_harness/k3os.js";
import { issuesOf, set } from "../spec/_helpers.js";

const specOf = (edit: (s: HomelabInput) => void = () => {}) => {
  const input = defaultHomelabInput();
  edit(input);
  return input;
};
const planOf = (input: HomelabInput): Plan => buildPlan(parseHomelab(input).spec);
const server = (plan: Plan) => k3sFlags(plan, plan.hosts.find((h) => h.name === plan.cluster.server) as Plan["hosts"][number]);

describe("the k3OS version set (k3s 1.22, Cilium 1.12)", () => {
  it("leaves the Cilium ingress out, with a warning: 1.12 has no shared ingress, so its address and name would lead nowhere", () => {
    const input = specOf(pisOnK3os);
    const plan = planOf(input);
    expect(ciliumValues(plan).ingressController).toEqual({ enabled: false });
    expect(plan.loadBalancers.map((lb) => lb.name)).not.toContain("cilium-ingress");
    expect(plan.cluster.cilium.ingress).toBeUndefined();
    expect(issuesOf(input).filter((i) => i.code === "cilium-ingress-unavailable").map((i) => [i.severity, i.path])).toEqual([["warning", "hosts.pi-cp.os"]]);
    // Said off: no warning. Current versions: the ingress runs.
    expect(issuesOf(specOf((s) => (pisOnK3os(s), set(s, "cluster.cilium", { ingress: { enabled: false } })))).map((i) => i.code)).not.toContain("cilium-ingress-unavailable");
    expect(planOf(specOf()).loadBalancers.map((lb) => lb.name)).toContain("cilium-ingress");
    // Nor does validation hold its ports for it: a public service may take 443.
    const web = specOf((s) => {
      pisOnK3os(s);
      set(s, "workloads.wireguard.ports", [{ name: "https", port: 443, protocol: "TCP" }]);
    });
    expect(issuesOf(web).filter((i) => i.severity === "error")).toEqual([]);
  });

  it("turns Pod Security admission on (alpha in Kubernetes 1.22), so the job spawners' baseline is enforced", () => {
    expect(server(planOf(specOf(pisOnK3os)))["kube-apiserver-arg"]).toEqual(["feature-gates=PodSecurity=true"]);
    expect(server(planOf(specOf()))["kube-apiserver-arg"]).toBeUndefined();
  });
});
