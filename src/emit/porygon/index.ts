import type { Plan } from "../../plan/types.js";
import type { Secrets } from "../../secrets/store.js";
import type { OutputFile } from "../file.js";
import { emitCorefile } from "./corefile.js";
import { emitDdnsFiles } from "./ddns-config.js";
import { emitDnscrypt } from "./dnscrypt-proxy.js";
import { emitEtcd } from "./etcd.js";
import { etcdAuthFiles } from "./etcd-auth.js";
import { etcdSetupFiles } from "./etcd-setup.js";
import { externalDnsEtcdSecret } from "./external-dns-secret.js";
import { hostRecordsFiles } from "./host-records.js";
import { keaDhcp4 } from "./kea-dhcp4.js";
import { keaDhcp6 } from "./kea-dhcp6.js";
import { keaDhcpDdns } from "./kea-dhcp-ddns.js";
import { emitUnits } from "./systemd.js";

export { corefile, homeZones } from "./corefile.js";
export { ddnsConfig } from "./ddns-config.js";
export { dnscryptConfig } from "./dnscrypt-proxy.js";
export { etcdConfig } from "./etcd.js";
export { etcdAuthScript, etcdRoles } from "./etcd-auth.js";
export type { EtcdPermission, EtcdRole } from "./etcd-auth.js";
export { ETCD_SETUP_UNIT } from "./etcd-setup.js";
export { EXTERNAL_DNS_SECRET_FILE } from "./external-dns-secret.js";
export { HOST_RECORD_MARKS, HOST_RECORD_OWNER, hostRecords, hostRecordsScript, leasedRecordPrefixes, zoneTopRecords } from "./host-records.js";
export { PATHS, PORTS, TSIG_KEY_NAME } from "./paths.js";

/** Porygon, the DNS/DHCP host: Kea, kea-dhcp-ddns, h5b ddns, etcd, CoreDNS, dnscrypt-proxy, and their units. */
export function emitPorygon(plan: Plan, secrets: Secrets): OutputFile[] {
  const dns = secrets.dns;
  return [
    keaDhcp4(plan),
    ...keaDhcp6(plan),
    ...keaDhcpDdns(plan, dns),
    ...emitDdnsFiles(plan, dns),
    ...emitEtcd(plan, dns),
    ...etcdAuthFiles(plan),
    ...hostRecordsFiles(plan),
    ...etcdSetupFiles(plan),
    ...emitCorefile(plan, dns),
    ...emitDnscrypt(plan),
    ...emitUnits(plan),
    externalDnsEtcdSecret(plan, dns),
  ];
}
