import { z } from "zod";
import { dnsLabel } from "./_primitives.js";

const serviceAccount = z.strictObject({
  /** ServiceAccount name. @default none (required) */
  name: dnsLabel,
  /** Namespace it lives in (created by h5b). @default none (required) */
  namespace: dnsLabel,
});

export const accessSchema = z.strictObject({
  /** The one person who administers the cluster (k3s admin kubeconfig) and the hosts (SSH). @default every field at its default */
  administrator: z
    .strictObject({
      /** Login name on the Debian hosts. @default "admin" */
      name: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a Unix user name").default("admin"),
      /** SSH public keys allowed to log in (and used by Ansible). @default [] */
      sshKeys: z
        .array(z.string().regex(/^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh.com) [A-Za-z0-9+/=]+( .*)?$/, "must be an OpenSSH public key line"))
        .default([]),
    })
    .prefault({}),
  /** Read-only accounts for monitoring (get/list/watch on workloads, never on Secrets). @default [{name: "prometheus", namespace: "monitoring"}] */
  monitoring: z.array(serviceAccount).default([{ name: "prometheus", namespace: "monitoring" }]),
  /** Accounts that may create and delete Jobs in their own namespace only. @default [] */
  jobSpawners: z.array(serviceAccount).default([]),
});
