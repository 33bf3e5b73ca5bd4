import { createHash } from "node:crypto";
import {
  bigIntToAddress,
  type Cidr,
  canonicalAddress,
  isBuggyIPv4,
  type Family,
  literalFamily,
  nthAddress,
  parseCidr,
  poolSpan,
  reverseZones,
} from "../_net.js";
import { parseBytes } from "../_quantity.js";
import type { Homelab, HostSpec } from "../spec/homelab.js";
import { allocatable, requestOf, systemReserved } from "./capacity.js";
import { planExternalDns } from "./external-dns.js";
import { planGateway } from "./gateway.js";
import { planHostNetworks } from "./network.js";
import type {
  FamilyPair,
  LanSide,
  Plan,
  PlanCluster,
  PlanHost,
  PlanLoadBalancer,
  PlanPort,
  PlanRange,
  PlanStorage,
  PlanWorkload,
} from "./types.js";
import { atLeast, ciliumIngress, resolveVersions } from "./versions.js";

/**
 * The ZFS snapshot a backup run reads from. One fixed name, replaced each run: a snapshot left by a run that died
 * is recognisable as h5b's and is destroyed by the next run, never kept as an extra restore point.
 */
const BACKUP_SNAPSHOT = "h5b-backup";

/** Namespace of the spec's workloads. */
export const APPS_NAMESPACE = "apps";
/** The secret store's file of a workload's supplied file. */
export const workloadSecretName = (workload: string, file: string) => `workload-${workload}-${file}`;
/** Prefix of the node labels h5b sets. */
export const LABEL_PREFIX = "h5b";
/** The label that marks the storage host, where the NFS server pod is pinned (docs/decisions.md). */
export const STORAGE_NODE_LABEL = { key: `${LABEL_PREFIX}/storage`, value: "zfs" } as const;
/** CoreDNS etcd path and external-dns --coredns-prefix; the trailing slash matters to external-dns. */
export const SKYDNS_PREFIX = "/skydns/";
export const ETCD_PORT = 2379;
export const API_SERVER_PORT = 6443;
/**
 * The NFS server's Deployment. kube-system, beside csi-driver-nfs (the chart's target namespace): storage plumbing
 * of the platform, not an app, and the namespace the system priority classes are meant for.
 */
export const NFS_SERVER = { namespace: "kube-system", name: "nfs-server" } as const;
/** NFSv4 minor version the server offers and the storage class mounts with (Debian 12 and the Pis' kernels speak it). */
export const NFS_VERSION = "4.2";

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Resolves a validated spec into the plan. Call only on a spec that `validateHomelab` accepted:
 * this function assumes the design's rules hold (one server, a dns host, addresses inside their ranges).
 */
export function buildPlan(spec: Homelab): Plan {
  const { versions } = resolveVersions(spec);
  const families: Family[] = spec.networks.lan.ipv6 !== undefined ? ["ipv4", "ipv6"] : ["ipv4"];
  const hosts = Object.entries(spec.hosts)
    .map(([name, h]) => planHost(spec, name, h, versions.k3s))
    .sort(byName);
  const withRole = (role: string) => hosts.find((h) => (h.roles as readonly string[]).includes(role));
  const dnsHost = withRole("dns") as PlanHost;
  const dhcpHost = withRole("dhcp") as PlanHost;
  const gatewayHost = withRole("gateway");
  const server = withRole("k3s-server") as PlanHost;

  const lanSide = (fam: Family): LanSide | undefined => {
    const side = spec.networks.lan[fam];
    if (side === undefined) return undefined;
    const gateway = gatewayHost?.addresses[fam] ?? side.gateway;
    return {
      prefix: planRange(side.prefix),
      ...(fam === "ipv4" ? { netmask: netmask(side.prefix) } : {}),
      gateway: canonicalAddress(gateway as string),
      dns: dnsHost.addresses[fam] as string,
      ranges: {
        static: planRange(side.ranges.static),
        dhcp: planRange(side.ranges.dhcp),
        internal: planRange(side.ranges.internal),
        public: planRange(side.ranges.public),
      },
    };
  };
  const lan4 = lanSide("ipv4") as LanSide;
  const lan6 = lanSide("ipv6");

  const pools = (["internal", "public"] as const).map((name) => ({
    name,
    autoAssign: name === "internal",
    avoidBuggyIPs: spec.cluster.pools.avoidBuggyIPs,
    addresses: families.map((f) => spec.networks.lan[f]?.ranges[name] as string),
  }));

  const legacyMetallb = !atLeast(versions.metallb, "0.14.9");
  const ingress = { ...spec.cluster.cilium.ingress, enabled: ciliumIngress(spec, versions) };
  const cluster: PlanCluster = {
    name: spec.site.name,
    versions,
    server: server.name,
    apiServerAddress: server.addresses.ipv4,
    apiServerPort: API_SERVER_PORT,
    apiServerUrl: `https://${server.addresses.ipv4}:${API_SERVER_PORT}`,
    tlsSan: [server.fqdn, ...families.map((f) => server.addresses[f] as string)],
    controlPlaneTaint: spec.cluster.controlPlaneTaint,
    labelPrefix: LABEL_PREFIX,
    cilium: {
      hubbleRelay: spec.cluster.cilium.hubble.relay,
      hubbleUi: spec.cluster.cilium.hubble.ui,
      ...(ingress.enabled ? { ingress: { pool: ingress.exposure, hostname: `${ingress.hostname}.${spec.site.zones.services}` } } : {}),
    },
    pools,
    externalDns: planExternalDns(spec, versions, families, SKYDNS_PREFIX),
    metallbAnnotations: legacyMetallb
      ? { pool: "metallb.universe.tf/address-pool", ips: "metallb.universe.tf/loadBalancerIPs" }
      : { pool: "metallb.io/address-pool", ips: "metallb.io/loadBalancerIPs" },
  };

  const workers = hosts.filter((h) => h.k3s?.role === "agent");
  const storageClass = spec.storage?.nfs.storageClass ?? "nfs";
  const workloads: PlanWorkload[] = Object.entries(spec.workloads)
    .map(([name, w]): PlanWorkload => ({
      name,
      namespace: APPS_NAMESPACE,
      image: w.image,
      architectures: [...w.architectures].sort(),
      replicas: w.replicas,
      ports: w.ports.map(planPort),
      exposure: w.exposure,
      state: w.state,
      essential: w.essential,
      resources: { cpu: w.resources.cpu, memory: w.resources.memory },
      request: requestOf(w.resources),
      ...(w.state === "nfs" ? { storage: { size: w.storage, mountPath: w.mountPath, storageClass } } : {}),
      env: Object.fromEntries(Object.entries(w.env).sort(([a], [b]) => (a < b ? -1 : 1))),
      secretFiles: Object.entries(w.secretFiles)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([file, mountPath]) => ({ file, mountPath, secret: workloadSecretName(name, file) })),
      capabilities: [...w.capabilities].sort(),
      candidateNodes: workers.filter((n) => w.architectures.includes(n.arch)).map((n) => n.name),
    }))
    .sort(byName);

  const loadBalancers = planLoadBalancers(spec, families, ingress.enabled);
  const gateway = planGateway(hosts, loadBalancers);

  const rev = (names: readonly ("static" | "dhcp" | "internal" | "public")[]) =>
    [...new Set(families.flatMap((f) => names.flatMap((r) => reverseZones(parseCidr(spec.networks.lan[f]?.ranges[r] as string)))))].sort();

  const site: Plan["site"] = {
    name: spec.site.name,
    zones: { ...spec.site.zones },
    timeZone: spec.site.timeZone,
    // Names lowercase and without the root's dot, as every file that lists them wants them.
    ntpServers: spec.site.ntpServers.map((s) => (literalFamily(s) !== undefined ? s : s.toLowerCase().replace(/\.$/, ""))),
    upstream: { servers: [...spec.site.upstream.servers], relays: [...spec.site.upstream.relays] },
  };
  const lan: Plan["lan"] = lan6 !== undefined ? { ipv4: lan4, ipv6: lan6 } : { ipv4: lan4 };

  const plan: Plan = {
    site,
    families,
    lan,
    pods: pair(spec.networks.pods),
    services: pair(spec.networks.services),
    hosts,
    cluster,
    dns: {
      host: dnsHost.name,
      dhcpHost: dhcpHost.name,
      addresses: dnsHost.addresses,
      etcdUrl: `https://${dnsHost.addresses.ipv4}:${ETCD_PORT}`,
      etcdPort: ETCD_PORT,
      etcdServerName: dnsHost.fqdn,
      prefix: SKYDNS_PREFIX,
      dhcpReverseZones: rev(["static", "dhcp"]),
      serviceReverseZones: rev(["internal", "public"]),
      lanReverseZones: families.flatMap((f) => reverseZones(parseCidr(spec.networks.lan[f]?.prefix as string))),
    },
    workloads,
    loadBalancers,
    ...(gateway !== undefined ? { gateway } : {}),
    hostNetworks: planHostNetworks(hosts, lan, site),
    ...(spec.storage !== undefined ? { storage: planStorage(spec, hosts) } : {}),
    ...(spec.backups !== undefined && spec.storage !== undefined
      ? {
          backups: {
            host: spec.storage.zfs.host,
            endpoint: `https://s3.${spec.backups.b2.region}.backblazeb2.com`,
            region: spec.backups.b2.region,
            bucket: spec.backups.b2.bucket,
            repository: `s3:https://s3.${spec.backups.b2.region}.backblazeb2.com/${spec.backups.b2.bucket}/${spec.backups.b2.path}`,
            schedule: spec.backups.schedule,
            retention: { ...spec.backups.retention },
            datasets: Object.entries(spec.storage.zfs.datasets)
              .filter(([, d]) => d.backup)
              .map(([n]) => `${spec.storage?.zfs.pool}/${n}`)
              .sort(),
            snapshot: BACKUP_SNAPSHOT,
          },
        }
      : {}),
    access: {
      administrator: { name: spec.access.administrator.name, sshKeys: [...spec.access.administrator.sshKeys] },
      monitoring: [...spec.access.monitoring].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
      jobSpawners: [...spec.access.jobSpawners].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`)),
    },
  };
  return deepFreeze(plan);
}

function pair(p: { ipv4: string; ipv6?: string | undefined }): FamilyPair<string> {
  return p.ipv6 !== undefined ? { ipv4: p.ipv4, ipv6: p.ipv6 } : { ipv4: p.ipv4 };
}

function netmask(text: string): string {
  const bits = 32n - BigInt(parseCidr(text).prefixLength);
  return bigIntToAddress("ipv4", ((1n << 32n) - 1n) ^ ((1n << bits) - 1n));
}

function planRange(text: string): PlanRange {
  const c = parseCidr(text);
  return { cidr: `${nthAddress(c, 0n)}/${c.prefixLength}`, prefixLength: c.prefixLength, first: nthAddress(c, 0n), last: nthAddress(c, c.last - c.first) };
}

function planPort(p: { name: string; port: number; targetPort?: number | undefined; protocol: "TCP" | "UDP" }): PlanPort {
  return { name: p.name, port: p.port, targetPort: p.targetPort ?? p.port, protocol: p.protocol };
}

function planHost(spec: Homelab, name: string, h: HostSpec, clusterK3s: string): PlanHost {
  const zone = spec.site.zones.dhcp;
  const nics = h.hardware.nics.map((n) => ({ name: n.name, mac: n.mac.toLowerCase(), speedMbps: n.speedMbps, network: n.network }));
  const lanNic = nics.find((n) => n.network === "lan") as PlanHost["lanNic"];
  const wanNic = nics.find((n) => n.network === "wan");
  const addr = (p: { ipv4: string; ipv6?: string | undefined }) => pair({ ipv4: canonicalAddress(p.ipv4), ...(p.ipv6 !== undefined ? { ipv6: canonicalAddress(p.ipv6) } : {}) });
  const isServer = h.roles.includes("k3s-server");
  const isAgent = h.roles.includes("k3s-agent");
  const storageHost = spec.storage?.zfs.host === name;
  const bmc = h.hardware.bmc;
  return {
    name,
    fqdn: `${name}.${zone}`,
    roles: [...h.roles].sort(),
    os: h.os,
    arch: h.hardware.arch,
    model: h.hardware.model,
    platform: h.hardware.platform ?? (/raspberry\s*pi|\brpi\b/i.test(h.hardware.model) ? "raspberry-pi" : "generic"),
    cpu: { cores: h.hardware.cpu.cores, model: h.hardware.cpu.model },
    memory: { bytes: parseBytes(h.hardware.memory.size), size: h.hardware.memory.size, ecc: h.hardware.memory.ecc },
    nics,
    lanNic,
    ...(wanNic !== undefined ? { wanNic } : {}),
    addresses: addr(h.addresses),
    disks: h.hardware.disks.map((d) => ({ id: d.id, path: `/dev/disk/by-id/${d.id}`, media: d.media, sizeBytes: parseBytes(d.size), roles: [...d.roles] })),
    ...(bmc !== undefined ? { bmc: { mac: bmc.mac.toLowerCase(), name: `${name}-bmc`, fqdn: `${name}-bmc.${zone}`, addresses: addr(bmc.addresses) } } : {}),
    ...(isServer || isAgent
      ? {
          k3s: {
            role: isServer ? ("server" as const) : ("agent" as const),
            version: h.k3sVersion ?? clusterK3s,
            labels: Object.fromEntries(
              Object.entries({
                ...h.labels,
                [`${LABEL_PREFIX}/role`]: isServer ? "control-plane" : "worker",
                ...(storageHost ? { [STORAGE_NODE_LABEL.key]: STORAGE_NODE_LABEL.value } : {}),
              }).sort(([a], [b]) => (a < b ? -1 : 1)),
            ),
            taints: isServer ? [spec.cluster.controlPlaneTaint, ...h.taints] : [...h.taints],
            systemReserved: systemReserved(h),
            allocatable: allocatable(h),
          },
        }
      : {}),
  };
}

/**
 * Public services get fixed addresses (the gateway forwards to them), picked by a hash of the service name with
 * linear probing: adding or removing another service does not move an existing one's address.
 */
function planLoadBalancers(spec: Homelab, families: readonly Family[], ingressOn: boolean): PlanLoadBalancer[] {
  const zone = spec.site.zones.services;
  const lbs: Omit<PlanLoadBalancer, "addresses">[] = [];
  const pinned = new Map<string, FamilyPair<string | undefined>>();
  const ingress = spec.cluster.cilium.ingress;
  if (ingressOn) {
    lbs.push({
      name: "cilium-ingress",
      namespace: "kube-system",
      pool: ingress.exposure,
      fqdn: `${ingress.hostname}.${zone}`,
      families: ["ipv4"],
      ports: [
        { name: "http", port: 80, targetPort: 80, protocol: "TCP" },
        { name: "https", port: 443, targetPort: 443, protocol: "TCP" },
      ],
    });
  }
  for (const [name, w] of Object.entries(spec.workloads)) {
    if (w.exposure === "none") continue;
    lbs.push({ name, namespace: APPS_NAMESPACE, workload: name, pool: w.exposure, fqdn: `${w.hostname ?? name}.${zone}`, families, ports: w.ports.map(planPort) });
    if (w.loadBalancerIPs !== undefined) pinned.set(`${APPS_NAMESPACE}/${name}`, { ipv4: w.loadBalancerIPs.ipv4, ipv6: w.loadBalancerIPs.ipv6 });
  }
  const key = (lb: { namespace: string; name: string }) => `${lb.namespace}/${lb.name}`;
  lbs.sort((a, b) => (key(a) < key(b) ? -1 : 1));

  const assigned = new Map<string, Record<string, string>>();
  for (const fam of families) {
    const pool = parseCidr(spec.networks.lan[fam]?.ranges.public as string);
    const used = new Set<string>();
    const publics = lbs.filter((lb) => lb.pool === "public" && lb.families.includes(fam));
    for (const lb of publics) {
      const fixed = pinned.get(key(lb))?.[fam];
      if (fixed !== undefined) used.add(canonicalAddress(fixed));
    }
    for (const lb of publics) {
      const fixed = pinned.get(key(lb))?.[fam];
      const address = fixed !== undefined ? canonicalAddress(fixed) : pickAddress(pool, key(lb), used, spec.cluster.pools.avoidBuggyIPs);
      used.add(address);
      assigned.set(key(lb), { ...assigned.get(key(lb)), [fam]: address });
    }
  }
  return lbs.map((lb) => {
    const a = assigned.get(key(lb));
    return a !== undefined ? { ...lb, addresses: pair(a as { ipv4: string; ipv6?: string }) } : lb;
  });
}

function pickAddress(pool: Cidr, name: string, used: ReadonlySet<string>, avoidBuggyIPs: boolean): string {
  // Not the network address nor (IPv4) the broadcast-looking last one, which some clients mishandle.
  const { first, count } = poolSpan(pool);
  const h = BigInt(`0x${createHash("sha256").update(name).digest("hex").slice(0, 16)}`);
  for (let i = 0n; i < count; i++) {
    const candidate = nthAddress(pool, first + ((h + i) % count));
    // MetalLB would not hand out an x.0 or x.255 inside a larger pool either: the Service would stay pending.
    if (!used.has(candidate) && !(avoidBuggyIPs && isBuggyIPv4(candidate))) return candidate;
  }
  // Validation counted the public services against the pool size, so this is a bug if reached.
  throw new Error(`public pool ${pool.text} exhausted`);
}

function planStorage(spec: Homelab, hosts: readonly PlanHost[]): PlanStorage {
  const st = spec.storage as NonNullable<Homelab["storage"]>;
  const host = hosts.find((h) => h.name === st.zfs.host) as PlanHost;
  const withRole = (r: "data" | "slog" | "l2arc") => host.disks.filter((d) => d.roles.includes(r)).map((d) => d.id);
  const datasets = Object.entries(st.zfs.datasets)
    .map(([name, d]) => ({
      name,
      fullName: `${st.zfs.pool}/${name}`,
      mountpoint: `/${st.zfs.pool}/${name}`,
      compression: d.compression,
      dedup: d.dedup,
      recordsize: d.recordsize,
      checksum: st.zfs.checksum,
      nfs: d.nfs,
      backup: d.backup,
    }))
    .sort(byName);
  return {
    host: host.name,
    hostAddresses: host.addresses,
    pool: st.zfs.pool,
    ashift: st.zfs.ashift,
    layout: st.zfs.layout,
    dataDisks: withRole("data"),
    slog: { disks: withRole("slog"), size: st.zfs.slogSize },
    l2arc: { disks: withRole("l2arc"), size: st.zfs.l2arcSize },
    datasets,
    nfs: {
      dataset: `${st.zfs.pool}/${st.nfs.dataset}`,
      exportPath: `/${st.nfs.dataset}`,
      storageClass: st.nfs.storageClass,
      server: host.addresses.ipv4,
      version: NFS_VERSION,
      exports: datasets.filter((d) => d.nfs).map((d) => ({ dataset: d.fullName, mountpoint: d.mountpoint, path: `/${d.name}` })),
      clients: hosts.filter((h) => h.k3s !== undefined).flatMap((h) => [h.addresses.ipv4, ...(h.addresses.ipv6 !== undefined ? [h.addresses.ipv6] : [])]),
      workload: { ...NFS_SERVER },
    },
  };
}

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

