import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { error, type Issue, systemErrorCode } from "../issue.js";
import { MARKER } from "../write/writer.js";
import { ETCD_CA } from "./dns.js";
import { K3S_TOKEN, type SecretStore } from "./store.js";

/**
 * The secrets a running homelab is known by: its nodes join each other with the k3s token, and etcd and its
 * clients trust only certificates of the etcd CA. Every build makes both, so an h5b output folder was built with
 * them, and a store without them is not the one it was built from.
 */
const IDENTITY = [K3S_TOKEN, ETCD_CA] as const;
const LOCKED_OUT = { [K3S_TOKEN]: "a new k3s token locks the nodes out of the cluster", [ETCD_CA]: "a new etcd CA locks the DNS clients out of etcd" } as const;

/**
 * Refuses, before anything is written, to make new identity secrets beside an existing output: a secrets folder
 * moved away, left on another machine or mistyped in --secrets would otherwise be replaced silently by new secrets,
 * and the output (perhaps the last copy of the old ones) by files the running homelab rejects. A first build, and
 * any build whose store holds both, pass.
 */
export function lostSecrets(store: SecretStore, outDir: string): Issue[] {
  if (!existsSync(join(outDir, MARKER))) return [];
  const folder = kindOf(store.dir);
  // A file where the folder should be is the store's to report.
  if (folder === "other") return [];
  const missing = IDENTITY.filter((n) => kindOf(store.pathOf(n)) === "missing");
  if (missing.length === 0) return [];
  const state = folder === "missing" ? "does not exist" : `holds no ${missing.join(" and no ")}`;
  return [
    error(
      "secrets-lost",
      store.dir,
      `${state}, but the output in ${outDir} was built with other secrets: a build would make new ones (${missing.map((n) => LOCKED_OUT[n]).join("; ")}) and replace that output, which may hold the last copy of the old ones. Restore the secrets folder from your backup, or pass --secrets with the folder that holds them; to start over with new secrets on purpose, delete ${outDir} first`,
    ),
  ];
}

function kindOf(path: string): "missing" | "folder" | "other" {
  try {
    return statSync(path).isDirectory() ? "folder" : "other";
  } catch (e) {
    const code = systemErrorCode(e);
    if (code === "ENOENT" || code === "ENOTDIR") return "missing";
    throw e;
  }
}
