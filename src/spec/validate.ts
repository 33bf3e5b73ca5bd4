import { type Cidr, canonicalAddress, cidrContains, cidrContainsAddress, cidrOverlaps, isBuggyIPv4, isNetworkAddress, nthAddress, parseCidr, poolCapacity, reverseZones } from "../_net.js";
import { parseBytes } from "../_quantity.js";
import { error, type Issue, warning } from "../issue.js";
import { APPS_NAMESPACE, workloadSecretName } from "../plan/build.js";
import { allocatable, requestOf } from "../plan/capacity.js";
import { ODOH_OPERATORS, odohRoutes } from "../plan/odoh.js";
import { ciliumIngress, resolveVersions } from "../plan/versions.js";
import type { Homelab } from "./homelab.js";
import { rangeNames } from "./network.js";
import { WILDCARD_LABEL, ZONE_META_LABEL } from "../ddns/layout.js";

type Push = (i: Issue) => void;

/**
 * The design's rules that a schema cannot say: address plans, roles, references, capacity and versions.
 * Returns every issue found; never throws on a spec the schema accepted.
 */
export function validateHomelab(spec: Homelab): Issue[] {
  const issues: Issue[] = [];
  const push: Push = (i) => issues.push(i);
  const { versions, issues: versionIssues } = resolveVersions(spec);
  // The Cilium ingress as the plan has it: left out where the versions cannot run it (versions.ts warns).
  const ingress = ciliumIngress(spec, versions);
  const cidrs = checkNetworks(spec, push);
  checkHosts(spec, cidrs, push);
  checkRoles(spec, push);
  checkZones(spec, ingress, push);
  checkWorkloads(spec, cidrs, ingress, push);
  checkStorage(spec, push);
  checkAccess(spec, push);
  checkSite(spec, push);
  issues.push(...versionIssues);
  return issues;
}

interface LanCidrs {
  readonly ipv4?: { prefix: Cidr; ranges: Record<string, Cidr> };
  readonly ipv6?: { prefix: Cidr; ranges: Record<string, Cidr> };
}

function cidrAt(text: string, path: string, push: Push): Cidr {
  if (!isNetworkAddress(text)) {
    const c = parseCidr(text);
    push(error("cidr-host-bits", path, `${text} has host bits set; did you mean ${canonicalNetwork(c)}?`));
  }
  return parseCidr(text);
}

function canonicalNetwork(c: Cidr): string {
  // parseCidr already rounded `first` down to the network address.
  return `${nthAddress(c, 0n)}/${c.prefixLength}`;
}

function checkNetworks(spec: Homelab, push: Push): LanCidrs {
  const lan = spec.networks.lan;
  const out: { ipv4?: { prefix: Cidr; ranges: Record<string, Cidr> }; ipv6?: { prefix: Cidr; ranges: Record<string, Cidr> } } = {};
  for (const fam of ["ipv4", "ipv6"] as const) {
    const side = lan[fam];
    if (side === undefined) continue;
    const base = `networks.lan.${fam}`;
    const prefix = cidrAt(side.prefix, `${base}.prefix`, push);
    if (fam === "ipv6" && prefix.prefixLength !== 64) {
      push(warning("ipv6-prefix-not-64", `${base}.prefix`, `SLAAC needs a /64; ${side.prefix} is a /${prefix.prefixLength}`));
    }
    const ranges: Record<string, Cidr> = {};
    for (const name of rangeNames) {
      const path = `${base}.ranges.${name}`;
      const r = cidrAt(side.ranges[name], path, push);
      ranges[name] = r;
      if (!cidrContains(prefix, r)) push(error("range-outside", path, `${side.ranges[name]} is outside the LAN prefix ${side.prefix}`));
    }
    for (let i = 0; i < rangeNames.length; i++) {
      for (let j = 0; j < i; j++) {
        const a = rangeNames[i] as (typeof rangeNames)[number];
        const b = rangeNames[j] as (typeof rangeNames)[number];
        if (cidrOverlaps(ranges[a] as Cidr, ranges[b] as Cidr)) {
          push(error("range-overlap", `${base}.ranges.${a}`, `overlaps ${base}.ranges.${b} (${side.ranges[b]})`));
        }
      }
    }
    if (side.gateway !== undefined) {
      if (!cidrContainsAddress(prefix, side.gateway)) push(error("address-outside", `${base}.gateway`, `${side.gateway} is outside ${side.prefix}`));
      for (const name of ["dhcp", "internal", "public"] as const) {
        if (cidrContainsAddress(ranges[name] as Cidr, side.gateway)) {
          push(error("address-in-range", `${base}.gateway`, `${side.gateway} is inside the ${name} range ${side.ranges[name]}`));
        }
      }
    }
    // h5b ddns owns the reverse zones of static and DHCP, external-dns those of the pools; etcd roles give each
    // writer its zones' key prefixes, so no zone may hold ranges of both.
    const zonesOf = (names: readonly ("static" | "dhcp" | "internal" | "public")[]) =>
      names.flatMap((n) => reverseZones(ranges[n] as Cidr).map((z) => ({ z, n })));
    const nested = (a: string, b: string) => a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
    for (const d of zonesOf(["static", "dhcp"])) {
      for (const s of zonesOf(["internal", "public"])) {
        if (nested(d.z, s.z)) {
          push(error("reverse-zone-shared", `${base}.ranges.${s.n}`, `shares the reverse zone ${s.z.length > d.z.length ? d.z : s.z} with the ${d.n} range; align the ranges so that each reverse zone has one writer`));
        }
      }
    }
    out[fam] = { prefix, ranges };
  }

  const hasV6 = lan.ipv6 !== undefined;
  for (const which of ["pods", "services"] as const) {
    const pair = spec.networks[which];
    for (const fam of ["ipv4", "ipv6"] as const) {
      const text = pair[fam];
      const path = `networks.${which}.${fam}`;
      if (text === undefined) continue;
      if (fam === "ipv6" && !hasV6) {
        push(error("ipv6-without-lan", path, "the LAN has no IPv6 prefix, so the cluster is IPv4-only; remove this"));
        continue;
      }
      const c = cidrAt(text, path, push);
      const lanSide = out[fam];
      if (lanSide !== undefined && cidrOverlaps(c, lanSide.prefix)) {
        push(error("cluster-cidr-overlap", path, `overlaps the LAN prefix networks.lan.${fam}.prefix (${lan[fam]?.prefix})`));
      }
      if (which === "pods") {
        // The controller-manager gives each node a /24 (IPv6: /64) of the pod CIDR, and Cilium (IPAM mode
        // "kubernetes") takes a node's pod addresses from it: a node left without one never runs a pod.
        const nodeBits = fam === "ipv4" ? NODE_POD_PREFIX.ipv4 : NODE_POD_PREFIX.ipv6;
        const nodes = Object.values(spec.hosts).filter((h) => h.roles.includes("k3s-server") || h.roles.includes("k3s-agent")).length;
        const room = c.prefixLength > nodeBits ? 0 : 2 ** Math.min(nodeBits - c.prefixLength, 30);
        if (room < nodes) {
          push(error("pods-cidr-too-small", path, `holds ${room} node prefixes of /${nodeBits} (one per k3s node) for ${nodes} k3s nodes; use a /${nodeBits - Math.ceil(Math.log2(Math.max(nodes, 1)))} or larger`));
        }
        // The controller-manager refuses to start when the node prefix is more than 16 bits longer.
        if (nodeBits - c.prefixLength > 16) {
          push(error("pods-cidr-too-large", path, `the controller-manager splits at most 16 bits below the pod CIDR into /${nodeBits} node prefixes; ${text} is a /${c.prefixLength}, use a /${nodeBits - 16} or smaller`));
        }
      }
      if (which === "services") {
        const maxBits = fam === "ipv4" ? 12 : 112;
        if (c.prefixLength < maxBits) push(error("service-cidr-too-large", path, `k3s allows at most a /${maxBits} service CIDR; ${text} is a /${c.prefixLength}`));
        const pods = spec.networks.pods[fam];
        if (pods !== undefined && cidrOverlaps(c, parseCidr(pods))) {
          push(error("cluster-cidr-overlap", path, `overlaps networks.pods.${fam} (${pods})`));
        }
      }
    }
  }
  return out;
}

/** The prefix length of each node's share of the pod CIDR (kube-controller-manager's node-cidr-mask-size defaults). */
const NODE_POD_PREFIX = { ipv4: 24, ipv6: 64 } as const;

function checkHosts(spec: Homelab, cidrs: LanCidrs, push: Push): void {
  const addresses = new Map<string, string>();
  const macs = new Map<string, string>();
  const hasV6 = spec.networks.lan.ipv6 !== undefined;

  const claimAddress = (addr: string, path: string) => {
    const key = canonicalAddress(addr);
    const prev = addresses.get(key);
    if (prev !== undefined) push(error("address-duplicate", path, `${addr} is already used by ${prev}`));
    else addresses.set(key, path);
  };
  const checkAddressPair = (pair: { ipv4: string; ipv6?: string | undefined }, path: string) => {
    for (const fam of ["ipv4", "ipv6"] as const) {
      const addr = pair[fam];
      const p = `${path}.${fam}`;
      if (addr === undefined) {
        if (fam === "ipv6" && hasV6) push(error("missing", p, "the LAN is dual-stack, so every static host needs an IPv6 address"));
        continue;
      }
      const side = cidrs[fam];
      if (side === undefined) {
        push(error("ipv6-without-lan", p, "the LAN has no IPv6 prefix; remove this address"));
        continue;
      }
      if (!cidrContainsAddress(side.ranges.static as Cidr, addr)) {
        push(error("address-outside-static", p, `${addr} is outside the static range networks.lan.${fam}.ranges.static (${spec.networks.lan[fam]?.ranges.static})`));
      }
      claimAddress(addr, p);
    }
  };
  const claimMac = (mac: string, path: string) => {
    const key = mac.toLowerCase();
    const prev = macs.get(key);
    if (prev !== undefined) push(error("mac-duplicate", path, `${mac} is already used by ${prev}`));
    else macs.set(key, path);
  };

  for (const [name, host] of Object.entries(spec.hosts)) {
    const base = `hosts.${name}`;
    checkAddressPair(host.addresses, `${base}.addresses`);
    const nicNames = new Set<string>();
    host.hardware.nics.forEach((nic, i) => {
      const p = `${base}.hardware.nics[${i}]`;
      if (nicNames.has(nic.name)) push(error("nic-duplicate", `${p}.name`, `interface ${nic.name} is listed twice`));
      nicNames.add(nic.name);
      claimMac(nic.mac, `${p}.mac`);
      if (nic.network === "wan" && !host.roles.includes("gateway")) {
        push(error("wan-nic-without-gateway", `${p}.network`, "only the host with the gateway role has a WAN port"));
      }
    });
    if (!host.hardware.nics.some((n) => n.network === "lan")) push(error("no-lan-nic", `${base}.hardware.nics`, "a host needs a port on the LAN"));
    if (host.roles.includes("gateway") && host.hardware.nics.filter((n) => n.network === "wan").length !== 1) {
      push(error("gateway-wan-nic", `${base}.hardware.nics`, "the gateway needs exactly one port with network: wan"));
    }
    const bmc = host.hardware.bmc;
    if (bmc !== undefined) {
      claimMac(bmc.mac, `${base}.hardware.bmc.mac`);
      checkAddressPair(bmc.addresses, `${base}.hardware.bmc.addresses`);
    }
    const diskIds = new Set<string>();
    host.hardware.disks.forEach((d, i) => {
      if (diskIds.has(d.id)) push(error("disk-duplicate", `${base}.hardware.disks[${i}].id`, `disk ${d.id} is listed twice`));
      diskIds.add(d.id);
      if (new Set(d.roles).size !== d.roles.length) push(error("disk-role-duplicate", `${base}.hardware.disks[${i}].roles`, "a role is listed twice"));
      if (d.roles.includes("data") && d.roles.length > 1) {
        push(error("disk-role-conflict", `${base}.hardware.disks[${i}].roles`, "a data disk belongs to the pool whole; it cannot also be boot, slog or l2arc"));
      }
    });
    const isNode = host.roles.includes("k3s-server") || host.roles.includes("k3s-agent");
    Object.keys(host.labels).forEach((k) => {
      if (/(^|\.)kubernetes\.io\//.test(k) || k.startsWith("node-role.kubernetes.io")) {
        push(error("label-reserved", `${base}.labels.${k}`, "the kubelet refuses labels under kubernetes.io (k3s would not start); use your own prefix"));
      }
    });
    if (!isNode && (Object.keys(host.labels).length > 0 || host.taints.length > 0)) {
      push(warning("k8s-fields-on-non-node", base, "labels and taints only apply to k3s nodes; they are ignored here"));
    }
    if (host.os === "k3os" && !isNode) push(error("k3os-not-node", `${base}.os`, "k3OS only runs k3s nodes; Porygon and the gateway run Debian"));
    if (host.os === "k3os" && host.hardware.arch !== "arm64" && host.hardware.arch !== "amd64") {
      push(error("k3os-arch", `${base}.hardware.arch`, "k3OS supports amd64 and arm64"));
    }
    if (host.hardware.platform === "raspberry-pi" && host.hardware.arch !== "arm64") {
      push(error("raspberry-pi-arch", `${base}.hardware.arch`, "h5b runs Raspberry Pis on 64-bit Raspberry Pi OS (or k3OS): arm64"));
    }
  }

  // k3OS sets no password for its one user, rancher, and root never logs in: a key is the only way onto the node.
  const k3osNodes = Object.entries(spec.hosts).flatMap(([name, h]) => (h.os === "k3os" ? [name] : []));
  if (k3osNodes.length > 0 && spec.access.administrator.sshKeys.length === 0) {
    push(error("k3os-no-login", "access.administrator.sshKeys", `k3OS nodes (${k3osNodes.join(", ")}) take SSH keys as their only login (user rancher): name at least one key`));
  }

  // The gateway's address comes from the gateway host or, for an unmanaged router, from the network.
  const gw = Object.entries(spec.hosts).filter(([, h]) => h.roles.includes("gateway"));
  for (const fam of ["ipv4", "ipv6"] as const) {
    const side = spec.networks.lan[fam];
    if (side === undefined) continue;
    if (gw.length > 0 && side.gateway !== undefined) {
      push(error("gateway-conflict", `networks.lan.${fam}.gateway`, `host ${gw[0]?.[0]} has the gateway role; its address is the gateway, remove this`));
    }
    if (gw.length === 0 && side.gateway === undefined) {
      push(error("gateway-missing", `networks.lan.${fam}.gateway`, "no host has the gateway role, so give the router's address here"));
    }
    if (side.gateway !== undefined) claimAddress(side.gateway, `networks.lan.${fam}.gateway`);
  }
}

function hostsWith(spec: Homelab, role: string): string[] {
  return Object.entries(spec.hosts)
    .filter(([, h]) => (h.roles as string[]).includes(role))
    .map(([n]) => n);
}

function checkRoles(spec: Homelab, push: Push): void {
  const servers = hostsWith(spec, "k3s-server");
  const agents = hostsWith(spec, "k3s-agent");
  if (servers.length !== 1) {
    push(error("k3s-server-count", "hosts", `the design has exactly one k3s server; found ${servers.length}${servers.length ? ` (${servers.join(", ")})` : ""}`));
  }
  if (agents.length === 0) push(error("no-worker", "hosts", "at least one host needs the k3s-agent role: workloads never run on the control plane"));
  for (const role of ["dns", "dhcp"] as const) {
    const found = hostsWith(spec, role);
    if (found.length === 0) push(error(`no-${role}-host`, "hosts", `one host needs the ${role} role (Porygon)`));
    if (found.length > 1) push(error(`${role}-host-count`, `hosts.${found[1]}.roles`, `only one host has the ${role} role; ${found[0]} has it already`));
  }
  const gws = hostsWith(spec, "gateway");
  if (gws.length > 1) push(error("gateway-host-count", `hosts.${gws[1]}.roles`, `only one host is the gateway; ${gws[0]} is already`));
  for (const [name, host] of Object.entries(spec.hosts)) {
    const p = `hosts.${name}.roles`;
    if (new Set(host.roles).size !== host.roles.length) push(error("role-duplicate", p, "a role is listed twice"));
    if (host.roles.includes("k3s-server") && host.roles.includes("k3s-agent")) {
      push(error("role-conflict", p, "the control plane is tainted and runs no workloads: a host is either k3s-server or k3s-agent"));
    }
    if (host.roles.includes("gateway") && (host.roles.includes("k3s-server") || host.roles.includes("k3s-agent"))) {
      push(error("role-conflict", p, "the gateway's firewall must not share a host with Cilium's rules; keep it off the cluster"));
    }
  }
}

/** Labels CoreDNS's etcd plugin reads in its own way, which no host or service may be called. */
const RESERVED_LABELS: Readonly<Record<string, string>> = {
  [ZONE_META_LABEL]: `is where CoreDNS keeps the zone's name servers and its top (${ZONE_META_LABEL}.<zone>)`,
  [WILDCARD_LABEL]: `would be a wildcard: CoreDNS answers a label ${WILDCARD_LABEL} with every record of the zone`,
};

function checkZones(spec: Homelab, ingressOn: boolean, push: Push): void {
  const { services, dhcp } = spec.site.zones;
  const check = (label: string, path: string, zone: string) => {
    const why = Object.hasOwn(RESERVED_LABELS, label) ? RESERVED_LABELS[label] : undefined;
    if (why !== undefined) push(error("name-reserved", path, `${label}.${zone} ${why}: choose another name`));
  };
  for (const host of Object.keys(spec.hosts)) check(host, `hosts.${host}`, dhcp);
  const ingress = spec.cluster.cilium.ingress;
  if (ingressOn) check(ingress.hostname, "cluster.cilium.ingress.hostname", services);
  for (const [name, w] of Object.entries(spec.workloads)) {
    if (w.exposure !== "none") check(w.hostname ?? name, w.hostname !== undefined ? `workloads.${name}.hostname` : `workloads.${name}`, services);
  }
  const nested = (a: string, b: string) => a === b || a.endsWith(`.${b}`);
  if (nested(services, dhcp) || nested(dhcp, services)) {
    push(error("zones-nested", "site.zones.dhcp", `the DHCP zone ${dhcp} and the services zone ${services} must not contain each other: their etcd prefixes must be disjoint so a DHCP client can never take a service's name`));
  }
}

function checkWorkloads(spec: Homelab, cidrs: LanCidrs, ingressOn: boolean, push: Push): void {
  const workers = Object.entries(spec.hosts).filter(([, h]) => h.roles.includes("k3s-agent"));
  const workerArchs = new Set(workers.map(([, h]) => h.hardware.arch));
  const names = new Map<string, string>();
  const ingress = spec.cluster.cilium.ingress;
  if (ingressOn) names.set(ingress.hostname, "cluster.cilium.ingress.hostname");
  const lbIps = new Map<string, string>();
  let publicCount = ingressOn && ingress.exposure === "public" ? 1 : 0;

  const storeFiles = new Map<string, string>();
  for (const [name, w] of Object.entries(spec.workloads)) {
    const base = `workloads.${name}`;
    const mounts = new Map<string, string>(w.state === "nfs" ? [[w.mountPath, `${base}.mountPath`]] : []);
    for (const [file, path] of Object.entries(w.secretFiles)) {
      // Names with dashes can meet in the store's flat folder: workload a-b's file c and workload a's file b-c.
      const stored = workloadSecretName(name, file);
      const owner = storeFiles.get(stored);
      if (owner !== undefined) push(error("secret-file-shared", `${base}.secretFiles.${file}`, `would be read from ${stored}, as ${owner} is: rename one`));
      storeFiles.set(stored, `${base}.secretFiles.${file}`);
      const other = mounts.get(path) ?? [...mounts.entries()].find(([m]) => path.startsWith(`${m}/`))?.[1];
      if (other !== undefined) push(error("mount-conflict", `${base}.secretFiles.${file}`, `${path} is already mounted by ${other}`));
      mounts.set(path, `${base}.secretFiles.${file}`);
    }
    if (w.exposure !== "none") {
      const host = w.hostname ?? name;
      const hp = w.hostname !== undefined ? `${base}.hostname` : base;
      const prev = names.get(host);
      if (prev !== undefined) push(error("hostname-duplicate", hp, `${host}.${spec.site.zones.services} is already the name of ${prev}`));
      else names.set(host, hp);
      if (w.ports.length === 0) push(error("service-without-ports", `${base}.ports`, `exposure ${w.exposure} needs at least one port`));
      if (w.exposure === "public") publicCount++;
    }
    const portNames = new Set<string>();
    const portKeys = new Set<string>();
    w.ports.forEach((p, i) => {
      if (portNames.has(p.name)) push(error("port-duplicate", `${base}.ports[${i}].name`, `port name ${p.name} is used twice`));
      portNames.add(p.name);
      const key = `${p.port}/${p.protocol}`;
      if (portKeys.has(key)) push(error("port-duplicate", `${base}.ports[${i}].port`, `${key} is listed twice`));
      portKeys.add(key);
    });
    if (new Set(w.architectures).size !== w.architectures.length) push(error("arch-duplicate", `${base}.architectures`, "an architecture is listed twice"));
    const fits = w.architectures.some((a) => workerArchs.has(a));
    if (!fits && workers.length > 0) {
      const msg = `its image is built for ${w.architectures.join(", ")} but the workers are ${[...workerArchs].join(", ")}`;
      push(w.essential ? error("essential-no-arch", `${base}.architectures`, msg) : warning("no-arch", `${base}.architectures`, `${msg}: it will never run`));
    }
    const req = requestOf(w.resources);
    const holders = workers.filter(([, h]) => {
      const a = allocatable(h);
      return w.architectures.includes(h.hardware.arch) && a.millicores >= req.millicores && a.memoryBytes >= req.memoryBytes;
    });
    if (fits && holders.length === 0) {
      push(error("request-too-large", `${base}.resources`, `no worker of a matching architecture can hold ${w.resources.cpu} CPU and ${w.resources.memory} memory`));
    }
    if (w.state === "nfs" && spec.storage === undefined) push(error("nfs-without-storage", `${base}.state`, "state: nfs needs a `storage` section (ZFS and the NFS class)"));
    if (w.essential && w.state === "nfs") {
      push(warning("essential-on-nfs", `${base}.state`, "an essential workload on NFS goes down with the storage node; `h5b simulate` will report the broken promise"));
    }
    if (w.loadBalancerIPs !== undefined) {
      if (w.exposure !== "public") push(error("lb-ip-not-public", `${base}.loadBalancerIPs`, "fixed addresses are for public services; internal ones are assigned by MetalLB"));
      for (const fam of ["ipv4", "ipv6"] as const) {
        const ip = w.loadBalancerIPs[fam];
        if (ip === undefined) continue;
        const p = `${base}.loadBalancerIPs.${fam}`;
        const side = cidrs[fam];
        if (side === undefined) {
          push(error("ipv6-without-lan", p, "the LAN has no IPv6 prefix"));
          continue;
        }
        if (!cidrContainsAddress(side.ranges.public as Cidr, ip)) push(error("lb-ip-outside-pool", p, `${ip} is outside the public pool ${spec.networks.lan[fam]?.ranges.public}`));
        else if (spec.cluster.pools.avoidBuggyIPs && isBuggyIPv4(ip)) {
          push(error("lb-ip-avoided", p, `MetalLB hands out no address ending in .0 or .255 while cluster.pools.avoidBuggyIPs is on: the service would never get ${ip}`));
        }
        const key = canonicalAddress(ip);
        const prev = lbIps.get(key);
        if (prev !== undefined) push(error("lb-ip-duplicate", p, `${ip} is already fixed for ${prev}`));
        lbIps.set(key, p);
      }
    }
  }
  checkForwardedPorts(spec, ingressOn, push);
  for (const fam of ["ipv4", "ipv6"] as const) {
    const pool = cidrs[fam]?.ranges.public;
    if (pool !== undefined && BigInt(publicCount) > poolCapacity(pool, spec.cluster.pools.avoidBuggyIPs)) {
      push(error("pool-exhausted", `networks.lan.${fam}.ranges.public`, `${publicCount} public services need more addresses than the pool holds`));
    }
  }
}

/**
 * The gateway forwards each public port of its one IPv4 address to one service, so two public services cannot share
 * a port and protocol (IPv6 gives each service its own address and has no such limit). Only for a gateway h5b runs.
 */
function checkForwardedPorts(spec: Homelab, ingressOn: boolean, push: Push): void {
  if (hostsWith(spec, "gateway").length === 0) return;
  const taken = new Map<string, string>();
  const ingress = spec.cluster.cilium.ingress;
  if (ingressOn && ingress.exposure === "public") for (const port of [80, 443]) taken.set(`${port}/TCP`, "the Cilium ingress (cluster.cilium.ingress)");
  for (const [name, w] of Object.entries(spec.workloads)) {
    if (w.exposure !== "public") continue;
    w.ports.forEach((p, i) => {
      const key = `${p.port}/${p.protocol}`;
      const prev = taken.get(key);
      if (prev !== undefined && prev !== `workloads.${name}`) {
        push(error("public-port-shared", `workloads.${name}.ports[${i}].port`, `the gateway already forwards ${key} of its IPv4 address to ${prev}`));
      } else taken.set(key, `workloads.${name}`);
    });
  }
}

const minDataDisks = { mirror: 2, raidz1: 3, raidz2: 4, raidz3: 5 } as const;

function checkStorage(spec: Homelab, push: Push): void {
  const st = spec.storage;
  if (st === undefined) {
    if (spec.backups !== undefined) push(error("backups-without-storage", "backups", "backups copy ZFS snapshots; add a `storage` section"));
    return;
  }
  const host = spec.hosts[st.zfs.host];
  if (host === undefined) {
    push(error("dangling-host", "storage.zfs.host", `no host named ${st.zfs.host}`));
  } else {
    if (!host.roles.includes("k3s-agent")) push(error("storage-host-not-worker", "storage.zfs.host", "the NFS server pod is pinned to the storage host, so it must be a k3s agent"));
    if (host.os !== "debian") push(error("storage-host-os", "storage.zfs.host", "ZFS is provisioned on Debian"));
    const disks = host.hardware.disks;
    const data = disks.filter((d) => d.roles.includes("data"));
    const need = minDataDisks[st.zfs.layout];
    if (data.length < need) {
      push(error("vdev-too-few-disks", "storage.zfs.layout", `${st.zfs.layout} needs at least ${need} data disks; ${st.zfs.host} has ${data.length}`));
    }
    const slog = disks.filter((d) => d.roles.includes("slog"));
    if (slog.some((d) => d.media === "hdd")) push(warning("slog-on-hdd", "storage.zfs.slogSize", "a SLOG on a hard disk is slower than no SLOG"));
    if (slog.length === 1) push(warning("slog-not-mirrored", `hosts.${st.zfs.host}.hardware.disks`, "a single SLOG device loses in-flight synchronous writes if it dies; mirror it"));
    for (const [role, size] of [["slog", st.zfs.slogSize], ["l2arc", st.zfs.l2arcSize]] as const) {
      for (const d of disks.filter((x) => x.roles.includes(role))) {
        if (parseBytes(size) >= parseBytes(d.size)) push(error("partition-too-large", `storage.zfs.${role}Size`, `${size} does not fit on ${d.id} (${d.size})`));
      }
    }
    const dedupSets = Object.entries(st.zfs.datasets).filter(([, ds]) => ds.dedup);
    if (dedupSets.length > 0) {
      // Rule of thumb: the dedup table wants about 5 GiB of RAM per TiB of deduplicated data.
      const dataBytes = data.reduce((s, d) => s + parseBytes(d.size), 0);
      const need = (dataBytes / 2 ** 40) * 5 * 2 ** 30;
      const ram = parseBytes(host.hardware.memory.size);
      if (need > ram / 2) {
        push(warning("dedup-ram", `storage.zfs.datasets.${dedupSets[0]?.[0]}.dedup`, `dedup over ${(dataBytes / 2 ** 40).toFixed(0)} TiB wants about ${(need / 2 ** 30).toFixed(0)} GiB of RAM; ${st.zfs.host} has ${host.hardware.memory.size}`));
      }
    }
  }
  if (spec.backups !== undefined && !Object.values(st.zfs.datasets).some((d) => d.backup)) {
    push(error("backups-without-datasets", "backups", "no dataset has backup: true, so there is nothing to back up; mark one or remove the backups section"));
  }
  const ds = st.zfs.datasets[st.nfs.dataset];
  if (ds === undefined) push(error("dangling-dataset", "storage.nfs.dataset", `no dataset ${st.nfs.dataset} in storage.zfs.datasets`));
  else if (!ds.nfs) push(error("dataset-not-exported", "storage.nfs.dataset", `dataset ${st.nfs.dataset} needs nfs: true`));
}

function checkSite(spec: Homelab, push: Push): void {
  // The site's name is external-dns's owner id, marked on each key it writes (and `<name>-ipv6`): an owner h5b's
  // own records carry (h5b-hosts, h5b-ddns) would let it take those records for its own and delete them.
  if (spec.site.name.startsWith("h5b-")) {
    push(error("site-name-reserved", "site.name", `names starting h5b- mark h5b's own DNS records in etcd; external-dns uses the site's name as its owner id`));
  }
  // Node's time zone data (ICU) knows the IANA names Debian's tzdata has; a misspelt one would leave
  // /etc/localtime dangling and the hosts on UTC without a word. ICU ignores case, the file system does not.
  const zone = spec.site.timeZone;
  let known: string | undefined;
  try {
    known = new Intl.DateTimeFormat("en", { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    push(error("time-zone-unknown", "site.timeZone", `${zone} is not a time zone (an IANA name, like Europe/Berlin)`));
  }
  if (known !== undefined && known !== zone && known.toLowerCase() === zone.toLowerCase()) {
    push(error("time-zone-case", "site.timeZone", `${zone} is spelt ${known} (the name is a file under /usr/share/zoneinfo)`));
  }
  const { servers, relays } = spec.site.upstream;
  odohRoutes(servers, relays).forEach((r, i) => {
    if (r.via.length > 0) return;
    push(
      error(
        "odoh-same-operator",
        `site.upstream.servers[${i}]`,
        `${r.server} is run by ${ODOH_OPERATORS[r.server] ?? "?"}, who runs every relay given too (${relays.join(", ")}): through them that operator would see both who asks and what; add a relay of another operator`,
      ),
    );
  });
}

function checkAccess(spec: Homelab, push: Push): void {
  const seen = new Map<string, string>();
  for (const kind of ["monitoring", "jobSpawners"] as const) {
    spec.access[kind].forEach((sa, i) => {
      const key = `${sa.namespace}/${sa.name}`;
      const p = `access.${kind}[${i}]`;
      const prev = seen.get(key);
      if (prev !== undefined) push(error("account-duplicate", p, `${key} is already defined at ${prev}`));
      seen.set(key, p);
      if (sa.namespace === "kube-system" && kind === "jobSpawners") {
        push(error("job-spawner-kube-system", `${p}.namespace`, "a job spawner in kube-system could run pods with system privileges"));
      }
      if ((sa.namespace === APPS_NAMESPACE || sa.namespace === "metallb-system") && kind === "jobSpawners") {
        push(
          error(
            "job-spawner-namespace",
            `${p}.namespace`,
            `a job spawner's namespace holds pods to Pod Security's baseline level, which h5b's own pods in ${sa.namespace} exceed (the VPN's NET_ADMIN, MetalLB's host network): give it a namespace of its own`,
          ),
        );
      }
    });
  }
}
