import type { Plan } from "../../plan/types.js";
import { type DnsSecrets, ETCD_USERS } from "../../secrets/dns.js";
import { EXTERNAL_DNS_ETCD_SECRET, EXTERNAL_DNS_NAMESPACE } from "../cluster/external-dns.js";
import { type OutputFile, hostPath, yamlFile } from "../file.js";

/** Where k3s applies it on start (auto-deploy manifests of the server); it holds a private key: mode 0600. */
export const EXTERNAL_DNS_SECRET_FILE = "/var/lib/rancher/k3s/server/manifests/h5b-31-external-dns-etcd.yaml";

/** external-dns's etcd client certificate (user external-dns) and the CA, mounted by its chart values. */
export function externalDnsEtcdSecret(plan: Plan, secrets: DnsSecrets): OutputFile {
  const client = secrets.etcdClients[ETCD_USERS.externalDns];
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: EXTERNAL_DNS_ETCD_SECRET, namespace: EXTERNAL_DNS_NAMESPACE },
    type: "Opaque",
    stringData: { "ca.crt": secrets.etcdCa, "tls.crt": client.cert, "tls.key": client.key.reveal() },
  };
  return yamlFile(hostPath(plan.cluster.server, EXTERNAL_DNS_SECRET_FILE), secret, { mode: 0o600 });
}
