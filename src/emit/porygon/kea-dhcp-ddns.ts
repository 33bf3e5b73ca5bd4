import type { Plan } from "../../plan/types.js";
import type { DnsSecrets } from "../../secrets/dns.js";
import { type OutputFile, hostPath, jsonFile, linesFile } from "../file.js";
import { controlSocket, keaLoggers } from "./_kea.js";
import { DDNS_LISTEN, DDNS_UNIT } from "./ddns-config.js";
import { fqdn, PATHS, PORTS, TSIG_KEY_NAME } from "./paths.js";

/** The group of Debian's Kea daemons. */
export const KEA_GROUP = "_kea";

/** Debian's unit of kea-dhcp-ddns. */
export const KEA_DDNS_UNIT = "kea-dhcp-ddns-server.service";

/**
 * kea-dhcp-ddns turns Kea's name change requests into TSIG-signed RFC 2136 updates, all sent to `h5b ddns` on
 * loopback: the DHCP zone and the reverse zones of the static and DHCP ranges. It embeds the TSIG key: mode 0640,
 * group {@link KEA_GROUP}.
 */
export function keaDhcpDdns(plan: Plan, secrets: DnsSecrets): OutputFile[] {
  const domain = (name: string) => ({ name: fqdn(name), "key-name": TSIG_KEY_NAME, "dns-servers": [{ "ip-address": DDNS_LISTEN.address, port: DDNS_LISTEN.port }] });
  const config = {
    DhcpDdns: {
      "ip-address": "127.0.0.1",
      port: PORTS.d2,
      // Longer than h5b ddns's own etcd deadline, so a slow etcd gets a prompt SERVFAIL, not a silent timeout. Kea
      // 2.2 drops an update answered SERVFAIL; h5b ddns's own reconcile puts the name in from the lease files.
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
  // Debian's unit runs kea-dhcp-ddns as _kea, and Debian's AppArmor profile lets it read only /etc/kea: the file is
  // root's, group _kea (set by the porygon role), unreadable to others. Kea 2.2 has no key file of its own.
  return [
    jsonFile(hostPath(plan.dns.dhcpHost, PATHS.keaDdns), config, { mode: 0o640 }),
    // Started after h5b ddns (Debian's unit knows nothing of it): at boot, the updates kea-dhcp-ddns sends first
    // would otherwise meet a closed port, and a timed-out update is given up after three tries.
    linesFile(hostPath(plan.dns.dhcpHost, `${PATHS.units}/${KEA_DDNS_UNIT}.d/h5b.conf`), ["[Unit]", `Wants=${DDNS_UNIT}`, `After=${DDNS_UNIT}`]),
  ];
}
