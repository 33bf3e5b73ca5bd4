import { error, type Issue, warning } from "../issue.js";
import type { Homelab } from "../spec/homelab.js";

export interface Versions {
  readonly k3s: string;
  readonly cilium: string;
  readonly metallb: string;
  /** The external-dns Helm chart. */
  readonly externalDns: string;
  /**
   * The external-dns image run with a chart older than 1.22, which ships an older one: chart 1.21 ships 0.21, whose
   * coredns provider reads an IPv6 record back as an A record (fixed in 0.22).
   */
  readonly externalDnsImage: string;
  readonly csiDriverNfs: string;
  readonly coredns: string;
  readonly etcd: string;
  readonly kea: string;
  readonly dnscryptProxy: string;
  /** Tag of the NFS server image (`ghcr.io/obeone/nfs-server`) that serves the ZFS datasets to the cluster. */
  readonly nfsServer: string;
}

/** Current stable releases (see docs/versions.md for where each was read). */
export const currentVersions: Versions = {
  k3s: "v1.36.3+k3s1",
  cilium: "1.20.0",
  metallb: "0.16.1",
  externalDns: "1.21.1",
  externalDnsImage: "v0.22.0",
  csiDriverNfs: "4.13.4",
  coredns: "1.14.7",
  etcd: "3.7.1",
  kea: "2.2.0",
  dnscryptProxy: "2.1.18",
  // The maintained, multi-arch fork of erichough/nfs-server: the kernel's nfsd driven from the container, NFSv4-only
  // on request, and an /etc/exports we render ourselves (mounted over the image's), so the export is ours to scope.
  // 2.2.3 is its last release (and the one its own chart pins).
  nfsServer: "2.2.3",
};

/** k3OS's last release embeds k3s v1.22.2+k3s2; these are the newest platform charts that still run on Kubernetes 1.22. */
export const k3osVersions: Versions = {
  ...currentVersions,
  k3s: "v1.22.2+k3s2",
  cilium: "1.12.19",
  metallb: "0.14.9",
  externalDns: "1.14.5",
  csiDriverNfs: "4.6.0",
};

export const K3OS_K3S = "v1.22.2+k3s2";

export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export function semver(v: string): SemVer {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  if (!m) throw new Error(`not a version: ${v}`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** Compares two versions by major, minor, patch (build metadata ignored). */
export function compareVersions(a: string, b: string): number {
  const x = semver(a);
  const y = semver(b);
  return x.major - y.major || x.minor - y.minor || x.patch - y.patch;
}

export function atLeast(v: string, min: string): boolean {
  return compareVersions(v, min) >= 0;
}

/**
 * Kubernetes minors each Cilium line is end-to-end tested on (Cilium's own requirements page). Older Kubernetes is
 * unsupported; newer relies on Kubernetes' backward compatibility, so only a warning.
 */
const ciliumTested: Readonly<Record<string, readonly [number, number]>> = {
  "1.12": [16, 24],
  "1.15": [26, 29],
  "1.16": [27, 30],
  "1.18": [30, 33],
};

/**
 * Whether the Cilium ingress runs: asked for, and a Cilium with the shared mode (1.13 and later), one LoadBalancer
 * for every Ingress. 1.12 (k3OS's set) gives each Ingress a Service of its own, with none of h5b's address, pool or
 * name: the ingress's address and its name would lead nowhere (versions.ts warns).
 */
export function ciliumIngress(spec: Homelab, versions: Versions): boolean {
  return spec.cluster.cilium.ingress.enabled && atLeast(versions.cilium, "1.13.0");
}

/** The versions a spec runs with, and what is wrong with them. */
export function resolveVersions(spec: Homelab): { versions: Versions; issues: Issue[] } {
  const issues: Issue[] = [];
  const given = spec.cluster.versions;
  const k3osHosts = Object.entries(spec.hosts)
    .filter(([, h]) => h.os === "k3os")
    .map(([n]) => n);
  const base = k3osHosts.length > 0 ? k3osVersions : currentVersions;
  const versions: Versions = {
    k3s: given.k3s ?? base.k3s,
    cilium: given.cilium ?? base.cilium,
    metallb: given.metallb ?? base.metallb,
    externalDns: given.externalDns ?? base.externalDns,
    externalDnsImage: base.externalDnsImage,
    csiDriverNfs: given.csiDriverNfs ?? base.csiDriverNfs,
    coredns: given.coredns ?? base.coredns,
    etcd: given.etcd ?? base.etcd,
    kea: given.kea ?? base.kea,
    dnscryptProxy: given.dnscryptProxy ?? base.dnscryptProxy,
    nfsServer: given.nfsServer ?? base.nfsServer,
  };

  if (k3osHosts.length > 0) {
    issues.push(
      warning(
        "k3os-legacy",
        `hosts.${k3osHosts[0]}.os`,
        `k3OS is unmaintained since 2021 and pins k3s ${K3OS_K3S} (Kubernetes 1.22, long out of support): the cluster gets the legacy version set. Prefer os: debian (Raspberry Pi OS Lite)`,
      ),
    );
    if (given.k3s !== undefined && given.k3s !== K3OS_K3S) {
      issues.push(error("k3os-version", "cluster.versions.k3s", `k3OS nodes (${k3osHosts.join(", ")}) can only run k3s ${K3OS_K3S}, not ${given.k3s}`));
    }
  }

  if (spec.cluster.cilium.ingress.enabled && !ciliumIngress(spec, versions)) {
    const path = given.cilium !== undefined ? "cluster.versions.cilium" : `hosts.${k3osHosts[0] ?? ""}.os`;
    issues.push(warning("cilium-ingress-unavailable", path, `Cilium ${versions.cilium} has no shared ingress (1.13 and later): the ingress is left out; set cluster.cilium.ingress.enabled: false to say so`));
  }
  if (spec.networks.lan.ipv6 !== undefined && !atLeast(versions.externalDns, "1.21.0")) {
    // Without strict ownership one external-dns would write both families and rewrite the AAAA every sync.
    const path = given.externalDns !== undefined ? "cluster.versions.externalDns" : `hosts.${k3osHosts[0] ?? ""}.os`;
    issues.push(warning("external-dns-ipv4-only", path, `external-dns chart ${versions.externalDns} runs an external-dns older than 0.21: the services' names get IPv4 records only`));
  }

  const apiserver = semver(versions.k3s);
  for (const [name, host] of Object.entries(spec.hosts)) {
    if (host.k3sVersion === undefined) continue;
    const path = `hosts.${name}.k3sVersion`;
    const isNode = host.roles.includes("k3s-server") || host.roles.includes("k3s-agent");
    if (!isNode) {
      issues.push(error("k3s-version-not-node", path, "only k3s nodes run k3s"));
      continue;
    }
    if (host.roles.includes("k3s-server")) {
      issues.push(error("k3s-version-on-server", path, "the server runs cluster.versions.k3s; set that instead"));
      continue;
    }
    if (host.os === "k3os" && host.k3sVersion !== K3OS_K3S) {
      issues.push(error("k3os-version", path, `a k3OS node runs k3s ${K3OS_K3S} only`));
    }
    const kubelet = semver(host.k3sVersion);
    if (kubelet.major !== apiserver.major || kubelet.minor > apiserver.minor) {
      issues.push(error("kubelet-newer-than-apiserver", path, `kubelet ${host.k3sVersion} is newer than the API server ${versions.k3s}; upgrade the server first`));
    } else if (apiserver.minor - kubelet.minor > 3) {
      issues.push(error("kubelet-skew", path, `kubelet ${host.k3sVersion} is more than three minor versions older than the API server ${versions.k3s}`));
    }
  }

  const cil = semver(versions.cilium);
  const tested = ciliumTested[`${cil.major}.${cil.minor}`];
  if (tested !== undefined) {
    const path = given.cilium !== undefined ? "cluster.versions.cilium" : "cluster.versions.k3s";
    if (apiserver.minor < tested[0]) {
      issues.push(error("chart-k8s-range", path, `Cilium ${versions.cilium} supports Kubernetes 1.${tested[0]} to 1.${tested[1]}, not 1.${apiserver.minor}`));
    } else if (apiserver.minor > tested[1]) {
      issues.push(warning("chart-k8s-range", path, `Cilium ${versions.cilium} is tested on Kubernetes up to 1.${tested[1]}; 1.${apiserver.minor} relies on backward compatibility`));
    }
  }
  if (!atLeast(versions.cilium, "1.12.0")) {
    issues.push(error("chart-too-old", "cluster.versions.cilium", "h5b needs Cilium 1.12 or newer (ingress controller, kube-proxy replacement)"));
  }
  if (!atLeast(versions.metallb, "0.13.0")) {
    issues.push(error("chart-too-old", "cluster.versions.metallb", "h5b configures MetalLB through CRDs, which need MetalLB 0.13 or newer"));
  }
  if (!atLeast(versions.metallb, "0.14.9") && spec.networks.lan.ipv6 !== undefined) {
    issues.push(error("chart-too-old", "cluster.versions.metallb", "dual-stack services with PreferDualStack need MetalLB 0.14.9 or newer"));
  }
  return { versions, issues };
}
