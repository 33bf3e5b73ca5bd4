import { createHash } from "node:crypto";
import { STORAGE_NODE_LABEL } from "../../plan/build.js";
import { parseTaint } from "../../plan/taint.js";
import type { Plan, PlanNfs } from "../../plan/types.js";
import { managedBy } from "./_helm.js";

/** The image the pod runs; its tag is `cluster.versions.nfsServer` (see src/plan/versions.ts for the choice). */
const NFS_SERVER_IMAGE = "ghcr.io/obeone/nfs-server";
/** Architectures the image is published for, among those a spec can name. */
const IMAGE_ARCHITECTURES = "amd64,arm64";
/** The NFSv4 root inside the container: each dataset is mounted below it at its export path. */
const NFS_ROOT = "/exports";
const NFS_PORT = 2049;
/**
 * Where the kernel keeps its NFSv4 client records (it looks the path up in the container that starts nfsd). On the
 * host, so that after the pod restarts the clients may reclaim their opens and locks within the grace period.
 */
const RECOVERY_DIR = "/var/lib/nfs/v4recovery";
const RECOVERY_HOST_DIR = "/var/lib/h5b/nfs-server/v4recovery";
const APP_LABEL = "app.kubernetes.io/name";

/** Options of every dataset's export: the cluster writes as whatever user its pods run as, root included. */
const DATASET_OPTIONS = "rw,sync,no_subtree_check,no_root_squash";
/** The NFSv4 root holds nothing but the datasets' mount points: read-only, and fsid=0 makes it the root. */
const ROOT_OPTIONS = "ro,fsid=0,no_subtree_check";

/**
 * The server's /etc/exports: the root, then each dataset at its path, each to the k3s nodes' addresses only.
 * The root is an empty folder of the pod rather than the container's own filesystem: an overlay root cannot give
 * the file handles NFSv4 needs, and a dataset as the root would leave room for one dataset only.
 */
export function nfsExports(nfs: PlanNfs): string[] {
  // One client a line (exports(5) continues an entry after a backslash), so that the file reads as a list.
  const entry = (path: string, options: string) => [`${path} \\`, ...nfs.clients.map((c, i) => `  ${c}(${options})${i < nfs.clients.length - 1 ? " \\" : ""}`)];
  return [
    "# Rendered by h5b: the NFSv4 root and each dataset marked nfs, for the k3s nodes only.",
    ...entry(NFS_ROOT, ROOT_OPTIONS),
    ...nfs.exports.flatMap((e) => entry(`${NFS_ROOT}${e.path}`, DATASET_OPTIONS)),
  ];
}

/** A toleration of exactly that taint (any value when the taint has none). */
function toleration(text: string): Record<string, string> {
  const { key, value, effect } = parseTaint(text);
  return value !== "" ? { key, operator: "Equal", value, effect } : { key, operator: "Exists", effect };
}

/**
 * The NFS server: one pod pinned to the storage host, on the host's network (the class's `server` is the host's LAN
 * address, which every node's kernel client reaches without a Service), driving the host kernel's nfsd from a
 * privileged container, serving each dataset from a hostPath. Its exports are a ConfigMap mounted over the image's
 * /etc/exports.
 */
export function nfsServerObjects(plan: Plan): Record<string, unknown>[] {
  const st = plan.storage;
  if (st === undefined) return [];
  const { namespace, name } = st.nfs.workload;
  const labels = { [APP_LABEL]: name, ...managedBy };
  const exportsText = `${nfsExports(st.nfs).join("\n")}\n`;
  const exportsMap = `${name}-exports`;
  const datasets = st.nfs.exports.map((e, i) => ({ volume: `dataset-${i + 1}`, path: `${NFS_ROOT}${e.path}`, host: e.mountpoint }));
  const taints = plan.hosts.find((h) => h.name === st.host)?.k3s?.taints ?? [];
  const image = `${NFS_SERVER_IMAGE}:${plan.cluster.versions.nfsServer.replace(/^v/, "")}`;
  const probe = { tcpSocket: { port: NFS_PORT } };
  // A hostPath over an unmounted dataset would serve the empty folder beneath it, and the apps would write there.
  const mountedCheck = `for d in ${datasets.map((d) => d.path).join(" ")}; do grep -q " $d zfs " /proc/self/mounts || { echo "$d is not a mounted ZFS dataset; is the pool imported?" >&2; exit 1; }; done`;

  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: exportsMap, namespace, labels },
    data: { exports: exportsText },
  };
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace, labels },
    spec: {
      replicas: 1,
      // Two pods cannot share the node's one nfsd and port 2049: the old one stops before the new one starts.
      strategy: { type: "Recreate" },
      selector: { matchLabels: { [APP_LABEL]: name } },
      template: {
        metadata: {
          labels,
          annotations: {
            [`${plan.cluster.labelPrefix}/architectures`]: IMAGE_ARCHITECTURES,
            // A file mounted by subPath never sees a ConfigMap change; a new hash rolls the pod instead.
            [`${plan.cluster.labelPrefix}/exports-sha256`]: createHash("sha256").update(exportsText).digest("hex"),
          },
        },
        spec: {
          nodeSelector: { [STORAGE_NODE_LABEL.key]: STORAGE_NODE_LABEL.value },
          ...(taints.length > 0 ? { tolerations: taints.map(toleration) } : {}),
          hostNetwork: true,
          // The apps it serves are evicted before it is, and it is scheduled before them.
          priorityClassName: "system-cluster-critical",
          automountServiceAccountToken: false,
          initContainers: [
            {
              name: "datasets-mounted",
              image,
              command: ["sh", "-c", mountedCheck],
              resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
              volumeMounts: datasets.map((d) => ({ name: d.volume, mountPath: d.path, readOnly: true })),
            },
          ],
          containers: [
            {
              name: "nfs-server",
              image,
              env: [
                { name: "NFS_VERSION", value: st.nfs.version },
                { name: "NFS_DISABLE_VERSION_3", value: "1" },
              ],
              ports: [{ name: "nfs", containerPort: NFS_PORT, protocol: "TCP" }],
              // The server is the host kernel's nfsd: the container mounts nfsd's filesystem and starts its threads.
              securityContext: { privileged: true },
              resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "256Mi" } },
              startupProbe: { ...probe, periodSeconds: 5, failureThreshold: 24 },
              readinessProbe: { ...probe, periodSeconds: 10 },
              livenessProbe: { ...probe, periodSeconds: 20, failureThreshold: 3 },
              volumeMounts: [
                { name: "exports", mountPath: "/etc/exports", subPath: "exports", readOnly: true },
                { name: "nfs-root", mountPath: NFS_ROOT },
                ...datasets.map((d) => ({ name: d.volume, mountPath: d.path })),
                { name: "v4recovery", mountPath: RECOVERY_DIR },
              ],
            },
          ],
          volumes: [
            { name: "exports", configMap: { name: exportsMap } },
            { name: "nfs-root", emptyDir: {} },
            ...datasets.map((d) => ({ name: d.volume, hostPath: { path: d.host, type: "Directory" } })),
            { name: "v4recovery", hostPath: { path: RECOVERY_HOST_DIR, type: "DirectoryOrCreate" } },
          ],
        },
      },
    },
  };
  return [configMap, deployment];
}
