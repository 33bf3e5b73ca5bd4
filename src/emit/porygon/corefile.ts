import type { Plan } from "../../plan/types.js";
import { type DnsSecrets, ETCD_USERS } from "../../secrets/dns.js";
import { type OutputFile, hostPath, linesFile } from "../file.js";
import { type Credential, credentialPath } from "./credentials.js";
import { PATHS, PORTS } from "./paths.js";
import { tlsClientOutput, tlsFiles } from "./tls-client.js";

export const COREDNS_UNIT = "coredns.service";
const tls = tlsFiles(PATHS.corednsPki);
export const COREDNS_CREDENTIALS: readonly Credential[] = [
  { id: "etcd-ca.crt", source: tls.ca },
  { id: "etcd-client.crt", source: tls.cert },
  { id: "etcd-client.key", source: tls.key },
];

/** The zones CoreDNS serves from etcd: the services and DHCP zones and the reverse zones of the whole LAN. */
export function homeZones(plan: Plan): string[] {
  // The range zones lie inside the LAN's reverse zones; list one only if some odd spec puts it outside.
  const lan = plan.dns.lanReverseZones;
  const outside = (z: string) => !lan.some((l) => z === l || z.endsWith(`.${l}`));
  return [
    plan.site.zones.services,
    plan.site.zones.dhcp,
    ...new Set([...lan, ...[...plan.dns.serviceReverseZones, ...plan.dns.dhcpReverseZones].filter(outside)]),
  ];
}

/**
 * Two server blocks. The home zones (services, DHCP, their reverse zones and the reverse zones of the whole LAN)
 * come from etcd alone: every name in them is ours, so a name nobody wrote is NXDOMAIN and no `fallthrough` is
 * needed (one would only send those questions on to the internet). Everything else goes to dnscrypt-proxy on
 * loopback. Both blocks listen only on Porygon's own addresses.
 */
export function corefile(plan: Plan): string[] {
  const zones = homeZones(plan);
  const bind = `bind ${[...plan.families.map((f) => plan.dns.addresses[f] as string), "127.0.0.1", "::1"].join(" ")}`;
  const cred = (id: string) => credentialPath(COREDNS_UNIT, id);
  return [
    `# CoreDNS on ${plan.dns.host} (rendered by h5b): the home zones from etcd, the rest through dnscrypt-proxy.`,
    `${zones.join(" ")} {`,
    `    ${bind}`,
    "    errors",
    "    log",
    `    etcd ${zones.join(" ")} {`,
    `        path ${plan.dns.prefix.replace(/\/$/, "")}`,
    `        endpoint https://127.0.0.1:${plan.dns.etcdPort}`,
    `        tls ${cred("etcd-client.crt")} ${cred("etcd-client.key")} ${cred("etcd-ca.crt")}`,
    "    }",
    ...cache(30),
    `    prometheus :${PORTS.corednsMetrics}`,
    "}",
    ". {",
    `    ${bind}`,
    "    errors",
    "    log . {",
    "        class denial error",
    "    }",
    // For checks on Porygon itself; the metrics stay on every address, for a scraper elsewhere on the LAN.
    `    health 127.0.0.1:${PORTS.corednsHealth}`,
    `    ready 127.0.0.1:${PORTS.corednsReady}`,
    `    forward . 127.0.0.1:${PORTS.dnscrypt}`,
    ...cache(300),
    `    prometheus :${PORTS.corednsMetrics}`,
    "}",
  ];
}

/**
 * A cache that answers from expired entries for an hour when the source fails (etcd stopped, the relays
 * unreachable): without it every name vanishes once its TTL runs out, and each question first waits out the
 * source's timeout. An expired entry is answered at once and refreshed behind it.
 */
function cache(ttl: number): string[] {
  return [`    cache ${ttl} {`, "        serve_stale 1h immediate", "    }"];
}

/** The Corefile and CoreDNS's etcd client files (user coredns). */
export function emitCorefile(plan: Plan, secrets: DnsSecrets): OutputFile[] {
  return [
    linesFile(hostPath(plan.dns.host, PATHS.corefile), corefile(plan)),
    ...tlsClientOutput(plan.dns.host, PATHS.corednsPki, secrets.etcdCa, secrets.etcdClients[ETCD_USERS.coredns]),
  ];
}
