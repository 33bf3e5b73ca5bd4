import { z } from "zod";
import { byteQuantity, dnsLabel } from "./_primitives.js";

const datasetSchema = z.strictObject({
  /** Compression algorithm. @default "lz4" */
  compression: z.enum(["off", "lz4", "zstd", "gzip"]).default("lz4"),
  /** Deduplication; needs about 5 GiB of RAM per TiB of deduplicated data. @default false */
  dedup: z.boolean().default(false),
  /** ZFS recordsize. @default "128K" */
  recordsize: z.enum(["16K", "32K", "64K", "128K", "256K", "512K", "1M"]).default("128K"),
  /** Serve it over NFS from the NFS server pod on the storage host, to the k3s nodes, at `/<name>`. @default false */
  nfs: z.boolean().default(false),
  /** Back it up to B2 with restic. @default true */
  backup: z.boolean().default(true),
});

export const storageSchema = z.strictObject({
  /** The ZFS pool on the storage node. @default none (required) */
  zfs: z.strictObject({
    /** Host that carries the pool (the x86 node). @default none (required) */
    host: dnsLabel,
    /** Pool name. @default "tank" */
    pool: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_.-]*$/, "must be a ZFS pool name").default("tank"),
    /** Redundancy of the data vdev built from the host's `data` disks. @default "raidz2" */
    layout: z.enum(["mirror", "raidz1", "raidz2", "raidz3"]).default("raidz2"),
    /** Size of the SLOG partition on each `slog` disk (mirrored). @default "16G" */
    slogSize: byteQuantity.default("16G"),
    /** Size of the L2ARC partition on each `l2arc` disk (striped). @default "256G" */
    l2arcSize: byteQuantity.default("256G"),
    /** ashift of the pool (12 for 4K-sector drives). @default 12 */
    ashift: z.number().int().min(9).max(16).default(12),
    /** Checksum algorithm of every dataset. @default "sha256" */
    checksum: z.enum(["on", "fletcher4", "sha256", "sha512", "blake3"]).default("sha256"),
    /** Datasets under the pool, by name. @default { k8s: { nfs: true } } */
    datasets: z.record(dnsLabel, datasetSchema).default({ k8s: { compression: "lz4", dedup: false, recordsize: "128K", nfs: true, backup: true } }),
  }),
  /** The NFS storage class the cluster mounts (csi-driver-nfs). @default every field at its default */
  nfs: z
    .strictObject({
      /** Dataset (a key of `zfs.datasets`, marked `nfs`) that backs the storage class. @default "k8s" */
      dataset: dnsLabel.default("k8s"),
      /** StorageClass name. @default "nfs" */
      storageClass: dnsLabel.default("nfs"),
    })
    .prefault({}),
});

export const backupsSchema = z.strictObject({
  /** Backblaze B2 through its S3 API. @default none (required) */
  b2: z.strictObject({
    /** Bucket name. @default none (required) */
    bucket: z.string().regex(/^[a-z0-9][a-z0-9-]{4,48}[a-z0-9]$/, "must be a B2 bucket name (6-50 lowercase characters)"),
    /** Region of the bucket's S3 endpoint, e.g. `us-west-004`. @default none (required) */
    region: z.string().regex(/^[a-z]{2}-[a-z]+-[0-9]{3}$/, "must be a B2 region like us-west-004"),
    /** Path of the restic repository inside the bucket. @default "restic" */
    path: z.string().regex(/^[A-Za-z0-9._/-]+$/, "must be a bucket path").default("restic"),
  }),
  /** When backups run (systemd OnCalendar). @default "*-*-* 03:00:00" */
  schedule: z.string().min(1).default("*-*-* 03:00:00"),
  /** restic forget --keep-* counts. @default every field at its default */
  retention: z
    .strictObject({
      /** @default 7 */ daily: z.number().int().min(0).default(7),
      /** @default 4 */ weekly: z.number().int().min(0).default(4),
      /** @default 12 */ monthly: z.number().int().min(0).default(12),
      /** @default 2 */ yearly: z.number().int().min(0).default(2),
    })
    .prefault({}),
});
