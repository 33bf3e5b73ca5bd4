import { assertNoErrors, type Issue } from "../issue.js";
import type { Plan } from "../plan/types.js";
import { backupSecrets, backupShape } from "./backups.js";
import { dnsSecrets, dnsShape } from "./dns.js";
import { scanStore } from "./scan.js";
import { coreShape, type SecretStore, type Secrets } from "./store.js";
import { workloadSecrets } from "./workloads.js";

/**
 * Reads every secret the plan needs from the store, generating the missing ones (some, like key pairs,
 * asynchronously). The folder is checked whole first, so that every problem in it is told at once and nothing is
 * generated beside a secret that is refused.
 */
export async function prepareSecrets(plan: Plan, store: SecretStore): Promise<Secrets> {
  assertNoErrors("secrets", scanStore(store, (name) => coreShape(name) ?? dnsShape(name) ?? backupShape(name)));
  const backups = backupSecrets(plan, store);
  return { ...store.core(), dns: await dnsSecrets(plan, store), ...(backups !== undefined ? { backups } : {}), workloads: workloadSecrets(plan, store) };
}

/** Secrets only the user can supply and has not yet: warnings that name the files to create (never a value). */
export function missingSecrets(secrets: Secrets): readonly Issue[] {
  return [...(secrets.backups?.missing ?? []), ...secrets.workloads.missing];
}
