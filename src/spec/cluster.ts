import { z } from "zod";
import { taint, version } from "./_primitives.js";

/** Versions of every component; each left out takes the pinned default (or the k3OS legacy set). */
export const versionsSchema = z.strictObject({
  /** k3s release. @default "v1.36.3+k3s1" (stable channel), "v1.22.2+k3s2" with k3OS nodes */
  k3s: version.optional(),
  /** Cilium Helm chart. @default "1.20.0" */
  cilium: version.optional(),
  /** MetalLB Helm chart. @default "0.16.1" */
  metallb: version.optional(),
  /** external-dns Helm chart. @default "1.21.1" (app 0.21.0) */
  externalDns: version.optional(),
  /** csi-driver-nfs Helm chart. @default "4.13.4" */
  csiDriverNfs: version.optional(),
  /** CoreDNS on Porygon. @default "1.14.7" */
  coredns: version.optional(),
  /** etcd on Porygon. @default "3.7.1" */
  etcd: version.optional(),
  /** Kea on Porygon (Debian 12 ships 2.2.0; formats differ from 2.6 on). @default "2.2.0" */
  kea: version.optional(),
  /** dnscrypt-proxy on Porygon. @default "2.1.18" */
  dnscryptProxy: version.optional(),
  /** Tag of the NFS server image (ghcr.io/obeone/nfs-server) on the storage host. @default "2.2.3" */
  nfsServer: version.optional(),
});

export const clusterSchema = z.strictObject({
  /** Component versions. @default the pinned current stable set */
  versions: versionsSchema.prefault({}),
  /** Taint that keeps every workload off the control plane. @default "CriticalAddonsOnly=true:NoExecute" */
  controlPlaneTaint: taint.default("CriticalAddonsOnly=true:NoExecute"),
  /** Cilium options beyond the design's fixed ones (kube-proxy replacement, IPv6, no LB IPAM or L2). @default every field at its default */
  cilium: z
    .strictObject({
      /** Hubble flow observability. @default every field at its default */
      hubble: z
        .strictObject({
          /** Hubble relay (cluster-wide flows). @default true */
          relay: z.boolean().default(true),
          /** Hubble UI (behind the internal pool). @default true */
          ui: z.boolean().default(true),
        })
        .prefault({}),
      /** The Cilium ingress controller, one shared LoadBalancer service behind MetalLB. @default every field at its default */
      ingress: z
        .strictObject({
          /** Run the ingress controller. @default true */
          enabled: z.boolean().default(true),
          /** Which pool its address comes from. @default "public" */
          exposure: z.enum(["internal", "public"]).default("public"),
          /** DNS label of its address in the services zone. @default "ingress" */
          hostname: z
            .string()
            .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a DNS label")
            .default("ingress"),
        })
        .prefault({}),
    })
    .prefault({}),
  /** MetalLB pool options (the ranges themselves are in `networks.lan`). @default every field at its default */
  pools: z
    .strictObject({
      /** Skip the .0 and .255 addresses some clients mishandle. @default true */
      avoidBuggyIPs: z.boolean().default(true),
    })
    .prefault({}),
  /** external-dns options. @default every field at its default */
  externalDns: z
    .strictObject({
      /** `sync` also deletes names of removed services; `upsert-only` never deletes. @default "sync" */
      policy: z.enum(["sync", "upsert-only", "create-only"]).default("sync"),
      /** Resync interval. @default "1m" */
      interval: z.string().regex(/^[0-9]+(s|m|h)$/, "must be a duration like 30s or 1m").default("1m"),
    })
    .prefault({}),
});
