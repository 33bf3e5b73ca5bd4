import { z } from "zod";
import { ipv4Address, ipv4Cidr, ipv6Address, ipv6Cidr } from "./_primitives.js";

const rangesOf = <T extends z.ZodType<string>>(cidr: T) =>
  z.strictObject({
    /** Addresses of hosts and BMCs, each also reserved in Kea by MAC. @default none (required) */
    static: cidr,
    /** Kea's dynamic pool (for IPv6: the stateful DHCPv6 pool, next to SLAAC). @default none (required) */
    dhcp: cidr,
    /** MetalLB pool `internal`: auto-assigned to every LoadBalancer service that is not public. @default none (required) */
    internal: cidr,
    /** MetalLB pool `public`: only on request, for internet-facing services; its IPv6 range is open from the WAN. @default none (required) */
    public: cidr,
  });

export const lanSchema = z.strictObject({
  /** IPv4 side of the LAN. @default none (required) */
  ipv4: z.strictObject({
    /** The LAN's IPv4 prefix (the default LAN has 10.0.0.0/16). @default none (required) */
    prefix: ipv4Cidr,
    /** Named ranges carved out of the prefix; they must lie inside it and not overlap. */
    ranges: rangesOf(ipv4Cidr),
    /**
     * Router address when no host of the spec has the `gateway` role (an appliance h5b does not manage).
     * @default the address of the host with the gateway role
     */
    gateway: ipv4Address.optional(),
  }),
  /** IPv6 side of the LAN; leave it out for an IPv4-only homelab. @default none (IPv4 only) */
  ipv6: z
    .strictObject({
      /** The LAN's IPv6 prefix; a /64 so that SLAAC works next to DHCPv6 (the default LAN has 2001:db8:10::/64). @default none (required) */
      prefix: ipv6Cidr,
      /** Named ranges carved out of the prefix; they must lie inside it and not overlap. */
      ranges: rangesOf(ipv6Cidr),
      /** Router address when no host has the `gateway` role. @default the gateway host's address */
      gateway: ipv6Address.optional(),
    })
    .optional(),
});

const familyPair = (v4: string) =>
  z.strictObject({
    /** IPv4 CIDR. */
    ipv4: ipv4Cidr.default(v4),
    /** IPv6 CIDR; only with an IPv6 LAN. @default the documented IPv6 CIDR when the LAN has IPv6, else none */
    ipv6: ipv6Cidr.optional(),
  });

/** The seed's LAN with private IPv4 and documentation IPv6 ranges. */
export const defaultLan = {
  ipv4: {
    prefix: "10.0.0.0/16",
    ranges: { static: "10.0.0.0/24", dhcp: "10.0.32.0/20", internal: "10.0.64.0/24", public: "10.0.65.0/28" },
  },
  ipv6: {
    prefix: "2001:db8:10::/64",
    ranges: {
      static: "2001:db8:10::/116",
      dhcp: "2001:db8:10::1:0/112",
      internal: "2001:db8:10::64:0/120",
      public: "2001:db8:10::65:0/124",
    },
  },
} as const;

const podsDefault = { ipv4: "10.42.0.0/16", ipv6: "fd00:42::/56" } as const;
const servicesDefault = { ipv4: "10.43.0.0/16", ipv6: "fd00:43::/112" } as const;

export const networksSchema = z
  .strictObject({
    /** The one flat LAN of the seed's design: hosts, DHCP clients and MetalLB addresses share it. @default dual-stack 10.0.0.0/16 and 2001:db8:10::/64 */
    lan: lanSchema.prefault(() => structuredClone(defaultLan) as unknown as z.input<typeof lanSchema>),
    /** The cluster's pod CIDRs (k3s `cluster-cidr`), fixed at the first start of the server. @default {ipv4: "10.42.0.0/16", ipv6: "fd00:42::/56"} */
    pods: familyPair(podsDefault.ipv4).prefault({}),
    /** The cluster's service CIDRs (k3s `service-cidr`; at most /12 for IPv4 and /112 for IPv6). @default {ipv4: "10.43.0.0/16", ipv6: "fd00:43::/112"} */
    services: familyPair(servicesDefault.ipv4).prefault({}),
  })
  .transform((n) => {
    // The cluster is dual-stack exactly when the LAN is; IPv6 cluster CIDRs default only then.
    if (n.lan.ipv6 === undefined) return n;
    return {
      ...n,
      pods: { ...n.pods, ipv6: n.pods.ipv6 ?? podsDefault.ipv6 },
      services: { ...n.services, ipv6: n.services.ipv6 ?? servicesDefault.ipv6 },
    };
  });

export type RangeName = keyof z.infer<typeof lanSchema>["ipv4"]["ranges"];
export const rangeNames: readonly RangeName[] = ["static", "dhcp", "internal", "public"];
