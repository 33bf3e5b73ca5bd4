import { z } from "zod";
import { accessSchema } from "./access.js";
import { clusterSchema } from "./cluster.js";
import { hostSchema } from "./host.js";
import { networksSchema } from "./network.js";
import { siteSchema } from "./site.js";
import { backupsSchema, storageSchema } from "./storage.js";
import { workloadSchema } from "./workload.js";
import { dnsLabel } from "./_primitives.js";

/** The whole homelab as the user writes it (`h5b.config.ts` or `homelab.yaml`). */
export const homelabSchema = z.strictObject({
  /** Optional editor hint in YAML files; ignored. @default none */
  $schema: z.string().optional(),
  /** Name, zones, time, upstream resolution. @default every field at its default */
  site: siteSchema.prefault({}),
  /** LAN ranges and cluster CIDRs. @default every field at its default */
  networks: networksSchema.prefault({}),
  /** Every machine, by host name (a DNS label). @default none (required) */
  hosts: z.record(dnsLabel, hostSchema),
  /** The k3s cluster's platform. @default every field at its default */
  cluster: clusterSchema.prefault({}),
  /** Apps to run, by name (a DNS label). @default {} */
  workloads: z.record(dnsLabel, workloadSchema).default({}),
  /** ZFS and the NFS storage class; leave out for a cluster without persistent storage. @default none */
  storage: storageSchema.optional(),
  /** restic backups of the ZFS datasets to B2. @default none */
  backups: backupsSchema.optional(),
  /** Who may do what in the cluster. @default every field at its default */
  access: accessSchema.prefault({}),
});

/** What a user writes: every field with a default may be left out. */
export type HomelabInput = z.input<typeof homelabSchema>;
/** The spec after defaults: still the user's words, not yet resolved (see `Plan`). */
export type Homelab = z.output<typeof homelabSchema>;
export type HostSpec = Homelab["hosts"][string];
export type WorkloadSpec = Homelab["workloads"][string];

/**
 * Identity function that gives `h5b.config.ts` its types and completion:
 * `export default defineHomelab({ ... })`.
 */
export function defineHomelab(spec: HomelabInput): HomelabInput {
  return spec;
}
