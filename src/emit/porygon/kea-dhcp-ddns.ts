import type { Plan } from "../../plan/types.js";
import type { DnsSecrets } from "../../secrets/dns.js";
import { type OutputFile, hostPath, jsonFile, linesFile } from "../file.js";
import { controlSocket, keaLoggers } from "./_kea.js";
import { fqdn, PATHS, PORTS, TSIG_KEY_NAME } from "./paths.js";

/**
 * kea-dhcp-ddns turns Kea's name change requests into TSIG-signed RFC 2136 updates, all sent to `h5b ddns` on
 * loopback: the DHCP zone and the reverse zones of the static and DHCP ranges. It embeds the TSIG key: mode 0600.
 */
export function keaDhcpDdns(plan: Plan, secrets: DnsSecrets): OutputFile[] {
  const domain = (name: string) => ({ name: fqdn(name), "key-name": TSIG_KEY_NAME, "dns-servers": [{ "ip-address": "127.0.0.1", port: PORTS.ddns }] });
  const config = {
    DhcpDdns: {
      "ip-address": "127.0.0.1",
      port: PORTS.d2,
      // Longer than h5b ddns's own etcd deadline, so a slow etcd gets a SERVFAIL (retried), not a silent timeout.
      "dns-server-timeout": 1000,
      "ncr-protocol": "UDP",
      "ncr-format": "JSON",
      "control-socket": controlSocket(PATHS.keaSocketDdns),
      "tsig-keys": [{ name: TSIG_KEY_NAME, algorithm: "HMAC-SHA256", secret: secrets.tsigKey.reveal() }],
      "forward-ddns": { "ddns-domains": [domain(plan.site.zones.dhcp)] },
      "reverse-ddns": { "ddns-domains": plan.dns.dhcpReverseZones.map(domain) },
      loggers: keaLoggers("kea-dhcp-ddns"),
    },
  };
  return [
    jsonFile(hostPath(plan.dns.dhcpHost, PATHS.keaDdns), config, { mode: 0o600 }),
    // The file stays root's; Debian's unit runs as _kea, so it gets a private copy as a systemd credential (%d).
    linesFile(hostPath(plan.dns.dhcpHost, `${PATHS.units}/kea-dhcp-ddns-server.service.d/h5b.conf`), [
      "[Service]",
      `LoadCredential=kea-dhcp-ddns.conf:${PATHS.keaDdns}`,
      "ExecStart=",
      "ExecStart=/usr/sbin/kea-dhcp-ddns -c %d/kea-dhcp-ddns.conf",
    ]),
  ];
}
