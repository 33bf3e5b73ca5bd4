// The seed homelab: one Raspberry Pi control plane, one Raspberry Pi worker, one big x86 worker with ZFS,
// Porygon for DNS and DHCP, and a gateway. Addresses are private IPv4 and documentation IPv6 (2001:db8::/32),
// MACs from the documentation block 00:00:5e:00:53:xx: replace them with your own.
import { defineHomelab } from "./homelab.js";

export default defineHomelab({
  site: {
    name: "home",
    zones: { services: "svc.home.example.org", dhcp: "lan.home.example.org" },
    timeZone: "Etc/UTC",
    // Names outside the home zones go out as Oblivious DoH: each target through a relay another operator runs.
    upstream: { servers: ["odoh-cloudflare", "odoh-snowstorm"], relays: ["odohrelay-crypto-sx", "odohrelay-numa"] },
  },

  networks: {
    // One flat LAN: hosts, DHCP clients and MetalLB addresses share it (layer 2, no routing in between).
    lan: {
      ipv4: {
        prefix: "10.0.0.0/16",
        ranges: { static: "10.0.0.0/24", dhcp: "10.0.32.0/20", internal: "10.0.64.0/24", public: "10.0.65.0/28" },
      },
      ipv6: {
        prefix: "2001:db8:10::/64",
        ranges: {
          static: "2001:db8:10::/116",
          dhcp: "2001:db8:10::1:0/112",
          internal: "2001:db8:10::64:0/120",
          // Open from the internet at the gateway: only public services get addresses here.
          public: "2001:db8:10::65:0/124",
        },
      },
    },
    pods: { ipv4: "10.42.0.0/16", ipv6: "fd00:42::/56" },
    services: { ipv4: "10.43.0.0/16", ipv6: "fd00:43::/112" },
  },

  hosts: {
    gateway: {
      roles: ["gateway"],
      hardware: {
        arch: "amd64",
        model: "fanless mini PC",
        cpu: { cores: 4 },
        memory: { size: "8Gi" },
        nics: [
          { name: "wan0", mac: "00:00:5e:00:53:01", network: "wan" },
          { name: "lan0", mac: "00:00:5e:00:53:02" },
        ],
        disks: [{ id: "nvme-gateway-boot", media: "nvme", size: "128G", roles: ["boot"] }],
      },
      addresses: { ipv4: "10.0.0.1", ipv6: "2001:db8:10::1" },
    },
    porygon: {
      roles: ["dns", "dhcp"],
      hardware: {
        arch: "amd64",
        model: "mini PC",
        cpu: { cores: 4 },
        memory: { size: "8Gi" },
        nics: [{ name: "eth0", mac: "00:00:5e:00:53:05" }],
        disks: [{ id: "nvme-porygon-boot", media: "nvme", size: "256G", roles: ["boot"] }],
      },
      addresses: { ipv4: "10.0.0.53", ipv6: "2001:db8:10::53" },
    },
    "pi-cp": {
      roles: ["k3s-server"],
      hardware: {
        arch: "arm64",
        model: "Raspberry Pi 4B",
        platform: "raspberry-pi",
        cpu: { cores: 4, model: "Cortex-A72" },
        memory: { size: "4Gi" },
        nics: [{ name: "eth0", mac: "00:00:5e:00:53:10" }],
        disks: [{ id: "mmc-pi-cp-boot", media: "sd", size: "64G", roles: ["boot"] }],
      },
      addresses: { ipv4: "10.0.0.10", ipv6: "2001:db8:10::10" },
    },
    "pi-worker": {
      roles: ["k3s-agent"],
      hardware: {
        arch: "arm64",
        model: "Raspberry Pi 4B",
        platform: "raspberry-pi",
        cpu: { cores: 4, model: "Cortex-A72" },
        memory: { size: "8Gi" },
        nics: [{ name: "eth0", mac: "00:00:5e:00:53:11" }],
        disks: [{ id: "mmc-pi-worker-boot", media: "sd", size: "128G", roles: ["boot"] }],
      },
      addresses: { ipv4: "10.0.0.11", ipv6: "2001:db8:10::11" },
    },
    "x86-1": {
      roles: ["k3s-agent"],
      hardware: {
        arch: "amd64",
        model: "Ryzen server, 10G, IPMI",
        cpu: { cores: 16, model: "AMD Ryzen 9 7950X" },
        memory: { size: "64Gi", ecc: true },
        nics: [{ name: "enp1s0f0", mac: "00:00:5e:00:53:20", speedMbps: 10000 }],
        disks: [
          // Mirrored NVMe boot drives; each also carries a SLOG and an L2ARC partition for the pool.
          { id: "nvme-x86-boot-a", media: "nvme", size: "1T", roles: ["boot", "slog", "l2arc"] },
          { id: "nvme-x86-boot-b", media: "nvme", size: "1T", roles: ["boot", "slog", "l2arc"] },
          { id: "ata-x86-hdd-1", media: "hdd", size: "14T", roles: ["data"] },
          { id: "ata-x86-hdd-2", media: "hdd", size: "14T", roles: ["data"] },
          { id: "ata-x86-hdd-3", media: "hdd", size: "14T", roles: ["data"] },
          { id: "ata-x86-hdd-4", media: "hdd", size: "14T", roles: ["data"] },
        ],
        bmc: { mac: "00:00:5e:00:53:21", addresses: { ipv4: "10.0.0.120", ipv6: "2001:db8:10::120" } },
      },
      addresses: { ipv4: "10.0.0.20", ipv6: "2001:db8:10::20" },
    },
  },

  cluster: {
    // Each version left out takes h5b's pinned default; see `h5b build` for the resolved set.
    versions: {},
    controlPlaneTaint: "CriticalAddonsOnly=true:NoExecute",
    cilium: { hubble: { relay: true, ui: true }, ingress: { enabled: true, exposure: "public", hostname: "ingress" } },
    externalDns: { policy: "sync", interval: "1m" },
  },

  workloads: {
    // The seed's reason for stateless services: VPN access survives any single failure.
    wireguard: {
      image: "lscr.io/linuxserver/wireguard:1.0.20250521",
      architectures: ["amd64", "arm64"],
      replicas: 2,
      ports: [{ name: "wireguard", port: 51820, protocol: "UDP" }],
      capabilities: ["NET_ADMIN"],
      // The server's config (its key, port and peers), supplied by you: both replicas serve the same key, so a
      // client follows the address from one to the other. The image brings up every config in wg_confs.
      secretFiles: { "wg0.conf": "/config/wg_confs/wg0.conf" },
      exposure: "public",
      state: "stateless",
      essential: true,
      resources: { cpu: "100m", memory: "128Mi" },
    },
    dashboard: {
      image: "ghcr.io/gethomepage/homepage:v1.4.0",
      architectures: ["amd64", "arm64"],
      replicas: 2,
      ports: [{ name: "http", port: 80, targetPort: 3000 }],
      exposure: "internal",
      // Homepage answers only the host names it is told (it refuses others since v1.0).
      env: { HOMEPAGE_ALLOWED_HOSTS: "dashboard.svc.home.example.org" },
      resources: { cpu: "100m", memory: "256Mi" },
    },
    "home-assistant": {
      image: "ghcr.io/home-assistant/home-assistant:2025.11.1",
      architectures: ["amd64", "arm64"],
      replicas: 1,
      ports: [{ name: "http", port: 8123 }],
      exposure: "internal",
      state: "nfs",
      storage: "20Gi",
      mountPath: "/config",
      resources: { cpu: "500m", memory: "1Gi" },
    },
    media: {
      image: "jellyfin/jellyfin:10.11.3",
      architectures: ["amd64"],
      replicas: 1,
      ports: [{ name: "http", port: 8096 }],
      exposure: "internal",
      state: "nfs",
      storage: "100Gi",
      mountPath: "/config",
      resources: { cpu: "2", memory: "4Gi" },
    },
  },

  storage: {
    zfs: {
      host: "x86-1",
      pool: "tank",
      layout: "raidz2",
      slogSize: "16G",
      l2arcSize: "256G",
      datasets: {
        k8s: { compression: "lz4", nfs: true },
        media: { compression: "zstd", recordsize: "1M", nfs: true },
      },
    },
    nfs: { dataset: "k8s", storageClass: "nfs" },
  },

  backups: {
    b2: { bucket: "home-example-backups", region: "us-west-004", path: "restic" },
    schedule: "*-*-* 03:00:00",
    retention: { daily: 7, weekly: 4, monthly: 12, yearly: 2 },
  },

  access: {
    administrator: { name: "admin", sshKeys: [] },
    monitoring: [{ name: "prometheus", namespace: "monitoring" }],
    jobSpawners: [{ name: "job-runner", namespace: "jobs" }],
  },
});
