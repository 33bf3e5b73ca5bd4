import { type Issue, warning } from "../issue.js";
import type { Plan } from "../plan/types.js";
import type { Secret } from "./secret.js";
import type { SecretStore } from "./store.js";

export interface WorkloadSecrets {
  /** Workload name -> file name -> its content, for the workloads whose every file is in the store. */
  readonly files: ReadonlyMap<string, ReadonlyMap<string, Secret>>;
  /** The files the user still has to supply: a warning each, naming the file to create. */
  readonly missing: readonly Issue[];
}

/** Any text: a supplied file is the user's (a WireGuard config, a key); only its presence and mode are checked. */
const ANY = /^[\s\S]*$/;

/** Reads the files the workloads mount from the store; h5b cannot make them, so a missing one is a warning. */
export function workloadSecrets(plan: Plan, store: SecretStore): WorkloadSecrets {
  const files = new Map<string, Map<string, Secret>>();
  const missing: Issue[] = [];
  for (const w of plan.workloads) {
    if (w.secretFiles.length === 0) continue;
    const found = new Map<string, Secret>();
    for (const f of w.secretFiles) {
      const secret = store.supplied(f.secret, ANY, `the file ${f.file} of ${w.name}`);
      if (secret !== undefined) found.set(f.file, secret);
      else {
        missing.push(
          warning(
            "secret-missing",
            store.pathOf(f.secret),
            `not found: create it with the ${f.file} workload ${w.name} mounts at ${f.mountPath} (chmod 600); until then its pods wait for it`,
          ),
        );
      }
    }
    if (found.size === w.secretFiles.length) files.set(w.name, found);
  }
  return { files, missing };
}
