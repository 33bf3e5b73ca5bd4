import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { H5bError } from "../../src/issue.js";
import { extraObjects, modelOf, type Simulation, simulate } from "../../src/simulate/index.js";
import { renderSpec } from "./_spec.js";

const dir = mkdtempSync(join(tmpdir(), "h5b-sim-manifests-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let folders = 0;

/** The default homelab with the given extra manifests (one file), simulated. */
function withExtra(docs: readonly unknown[]): Simulation {
  const d = join(dir, `m${folders++}`);
  mkdirSync(d);
  writeFileSync(join(d, "a.yaml"), docs.map((x) => stringify(x)).join("---\n"));
  const { plan, files } = renderSpec();
  return simulate(modelOf(plan, files, extraObjects(d)));
}

const multiArch = { "h5b/architectures": "amd64,arm64" };
const workers = { nodeSelector: { "h5b/role": "worker" } };

function deployment(name: string, replicas: number, podSpec: Record<string, unknown>, container: Record<string, unknown> = { resources: { requests: { cpu: "10m" } } }) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "apps", annotations: multiArch },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { ...podSpec, containers: [{ name: "c", image: "busybox", ...container }] } } },
  };
}

const row = (sim: Simulation, id: string) => sim.rows.findIndex((r) => r.id === id);
const at = (sim: Simulation, scenario: string, id: string) => sim.scenarios.find((s) => s.id === scenario)?.outcomes[row(sim, id)];
const placed = (sim: Simulation, name: string) => sim.placement[sim.model.workloads.findIndex((w) => w.name === name)];

describe("the reviewer's manifests", () => {
  it("reserves a container's limits when it has no requests", () => {
    // 3700m leaves pi-worker (3750m allocatable, some of it taken) out: both replicas go to x86-1.
    const sim = withExtra([deployment("lim", 2, workers, { resources: { limits: { cpu: "3700m", memory: "6800Mi" } } })]);
    expect(placed(sim, "lim")).toEqual(["x86-1", "x86-1"]);
    const big = withExtra([deployment("big", 2, workers, { resources: { limits: { cpu: "9", memory: "1Gi" } } })]);
    expect(placed(big, "big")).toEqual(["x86-1"]);
    expect(at(big, "healthy", "Deployment apps/big")).toMatchObject({ status: "degraded", ready: 1, desired: 2 });
  });

  it("counts an inline NFS volume as the homelab's storage only when its server is the storage host", () => {
    const { plan } = renderSpec();
    const host = plan.hosts.find((h) => h.name === plan.storage?.host);
    const nfs = (name: string, server: string) => deployment(name, 1, { ...workers, volumes: [{ name: "d", nfs: { server, path: "/volume1/data" } }] });
    const sim = withExtra([nfs("nas", "192.168.1.50"), nfs("byaddress", host?.addresses.ipv4 ?? ""), nfs("byname", `${host?.fqdn.toUpperCase()}.`)]);
    expect(at(sim, "storage", "Deployment apps/nas")).toMatchObject({ status: "up", reasons: [] });
    expect(sim.model.workloads.find((w) => w.name === "nas")?.volumes).toEqual([{ name: "d", kind: "other" }]);
    expect(at(sim, "storage", "Deployment apps/byaddress")?.status).toBe("down");
    expect(at(sim, "storage", "Deployment apps/byname")?.status).toBe("down");
  });

  it("reads built-in kinds by group and kind: another group's Deployment is a custom resource, left alone", () => {
    const sim = withExtra([
      { apiVersion: "example.com/v1", kind: "Foo", metadata: { name: "x" }, spec: { template: null } },
      { apiVersion: "apps.example.com/v1", kind: "Deployment", metadata: { name: "fake", namespace: "apps" }, spec: {} },
      { apiVersion: "serving.knative.dev/v1", kind: "Service", metadata: { name: "kn", namespace: "apps" }, spec: { selector: { app: "kn" } } },
    ]);
    expect(sim.model.workloads.map((w) => w.name)).not.toContain("fake");
    expect(sim.model.services.map((s) => s.name)).not.toContain("kn");
  });

  it("gives the nodes the beta labels the kubelet still sets and k3s's instance type", () => {
    const exporter = {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "exporter", namespace: "apps", annotations: multiArch },
      spec: {
        selector: { matchLabels: { app: "exporter" } },
        template: { metadata: { labels: { app: "exporter" } }, spec: { nodeSelector: { "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/instance-type": "k3s" }, containers: [{ name: "c", image: "busybox" }] } },
      },
    };
    const sim = withExtra([exporter]);
    expect(placed(sim, "exporter")).toEqual(["pi-worker", "x86-1"]);
    expect(sim.model.nodes.find((n) => n.name === "x86-1")?.labels).toMatchObject({ "beta.kubernetes.io/arch": "amd64", "node.kubernetes.io/instance-type": "k3s" });
  });

  it("refuses an object defined twice, naming both files", () => {
    const dashboard = deployment("dashboard", 1, {});
    try {
      withExtra([dashboard]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(H5bError);
      const [issue, ...rest] = (e as H5bError).issues;
      expect(rest).toEqual([]);
      expect(issue).toMatchObject({ code: "manifest-duplicate", severity: "error", path: expect.stringMatching(/a\.yaml: Deployment apps\/dashboard$/) });
      expect(issue?.message).toBe("is also defined in hosts/pi-cp/var/lib/rancher/k3s/server/manifests/h5b-60-app-dashboard.yaml: Kubernetes keeps one of them; rename this one, or leave it out");
    }
    // The same name in another group is another object.
    expect(() => withExtra([{ ...dashboard, apiVersion: "apps.example.com/v1" }])).not.toThrow();
  });

  it("reads a spread's minDomains and nodeAffinityPolicy", () => {
    const rule = { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", labelSelector: { matchLabels: { app: "md" } } };
    const sim = withExtra([
      deployment("md", 3, { ...workers, topologySpreadConstraints: [{ ...rule, minDomains: 3 }] }),
      deployment("ig", 1, { ...workers, topologySpreadConstraints: [{ ...rule, nodeAffinityPolicy: "Ignore" }] }),
    ]);
    expect(sim.model.workloads.find((w) => w.name === "ig")?.spread).toMatchObject([{ nodeAffinityPolicy: "Ignore" }]);
    // Two workers, three domains asked for: the third replica stays pending.
    expect(placed(sim, "md")).toHaveLength(2);
    expect(at(sim, "healthy", "Deployment apps/md")?.reasons.join("; ")).toContain("1 of 3 replicas cannot be placed");
  });

  it("models a bare Pod as one replica nothing recreates, a ReplicaSet as a Deployment, and says it leaves Jobs out", () => {
    const rs = { ...deployment("rs1", 2, workers), kind: "ReplicaSet" };
    const bare = { apiVersion: "v1", kind: "Pod", metadata: { name: "barepod", namespace: "apps", labels: { app: "bare" }, annotations: multiArch }, spec: { ...workers, containers: [{ name: "c", image: "busybox" }] } };
    const service = { apiVersion: "v1", kind: "Service", metadata: { name: "bare", namespace: "apps" }, spec: { selector: { app: "bare" }, ports: [{ port: 80 }] } };
    const job = { apiVersion: "batch/v1", kind: "Job", metadata: { name: "once", namespace: "apps" }, spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } } };
    const sim = withExtra([rs, bare, service, job]);
    expect(at(sim, "healthy", "Service apps/bare")).toMatchObject({ status: "up", ready: 1, desired: 1 });
    const ranOn = placed(sim, "barepod")?.[0] as string;
    expect(at(sim, ranOn, "Service apps/bare")).toMatchObject({ status: "down", reasons: [`barepod: its only replica ran on ${ranOn}`, "barepod: not recreated: a bare Pod has no controller to replace it"] });
    expect(placed(sim, "rs1")).toEqual(["pi-worker", "x86-1"]);
    expect(at(sim, "pi-worker", "ReplicaSet apps/rs1")).toMatchObject({ status: "degraded", ready: 2, reasons: ["1 of 2 replicas ran on pi-worker", "rescheduled on x86-1 after the 5-minute eviction timeout"] });
    expect(sim.model.warnings.map((w) => [w.code, w.path.replace(/^.*: /, "")])).toEqual([["workload-not-simulated", "Job apps/once"]]);
  });

  it("preempts by PriorityClass: the reviewer's filler makes room for the essential vip", () => {
    const high = { apiVersion: "scheduling.k8s.io/v1", kind: "PriorityClass", metadata: { name: "high" }, value: 1000000 };
    const filler = deployment("filler", 1, { nodeSelector: { "kubernetes.io/hostname": "pi-worker" } }, { resources: { requests: { cpu: "2", memory: "2Gi" } } });
    const vip = deployment("vip", 2, { ...workers, priorityClassName: "high" }, { resources: { requests: { cpu: "1", memory: "1Gi" } } });
    const sim = withExtra([high, filler, vip]);
    expect(placed(sim, "vip")).toEqual(["x86-1", "pi-worker"]);
    expect(at(sim, "x86-1", "Deployment apps/vip")).toMatchObject({ status: "degraded", ready: 2, reasons: ["1 of 2 replicas ran on x86-1", "rescheduled on pi-worker after the 5-minute eviction timeout", "preempting apps/filler on pi-worker (lower priority)"] });
    const polite = withExtra([{ ...high, preemptionPolicy: "Never" }, filler, vip]);
    expect(polite.model.workloads.find((w) => w.name === "vip")).toMatchObject({ priority: 1000000, preemptionPolicy: "Never" });
    expect(at(polite, "x86-1", "Deployment apps/filler")?.status).toBe("up");
    expect(at(sim, "x86-1", "Deployment apps/filler")).toMatchObject({ status: "down", readyAtFailure: 1, ready: 0, reasons: ["its only replica was preempted on pi-worker by apps/vip (higher priority)", expect.stringMatching(/^not rescheduled: no node can take it \(pi-worker: /)] });
  });
});
