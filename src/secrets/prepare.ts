import type { Issue } from "../issue.js";
import type { Plan } from "../plan/types.js";
import { backupSecrets } from "./backups.js";
import { dnsSecrets } from "./dns.js";
import type { SecretStore, Secrets } from "./store.js";
import { workloadSecrets } from "./workloads.js";

/** Reads every secret the plan needs from the store, generating the missing ones (some, like key pairs, asynchronously). */
export async function prepareSecrets(plan: Plan, store: SecretStore): Promise<Secrets> {
  const backups = backupSecrets(plan, store);
  return { ...store.core(), dns: await dnsSecrets(plan, store), ...(backups !== undefined ? { backups } : {}), workloads: workloadSecrets(plan, store) };
}

/** Secrets only the user can supply and has not yet: warnings that name the files to create (never a value). */
export function missingSecrets(secrets: Secrets): readonly Issue[] {
  return [...(secrets.backups?.missing ?? []), ...secrets.workloads.missing];
}
