import { describe, expect, it } from "vitest";
import { workloadObjects } from "../../src/emit/cluster/workloads.js";
import { buildPlan } from "../../src/plan/build.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";

const plan = buildPlan(parseHomelab(defaultHomelabInput()).spec);
const container = (name: string) => {
  const w = plan.workloads.find((x) => x.name === name);
  if (w === undefined) throw new Error(`no workload ${name}`);
  const deployment = workloadObjects(plan, w).find((o) => o.kind === "Deployment") as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } };
  return deployment.spec.template.spec.containers[0] as Record<string, unknown>;
};

describe("a workload's container", () => {
  it("is ready once its first TCP port takes connections, with no liveness probe to kill a slow start", () => {
    for (const w of plan.workloads.filter((x) => x.ports.some((p) => p.protocol === "TCP"))) {
      const first = w.ports.find((p) => p.protocol === "TCP");
      expect({ w: w.name, probe: container(w.name).readinessProbe }).toEqual({ w: w.name, probe: { tcpSocket: { port: first?.name }, periodSeconds: 10, failureThreshold: 3 } });
      expect(container(w.name).livenessProbe).toBeUndefined();
    }
  });

  it("gets no probe with UDP ports only (a TCP connect cannot tell a VPN serves)", () => {
    expect(plan.workloads.find((w) => w.name === "wireguard")?.ports.every((p) => p.protocol === "UDP")).toBe(true);
    expect(container("wireguard").readinessProbe).toBeUndefined();
  });
});
