import { describe, expect, it } from "vitest";
import { homelabSchema } from "../../src/spec/homelab.js";
import { defaultSpec, get, issuesOf, set } from "./_helpers.js";

type Spec = ReturnType<typeof defaultSpec>;
interface Case {
  readonly name: string;
  readonly edit: (s: Spec) => void;
  readonly code: string;
  readonly path: string;
}

const host = (name: string) => `hosts.${name}`;
const push = (s: Spec, path: string, v: unknown) => (get(s, path) as unknown[]).push(v);
const port = (s: Spec, name: string) => set((get(s, "workloads.dashboard.ports") as unknown[])[0], "name", name);

/** Each case breaks the default spec in one way and names the issue it must produce. */
const corpus: readonly Case[] = [
  { name: "bad IPv4 CIDR", edit: (s) => set(s, "networks.lan.ipv4.prefix", "10.0.0.0/33"), code: "invalid-format", path: "networks.lan.ipv4.prefix" },
  { name: "bad IPv6 CIDR", edit: (s) => set(s, "networks.lan.ipv6.ranges.dhcp", "2001:db8:zz::/112"), code: "invalid-format", path: "networks.lan.ipv6.ranges.dhcp" },
  { name: "CIDR with host bits", edit: (s) => set(s, "networks.lan.ipv4.ranges.internal", "10.0.64.5/24"), code: "cidr-host-bits", path: "networks.lan.ipv4.ranges.internal" },
  { name: "range outside the LAN", edit: (s) => set(s, "networks.lan.ipv4.ranges.public", "192.168.1.0/28"), code: "range-outside", path: "networks.lan.ipv4.ranges.public" },
  { name: "public pool overlapping DHCP", edit: (s) => set(s, "networks.lan.ipv4.ranges.public", "10.0.32.0/28"), code: "range-overlap", path: "networks.lan.ipv4.ranges.public" },
  { name: "IPv6 pools overlapping", edit: (s) => set(s, "networks.lan.ipv6.ranges.internal", "2001:db8:10::65:0/120"), code: "range-overlap", path: "networks.lan.ipv6.ranges.public" },
  { name: "pod CIDR overlapping the LAN", edit: (s) => set(s, "networks.pods.ipv4", "10.0.0.0/16"), code: "cluster-cidr-overlap", path: "networks.pods.ipv4" },
  { name: "service CIDR overlapping pods", edit: (s) => set(s, "networks.services.ipv6", "fd00:42::/112"), code: "cluster-cidr-overlap", path: "networks.services.ipv6" },
  { name: "pod CIDR with room for one node's /24", edit: (s) => set(s, "networks.pods.ipv4", "10.42.0.0/24"), code: "pods-cidr-too-small", path: "networks.pods.ipv4" },
  { name: "pod CIDR more than 16 bits above the nodes' /64", edit: (s) => set(s, "networks.pods.ipv6", "fd00:42::/40"), code: "pods-cidr-too-large", path: "networks.pods.ipv6" },
  { name: "node label key with a space", edit: (s) => set(s, `${host("pi-worker")}.labels`, { "bad key": "x" }), code: "invalid-key", path: "hosts.pi-worker.labels.bad key" },
  { name: "node label value with a space", edit: (s) => set(s, `${host("pi-worker")}.labels`, { "example.org/tier": "x y" }), code: "invalid-format", path: "hosts.pi-worker.labels.example.org/tier" },
  { name: "taint key starting with '-'", edit: (s) => set(s, `${host("pi-worker")}.taints`, ["-bad:NoSchedule"]), code: "invalid-format", path: "hosts.pi-worker.taints[0]" },
  { name: "port name of digits only", edit: (s) => port(s, "8080"), code: "invalid-format", path: "workloads.dashboard.ports[0].name" },
  { name: "port name with '--'", edit: (s) => port(s, "web--ui"), code: "invalid-format", path: "workloads.dashboard.ports[0].name" },
  { name: "service CIDR too large", edit: (s) => set(s, "networks.services.ipv4", "10.128.0.0/9"), code: "service-cidr-too-large", path: "networks.services.ipv4" },
  { name: "cluster IPv6 on an IPv4-only LAN", edit: (s) => { set(s, "networks.lan.ipv6", undefined); for (const h of Object.values(s.hosts)) delete (h.addresses as Record<string, unknown>).ipv6; delete (s.hosts["x86-1"]?.hardware.bmc?.addresses as Record<string, unknown>).ipv6; }, code: "ipv6-without-lan", path: "networks.pods.ipv6" },
  { name: "host outside the static range", edit: (s) => set(s, `${host("x86-1")}.addresses.ipv4`, "10.0.33.5"), code: "address-outside-static", path: "hosts.x86-1.addresses.ipv4" },
  { name: "BMC outside the static range", edit: (s) => set(s, `${host("x86-1")}.hardware.bmc.addresses.ipv6`, "2001:db8:10::1:5"), code: "address-outside-static", path: "hosts.x86-1.hardware.bmc.addresses.ipv6" },
  { name: "duplicate host address", edit: (s) => set(s, `${host("pi-worker")}.addresses.ipv4`, "10.0.0.10"), code: "address-duplicate", path: "hosts.pi-worker.addresses.ipv4" },
  { name: "duplicate MAC", edit: (s) => set(s, `${host("pi-worker")}.hardware.nics`, [{ name: "eth0", mac: "00:00:5E:00:53:10" }]), code: "mac-duplicate", path: "hosts.pi-worker.hardware.nics[0].mac" },
  { name: "missing IPv6 on a dual-stack LAN", edit: (s) => set(s, `${host("porygon")}.addresses.ipv6`, undefined), code: "missing", path: "hosts.porygon.addresses.ipv6" },
  { name: "host name not a DNS label", edit: (s) => { s.hosts.Pi_Worker = s.hosts["pi-worker"] as never; delete s.hosts["pi-worker"]; }, code: "invalid-key", path: "hosts.Pi_Worker" },
  { name: "unknown key", edit: (s) => set(s, `${host("porygon")}.role`, "dns"), code: "unknown-key", path: "hosts.porygon.role" },
  { name: "the removed read-only fallback from B2", edit: (s) => set(s, "backups.readOnlyFallback", true), code: "unknown-key", path: "backups.readOnlyFallback" },
  { name: "NTP server neither an address nor a host name", edit: (s) => set(s, "site.ntpServers", ["0.debian.pool.ntp.org", "ntp_1.example.org"]), code: "invalid-format", path: "site.ntpServers[1]" },
  { name: "NTP server a mistyped address", edit: (s) => set(s, "site.ntpServers", ["192.168.1.300"]), code: "invalid-format", path: "site.ntpServers[0]" },
  { name: "NTP server the unspecified address", edit: (s) => set(s, "site.ntpServers", ["::"]), code: "invalid-format", path: "site.ntpServers[0]" },
  { name: "unknown role", edit: (s) => set(s, `${host("porygon")}.roles`, ["dns", "ntp"]), code: "invalid-value", path: "hosts.porygon.roles[1]" },
  { name: "two k3s servers", edit: (s) => set(s, `${host("pi-worker")}.roles`, ["k3s-server"]), code: "k3s-server-count", path: "hosts" },
  { name: "no worker", edit: (s) => { set(s, `${host("pi-worker")}.roles`, ["dns"]); set(s, `${host("x86-1")}.roles`, ["dhcp"]); set(s, "storage", undefined); set(s, "backups", undefined); }, code: "no-worker", path: "hosts" },
  { name: "no dns host", edit: (s) => set(s, `${host("porygon")}.roles`, ["dhcp"]), code: "no-dns-host", path: "hosts" },
  { name: "no dhcp host", edit: (s) => set(s, `${host("porygon")}.roles`, ["dns"]), code: "no-dhcp-host", path: "hosts" },
  { name: "server and agent on one host", edit: (s) => set(s, `${host("pi-cp")}.roles`, ["k3s-server", "k3s-agent"]), code: "role-conflict", path: "hosts.pi-cp.roles" },
  { name: "WAN port on a non-gateway", edit: (s) => push(s, `${host("porygon")}.hardware.nics`, { name: "wan1", mac: "00:00:5e:00:53:99", network: "wan" }), code: "wan-nic-without-gateway", path: "hosts.porygon.hardware.nics[1].network" },
  { name: "reserved node label", edit: (s) => set(s, `${host("x86-1")}.labels`, { "node-role.kubernetes.io/worker": "true" }), code: "label-reserved", path: "hosts.x86-1.labels.node-role.kubernetes.io/worker" },
  { name: "dangling storage host", edit: (s) => set(s, "storage.zfs.host", "nas-1"), code: "dangling-host", path: "storage.zfs.host" },
  { name: "too few disks for raidz3", edit: (s) => set(s, "storage.zfs.layout", "raidz3"), code: "vdev-too-few-disks", path: "storage.zfs.layout" },
  { name: "NFS class on a missing dataset", edit: (s) => set(s, "storage.nfs.dataset", "photos"), code: "dangling-dataset", path: "storage.nfs.dataset" },
  { name: "NFS class on a dataset the server does not export", edit: (s) => set(s, "storage.zfs.datasets.k8s.nfs", false), code: "dataset-not-exported", path: "storage.nfs.dataset" },
  {
    name: "backups with no dataset to back up",
    edit: (s) => {
      set(s, "storage.zfs.datasets.k8s.backup", false);
      set(s, "storage.zfs.datasets.media.backup", false);
    },
    code: "backups-without-datasets",
    path: "backups",
  },
  { name: "storage on a host that is no k3s agent (the NFS server pod runs there)", edit: (s) => set(s, "storage.zfs.host", "porygon"), code: "storage-host-not-worker", path: "storage.zfs.host" },
  { name: "NFS workload without storage", edit: (s) => { set(s, "storage", undefined); set(s, "backups", undefined); }, code: "nfs-without-storage", path: "workloads.home-assistant.state" },
  { name: "essential image fits no worker", edit: (s) => set(s, "workloads.wireguard.architectures", ["riscv64"]), code: "invalid-value", path: "workloads.wireguard.architectures[0]" },
  { name: "essential amd64-only image on arm-only workers", edit: (s) => { set(s, `${host("x86-1")}.hardware.arch`, "arm64"); set(s, "workloads.wireguard.architectures", ["amd64"]); set(s, "workloads.media.architectures", ["arm64"]); }, code: "essential-no-arch", path: "workloads.wireguard.architectures" },
  { name: "request no node can hold", edit: (s) => set(s, "workloads.media.resources", { cpu: "2", memory: "96Gi" }), code: "request-too-large", path: "workloads.media.resources" },
  { name: "two services with one name", edit: (s) => set(s, "workloads.dashboard.hostname", "wireguard"), code: "hostname-duplicate", path: "workloads.dashboard.hostname" },
  { name: "service name taken by the ingress", edit: (s) => set(s, "workloads.dashboard.hostname", "ingress"), code: "hostname-duplicate", path: "workloads.dashboard.hostname" },
  { name: "fixed LB address outside the public pool", edit: (s) => set(s, "workloads.wireguard.loadBalancerIPs", { ipv4: "10.0.64.10" }), code: "lb-ip-outside-pool", path: "workloads.wireguard.loadBalancerIPs.ipv4" },
  { name: "fixed LB address on an internal service", edit: (s) => set(s, "workloads.dashboard.loadBalancerIPs", { ipv4: "10.0.65.3" }), code: "lb-ip-not-public", path: "workloads.dashboard.loadBalancerIPs" },
  { name: "LB service without ports", edit: (s) => set(s, "workloads.dashboard.ports", []), code: "service-without-ports", path: "workloads.dashboard.ports" },
  { name: "nested zones", edit: (s) => set(s, "site.zones.dhcp", "home.example.org"), code: "zones-nested", path: "site.zones.dhcp" },
  { name: "a workload called dns (CoreDNS keeps the zone's NS there)", edit: (s) => set(s, "workloads.dashboard.hostname", "dns"), code: "name-reserved", path: "workloads.dashboard.hostname" },
  { name: "a site name h5b's own records are marked with", edit: (s) => set(s, "site.name", "h5b-hosts"), code: "site-name-reserved", path: "site.name" },
  { name: "a host called dns", edit: (s) => { s.hosts.dns = s.hosts["pi-worker"] as never; delete s.hosts["pi-worker"]; }, code: "name-reserved", path: "hosts.dns" },
  { name: "the ingress called dns", edit: (s) => set(s, "cluster.cilium.ingress", { enabled: true, hostname: "dns" }), code: "name-reserved", path: "cluster.cilium.ingress.hostname" },
  { name: "a workload called any (a wildcard to CoreDNS)", edit: (s) => set(s, "workloads.dashboard.hostname", "any"), code: "name-reserved", path: "workloads.dashboard.hostname" },
  { name: "k3OS with a current k3s", edit: (s) => { set(s, `${host("pi-worker")}.os`, "k3os"); set(s, "cluster.versions", { k3s: "v1.36.3+k3s1" }); }, code: "k3os-version", path: "cluster.versions.k3s" },
  { name: "kubelet newer than the API server", edit: (s) => set(s, `${host("x86-1")}.k3sVersion`, "v1.37.1+k3s1"), code: "kubelet-newer-than-apiserver", path: "hosts.x86-1.k3sVersion" },
  { name: "kubelet too far behind", edit: (s) => set(s, `${host("x86-1")}.k3sVersion`, "v1.31.4+k3s1"), code: "kubelet-skew", path: "hosts.x86-1.k3sVersion" },
  { name: "Cilium too new for Kubernetes 1.22", edit: (s) => set(s, "cluster.versions", { k3s: "v1.22.2+k3s2", cilium: "1.15.3" }), code: "chart-k8s-range", path: "cluster.versions.cilium" },
  { name: "bad MAC", edit: (s) => set(s, `${host("porygon")}.hardware.nics`, [{ name: "eth0", mac: "00:00:5e:00:53" }]), code: "invalid-format", path: "hosts.porygon.hardware.nics[0].mac" },
  { name: "gateway address given twice", edit: (s) => set(s, "networks.lan.ipv4.gateway", "10.0.0.254"), code: "gateway-conflict", path: "networks.lan.ipv4.gateway" },
  { name: "reverse zone shared by two writers", edit: (s) => { set(s, "networks.lan.ipv4.ranges.public", "10.0.0.240/28"); set(s, "workloads.wireguard.loadBalancerIPs", undefined); }, code: "reverse-zone-shared", path: "networks.lan.ipv4.ranges.public" },
  { name: "public port the ingress forwards already", edit: (s) => set(s, "workloads.wireguard.ports", [{ name: "https", port: 443, protocol: "TCP" }]), code: "public-port-shared", path: "workloads.wireguard.ports[0].port" },
  { name: "two public services on one port", edit: (s) => { set(s, "workloads.dashboard.exposure", "public"); set(s, "workloads.dashboard.ports", [{ name: "vpn", port: 51820, protocol: "UDP" }]); }, code: "public-port-shared", path: "workloads.dashboard.ports[0].port" },
  { name: "a number written as a string", edit: (s) => set(s, "workloads.dashboard.replicas", "2"), code: "invalid-type", path: "workloads.dashboard.replicas" },
  { name: "a list written as one word", edit: (s) => set(s, `${host("pi-cp")}.roles`, "k3s-server"), code: "invalid-type", path: "hosts.pi-cp.roles" },
  { name: "a job spawner among h5b's own workloads", edit: (s) => set(s, "access.jobSpawners", [{ name: "runner", namespace: "apps" }]), code: "job-spawner-namespace", path: "access.jobSpawners[0].namespace" },
  { name: "a time zone in the wrong case", edit: (s) => set(s, "site.timeZone", "europe/berlin"), code: "time-zone-case", path: "site.timeZone" },
  { name: "a misspelt time zone", edit: (s) => set(s, "site.timeZone", "Europe/Berlinn"), code: "time-zone-unknown", path: "site.timeZone" },
  { name: "an ODoH server reached only through its own operator's relay", edit: (s) => set(s, "site.upstream", { servers: ["odoh-cloudflare", "odoh-crypto-sx"], relays: ["odohrelay-crypto-sx"] }), code: "odoh-same-operator", path: "site.upstream.servers[1]" },
  { name: "two workloads' secret files with one file in the store", edit: (s) => { set(s, "workloads.home-assistant.secretFiles", { x: "/run/x" }); set(s, "workloads.home", { image: "nginx:1", secretFiles: { "assistant-x": "/run/y" } }); }, code: "secret-file-shared", path: "workloads.home.secretFiles.assistant-x" },
  { name: "two secret files at one path", edit: (s) => set(s, "workloads.wireguard.secretFiles", { "wg0.conf": "/config/wg0.conf", "wg1.conf": "/config/wg0.conf" }), code: "mount-conflict", path: "workloads.wireguard.secretFiles.wg1.conf" },
  { name: "a secret file inside the NFS claim's mount", edit: (s) => set(s, "workloads.media.secretFiles", { "api.key": "/config/api.key" }), code: "mount-conflict", path: "workloads.media.secretFiles.api.key" },
  { name: "negative replicas", edit: (s) => set(s, "workloads.dashboard.replicas", -1), code: "too-small", path: "workloads.dashboard.replicas" },
];

describe("invalid specs", () => {
  it("has at least 30 cases", () => expect(corpus.length).toBeGreaterThanOrEqual(30));
  it.each(corpus)("$name -> $code at $path", ({ edit, code, path }) => {
    const spec = defaultSpec();
    edit(spec);
    const issues = issuesOf(spec);
    const errors = issues.filter((i) => i.severity === "error");
    expect(errors.map((i) => `${i.code} @ ${i.path}`)).toContain(`${code} @ ${path}`);
  });
  it("says what type a value of the wrong type should be, and calls only a missing value required", () => {
    const spec = defaultSpec();
    set(spec, "workloads.dashboard.replicas", "2");
    set(spec, "workloads.media.image", undefined);
    set(spec, "workloads.wireguard.replicas", 2.5);
    set(spec, "hosts.pi-worker.hardware.arch", undefined);
    spec.hosts.X86_2 = spec.hosts["x86-1"] as never;
    expect(issuesOf(spec).map((i) => [i.path, i.message])).toEqual([
      ["hosts.pi-worker.hardware.arch", "is required: amd64 or arm64"],
      ["hosts.X86_2", "the name 'X86_2' must be a DNS label: lowercase letters, digits and inner '-', at most 63"],
      ["workloads.wireguard.replicas", "must be a whole number, not the number 2.5"],
      ["workloads.dashboard.replicas", 'must be a number, not the string "2"'],
      ["workloads.media.image", "is required"],
    ]);
  });
  it("reports every issue of a spec at once", () => {
    const spec = defaultSpec();
    for (const c of corpus.slice(0, 8)) c.edit(spec);
    const errors = issuesOf(spec).filter((i) => i.severity === "error");
    expect(errors.length).toBeGreaterThanOrEqual(2);
  });
});

describe("the default spec", () => {
  it("is valid and has no warnings", () => expect(issuesOf(defaultSpec())).toEqual([]));
  it("has the networks the schema defaults to, so leaving `networks` out gives the seed's addressing", () => {
    const spec = defaultSpec();
    const withDefaults = homelabSchema.parse({ ...spec, networks: undefined });
    expect(withDefaults.networks).toEqual(homelabSchema.parse(spec).networks);
  });
  it("warns about k3OS and gets the legacy versions", () => {
    const spec = defaultSpec();
    set(spec, `${host("pi-cp")}.os`, "k3os");
    const issues = issuesOf(spec);
    expect(issues.map((i) => `${i.severity} ${i.code}`)).toContain("warning k3os-legacy");
  });
});
