import { createHash } from "node:crypto";
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
 * The name of a user's role: the user's name and a hash of its permissions, so that a changed set of permissions is
 * a new role and an unchanged one the same role.
 */
export function etcdRoleName(role: EtcdRole): string {
  const perms = role.permissions.map((p) => `${p.access} ${p.prefix ? "prefix" : "key"} ${p.key}`).join("\n");
  return `${role.user}-${createHash("sha256").update(perms).digest("hex").slice(0, 8)}`;
}

/**
 * A script for Porygon that creates the users and roles and turns authentication on; h5b-etcd-setup.service runs it
 * each time etcd starts.
 * A user never goes without its permissions, not even for a moment (CoreDNS and h5b ddns read and write all the
 * time): the new role is made and granted first, and only then are the user's other roles revoked and deleted. An
 * unchanged plan is the same role, granted again, which changes nothing.
 */
export function etcdAuthScript(plan: Plan): string[] {
  const lines = [
    "#!/bin/sh",
    "# etcd users and roles of Porygon's DNS (rendered by h5b). Every user is the common name of its client",
    "# certificate; none has a password. Safe to run again.",
    ...etcdctlPrelude(plan),
    "if ! e user get root 2>/dev/null; then e user add root --no-password; e user grant-role root root; fi",
    "# The roles a user has, one a line.",
    `roles_of() { ctl user get "$1" | sed -n 's/^Roles: *//p' | tr ' ' '\\n' | sed '/^$/d'; }`,
  ];
  for (const role of etcdRoles(plan)) {
    const u = shellQuote(role.user);
    const r = shellQuote(etcdRoleName(role));
    lines.push(`e role get ${r} 2>/dev/null || e role add ${r}`);
    for (const p of role.permissions) {
      lines.push(`e role grant-permission${p.prefix ? " --prefix=true" : ""} ${r} ${p.access} ${shellQuote(p.key)}`);
    }
    lines.push(
      `e user get ${u} 2>/dev/null || e user add ${u} --no-password`,
      `roles_of ${u} | grep -qx ${r} || e user grant-role ${u} ${r}`,
      // Assigned first: a failed lookup inside the for list would pass unnoticed under set -e.
      `roles=$(roles_of ${u})`,
      "for old in $roles; do",
      `  if [ "$old" != ${r} ]; then e user revoke-role ${u} "$old"; e role delete "$old"; fi`,
      "done",
    );
  }
  lines.push("e auth enable");
  return lines;
}

export function etcdAuthFiles(plan: Plan): OutputFile[] {
  return [linesFile(hostPath(plan.dns.host, PATHS.etcdAuthScript), etcdAuthScript(plan), { mode: 0o755 })];
}
