import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { H5bError } from "../../src/issue.js";
import { extraObjects, modelOf, simulate } from "../../src/simulate/index.js";
import { renderSpec } from "./_spec.js";

const dir = mkdtempSync(join(tmpdir(), "h5b-sim-model-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pod = (name: string, image: string, extra: Record<string, unknown> = {}) => ({
  metadata: { labels: { app: name } },
  spec: { containers: [{ name, image, resources: { requests: { cpu: "50m", memory: "64Mi" } } }], ...extra },
});

function manifests(name: string, docs: unknown[]): string {
  const d = join(dir, name);
  mkdirSync(join(d, "nested"), { recursive: true });
  writeFileSync(join(d, "nested", "apps.yaml"), docs.map((x) => stringify(x)).join("---\n"));
  return d;
}

describe("the model read from rendered and extra manifests", () => {
  const { plan, files } = renderSpec();
  const extra = manifests("extra", [
    { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "pihole", namespace: "dns" }, spec: { replicas: 2, selector: { matchLabels: { app: "pihole" } }, template: pod("pihole", "pihole/pihole:2025.11.0") } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "vpn2", namespace: "apps", annotations: { "h5b/architectures": "amd64,arm64", "h5b/essential": "true" } },
      spec: { replicas: 2, selector: { matchLabels: { app: "vpn2" } }, template: pod("vpn2", "example.org/vpn:2") },
    },
    { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "dash2", namespace: "apps" }, spec: { selector: { matchLabels: { app: "dash2" } }, template: pod("dash2", "ghcr.io/gethomepage/homepage:v1.4.0") } },
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "db", namespace: "apps" },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "db" } },
        template: pod("db", "postgres:18", {}),
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { storageClassName: "nfs" } }],
      },
    },
    { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "cache", namespace: "monitoring" }, spec: { storageClassName: "local-path" } },
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "node-exporter", namespace: "monitoring", annotations: { "h5b/architectures": "amd64,arm64" } },
      spec: {
        selector: { matchLabels: { app: "node-exporter" } },
        template: pod("node-exporter", "quay.io/prometheus/node-exporter:v1.10.0", {
          tolerations: [{ operator: "Exists" }],
          volumes: [
            { name: "root", hostPath: { path: "/" } },
            { name: "tmp", emptyDir: {} },
            { name: "cache", persistentVolumeClaim: { claimName: "cache" } },
          ],
        }),
      },
    },
    { apiVersion: "v1", kind: "Service", metadata: { name: "pihole", namespace: "dns", annotations: { "metallb.io/address-pool": "internal", "external-dns.kubernetes.io/hostname": "pihole.svc.home.example.org" } }, spec: { type: "LoadBalancer", externalTrafficPolicy: "Local", selector: { app: "pihole" } } },
  ]);
  const model = modelOf(plan, files, extraObjects(extra));
  const wl = (name: string) => model.workloads.find((w) => w.name === name);

  it("reads the nodes from the plan with the labels and taints k3s gives them", () => {
    expect(model.nodes.map((n) => [n.name, n.role, n.arch, n.taints.map((t) => `${t.key}=${t.value}:${t.effect}`)])).toEqual([
      ["pi-cp", "server", "arm64", ["CriticalAddonsOnly=true:NoExecute"]],
      ["pi-worker", "agent", "arm64", []],
      ["x86-1", "agent", "amd64", []],
    ]);
    expect(model.nodes[2]?.labels).toMatchObject({ "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": "x86-1", "h5b/role": "worker", "h5b/storage": "zfs" });
    expect(model.nodes[0]?.labels["node-role.kubernetes.io/control-plane"]).toBe("true");
  });

  it("reads the rendered workloads with the spec's architectures, requests and NFS claims", () => {
    expect(wl("media")).toMatchObject({ kind: "Deployment", replicas: 1, architectures: ["amd64"], architecturesFrom: "spec", request: { millicores: 2000, memoryBytes: 4 * 2 ** 30 }, volumes: [{ kind: "nfs", claim: "media-data" }] });
    // Its Secret (the VPN's config) is no storage: it stays up when NFS is down.
    expect(wl("wireguard")).toMatchObject({ essential: true, volumes: [{ kind: "other", name: "secret-files" }], spread: [{ whenUnsatisfiable: "ScheduleAnyway", topologyKey: "kubernetes.io/hostname" }] });
    expect(model.services.find((s) => s.name === "wireguard")).toMatchObject({ type: "LoadBalancer", local: true, pool: "public", dnsName: "wireguard.svc.home.example.org" });
    expect(model.services.find((s) => s.name === "wireguard")?.addresses).toHaveLength(2);
  });

  it("announces both pools from the workers only, as the rendered L2Advertisement says", () => {
    expect([...model.announcers.keys()].sort()).toEqual(["internal", "public"]);
    expect(model.announcers.get("public")).toEqual([[{ matchLabels: { "h5b/role": "worker" }, matchExpressions: [] }]]);
  });

  it("assumes amd64 for an image nobody declared, and says so", () => {
    expect(wl("pihole")).toMatchObject({ architectures: ["amd64"], architecturesFrom: "assumed" });
    expect(model.warnings.map((w) => [w.code, w.path])).toEqual([
      ["image-arch-unknown", `${join(extra, "nested", "apps.yaml")}: Deployment dns/pihole`],
      ["image-arch-unknown", `${join(extra, "nested", "apps.yaml")}: StatefulSet apps/db`],
    ]);
    expect(model.warnings[0]?.message).toContain('annotate it with h5b/architectures: "amd64,arm64"');
  });

  it("takes architectures and essential from annotations, or from the spec by image", () => {
    expect(wl("vpn2")).toMatchObject({ architectures: ["amd64", "arm64"], architecturesFrom: "annotation", essential: true });
    expect(wl("dash2")).toMatchObject({ architectures: ["amd64", "arm64"], architecturesFrom: "spec", essential: false });
  });

  it("reads the NFS server's hostPaths as the ZFS datasets they are, and its architectures from its annotation", () => {
    expect(wl("nfs-server")).toMatchObject({ architectures: ["amd64", "arm64"], architecturesFrom: "annotation", essential: false, nodeSelector: { "h5b/storage": "zfs" } });
    expect(wl("nfs-server")?.volumes.filter((v) => v.kind === "hostPath")).toEqual([
      { name: "dataset-1", kind: "hostPath", path: "/tank/k8s", dataset: "tank/k8s" },
      { name: "dataset-2", kind: "hostPath", path: "/tank/media", dataset: "tank/media" },
      { name: "v4recovery", kind: "hostPath", path: "/var/lib/h5b/nfs-server/v4recovery" },
    ]);
    expect(wl("nfs-server")?.priority).toBe(2000000000);
  });

  it("classifies volumes: NFS claim templates, hostPath, emptyDir and claims on other classes", () => {
    expect(wl("db")?.volumes).toEqual([{ name: "data", kind: "nfs", claim: "data-db-N" }]);
    expect(wl("node-exporter")?.volumes).toEqual([
      { name: "root", kind: "hostPath", path: "/" },
      { name: "tmp", kind: "emptyDir" },
      { name: "cache", kind: "other" },
    ]);
  });

  it("simulates the extra workloads beside the rendered ones", () => {
    const sim = simulate(model);
    const at = (scenario: string, row: string) => sim.scenarios.find((s) => s.id === scenario)?.outcomes[sim.rows.findIndex((r) => r.id === row)];
    expect(sim.placement[model.workloads.indexOf(wl("node-exporter") as never)]).toEqual(["pi-cp", "pi-worker", "x86-1"]);
    expect(at("x86-1", "Service dns/pihole")).toMatchObject({ status: "down", reasons: ["its 2 replicas ran on x86-1", "not rescheduled: no other worker runs amd64"] });
    expect(at("storage", "StatefulSet apps/db")?.reasons).toEqual(["its data is on NFS (claim data-db-N) and storage is down (ZFS/NFS failed on x86-1)"]);
    expect(at("pi-cp", "DaemonSet monitoring/node-exporter")).toMatchObject({ status: "degraded", ready: 2, desired: 3 });
    expect(sim.broken).toEqual([]);
  });

  it("rejects a workload it cannot read, naming file and object", () => {
    const bad = manifests("bad", [{ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "empty", namespace: "apps" }, spec: { template: { spec: {} } } }]);
    try {
      modelOf(plan, files, extraObjects(bad));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(H5bError);
      expect((e as H5bError).issues.map((i) => [i.code, i.path])).toEqual([["manifest-workload", `${join(bad, "nested", "apps.yaml")}: Deployment apps/empty`]]);
    }
  });
});
