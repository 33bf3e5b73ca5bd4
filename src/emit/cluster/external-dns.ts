import type { Plan, PlanExternalDnsInstance } from "../../plan/types.js";
import { helmChart } from "./_helm.js";

export const EXTERNAL_DNS_NAMESPACE = "external-dns";
/** Secret (in the external-dns namespace) with the etcd CA and external-dns's client certificate and key. */
export const EXTERNAL_DNS_ETCD_SECRET = "external-dns-etcd";
const TLS_DIR = "/etc/external-dns/etcd";

/** The values of one instance (plan.cluster.externalDns.instances: one per address family). */
export function externalDnsValues(plan: Plan, instance: PlanExternalDnsInstance): Record<string, unknown> {
  const ed = plan.cluster.externalDns;
  return {
    ...(ed.imageTag !== undefined ? { image: { tag: ed.imageTag } } : {}),
    provider: { name: "coredns" },
    // etcd authenticates external-dns by the common name of its client certificate; its role reaches only
    // the services zone's keys, so it cannot touch the names h5b ddns writes for DHCP clients.
    env: [
      { name: "ETCD_URLS", value: plan.dns.etcdUrl },
      { name: "ETCD_CA_FILE", value: `${TLS_DIR}/ca.crt` },
      { name: "ETCD_CERT_FILE", value: `${TLS_DIR}/tls.crt` },
      { name: "ETCD_KEY_FILE", value: `${TLS_DIR}/tls.key` },
      { name: "ETCD_TLS_SERVER_NAME", value: plan.dns.etcdServerName },
    ],
    extraVolumes: [{ name: "etcd-tls", secret: { secretName: EXTERNAL_DNS_ETCD_SECRET, defaultMode: 0o400 } }],
    extraVolumeMounts: [{ name: "etcd-tls", mountPath: TLS_DIR, readOnly: true }],
    sources: ["service", "ingress"],
    domainFilters: [plan.site.zones.services],
    txtOwnerId: instance.ownerId,
    policy: ed.policy,
    registry: "txt",
    interval: ed.interval,
    // Older charts (k3OS's 1.14) have neither value; their external-dns reads the flags all the same.
    ...(ed.strictlyOwned ? { annotationPrefix: ed.annotationPrefix, managedRecordTypes: instance.recordTypes } : {}),
    extraArgs: [
      `--coredns-prefix=${ed.prefix}`,
      ...(ed.strictlyOwned ? ["--coredns-strictly-owned"] : instance.recordTypes.map((t) => `--managed-record-types=${t}`)),
    ],
  };
}

export function externalDnsCharts(plan: Plan): Record<string, unknown>[] {
  return plan.cluster.externalDns.instances.map((instance) =>
    helmChart({
      name: instance.release,
      repo: "https://kubernetes-sigs.github.io/external-dns/",
      chart: "external-dns",
      version: plan.cluster.versions.externalDns,
      targetNamespace: EXTERNAL_DNS_NAMESPACE,
      values: externalDnsValues(plan, instance),
    }),
  );
}
