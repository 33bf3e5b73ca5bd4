import { indent } from "../_text.js";
import { relative } from "node:path";
import type { Plan } from "../plan/types.js";
import type { WriteResult } from "../write/writer.js";
import { bold, dim, table } from "./_output.js";

/** What `h5b build` prints: where things are, in a screen or two. Never a secret. */
export function buildSummary(p: { plan: Plan; source: string; specFile?: string; written: WriteResult; secretsDir: string; cwd: string }): string {
  const { plan } = p;
  const rel = (x: string) => relative(p.cwd, x) || ".";
  const fam = (pair: { ipv4: string; ipv6?: string } | undefined) => plan.families.map((f) => pair?.[f] ?? "-");
  const out: string[] = [];
  out.push(`${bold("h5b build")} ${plan.site.name} ${dim(`from ${p.specFile !== undefined ? rel(p.specFile) : p.source}`)}`);
  out.push("", bold("Hosts"));
  const hostRows: string[][] = [];
  // The port and how it gets its address: a static address on a misnamed port leaves the host unreachable.
  const addressing = (name: string) => (plan.hostNetworks.some((n) => n.host === name) ? "static" : "reserved");
  for (const h of plan.hosts) {
    hostRows.push([h.name, h.roles.join(","), `${h.arch}/${h.os}`, `${h.lanNic.name} ${addressing(h.name)}`, ...fam(h.addresses)]);
    if (h.bmc !== undefined) hostRows.push([`  ${h.bmc.name}`, "bmc", "", "", ...fam(h.bmc.addresses)]);
  }
  out.push(indent(table(hostRows)));
  out.push("", bold("MetalLB pools"));
  out.push(indent(table(plan.cluster.pools.map((pool) => [pool.name, pool.autoAssign ? "auto-assigned" : "on request", ...pool.addresses]))));
  const publics = plan.loadBalancers.filter((lb) => lb.pool === "public");
  out.push("", bold("Public services"));
  out.push(
    publics.length === 0
      ? indent(dim("none"))
      : indent(table(publics.map((lb) => [lb.fqdn, ...fam(lb.addresses), lb.ports.map((x) => `${x.port}/${x.protocol.toLowerCase()}`).join(" ")]))),
  );
  const internals = plan.loadBalancers.filter((lb) => lb.pool === "internal");
  if (internals.length > 0) out.push("", bold("Internal services"), indent(internals.map((lb) => lb.fqdn).join("\n")));
  const v = plan.cluster.versions;
  const nfs = plan.storage !== undefined ? ` · csi-driver-nfs ${v.csiDriverNfs} · NFS server ${v.nfsServer}` : "";
  const image = plan.cluster.externalDns.imageTag;
  const externalDns = `external-dns chart ${v.externalDns}${image !== undefined ? ` (image ${image})` : ""}`;
  out.push("", `${bold("Versions")} k3s ${v.k3s} · Cilium ${v.cilium} · MetalLB ${v.metallb} · ${externalDns}${nfs}`);
  out.push(`${bold("Secrets")} ${rel(p.secretsDir)}/ ${dim("(mode 0600, outside git, never printed)")}`);
  const size = `${p.written.files} files (${(p.written.bytes / 1024).toFixed(1)} KiB)`;
  out.push(p.written.unchanged ? `${bold("Unchanged")} ${rel(p.written.dir)}/ already holds these ${size}` : `${bold("Wrote")} ${size} to ${rel(p.written.dir)}/`);
  return `${out.join("\n")}\n`;
}
