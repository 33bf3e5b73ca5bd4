import ipaddr from "ipaddr.js";
import { z } from "zod";
import { literalFamily } from "../_net.js";
import { dnsName } from "./_primitives.js";

/**
 * An NTP server as a host can use it: an address to send to (not the unspecified one, no zone), or a host name of
 * one label or more, in any case, with or without the root's dot (the plan writes it lowercase, without the dot). A
 * name whose last label is all digits is a mistyped address, not a name.
 */
function isNtpServer(s: string): boolean {
  if (literalFamily(s) !== undefined) return !s.includes("%") && ipaddr.parse(s).range() !== "unspecified";
  const labels = s.toLowerCase().replace(/\.$/, "").split(".");
  return labels.every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l)) && !/^\d+$/.test(labels.at(-1) ?? "") && s.length <= 254;
}

export const siteSchema = z.strictObject({
  /**
   * Short name of the homelab, used for the k3s cluster, the external-dns owner ids (`<name>`, `<name>-ipv6`) and
   * labels; not starting `h5b-`. @default "home"
   */
  name: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/, "must be a short DNS label (at most 32 characters)")
    .default("home"),
  /**
   * DNS zones that Porygon's CoreDNS is authoritative for. The label `dns` right below each is taken: CoreDNS keeps
   * a zone's name servers and its top under `dns.<zone>`, so no host or service may be called `dns`.
   * @default every field at its default
   */
  zones: z
    .strictObject({
      /** Zone of the cluster's LoadBalancer and Ingress names, written by external-dns. @default "svc.home.example.org" */
      services: dnsName.default("svc.home.example.org"),
      /** Zone of hosts and DHCP clients, written by `h5b ddns` from Kea's leases. @default "lan.home.example.org" */
      dhcp: dnsName.default("lan.home.example.org"),
    })
    .prefault({}),
  /** IANA time zone of every host. @default "Etc/UTC" */
  timeZone: z
    .string()
    .regex(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/, "must be an IANA time zone like Europe/Berlin")
    .default("Etc/UTC"),
  /** NTP servers the hosts synchronise with (names or addresses). @default ["0.debian.pool.ntp.org", "1.debian.pool.ntp.org"] */
  ntpServers: z
    .array(
      z.string().superRefine((s, ctx) => {
        if (!isNtpServer(s)) ctx.addIssue({ code: "invalid_format", format: "ntp-server", input: s, message: "must be an IPv4 or IPv6 address or a host name" });
      }),
    )
    .min(1)
    .default(["0.debian.pool.ntp.org", "1.debian.pool.ntp.org"]),
  /**
   * Upstream resolution for every name outside the home zones: dnscrypt-proxy on Porygon speaks Oblivious DoH
   * to these targets, each reached through one of the relays, so no single party sees both client and question.
   * @default every field at its default
   */
  upstream: z
    .strictObject({
      /**
       * ODoH target names from the public `odoh-servers` list, each run by another operator than the relays that
       * carry its queries. @default ["odoh-cloudflare", "odoh-snowstorm"]
       */
      servers: z
        .array(z.string().regex(/^(odoh-|dnscry\.pt-odoh-)[a-z0-9.-]+$/, "must be an ODoH server name from the odoh-servers list (odoh-…)"))
        .min(1)
        .default(["odoh-cloudflare", "odoh-snowstorm"]),
      /**
       * ODoH relay names from the public `odoh-relays` list; each server's queries go through one of those its own
       * operator does not run. Two, so that one relay down leaves a route. @default ["odohrelay-crypto-sx", "odohrelay-numa"]
       */
      relays: z
        .array(z.string().regex(/^odohrelay-[a-z0-9.-]+$/, "must be an ODoH relay name from the odoh-relays list (odohrelay-…)"))
        .min(1)
        .default(["odohrelay-crypto-sx", "odohrelay-numa"]),
    })
    .prefault({}),
});
