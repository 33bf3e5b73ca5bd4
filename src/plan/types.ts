import type { Family } from "../_net.js";
import type { HostRole } from "../spec/host.js";
import type { Allocatable } from "./capacity.js";
import type { Versions } from "./versions.js";

/**
 * Everything the emitters need, resolved once from the spec: addresses, names, versions, placement.
 * Emitters read only this (never the raw spec) and never compute an address themselves.
 */
export interface Plan {
  readonly site: PlanSite;
  /** Address families of the LAN and the cluster: `["ipv4"]` or `["ipv4", "ipv6"]`. */
  readonly families: readonly Family[];
  readonly lan: { readonly ipv4: LanSide; readonly ipv6?: LanSide };
  readonly pods: FamilyPair<string>;
  readonly services: FamilyPair<string>;
  /** Hosts sorted by name. */
  readonly hosts: readonly PlanHost[];
  readonly cluster: PlanCluster;
  readonly dns: PlanDns;
  /** Workloads sorted by name. */
  readonly workloads: readonly PlanWorkload[];
  /** Every LoadBalancer service (workloads and the Cilium ingress), sorted by namespace/name. */
  readonly loadBalancers: readonly PlanLoadBalancer[];
  /** The LAN router h5b manages (the host with the gateway role); absent when the spec names an unmanaged router. */
  readonly gateway?: PlanGateway;
  /** The network settings h5b writes on hosts, sorted by host: every Debian host but the Raspberry Pis. */
  readonly hostNetworks: readonly PlanHostNetwork[];
  readonly storage?: PlanStorage;
  readonly backups?: PlanBackups;
  readonly access: PlanAccess;
}

/** external-dns, one instance (a Helm release) per address family (why: src/plan/external-dns.ts). */
export interface PlanExternalDns {
  readonly policy: "sync" | "upsert-only" | "create-only";
  readonly interval: string;
  /** Key prefix in etcd; CoreDNS's `path`. Always ends in `/` (external-dns concatenates without one). */
  readonly prefix: string;
  /** Annotation prefix of the external-dns version in use. */
  readonly annotationPrefix: string;
  /** Image tag run instead of the chart's own; absent to run the chart's. */
  readonly imageTag?: string;
  /**
   * Each instance marks its keys with its owner id and sees no other key (`--coredns-strictly-owned`, external-dns
   * 0.21 and later). False with an older one, which then runs alone and writes IPv4 names only.
   */
  readonly strictlyOwned: boolean;
  readonly instances: readonly PlanExternalDnsInstance[];
}

export interface PlanExternalDnsInstance {
  /** The HelmChart's and the release's name. */
  readonly release: string;
  /** `txtOwnerId`, and the `owner` of each key it writes when strictly owned. */
  readonly ownerId: string;
  /** `--managed-record-types`: the record types it writes. */
  readonly recordTypes: readonly string[];
}

export interface FamilyPair<T> {
  readonly ipv4: T;
  readonly ipv6?: T;
}

export interface PlanSite {
  readonly name: string;
  readonly zones: { readonly services: string; readonly dhcp: string };
  readonly timeZone: string;
  readonly ntpServers: readonly string[];
  readonly upstream: { readonly servers: readonly string[]; readonly relays: readonly string[] };
}

export interface PlanRange {
  readonly cidr: string;
  readonly prefixLength: number;
  readonly first: string;
  readonly last: string;
}

export interface LanSide {
  readonly prefix: PlanRange;
  /** The prefix as a dotted netmask, IPv4 only (BMCs and other old-style settings want it). */
  readonly netmask?: string;
  readonly gateway: string;
  /** Porygon's address: the LAN's DNS server. */
  readonly dns: string;
  readonly ranges: {
    readonly static: PlanRange;
    readonly dhcp: PlanRange;
    readonly internal: PlanRange;
    readonly public: PlanRange;
  };
}

export interface PlanNic {
  readonly name: string;
  /** Lowercase, colon-separated. */
  readonly mac: string;
  readonly speedMbps: number;
  readonly network: "lan" | "wan";
}

export interface PlanDisk {
  readonly id: string;
  /** `/dev/disk/by-id/<id>`. */
  readonly path: string;
  readonly media: "hdd" | "ssd" | "nvme" | "sd";
  readonly sizeBytes: number;
  readonly roles: readonly ("boot" | "data" | "slog" | "l2arc")[];
}

export interface PlanHost {
  readonly name: string;
  /** `<name>.<dhcp zone>`: hosts are registered in the DHCP clients' zone from their reservations. */
  readonly fqdn: string;
  readonly roles: readonly HostRole[];
  readonly os: "debian" | "k3os";
  readonly arch: "amd64" | "arm64";
  readonly model: string;
  /** The spec's platform, or the one its model names. */
  readonly platform: "generic" | "raspberry-pi";
  readonly cpu: { readonly cores: number; readonly model: string };
  readonly memory: { readonly bytes: number; readonly size: string; readonly ecc: boolean };
  readonly nics: readonly PlanNic[];
  /** The port that carries the host's LAN addresses (the first `lan` NIC). */
  readonly lanNic: PlanNic;
  readonly wanNic?: PlanNic;
  readonly addresses: FamilyPair<string>;
  readonly disks: readonly PlanDisk[];
  readonly bmc?: { readonly mac: string; readonly name: string; readonly fqdn: string; readonly addresses: FamilyPair<string> };
  /** Set on k3s nodes only. */
  readonly k3s?: PlanK3sNode;
}

export interface PlanK3sNode {
  readonly role: "server" | "agent";
  /** k3s release this node runs. */
  readonly version: string;
  /** Node labels h5b sets (its own prefix) plus the user's. */
  readonly labels: Readonly<Record<string, string>>;
  /** Taints, `key=value:Effect`. */
  readonly taints: readonly string[];
  /** What the kubelet keeps back for k3s, the OS and the Cilium agent (its `system-reserved`). */
  readonly systemReserved: Allocatable;
  /** What pods can have: capacity less the reserve and the kubelet's eviction threshold. */
  readonly allocatable: Allocatable;
}

export interface PlanPool {
  readonly name: "internal" | "public";
  readonly autoAssign: boolean;
  readonly avoidBuggyIPs: boolean;
  /** One CIDR per family. */
  readonly addresses: readonly string[];
}

export interface PlanCluster {
  readonly name: string;
  readonly versions: Versions;
  /** Name of the one k3s server. */
  readonly server: string;
  /** Address agents and Cilium use to reach the API server (the server's IPv4). */
  readonly apiServerAddress: string;
  readonly apiServerPort: number;
  readonly apiServerUrl: string;
  /** Names and addresses the API server certificate must carry. */
  readonly tlsSan: readonly string[];
  readonly controlPlaneTaint: string;
  /** Label prefix h5b puts on nodes (`h5b.dev/…`). */
  readonly labelPrefix: string;
  readonly cilium: {
    readonly hubbleRelay: boolean;
    readonly hubbleUi: boolean;
    readonly ingress?: { readonly pool: "internal" | "public"; readonly hostname: string };
  };
  readonly pools: readonly PlanPool[];
  readonly externalDns: PlanExternalDns;
  /** MetalLB annotation names of the version in use. */
  readonly metallbAnnotations: { readonly pool: string; readonly ips: string };
}

export interface PlanDns {
  /** The host with the dns role (Porygon). */
  readonly host: string;
  /** The host with the dhcp role (normally the same). */
  readonly dhcpHost: string;
  readonly addresses: FamilyPair<string>;
  /** etcd client URL for external-dns and CoreDNS. */
  readonly etcdUrl: string;
  readonly etcdPort: number;
  /** Name in the etcd server certificate. */
  readonly etcdServerName: string;
  /** CoreDNS `path`, also external-dns's `--coredns-prefix`. */
  readonly prefix: string;
  /** Reverse zones of the ranges whose PTRs h5b ddns writes (static hosts and DHCP). */
  readonly dhcpReverseZones: readonly string[];
  /** Reverse zones of the MetalLB pools, whose PTRs external-dns writes. */
  readonly serviceReverseZones: readonly string[];
  /**
   * Reverse zones of the whole LAN prefixes. CoreDNS answers them from etcd (NXDOMAIN for a name nobody wrote), so
   * reverse lookups of LAN addresses never leave the house; the range zones above lie inside them.
   */
  readonly lanReverseZones: readonly string[];
}

export interface PlanPort {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number;
  readonly protocol: "TCP" | "UDP";
}

export interface PlanWorkload {
  readonly name: string;
  readonly namespace: string;
  readonly image: string;
  readonly architectures: readonly ("amd64" | "arm64")[];
  readonly replicas: number;
  readonly ports: readonly PlanPort[];
  readonly exposure: "internal" | "public" | "none";
  readonly state: "stateless" | "nfs";
  readonly essential: boolean;
  readonly resources: { readonly cpu: string; readonly memory: string };
  readonly request: Allocatable;
  readonly storage?: { readonly size: string; readonly mountPath: string; readonly storageClass: string };
  readonly env: Readonly<Record<string, string>>;
  /** Files the user supplies in the secret store, mounted read-only (`secret` names the store's file). */
  readonly secretFiles: readonly { readonly file: string; readonly mountPath: string; readonly secret: string }[];
  readonly capabilities: readonly string[];
  /** Workers whose architecture the image supports (placement candidates), sorted. */
  readonly candidateNodes: readonly string[];
}

export interface PlanLoadBalancer {
  /** Service name. */
  readonly name: string;
  readonly namespace: string;
  /** Workload behind it, if it is one of the spec's (the Cilium ingress is not). */
  readonly workload?: string;
  readonly pool: "internal" | "public";
  readonly fqdn: string;
  /**
   * Families the Service gets. The Cilium ingress Service is made by its chart, which cannot set an IP family
   * policy, so it stays on the cluster's primary family (IPv4).
   */
  readonly families: readonly Family[];
  /** Fixed addresses (public pool only; internal ones are assigned by MetalLB). */
  readonly addresses?: FamilyPair<string>;
  readonly ports: readonly PlanPort[];
}

export interface PlanGateway {
  readonly host: string;
  /** Interface names as the spec gives them: the one `wan` port and the LAN port. */
  readonly wanNic: string;
  readonly lanNic: string;
  /** The gateway's own IPv4 address on the LAN (from the spec); its WAN address is the ISP's, unknown here. */
  readonly lanIpv4: string;
  /**
   * Every port of every public service, in service order: forwarded from the gateway's WAN address to the service's
   * IPv4 address, and open from the internet on its IPv6 address (when it has one).
   */
  readonly published: readonly PlanPublishedPort[];
}

/**
 * A host's own addresses, static so that no host needs Porygon's DHCP to come up: Porygon cannot lease to itself,
 * the gateway routes for everyone, and a node whose lease lapsed while Porygon was down would leave the network.
 * Written for what already manages the host's ports: ifupdown on Debian (its installer sets it up), NetworkManager
 * on Raspberry Pi OS, connman on k3OS (a provisioning file its config.yaml writes at every boot).
 */
export interface PlanHostNetwork {
  readonly host: string;
  /**
   * What reads the settings: `/etc/network/interfaces` for ifupdown, a connection profile for NetworkManager, a
   * provisioning file for connman.
   */
  readonly manager: "ifupdown" | "networkmanager" | "connman";
  readonly lan: {
    readonly nic: string;
    /** `address/prefix-length`, per family. */
    readonly addresses: FamilyPair<string>;
    /**
     * The IPv4 default route, through the LAN's router; absent on the router itself. With ifupdown, IPv6 takes its
     * default route from the router's advertisements, as the k3s nodes' sysctl settings (`accept_ra = 2`) expect.
     */
    readonly gateway?: string;
    /**
     * The IPv6 default route, NetworkManager and connman only: with static addresses they ignore router
     * advertisements, so the route is written out. Absent on the router and on an IPv4-only LAN.
     */
    readonly ipv6Gateway?: string;
  };
  /**
   * The gateway's WAN port: IPv4 by DHCP and (with an IPv6 LAN) IPv6 by router advertisements, from the ISP. Written
   * for ifupdown; NetworkManager's defaults for a port without a profile do the same.
   */
  readonly wan?: string;
  /**
   * Porygon and the two zones, as the host's resolver (`/etc/resolv.conf` with ifupdown, the profile's DNS settings
   * with NetworkManager and connman, which write that file). Absent with a WAN port, whose DHCP client sets the resolver.
   */
  readonly resolver?: { readonly nameservers: readonly string[]; readonly search: readonly string[] };
}

export interface PlanPublishedPort {
  /** The Service, `namespace/name`. */
  readonly service: string;
  /** The port's name in the Service. */
  readonly name: string;
  readonly protocol: "TCP" | "UDP";
  /** The Service's port (what the internet connects to, on both families). */
  readonly port: number;
  readonly addresses: FamilyPair<string>;
}

export interface PlanDataset {
  readonly name: string;
  /** `<pool>/<name>`. */
  readonly fullName: string;
  readonly mountpoint: string;
  readonly compression: string;
  readonly dedup: boolean;
  readonly recordsize: string;
  readonly checksum: string;
  readonly nfs: boolean;
  readonly backup: boolean;
}

export interface PlanStorage {
  readonly host: string;
  readonly hostAddresses: FamilyPair<string>;
  readonly pool: string;
  readonly ashift: number;
  readonly layout: "mirror" | "raidz1" | "raidz2" | "raidz3";
  readonly dataDisks: readonly string[];
  readonly slog: { readonly disks: readonly string[]; readonly size: string };
  readonly l2arc: { readonly disks: readonly string[]; readonly size: string };
  readonly datasets: readonly PlanDataset[];
  readonly nfs: PlanNfs;
}

/**
 * The NFS server pod on the storage host and the storage class on it. The pod serves every dataset marked `nfs`
 * under one NFSv4 root, each at `/<dataset name>`; the class mounts one of them.
 */
export interface PlanNfs {
  /** `<pool>/<name>` of the dataset the storage class provisions on. */
  readonly dataset: string;
  /** The class's share: the path clients mount on the server (the dataset's place under the NFSv4 root). */
  readonly exportPath: string;
  readonly storageClass: string;
  /** Address clients mount: the storage host's LAN IPv4 (the server pod uses the host's network). */
  readonly server: string;
  /** NFS version the server offers (v4 only) and the class mounts with. */
  readonly version: string;
  /** Every dataset the server serves, by name. */
  readonly exports: readonly PlanNfsExport[];
  /**
   * The addresses allowed to mount: every k3s node's LAN addresses. csi-driver-nfs mounts from the nodes' host
   * network, so nothing else on the LAN needs the export.
   */
  readonly clients: readonly string[];
  /** The server's Deployment. */
  readonly workload: { readonly namespace: string; readonly name: string };
}

export interface PlanNfsExport {
  /** `<pool>/<name>`. */
  readonly dataset: string;
  /** Where the dataset is mounted on the storage host: the folder the pod serves. */
  readonly mountpoint: string;
  /** Path clients mount, under the NFSv4 root: `/<name>`. */
  readonly path: string;
}

export interface PlanBackups {
  /** The storage host: it snapshots its datasets and runs restic. */
  readonly host: string;
  /** restic's repository (`s3:<endpoint>/<bucket>/<path>`, B2's S3 API). */
  readonly repository: string;
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly schedule: string;
  readonly retention: { readonly daily: number; readonly weekly: number; readonly monthly: number; readonly yearly: number };
  /** Datasets (`<pool>/<name>`) marked for backup; each is one restic snapshot a run, tagged with this name. */
  readonly datasets: readonly string[];
  /** Name of the ZFS snapshot each run takes of every dataset and releases afterwards (`<dataset>@<snapshot>`). */
  readonly snapshot: string;
}

export interface PlanServiceAccount {
  readonly name: string;
  readonly namespace: string;
}

export interface PlanAccess {
  readonly administrator: { readonly name: string; readonly sshKeys: readonly string[] };
  readonly monitoring: readonly PlanServiceAccount[];
  readonly jobSpawners: readonly PlanServiceAccount[];
}
