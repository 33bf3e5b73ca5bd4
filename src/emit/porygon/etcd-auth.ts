import { ddnsKeyPrefixes, parseDdnsConfig } from "../../ddns/index.js";
import type { Plan } from "../../plan/types.js";
import { ETCD_USERS, type EtcdUser } from "../../secrets/dns.js";
import { type OutputFile, hostPath, linesFile } from "../file.js";
import { ddnsConfig } from "./ddns-config.js";
import { namePath } from "../../ddns/layout.js";
import { shellQuote } from "../../_text.js";
import { etcdctlPrelude } from "./_etcdctl.js";
import { PATHS } from "./paths.js";

export interface EtcdPermission {
  readonly key: string;
  /** Every key starting with `key`, or that key only. */
  readonly prefix: boolean;
  readonly access: "read" | "readwrite";
}

/** One role per user, named like it; root has etcd's built-in root role. */
export interface EtcdRole {
  readonly user: Exclude<EtcdUser, "root">;
  readonly permissions: readonly EtcdPermission[];
}

/** CoreDNS's key path of a zone, with the trailing `/` that keeps a sibling such as `svc2` outside it. */
function zonePrefix(plan: Plan, zone: string): string {
  return `${namePath(plan.dns, zone.split("."))}/`;
}

/**
 * The writers' prefixes are disjoint (validation keeps the services and DHCP zones and their ranges apart), so a
 * DHCP client, whatever name it asks for, can never reach a service's keys, and external-dns never a host's.
 */
export function etcdRoles(plan: Plan): EtcdRole[] {
  const readAll: EtcdPermission = { key: plan.dns.prefix, prefix: true, access: "read" };
  const owned = (zone: string): EtcdPermission => ({ key: zonePrefix(plan, zone), prefix: true, access: "readwrite" });
  return [
    {
      user: ETCD_USERS.externalDns,
      // external-dns lists the whole prefix on every sync (then filters by its domain), so it reads it all;
      // what CoreDNS serves to the LAN anyway is no secret.
      permissions: [readAll, owned(plan.site.zones.services), ...plan.dns.serviceReverseZones.map(owned)],
    },
    { user: ETCD_USERS.coredns, permissions: [readAll] },
    { user: ETCD_USERS.ddns, permissions: ddnsKeyPrefixes(parseDdnsConfig(ddnsConfig(plan), "h5b ddns config")) },
  ];
}

/**
 * A script for Porygon that creates the users and roles and turns authentication on; run it again after a
 * change: each role is dropped and made anew, so a permission removed from the plan is removed from etcd.
 */
export function etcdAuthScript(plan: Plan): string[] {
  const lines = [
    "#!/bin/sh",
    "# etcd users and roles of Porygon's DNS (rendered by h5b). Every user is the common name of its client",
    "# certificate; none has a password. Safe to run again.",
    ...etcdctlPrelude(plan),
    "if ! e user get root 2>/dev/null; then e user add root --no-password; e user grant-role root root; fi",
  ];
  for (const role of etcdRoles(plan)) {
    const r = shellQuote(role.user);
    lines.push(`if e role get ${r} 2>/dev/null; then e role delete ${r}; fi`, `e role add ${r}`);
    for (const p of role.permissions) {
      lines.push(`e role grant-permission${p.prefix ? " --prefix=true" : ""} ${r} ${p.access} ${shellQuote(p.key)}`);
    }
    lines.push(`e user get ${r} 2>/dev/null || e user add ${r} --no-password`, `e user grant-role ${r} ${r}`);
  }
  lines.push("e auth enable");
  return lines;
}

export function etcdAuthFiles(plan: Plan): OutputFile[] {
  return [linesFile(hostPath(plan.dns.host, PATHS.etcdAuthScript), etcdAuthScript(plan), { mode: 0o755 })];
}
