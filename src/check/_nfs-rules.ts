import { parse } from "yaml";
import { STORAGE_NODE_LABEL } from "../plan/build.js";
import type { Plan } from "../plan/types.js";
import { list, rec } from "../simulate/_obj.js";
import { describe, type ManifestObject } from "./manifests.js";
import type { Finding } from "./types.js";

/** The entries of an exports(5) file: each path with its clients' options (continued lines joined). */
export function parseExports(text: string): { path: string; options: string[] }[] {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter((l) => l !== "")
    .map((l) => {
      const [path = "", ...clients] = l.split(/\s+/);
      return { path, options: clients.flatMap((c) => /\(([^)]*)\)/.exec(c)?.[1]?.split(",") ?? []) };
    });
}

function find(objects: readonly ManifestObject[], kind: string, namespace: string, name: string): ManifestObject | undefined {
  return objects.find((o) => o.object.kind === kind && o.object.metadata?.namespace === namespace && o.object.metadata?.name === name);
}

/** The NFS server's Deployment among the rendered objects, when the spec has one. */
export function nfsServer(plan: Plan, objects: readonly ManifestObject[]): ManifestObject | undefined {
  const nfs = plan.storage?.nfs;
  return nfs === undefined ? undefined : find(objects, "Deployment", nfs.workload.namespace, nfs.workload.name);
}

/** The exports file the server reads: the ConfigMap mounted at /etc/exports in its container, and the text there. */
export function serverExports(server: ManifestObject, objects: readonly ManifestObject[]): { map: ManifestObject; text: string } | undefined {
  const pod = rec(rec(rec(server.object.spec).template).spec);
  const mounts = list(pod.containers).flatMap((c) => list(rec(c).volumeMounts).map(rec));
  const exportsVolume = mounts.find((m) => m.mountPath === "/etc/exports")?.name;
  const mapName = rec(list(pod.volumes).map(rec).find((v) => v.name === exportsVolume)?.configMap).name;
  const map = typeof mapName === "string" ? find(objects, "ConfigMap", String(server.object.metadata?.namespace), mapName) : undefined;
  const text = rec(map?.object.data).exports;
  return map !== undefined && typeof text === "string" ? { map, text } : undefined;
}

/**
 * The storage class and the NFS server agree: the server runs on the storage host's network, pinned there, and
 * exports the class's share under its NFSv4 root (the entry with fsid=0), so that a claim can mount what it asks for.
 */
export function nfsFindings(plan: Plan, objects: readonly ManifestObject[], check: string): Finding[] {
  const nfs = plan.storage?.nfs;
  if (nfs === undefined) return [];
  const findings: Finding[] = [];
  const server = nfsServer(plan, objects);
  if (server === undefined) return [{ check, where: "manifests", message: `no NFS server (Deployment ${nfs.workload.namespace}/${nfs.workload.name}): nothing serves the storage class's share` }];
  const where = `${server.file} (${describe(server)})`;
  const pod = rec(rec(rec(server.object.spec).template).spec);
  if (pod.hostNetwork !== true) findings.push({ check, where, message: `the NFS server must use the host network: the storage class mounts the storage host's address ${nfs.server}` });
  if (rec(pod.nodeSelector)[STORAGE_NODE_LABEL.key] !== STORAGE_NODE_LABEL.value) {
    findings.push({ check, where, message: `the NFS server must be pinned to the storage host (nodeSelector ${STORAGE_NODE_LABEL.key}=${STORAGE_NODE_LABEL.value}): it serves that host's datasets` });
  }

  const exportsFile = serverExports(server, objects);
  if (exportsFile === undefined) return [...findings, { check, where, message: "the NFS server has no exports file from a ConfigMap at /etc/exports" }];
  const entries = parseExports(exportsFile.text);
  const root = entries.find((e) => e.options.includes("fsid=0") || e.options.includes("fsid=root"))?.path;

  const chart = objects.find((o) => o.object.kind === "HelmChart" && rec(o.object.spec).chart === "csi-driver-nfs");
  if (chart === undefined) return findings;
  const values = rec(parse(String(rec(chart.object.spec).valuesContent ?? "")));
  const params = rec(rec(values.storageClass).parameters);
  const chartWhere = `${chart.file} (${describe(chart)})`;
  if (params.server !== nfs.server) findings.push({ check, where: chartWhere, message: `the storage class mounts ${String(params.server)}, not the storage host's address ${nfs.server}` });
  const share = String(params.share ?? "");
  const served = root === undefined ? undefined : share === "/" ? root : `${root}${share}`;
  if (served === undefined || !entries.some((e) => e.path === served)) {
    findings.push({ check, where: chartWhere, message: `the storage class's share ${share} is not exported by the NFS server (${root === undefined ? "its exports have no NFSv4 root (fsid=0)" : `it exports ${entries.map((e) => e.path).join(", ")} under the root ${root}`})` });
  }
  return findings;
}
