import { type Issue, warning } from "../issue.js";
import type { Plan } from "../plan/types.js";
import type { SecretStore } from "./store.js";

export interface WorkloadSecrets {
  /** Workload name -> file name -> its bytes, for the workloads whose every file is in the store. */
  readonly files: ReadonlyMap<string, ReadonlyMap<string, Buffer>>;
  /** The files the user still has to supply: a warning each, naming the file to create. */
  readonly missing: readonly Issue[];
}

/** Reads the files the workloads mount from the store; h5b cannot make them, so a missing one is a warning. */
export function workloadSecrets(plan: Plan, store: SecretStore): WorkloadSecrets {
  const files = new Map<string, Map<string, Buffer>>();
  const missing: Issue[] = [];
  for (const w of plan.workloads) {
    if (w.secretFiles.length === 0) continue;
    const found = new Map<string, Buffer>();
    for (const f of w.secretFiles) {
      // The user's file as it is (a WireGuard config, a key): only its presence and mode are checked.
      const bytes = store.suppliedFile(f.secret);
      if (bytes !== undefined) found.set(f.file, bytes);
      else {
        missing.push(
          warning(
            "secret-missing",
            store.pathOf(f.secret),
            `not found: put here the ${f.file} that workload ${w.name} mounts at ${f.mountPath} (chmod 600; see the README); until then its pods wait for it`,
          ),
        );
      }
    }
    if (found.size === w.secretFiles.length) files.set(w.name, found);
  }
  return { files, missing };
}
