import type { DdnsConfigInput } from "../../ddns/config.js";
import type { Plan } from "../../plan/types.js";
import { type DnsSecrets, ETCD_USERS } from "../../secrets/dns.js";
import { type OutputFile, hostPath, jsonFile, linesFile } from "../file.js";
import { type Credential, credentialPath } from "./credentials.js";
import { PATHS, PORTS, TSIG_KEY_NAME } from "./paths.js";
import { tlsClientOutput, tlsFiles } from "./tls-client.js";

export const DDNS_UNIT = "h5b-ddns.service";

/** Where h5b ddns takes kea-dhcp-ddns's updates: loopback, beside it on the DHCP host. */
export const DDNS_LISTEN = { address: "127.0.0.1", port: PORTS.ddns } as const;

/** The daemon's own keys (DHCID records), outside CoreDNS's prefix. */
export const DDNS_META_PREFIX = "/h5b-ddns/";

const files = { ...tlsFiles(PATHS.ddnsPki), tsig: PATHS.ddnsTsig };
export const DDNS_CREDENTIALS: readonly Credential[] = [
  { id: "tsig.key", source: files.tsig },
  { id: "etcd-ca.crt", source: files.ca },
  { id: "etcd-client.crt", source: files.cert },
  { id: "etcd-client.key", source: files.key },
];

/**
 * The config of `h5b ddns`, which runs beside kea-dhcp-ddns on the DHCP host: the DHCP zone and the reverse zones
 * of the static and DHCP ranges, kea-dhcp-ddns's TSIG key, and etcd over TLS (on loopback when the DNS host is the
 * same machine) as the `h5b-ddns` user, named by its client certificate. The etcd role of that user is derived from
 * this same object.
 */
export function ddnsConfig(plan: Plan): DdnsConfigInput {
  const cred = (id: string) => credentialPath(DDNS_UNIT, id);
  const etcd = plan.dns.host === plan.dns.dhcpHost ? `https://127.0.0.1:${plan.dns.etcdPort}` : plan.dns.etcdUrl;
  return {
    listen: [{ ...DDNS_LISTEN, udp: true, tcp: true }],
    zones: { forward: [plan.site.zones.dhcp], reverse: [...plan.dns.dhcpReverseZones] },
    tsig: { name: TSIG_KEY_NAME, algorithm: "hmac-sha256", secretFile: cred("tsig.key") },
    etcd: {
      endpoints: [etcd],
      prefix: plan.dns.prefix,
      metaPrefix: DDNS_META_PREFIX,
      tls: { ca: cred("etcd-ca.crt"), cert: cred("etcd-client.crt"), key: cred("etcd-client.key") },
    },
    owner: ETCD_USERS.ddns,
    // kea-dhcp-ddns drops an update answered SERVFAIL (etcd down): the daemon puts it right from Kea's lease files.
    reconcile: { leases: [PATHS.keaLeases4, ...(plan.lan.ipv6 !== undefined ? [PATHS.keaLeases6] : [])], intervalSeconds: 300 },
  };
}

export function emitDdnsFiles(plan: Plan, secrets: DnsSecrets): OutputFile[] {
  const host = plan.dns.dhcpHost;
  return [
    jsonFile(hostPath(host, PATHS.ddnsConfig), ddnsConfig(plan)),
    linesFile(hostPath(host, files.tsig), [secrets.tsigKey.reveal()], { mode: 0o600 }),
    ...tlsClientOutput(host, PATHS.ddnsPki, secrets.etcdCa, secrets.etcdClients[ETCD_USERS.ddns]),
  ];
}
