import { z } from "zod";
import { architecture, byteQuantity, cpuQuantity, ipv4Address, ipv6Address } from "./_primitives.js";

const portSchema = z.strictObject({
  /** Port name (IANA service name style). @default none (required) */
  name: z
    .string()
    .regex(/^(?=.*[a-z])(?!.*--)[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/, "must be a port name (IANA service name): at most 15 lowercase letters, digits and single inner '-', at least one letter"),
  /** Port the service listens on. @default none (required) */
  port: z.number().int().min(1).max(65535),
  /** Port of the container, when it differs. @default the same as `port` */
  targetPort: z.number().int().min(1).max(65535).optional(),
  /** Transport. @default "TCP" */
  protocol: z.enum(["TCP", "UDP"]).default("TCP"),
});

export const workloadSchema = z.strictObject({
  /** Container image with its tag (or digest). @default none (required) */
  image: z.string().regex(/^[a-z0-9][a-z0-9._/:@-]*$/, "must be an image reference like ghcr.io/org/app:1.2.3"),
  /** Architectures the image is published for; the scheduler never places it elsewhere. @default ["amd64"] */
  architectures: z.array(architecture).min(1).default(["amd64"]),
  /** Replicas; two or more spread over both workers keep a service up when one fails. @default 2 */
  replicas: z.number().int().min(0).max(1000).default(2),
  /** Ports exposed by its Service. @default [] */
  ports: z.array(portSchema).default([]),
  /** `public`: an address from the public pool (internet-facing); `internal`: the internal pool; `none`: no LB. @default "internal" */
  exposure: z.enum(["internal", "public", "none"]).default("internal"),
  /** `nfs` mounts a claim on the ZFS-backed NFS storage class; `stateless` mounts nothing persistent. @default "stateless" */
  state: z.enum(["stateless", "nfs"]).default("stateless"),
  /** Size of the NFS claim (only with `state: nfs`). @default "10Gi" */
  storage: byteQuantity.default("10Gi"),
  /** Where the NFS claim is mounted in the container. @default "/data" */
  mountPath: z.string().regex(/^\/[^\0]*$/, "must be an absolute path").default("/data"),
  /** An essential workload must stay up through any single failure of a worker, the API server or storage. @default false */
  essential: z.boolean().default(false),
  /** Resource requests (also the limits for memory). @default every field at its default */
  resources: z
    .strictObject({
      /** CPU request. @default "100m" */
      cpu: cpuQuantity.default("100m"),
      /** Memory request and limit. @default "128Mi" */
      memory: byteQuantity.default("128Mi"),
    })
    .prefault({}),
  /** DNS label of the service in the services zone. @default the workload's name */
  hostname: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a DNS label")
    .optional(),
  /** Fixed LB addresses (public pool only); otherwise h5b picks stable ones from the pool. @default chosen by h5b */
  loadBalancerIPs: z
    .strictObject({
      /** IPv4 address inside the public pool. */
      ipv4: ipv4Address.optional(),
      /** IPv6 address inside the public pool. */
      ipv6: ipv6Address.optional(),
    })
    .optional(),
  /** Linux capabilities the container adds (a VPN needs NET_ADMIN). @default [] */
  capabilities: z
    .array(z.enum(["NET_ADMIN", "NET_RAW", "NET_BIND_SERVICE", "SYS_MODULE", "SYS_TIME", "CHOWN", "SETUID", "SETGID", "DAC_OVERRIDE", "FOWNER"]))
    .default([]),
  /**
   * Files only you can supply (a VPN server's keys and peers, a password), mounted read-only into the container:
   * file name -> absolute path in the container. Each is read at build time from the secret store,
   * `.h5b/secrets/workload-<workload>-<file>` (chmod 600), into a Secret; until it exists the build warns and the
   * workload's pods wait for it. @default {}
   */
  secretFiles: z
    .record(z.string().regex(/^[a-z0-9][a-z0-9.-]{0,62}$/, "must be a file name of lowercase letters, digits, dots and dashes"), z.string().regex(/^\/[^\0]*[^/]$/, "must be an absolute file path"))
    .default({}),
  /** Environment variables. @default {} */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"), z.string()).default({}),
});
