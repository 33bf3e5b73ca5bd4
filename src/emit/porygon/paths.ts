/**
 * Where Porygon's files live on the host, and the loopback ports its daemons use between themselves. Kea's paths
 * are the Debian package's own (its units, its AppArmor profile and Kea 2.6.3+'s path restrictions all expect them).
 */
export const PATHS = {
  kea4: "/etc/kea/kea-dhcp4.conf",
  kea6: "/etc/kea/kea-dhcp6.conf",
  keaDdns: "/etc/kea/kea-dhcp-ddns.conf",
  keaLeases4: "/var/lib/kea/kea-leases4.csv",
  keaLeases6: "/var/lib/kea/kea-leases6.csv",
  keaSocket4: "/run/kea/kea4-ctrl-socket",
  keaSocket6: "/run/kea/kea6-ctrl-socket",
  keaSocketDdns: "/run/kea/kea-ddns-ctrl-socket",
  etcdConfig: "/etc/etcd/etcd.conf.yml",
  etcdData: "/var/lib/etcd/default",
  etcdPki: "/etc/etcd/pki",
  etcdAuthScript: "/usr/local/sbin/h5b-etcd-auth",
  hostRecordsScript: "/usr/local/sbin/h5b-host-records",
  corefile: "/etc/coredns/Corefile",
  corednsPki: "/etc/coredns/etcd",
  dnscrypt: "/etc/dnscrypt-proxy/dnscrypt-proxy.toml",
  dnscryptForwarding: "/etc/dnscrypt-proxy/forwarding-rules.txt",
  dnscryptCache: "/var/cache/dnscrypt-proxy",
  ddnsConfig: "/etc/h5b/ddns.json",
  ddnsTsig: "/etc/h5b/ddns.tsig",
  ddnsPki: "/etc/h5b/etcd",
  units: "/etc/systemd/system",
} as const;

/** Loopback ports: kea-dhcp-ddns's NCR listener (Kea's default), `h5b ddns`, dnscrypt-proxy, etcd's peer port. */
export const PORTS = { d2: 53001, ddns: 5300, dnscrypt: 5053, etcdPeer: 2380, corednsHealth: 8080, corednsReady: 8181, corednsMetrics: 9153 } as const;

/** The name of the TSIG key in kea-dhcp-ddns and `h5b ddns`. */
export const TSIG_KEY_NAME = "h5b-ddns";

/** Zone names in the absolute form Kea prefers. */
export const fqdn = (name: string) => (name.endsWith(".") ? name : `${name}.`);
