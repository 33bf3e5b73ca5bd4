import type { Plan } from "../plan/types.js";
import { dnsSecrets } from "./dns.js";
import type { SecretStore, Secrets } from "./store.js";

/** Reads every secret the plan needs from the store, generating the missing ones (some, like key pairs, asynchronously). */
export async function prepareSecrets(plan: Plan, store: SecretStore): Promise<Secrets> {
  return { ...store.core(), dns: await dnsSecrets(plan, store) };
}
