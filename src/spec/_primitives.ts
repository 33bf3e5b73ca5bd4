import { z } from "zod";

/** A DNS label as Kubernetes and hostnames accept it (RFC 1123): lowercase, digits and inner hyphens, 1-63 chars. */
export const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a DNS label: lowercase letters, digits and inner '-', at most 63");

/** A fully qualified DNS name without the trailing dot. */
export const dnsName = z
  .string()
  .max(253, "a DNS name has at most 253 characters")
  .regex(
    /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/,
    "must be a lowercase DNS name of two labels or more, without a trailing dot",
  );

export const ipv4Address = z.ipv4({ message: "must be an IPv4 address" });
export const ipv6Address = z.ipv6({ message: "must be an IPv6 address" });
export const ipv4Cidr = z.cidrv4({ message: "must be an IPv4 prefix in CIDR form (a.b.c.d/n)" });
export const ipv6Cidr = z.cidrv6({ message: "must be an IPv6 prefix in CIDR form (x:y::/n)" });

/** Ethernet address, colon-separated, any case (normalized to lowercase in the plan). */
export const macAddress = z
  .string()
  .regex(/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/, "must be a MAC address like 00:00:5e:00:53:01");

/** Kubernetes-style quantity of bytes: `512Mi`, `64Gi`, `2Ti`. */
export const byteQuantity = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/, "must be a byte quantity like 512Mi, 64Gi or 14T");

/** Kubernetes CPU quantity: `250m`, `2`, `0.5`. */
export const cpuQuantity = z.string().regex(/^([0-9]+m|[0-9]+(\.[0-9]+)?)$/, "must be a CPU quantity like 250m or 2");

export const architecture = z.enum(["amd64", "arm64"], { message: "must be amd64 or arm64" });

/** A label's name part, and a non-empty label value: at most 63, alphanumeric at both ends, `-`, `_`, `.` inside. */
const LABEL_NAME = "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?";
/**
 * A qualified name (a label or taint key): `name` or `prefix/name`, the prefix a DNS subdomain of at most 253. The
 * kubelet refuses to start with a bad `--node-labels` or `--register-with-taints`, so the node would never join.
 */
const QUALIFIED_NAME = `((?=[^/]{1,253}/)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?${LABEL_NAME}`;

export const labelKey = z
  .string()
  .regex(new RegExp(`^${QUALIFIED_NAME}$`), "must be a label key: at most 63 letters, digits, '-', '_' or '.', alphanumeric at both ends, optionally after a DNS-subdomain prefix and '/'");
export const labelValue = z
  .string()
  .regex(new RegExp(`^(${LABEL_NAME})?$`), "must be a label value: empty, or at most 63 letters, digits, '-', '_' or '.', alphanumeric at both ends");

/** A Kubernetes taint, `key=value:Effect` or `key:Effect`. */
export const taint = z
  .string()
  .regex(
    new RegExp(`^${QUALIFIED_NAME}(=(${LABEL_NAME})?)?:(NoSchedule|PreferNoSchedule|NoExecute)$`),
    "must be a taint key[=value]:NoSchedule|PreferNoSchedule|NoExecute, its key and value as a label's",
  );

/** A version with or without a leading v (`v1.36.3+k3s1`, `1.20.0`). */
export const version = z
  .string()
  .regex(/^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$/, "must be a version like 1.20.0 or v1.36.3+k3s1");

/** One address of each family; IPv6 is absent on an IPv4-only network. */
export const dualAddress = z.strictObject({
  /** IPv4 address. */
  ipv4: ipv4Address,
  /** IPv6 address; leave out on an IPv4-only LAN. @default none */
  ipv6: ipv6Address.optional(),
});
