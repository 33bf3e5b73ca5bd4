import type { Plan, PlanHost } from "../../plan/types.js";
import { BINARIES } from "../porygon/systemd.js";

export const K3S_BINARY = "/usr/local/bin/k3s";

/**
 * A program h5b installs from its upstream release rather than from Debian (k3s, and on Porygon what Debian 12 lacks
 * or ships too old). The archive's sha256 is never guessed: `h5b deploy` reads it from the project's published
 * checksum file (`checksums`) and passes it in `h5b_checksums`, keyed by `url`.
 */
export interface Release {
  readonly name: string;
  readonly version: string;
  readonly url: string;
  /** File name of the download (the name the checksum file lists it under). */
  readonly file: string;
  /** Where the project publishes the sha256 of `file`; absent when it publishes none (signature only). */
  readonly checksums?: { readonly url: string; readonly format: "sha256sum" | "single" };
  /** A minisign signature of `file` and the project's public key: `h5b deploy` verifies it, then pins the sha256. */
  readonly signature?: { readonly url: string; readonly publicKey: string };
  /** Binaries to install: path inside the archive (absent for a bare binary) -> absolute path on the host. */
  readonly binaries: readonly { readonly from?: string; readonly to: string }[];
}

/** dnscrypt-proxy's release signing key, as its README and installation guide publish it. */
export const DNSCRYPT_PROXY_MINISIGN_KEY = "RWTk1xXqcTODeYttYMCMLo0YJHaFEHn7a3akqHlb/7QvIQXHVPxKbjB5";

const gh = (repo: string, tag: string, file: string) => `https://github.com/${repo}/releases/download/${encodeURIComponent(tag)}/${file}`;

export function k3sRelease(host: PlanHost): Release {
  const version = host.k3s?.version ?? "";
  const file = host.arch === "amd64" ? "k3s" : "k3s-arm64";
  return {
    name: "k3s",
    version,
    url: gh("k3s-io/k3s", version, file),
    file,
    checksums: { url: gh("k3s-io/k3s", version, `sha256sum-${host.arch}.txt`), format: "sha256sum" },
    binaries: [{ to: K3S_BINARY }],
  };
}

/**
 * Node.js for `h5b ddns` (Debian 12's is older than h5b's engines allow): the current release of the LTS line 24,
 * supported until April 2028 (20 reached its end of life in April 2026; h5b runs on 20 and newer).
 */
export const NODE_VERSION = "v24.21.0";

/** Where the Node.js release's programs are linked: `h5b ddns` runs on this node, npm installs h5b. */
export const NODE_BINARIES = { node: "/usr/local/bin/node", npm: "/usr/local/bin/npm" } as const;

/**
 * What Porygon runs from upstream releases: CoreDNS and dnscrypt-proxy on the DNS host (Debian 12 packages
 * neither), Node.js for `h5b ddns` on the DHCP host. Binaries land where Porygon's units expect them.
 */
export function porygonReleases(plan: Plan, host: PlanHost): Release[] {
  const v = plan.cluster.versions;
  const out: Release[] = [];
  if (host.name === plan.dns.host) {
    const corednsFile = `coredns_${v.coredns}_linux_${host.arch}.tgz`;
    const dnscryptArch = host.arch === "amd64" ? "x86_64" : "arm64";
    const dnscryptFile = `dnscrypt-proxy-linux_${dnscryptArch}-${v.dnscryptProxy}.tar.gz`;
    out.push(
      {
        name: "coredns",
        version: v.coredns,
        url: gh("coredns/coredns", `v${v.coredns}`, corednsFile),
        file: corednsFile,
        checksums: { url: gh("coredns/coredns", `v${v.coredns}`, `${corednsFile}.sha256`), format: "single" },
        binaries: [{ from: "coredns", to: BINARIES.coredns }],
      },
      {
        name: "dnscrypt-proxy",
        version: v.dnscryptProxy,
        url: gh("DNSCrypt/dnscrypt-proxy", v.dnscryptProxy, dnscryptFile),
        file: dnscryptFile,
        signature: { url: `${gh("DNSCrypt/dnscrypt-proxy", v.dnscryptProxy, dnscryptFile)}.minisig`, publicKey: DNSCRYPT_PROXY_MINISIGN_KEY },
        binaries: [{ from: `linux-${dnscryptArch}/dnscrypt-proxy`, to: BINARIES.dnscrypt }],
      },
    );
  }
  if (host.name === plan.dns.dhcpHost) {
    const dir = `node-${NODE_VERSION}-linux-${host.arch === "amd64" ? "x64" : "arm64"}`;
    out.push({
      name: "node",
      version: NODE_VERSION,
      url: `https://nodejs.org/dist/${NODE_VERSION}/${dir}.tar.xz`,
      file: `${dir}.tar.xz`,
      checksums: { url: `https://nodejs.org/dist/${NODE_VERSION}/SHASUMS256.txt`, format: "sha256sum" },
      binaries: [
        { from: `${dir}/bin/node`, to: NODE_BINARIES.node },
        { from: `${dir}/bin/npm`, to: NODE_BINARIES.npm },
      ],
    });
  }
  return out;
}

/** The releases the playbook downloads for one host. */
export function hostReleases(plan: Plan, host: PlanHost): Release[] {
  if (host.os !== "debian") return [];
  return [...(host.k3s !== undefined ? [k3sRelease(host)] : []), ...porygonReleases(plan, host)];
}

/** Every release the playbook downloads for these hosts, once each (by URL), in a stable order. */
export function releasesOf(plan: Plan, hosts: readonly PlanHost[] = plan.hosts): Release[] {
  const all = new Map(hosts.flatMap((h) => hostReleases(plan, h)).map((r) => [r.url, r]));
  return [...all.values()].sort((a, b) => (a.url < b.url ? -1 : 1));
}
