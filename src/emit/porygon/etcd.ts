import type { Plan } from "../../plan/types.js";
import type { DnsSecrets } from "../../secrets/dns.js";
import { type OutputFile, hostPath, linesFile, yamlFile } from "../file.js";
import { type Credential, credentialPath, loadCredentialLines } from "./credentials.js";
import { PATHS, PORTS } from "./paths.js";

export const ETCD_UNIT = "etcd.service";
const pki = (name: string) => `${PATHS.etcdPki}/${name}`;
export const ETCD_CREDENTIALS: readonly Credential[] = [{ id: "server.key", source: pki("server.key") }];

/**
 * etcd's single-node configuration: clients over TLS only, each authenticated by its certificate (the common
 * name is the etcd user), on Porygon's addresses and loopback; the peer port only on loopback, as no other
 * member exists.
 */
export function etcdConfig(plan: Plan): Record<string, unknown> {
  const url = (a: string) => `https://${a.includes(":") ? `[${a}]` : a}:${plan.dns.etcdPort}`;
  const own = plan.families.map((f) => url(plan.dns.addresses[f] as string));
  const peer = `http://127.0.0.1:${PORTS.etcdPeer}`;
  return {
    name: plan.dns.host,
    "data-dir": PATHS.etcdData,
    "listen-client-urls": [...own, url("127.0.0.1")].join(","),
    "advertise-client-urls": own.join(","),
    "listen-peer-urls": peer,
    "initial-advertise-peer-urls": peer,
    "initial-cluster": `${plan.dns.host}=${peer}`,
    "initial-cluster-state": "new",
    "initial-cluster-token": `h5b-${plan.site.name}`,
    "client-transport-security": {
      "cert-file": pki("server.crt"),
      "key-file": credentialPath(ETCD_UNIT, "server.key"),
      "trusted-ca-file": pki("ca.crt"),
      "client-cert-auth": true,
    },
    // Every client speaks gRPC; the JSON gateway would be one more way in (etcd 3.4 serves it unless told not to).
    "enable-grpc-gateway": false,
    logger: "zap",
    "log-outputs": ["stderr"],
    // DNS records change rarely but renewals rewrite them; keep an hour of history, not all of it.
    "auto-compaction-mode": "periodic",
    "auto-compaction-retention": "1h",
  };
}

export function emitEtcd(plan: Plan, secrets: DnsSecrets): OutputFile[] {
  const host = plan.dns.host;
  const root = secrets.etcdClients.root;
  return [
    yamlFile(hostPath(host, PATHS.etcdConfig), etcdConfig(plan), { header: "etcd on Porygon: CoreDNS's records (rendered by h5b)." }),
    linesFile(hostPath(host, `${PATHS.etcdPki}/ca.crt`), [secrets.etcdCa.trim()]),
    linesFile(hostPath(host, pki("server.crt")), [secrets.etcdServer.cert.trim()]),
    linesFile(hostPath(host, pki("server.key")), [secrets.etcdServer.key.reveal().trim()], { mode: 0o600 }),
    // The administrator's certificate (user root), used by the auth script on Porygon only.
    linesFile(hostPath(host, pki("root.crt")), [root.cert.trim()]),
    linesFile(hostPath(host, pki("root.key")), [root.key.reveal().trim()], { mode: 0o600 }),
    // Debian's unit runs /usr/bin/etcd as user etcd; it reads the config file named by this variable. It binds
    // Porygon's own addresses, which may still be tentative (IPv6 DAD) just after boot: start after the network
    // is online, and retry a failed start, which Debian's Restart=on-abnormal would not.
    linesFile(hostPath(host, `${PATHS.units}/${ETCD_UNIT}.d/h5b.conf`), [
      "[Unit]",
      "After=network-online.target",
      "",
      "[Service]",
      `Environment=ETCD_CONFIG_FILE=${PATHS.etcdConfig}`,
      ...loadCredentialLines(ETCD_CREDENTIALS),
      "Restart=on-failure",
      "RestartSec=2s",
    ]),
  ];
}
