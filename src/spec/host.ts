import { z } from "zod";
import { architecture, byteQuantity, dualAddress, labelKey, labelValue, macAddress, taint, version } from "./_primitives.js";

export const hostRoles = ["dns", "dhcp", "gateway", "k3s-server", "k3s-agent"] as const;
export type HostRole = (typeof hostRoles)[number];

export const diskRoles = ["boot", "data", "slog", "l2arc"] as const;

const nicSchema = z.strictObject({
  /** Interface name as the OS names it (`eth0`, `enp1s0f0`). @default none (required) */
  name: z.string().regex(/^[a-zA-Z0-9_.-]{1,15}$/, "must be a Linux interface name (at most 15 characters)"),
  /** Hardware address; Kea reserves the host's addresses by it. @default none (required) */
  mac: macAddress,
  /** Link speed in Mbit/s. @default 1000 */
  speedMbps: z.number().int().positive().default(1000),
  /** Which network the port is cabled to; only a gateway has a `wan` port. @default "lan" */
  network: z.enum(["lan", "wan"]).default("lan"),
});

const diskSchema = z.strictObject({
  /** Stable device name under /dev/disk/by-id (without the directory), e.g. `ata-WDC_WD140EDGZ_X1`. @default none (required) */
  id: z.string().regex(/^[A-Za-z0-9_.:-]+$/, "must be a /dev/disk/by-id name without the directory"),
  /** Kind of device. @default "hdd" */
  media: z.enum(["hdd", "ssd", "nvme", "sd"]).default("hdd"),
  /** Capacity, e.g. `14T` or `1T`. @default none (required) */
  size: byteQuantity,
  /**
   * What the disk is for. An NVMe boot drive may also carry the ZFS SLOG and L2ARC partitions
   * (`["boot", "slog", "l2arc"]`). @default ["data"]
   */
  roles: z.array(z.enum(diskRoles)).min(1).default(["data"]),
});

const bmcSchema = z.strictObject({
  /** The BMC's own hardware address (IPMI shares or has its own port). @default none (required) */
  mac: macAddress,
  /** Static addresses of the BMC, inside the static range, reserved in Kea. @default none (required) */
  addresses: dualAddress,
});

export const hostSchema = z.strictObject({
  /** What the host does in the design. @default none (required) */
  roles: z.array(z.enum(hostRoles)).min(1, "a host needs at least one role"),
  /** Operating system. k3OS is unmaintained and pins the cluster to k3s v1.22 (see docs). @default "debian" */
  os: z.enum(["debian", "k3os"]).default("debian"),
  /** Hardware, as the scheduler model and the storage and network renderers need it. @default none (required) */
  hardware: z.strictObject({
    /** CPU architecture. @default none (required) */
    arch: architecture,
    /** Free-form model, for the summary (`Raspberry Pi 4B`). @default "" */
    model: z.string().default(""),
    /**
     * The board, where h5b must treat it apart: `raspberry-pi` (on Debian: Raspberry Pi OS, with its kernel command
     * line and NetworkManager) or `generic`. @default "raspberry-pi" when `model` names a Raspberry Pi, else "generic"
     */
    platform: z.enum(["generic", "raspberry-pi"]).optional(),
    /** CPU. @default none (required) */
    cpu: z.strictObject({
      /** Cores (threads the kubelet may use). @default none (required) */
      cores: z.number().int().positive(),
      /** Free-form CPU model. @default "" */
      model: z.string().default(""),
    }),
    /** Memory. @default none (required) */
    memory: z.strictObject({
      /** Installed RAM, e.g. `4Gi`. @default none (required) */
      size: byteQuantity,
      /** Whether it is ECC memory. @default false */
      ecc: z.boolean().default(false),
    }),
    /** Network ports; the first `lan` port carries the host's addresses. @default none (required) */
    nics: z.array(nicSchema).min(1, "a host needs at least one NIC"),
    /** Disks. @default [] */
    disks: z.array(diskSchema).default([]),
    /** Baseboard management controller (IPMI), if the board has one. @default none */
    bmc: bmcSchema.optional(),
  }),
  /** Static addresses on the LAN, inside the static range; Kea reserves them by the first LAN NIC's MAC. @default none (required) */
  addresses: dualAddress,
  /** Extra Kubernetes node labels (k3s nodes only); keys must not use `node-role.kubernetes.io/`. @default {} */
  labels: z.record(labelKey, labelValue).default({}),
  /** Extra Kubernetes taints (k3s nodes only). The control-plane taint is added by h5b. @default [] */
  taints: z.array(taint).default([]),
  /** A k3s version for this node only (e.g. an agent being upgraded after the server). @default the cluster's */
  k3sVersion: version.optional(),
});
