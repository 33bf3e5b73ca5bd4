import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { parseExports } from "../../src/check/_nfs-rules.js";
import { emitClusterManifests } from "../../src/emit/cluster/index.js";
import { nfsServerObjects } from "../../src/emit/cluster/nfs-server.js";
import { buildPlan } from "../../src/plan/build.js";
import type { Plan } from "../../src/plan/types.js";
import { currentVersions } from "../../src/plan/versions.js";
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

const MANIFESTS = "hosts/pi-cp/var/lib/rancher/k3s/server/manifests";

/** The rendered server (ConfigMap and Deployment) and the csi-driver-nfs values, as k3s would read them. */
function rendered(plan: Plan) {
  const files = new Map(emitClusterManifests(plan).map((f) => [f.path, f.content]));
  const docs = (name: string) => parseAllDocuments(files.get(`${MANIFESTS}/${name}`) ?? "").map((d) => d.toJS() as Any);
  const [configMap, deployment] = docs("h5b-39-nfs-server.yaml");
  const chart = docs("h5b-40-csi-driver-nfs.yaml")[0];
  const pod = deployment.spec.template.spec;
  const server = pod.containers.find((c: Any) => c.name === "nfs-server");
  const values = parse(chart.spec.valuesContent) as Any;
  return { files, configMap, deployment, pod, server, storageClass: values.storageClass, exports: parseExports(configMap.data.exports) };
}

describe("the NFS server pod", () => {
  const plan = planOf();
  const r = rendered(plan);

  it("comes right before the storage class in k3s's name order, in kube-system", () => {
    const names = [...r.files.keys()].map((p) => p.slice(MANIFESTS.length + 1));
    expect(names.indexOf("h5b-39-nfs-server.yaml")).toBe(names.indexOf("h5b-40-csi-driver-nfs.yaml") - 1);
    expect([r.configMap.metadata, r.deployment.metadata].map((m: Any) => `${m.namespace}/${m.name}`)).toEqual(["kube-system/nfs-server-exports", "kube-system/nfs-server"]);
  });

  it("is one pod pinned to the storage host by its node label, on the host's network", () => {
    const host = plan.hosts.find((h) => h.name === plan.storage?.host);
    expect(r.deployment.spec).toMatchObject({ replicas: 1, strategy: { type: "Recreate" } });
    expect(r.pod.nodeSelector).toEqual({ "h5b/storage": "zfs" });
    expect(host?.k3s?.labels).toMatchObject(r.pod.nodeSelector);
    expect(plan.hosts.filter((h) => h.k3s?.labels["h5b/storage"] === "zfs").map((h) => h.name)).toEqual(["x86-1"]);
    expect(r.pod.hostNetwork).toBe(true);
    expect(r.pod.priorityClassName).toBe("system-cluster-critical");
    expect(r.pod.tolerations).toBeUndefined();
  });

  it("serves each dataset marked nfs from a hostPath of its mountpoint, under the NFSv4 root", () => {
    const volumes = new Map(r.pod.volumes.map((v: Any) => [v.name, v]));
    const mounts = r.server.volumeMounts.map((m: Any) => ({ path: m.mountPath, volume: volumes.get(m.name) as Any }));
    const datasets = mounts.filter((m: Any) => m.volume.hostPath?.type === "Directory").map((m: Any) => [m.path, m.volume.hostPath.path]);
    expect(datasets).toEqual([
      ["/exports/k8s", "/tank/k8s"],
      ["/exports/media", "/tank/media"],
    ]);
    expect(datasets.map(([, host]: string[]) => host)).toEqual(plan.storage?.datasets.filter((d) => d.nfs).map((d) => d.mountpoint));
    expect(mounts.find((m: Any) => m.path === "/exports")?.volume).toEqual({ name: "nfs-root", emptyDir: {} });
    expect(mounts.find((m: Any) => m.path === "/etc/exports")?.volume).toEqual({ name: "exports", configMap: { name: "nfs-server-exports" } });
  });

  it("refuses to start on a dataset that is not mounted", () => {
    const init = r.pod.initContainers[0];
    expect(init.volumeMounts.map((m: Any) => [m.mountPath, m.readOnly])).toEqual([
      ["/exports/k8s", true],
      ["/exports/media", true],
    ]);
    expect(init.command.slice(0, 2)).toEqual(["sh", "-c"]);
    expect(init.command[2]).toContain("for d in /exports/k8s /exports/media; do grep -q \" $d zfs \" /proc/self/mounts ||");
    expect(init.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
  });

  it("drives the kernel's nfsd from a privileged container, NFSv4.2 only, probed on 2049", () => {
    expect(r.server.securityContext).toEqual({ privileged: true });
    expect(r.server.env).toEqual([
      { name: "NFS_VERSION", value: "4.2" },
      { name: "NFS_DISABLE_VERSION_3", value: "1" },
    ]);
    expect(r.server.ports).toEqual([{ name: "nfs", containerPort: 2049, protocol: "TCP" }]);
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) expect(r.server[probe].tcpSocket, probe).toEqual({ port: 2049 });
    expect(r.server.resources).toEqual({ requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "256Mi" } });
  });

  it("keeps the kernel's NFSv4 client records on the host, across restarts of the pod", () => {
    const mount = r.server.volumeMounts.find((m: Any) => m.mountPath === "/var/lib/nfs/v4recovery");
    expect(r.pod.volumes.find((v: Any) => v.name === mount.name)).toEqual({ name: "v4recovery", hostPath: { path: "/var/lib/h5b/nfs-server/v4recovery", type: "DirectoryOrCreate" } });
  });

  it("runs the pinned image, or the tag the spec asks for", () => {
    expect(r.server.image).toBe(`ghcr.io/obeone/nfs-server:${currentVersions.nfsServer}`);
    expect(r.server.image).toBe("ghcr.io/obeone/nfs-server:2.2.3");
    expect(r.pod.initContainers[0].image).toBe(r.server.image);
    for (const given of ["2.2.4", "v2.2.4"]) {
      const other = rendered(planOf((s) => void ((s.cluster as Any).versions = { nfsServer: given })));
      expect(other.server.image, given).toBe("ghcr.io/obeone/nfs-server:2.2.4");
    }
  });

  it("exports the NFSv4 root read-only and each dataset read-write, to the k3s nodes' addresses only", () => {
    const nodes = ["10.0.0.10", "2001:db8:10::10", "10.0.0.11", "2001:db8:10::11", "10.0.0.20", "2001:db8:10::20"];
    expect(plan.storage?.nfs.clients).toEqual(nodes);
    expect(r.exports.map((e) => e.path)).toEqual(["/exports", "/exports/k8s", "/exports/media"]);
    const text = r.configMap.data.exports as string;
    for (const addr of ["10.0.0.53", "10.0.0.1", "10.0.0.0/16"]) expect(text, addr).not.toContain(`${addr}(`);
    const clients = (path: string) => text.replace(/\\\n/g, " ").split("\n").find((l) => l.startsWith(`${path} `))?.split(/\s+/).slice(1);
    expect(clients("/exports")).toEqual(nodes.map((n) => `${n}(ro,fsid=0,no_subtree_check)`));
    expect(clients("/exports/k8s")).toEqual(nodes.map((n) => `${n}(rw,sync,no_subtree_check,no_root_squash)`));
  });

  it("rolls the pod when its exports change (a subPath mount never sees the ConfigMap change)", () => {
    const hash = (x: ReturnType<typeof rendered>) => x.deployment.spec.template.metadata.annotations["h5b/exports-sha256"];
    const fewer = rendered(planOf((s) => void ((s.storage as Any).zfs.datasets.media.nfs = false)));
    expect(hash(r)).toMatch(/^[0-9a-f]{64}$/);
    expect(hash(fewer)).not.toBe(hash(r));
    expect(fewer.exports.map((e) => e.path)).toEqual(["/exports", "/exports/k8s"]);
    expect(rendered(planOf()).deployment).toEqual(r.deployment);
  });

  it("tells the simulator its image's architectures", () => {
    expect(r.deployment.spec.template.metadata.annotations["h5b/architectures"]).toBe("amd64,arm64");
  });
});

describe("the storage class on the NFS server", () => {
  const cases: readonly { name: string; edit: (s: HomelabInput) => void; server: string; share: string; exported: string }[] = [
    { name: "the default spec", edit: () => {}, server: "10.0.0.20", share: "/k8s", exported: "/exports/k8s" },
    { name: "an IPv4-only LAN", edit: ipv4Only, server: "10.0.0.20", share: "/k8s", exported: "/exports/k8s" },
    { name: "another dataset and class", edit: (s) => void Object.assign((s.storage as Any).nfs, { dataset: "media", storageClass: "zfs-nfs" }), server: "10.0.0.20", share: "/media", exported: "/exports/media" },
    { name: "another pool", edit: (s) => void ((s.storage as Any).zfs.pool = "data"), server: "10.0.0.20", share: "/k8s", exported: "/exports/k8s" },
  ];

  it.each(cases)("$name: mounts what the server exports, at the storage host's address", ({ edit, server, share, exported }) => {
    const plan = planOf(edit);
    const r = rendered(plan);
    // A folder per claim named after it, never deleted by the driver.
    expect(r.storageClass.parameters).toEqual({ server, share, subDir: "${pvc.metadata.namespace}/${pvc.metadata.name}", onDelete: "retain" });
    expect(plan.storage?.nfs).toMatchObject({ server, exportPath: share });
    const root = r.exports.find((e) => e.options.includes("fsid=0"))?.path;
    expect(`${root}${share}`).toBe(exported);
    expect(r.exports.map((e) => e.path)).toContain(exported);
    const dataset = plan.storage?.datasets.find((d) => `${plan.storage?.nfs.dataset}` === d.fullName);
    const mount = r.server.volumeMounts.find((m: Any) => m.mountPath === exported);
    expect(r.pod.volumes.find((v: Any) => v.name === mount.name).hostPath.path).toBe(dataset?.mountpoint);
  });

  it("mounts with the NFS version the server offers", () => {
    const r = rendered(planOf());
    expect(r.storageClass.mountOptions).toEqual(["nfsvers=4.2", "hard"]);
    expect(r.server.env.find((e: Any) => e.name === "NFS_VERSION").value).toBe("4.2");
  });

  it("exports to IPv4 nodes only on an IPv4-only LAN", () => {
    const plan = planOf(ipv4Only);
    expect(plan.storage?.nfs.clients).toEqual(["10.0.0.10", "10.0.0.11", "10.0.0.20"]);
    expect(rendered(plan).configMap.data.exports).not.toContain("2001:db8");
  });
});

describe("the NFS server's edges", () => {
  it("tolerates exactly the storage host's own taints, so that it still lands there", () => {
    const plan = planOf((s) => void ((s.hosts["x86-1"] as Any).taints = ["dedicated=storage:NoSchedule", "storage-only:NoExecute"]));
    expect((nfsServerObjects(plan)[1] as Any).spec.template.spec.tolerations).toEqual([
      { key: "dedicated", operator: "Equal", value: "storage", effect: "NoSchedule" },
      { key: "storage-only", operator: "Exists", effect: "NoExecute" },
    ]);
  });

  it("is not rendered without storage", () => {
    const plan = planOf((s) => {
      delete (s as Any).storage;
      delete (s as Any).backups;
      for (const w of Object.values(s.workloads as Record<string, Any>)) w.state = "stateless";
    });
    expect(nfsServerObjects(plan)).toEqual([]);
    expect(emitClusterManifests(plan).some((f) => f.path.includes("nfs"))).toBe(false);
  });
});
