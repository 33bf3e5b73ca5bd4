import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { emitAnsible, groupsOf, hostReleases } from "../../src/emit/ansible/index.js";
import { partitionName } from "../../src/emit/ansible/roles/zfs.js";
import { buildPlan } from "../../src/plan/build.js";
import type { Plan } from "../../src/plan/types.js";
import type { HomelabInput } from "../../src/spec/homelab.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import { covers, overlayPrefixes } from "../_harness/overlay.js";
import { renderTree, variants } from "./_render.js";

function planOf(mutate: (s: HomelabInput) => void = () => {}): Plan {
  const input = defaultHomelabInput();
  mutate(input);
  return buildPlan(parseHomelab(input).spec);
}

function rendered(plan: Plan) {
  const files = new Map(emitAnsible(plan).map((f) => [f.path, f.content]));
  const yaml = (p: string) => {
    const text = files.get(p);
    if (text === undefined) throw new Error(`${p} was not rendered`);
    return parse(text) as Record<string, any>;
  };
  return { files, yaml };
}

describe("the Ansible inventory", () => {
  it("groups the default spec's Debian hosts by role and hardware", () => {
    expect(groupsOf(planOf())).toEqual({
      debian_hosts: ["gateway", "pi-cp", "pi-worker", "porygon", "x86-1"],
      gateways: ["gateway"],
      dns_servers: ["porygon"],
      dhcp_servers: ["porygon"],
      k3s_servers: ["pi-cp"],
      k3s_agents: ["pi-worker", "x86-1"],
      raspberry_pis: ["pi-cp", "pi-worker"],
      zfs_hosts: ["x86-1"],
      backup_hosts: ["x86-1"],
      bmc_hosts: ["x86-1"],
      network_hosts: ["gateway", "pi-cp", "pi-worker", "porygon", "x86-1"],
    });
  });

  it("reaches each host at its address as the administrator, and leaves k3OS nodes out", () => {
    const { yaml, files } = rendered(planOf(variants["pis-on-k3os"]));
    const inv = yaml("ansible/inventory.yml");
    expect(inv.all.children.debian_hosts.hosts).toEqual({
      gateway: { ansible_host: "10.0.0.1", ansible_user: "admin" },
      porygon: { ansible_host: "10.0.0.53", ansible_user: "admin" },
      "x86-1": { ansible_host: "10.0.0.20", ansible_user: "admin" },
    });
    expect(inv.all.children.raspberry_pis.hosts).toEqual({});
    expect(files.has("ansible/host_vars/pi-cp.yml")).toBe(false);
  });

  it("gives each host the plan's facts, not copies made by hand", () => {
    const plan = planOf();
    const { yaml } = rendered(plan);
    for (const h of plan.hosts) expect(yaml(`ansible/host_vars/${h.name}.yml`).h5b_host).toEqual(JSON.parse(JSON.stringify(h)));
    const all = yaml("ansible/group_vars/all.yml");
    expect(all.h5b_site).toEqual(JSON.parse(JSON.stringify(plan.site)));
    expect(all.h5b_skip_release_downloads).toBe(false);
    expect(all.h5b_checksums).toEqual({});
  });
});

describe("the host variables of the hardware roles", () => {
  it("creates the default pool as raidz2 with mirrored SLOG and L2ARC partitions of both NVMe drives", () => {
    const zfs = rendered(planOf()).yaml("ansible/host_vars/x86-1.yml").h5b_zfs;
    const disk = (id: string) => `/dev/disk/by-id/${id}`;
    const label = (kind: "slog" | "l2arc", id: string) => `/dev/disk/by-partlabel/${partitionName(kind, id)}`;
    expect(partitionName("slog", "nvme-x86-boot-a")).toMatch(/^h5b-slog-[0-9a-f]{8}$/);
    expect(zfs.create).toEqual([
      "zpool", "create", "-o", "ashift=12",
      "-O", "atime=off", "-O", "xattr=sa", "-O", "acltype=posixacl", "-O", "mountpoint=none",
      "tank", "raidz2", ...[1, 2, 3, 4].map((n) => disk(`ata-x86-hdd-${n}`)),
      "log", "mirror", label("slog", "nvme-x86-boot-a"), label("slog", "nvme-x86-boot-b"),
      "cache", label("l2arc", "nvme-x86-boot-a"), label("l2arc", "nvme-x86-boot-b"),
    ]);
    // 16G + 256G (decimal) from the end of each drive: SLOG first, then L2ARC to the end.
    const slog = Math.ceil(16e9 / 2 ** 20);
    const l2arc = Math.ceil(256e9 / 2 ** 20);
    expect(zfs.partitions[0]).toEqual({ device: disk("nvme-x86-boot-a"), name: partitionName("slog", "nvme-x86-boot-a"), start: `-${slog + l2arc}MiB`, end: `-${l2arc}MiB` });
    expect(zfs.partitions[1]).toEqual({ device: disk("nvme-x86-boot-a"), name: partitionName("l2arc", "nvme-x86-boot-a"), start: `-${l2arc}MiB`, end: "100%" });
    expect(zfs.datasets.map((d: { name: string }) => d.name)).toEqual(["tank/k8s", "tank/media"]);
    expect(zfs.datasets[1].properties).toEqual({ mountpoint: "/tank/media", compression: "zstd", dedup: "off", recordsize: "1M", checksum: expect.any(String), sharenfs: "off" });
  });

  it("readies the storage host's kernel for the NFS server pod, with no host NFS server beside it", () => {
    const { files, yaml } = rendered(planOf());
    expect(files.get("hosts/x86-1/etc/modules-load.d/h5b-nfs-server.conf")?.split("\n").filter((l) => l !== "" && !l.startsWith("#"))).toEqual(["nfs", "nfsd"]);
    expect([...files.keys()].filter((p) => p.endsWith("h5b-nfs-server.conf"))).toEqual(["hosts/x86-1/etc/modules-load.d/h5b-nfs-server.conf"]);
    const tasks = yaml("ansible/roles/zfs/tasks/main.yml") as unknown as Record<string, any>[];
    const named = (n: string) => tasks.find((t) => t.name === n);
    expect(named("Remove a host NFS server")?.["ansible.builtin.apt"]).toEqual({ name: ["nfs-kernel-server"], state: "absent" });
    expect(named("Load the NFS server's kernel modules")).toMatchObject({ "community.general.modprobe": { name: "{{ item }}", state: "present" }, loop: ["nfs", "nfsd"], ignore_errors: "{{ ansible_check_mode }}" });
    expect(named("Install the NFS server's kernel modules list")?.vars.h5b_prefixes).toEqual(["etc/modules-load.d/h5b-nfs-server.conf"]);
    // DKMS builds ZFS for the kernels with headers: the running one (unattended-upgrades installs new kernels without
    // a reboot), and those to come.
    expect(named("Install ZFS")?.["ansible.builtin.apt"].name).toEqual(expect.arrayContaining(["linux-headers-{{ h5b_host.arch }}", "linux-headers-{{ ansible_facts['kernel'] }}"]));
    // The datasets (the pod's hostPaths) and nfsd are ready before the k3s agent that runs the pod is installed.
    const plays = (yaml("ansible/site.yml") as unknown as { roles: string[] }[]).map((p) => p.roles[0]);
    expect(plays.indexOf("zfs")).toBeLessThan(plays.indexOf("k3s"));
  });

  it("sets the BMC's address, netmask and gateway from the plan", () => {
    const bmc = rendered(planOf()).yaml("ansible/host_vars/x86-1.yml").h5b_bmc;
    expect(bmc.settings.map((s: { set: string[] }) => s.set)).toEqual([["ipsrc", "static"], ["ipaddr", "10.0.0.120"], ["netmask", "255.255.0.0"], ["defgw", "ipaddr", "10.0.0.1"]]);
  });
});

describe("Porygon's restarts", () => {
  // What the porygon role restarts for a changed file: test/ansible/porygon-restarts.test.ts runs it.
  it.each(Object.keys(variants))("restart, for each file the porygon role installs, the units that read it, in their order (%s spec)", async (variant) => {
    const tree = await renderTree(variants[variant]);
    rmSync(dirname(tree.out), { recursive: true, force: true });
    const files = new Map(tree.files.map((f) => [f.path, f.content]));
    const yaml = (p: string) => parse(files.get(p) ?? "") as any;
    const installed = overlayPrefixes(yaml("ansible/roles/porygon/tasks/main.yml"));
    const restarts = yaml("ansible/roles/porygon/vars/main.yml").h5b_porygon_restarts as Record<string, string[]>;
    for (const host of new Set([tree.plan.dns.host, tree.plan.dns.dhcpHost])) {
      const overlay = `hosts/${host}/`;
      const paths = [...files.keys()].filter((p) => p.startsWith(overlay)).map((p) => p.slice(overlay.length));
      const mine = paths.filter((p) => installed.some((prefixes) => covers(prefixes, p)));
      expect(mine.length).toBeGreaterThan(10);
      for (const path of mine) {
        const units = Object.keys(restarts).filter((u) => covers(restarts[u] ?? [], path));
        expect({ path, restarts: units.length }).toEqual({ path, restarts: 1 });
      }
      // Each unit after the units its unit file and drop-ins order it after (Kea's and etcd's own are Debian's).
      const units = yaml(`ansible/host_vars/${host}.yml`).h5b_porygon.units as string[];
      for (const unit of units) {
        expect(Object.keys(restarts)).toContain(unit);
        const texts = paths.filter((p) => p === `etc/systemd/system/${unit}` || p.startsWith(`etc/systemd/system/${unit}.d/`)).map((p) => files.get(overlay + p) ?? "");
        const after = texts.flatMap((t) => [...t.matchAll(/^After=(.*)$/gm)].flatMap((m) => (m[1] ?? "").split(/\s+/)));
        for (const dep of after.filter((d) => units.includes(d))) expect({ unit, after: dep, order: units.indexOf(dep) < units.indexOf(unit) }).toEqual({ unit, after: dep, order: true });
      }
      expect(units).toContain("kea-dhcp-ddns-server.service");
    }
  });

  it("run every handler still pending when a later task fails", () => {
    expect(rendered(planOf()).files.get("ansible/ansible.cfg")).toMatch(/^\[defaults\]\n(?:.*\n)*force_handlers = True\n/m);
  });
});

describe("releases", () => {
  it("pins k3s per node architecture, with the release's own checksum file", () => {
    const plan = planOf();
    const pi = plan.hosts.find((h) => h.name === "pi-worker");
    expect(pi && hostReleases(plan, pi)).toEqual([
      {
        name: "k3s",
        version: "v1.36.3+k3s1",
        url: "https://github.com/k3s-io/k3s/releases/download/v1.36.3%2Bk3s1/k3s-arm64",
        file: "k3s-arm64",
        checksums: { url: "https://github.com/k3s-io/k3s/releases/download/v1.36.3%2Bk3s1/sha256sum-arm64.txt", format: "sha256sum" },
        binaries: [{ to: "/usr/local/bin/k3s" }],
      },
    ]);
  });

  it("gives Porygon CoreDNS, dnscrypt-proxy and Node.js, and the legacy k3s to k3OS-era clusters' Debian nodes", () => {
    const plan = planOf(variants["pis-on-k3os"]);
    const names = (host: string) => hostReleases(plan, plan.hosts.find((h) => h.name === host) as Plan["hosts"][number]).map((r) => `${r.name} ${r.version}`);
    expect(names("porygon")).toEqual(["coredns 1.14.7", "dnscrypt-proxy 2.1.18", "node v24.21.0"]);
    expect(names("x86-1")).toEqual(["k3s v1.22.2+k3s2"]);
    expect(names("pi-cp")).toEqual([]);
  });
});

describe("the overlay files of the roles", () => {
  it("forwards both families on k3s nodes and keeps router advertisements on the LAN port", () => {
    const { files } = rendered(planOf());
    const x86 = files.get("hosts/x86-1/etc/sysctl.d/90-h5b.conf") ?? "";
    expect(x86).toContain("net.ipv6.conf.enp1s0f0.accept_ra = 2\n");
    // In that order: forwarding turned on while the port still takes advertisements drops its default route.
    expect(x86.indexOf("enp1s0f0.accept_ra = 2")).toBeLessThan(x86.indexOf("net.ipv6.conf.all.forwarding = 1"));
    expect(files.has("hosts/porygon/etc/sysctl.d/90-h5b.conf")).toBe(false);
    const v4 = rendered(planOf(variants["ipv4-only"])).files.get("hosts/x86-1/etc/sysctl.d/90-h5b.conf");
    expect(v4).toContain("net.ipv4.ip_forward = 1\n");
    expect(v4).not.toContain("ipv6");
  });

  it("keeps router advertisements on a LAN port whose name has a dot (a VLAN), in sysctl's slash form", () => {
    const { files } = rendered(planOf((s) => void ((s.hosts["x86-1"]?.hardware.nics[0] as { name: string }).name = "enp1s0f0.7")));
    expect(files.get("hosts/x86-1/etc/sysctl.d/90-h5b.conf")).toContain("net/ipv6/conf/enp1s0f0.7/accept_ra = 2\n");
  });

  it("runs k3s from the pinned binary, as server or agent", () => {
    const { files } = rendered(planOf());
    expect(files.get("hosts/pi-cp/etc/systemd/system/k3s.service")).toContain("\nType=notify\n");
    expect(files.get("hosts/pi-cp/etc/systemd/system/k3s.service")).toContain("\nExecStart=/usr/local/bin/k3s server\n");
    expect(files.get("hosts/x86-1/etc/systemd/system/k3s-agent.service")).toContain("\nExecStart=/usr/local/bin/k3s agent\n");
  });

  it("the porygon role installs Porygon's files only: the resolver, the ports and the name wait for their roles", () => {
    const { yaml } = rendered(planOf());
    const prefixes = overlayPrefixes(yaml("ansible/roles/porygon/tasks/main.yml") as unknown as { vars?: { h5b_prefixes?: string[] } }[]);
    expect(prefixes.length).toBeGreaterThan(0);
    const installs = (path: string) => prefixes.some((p) => covers(p, path));
    for (const path of ["etc/resolv.conf", "etc/network/interfaces", "etc/hostname", "etc/hosts", "etc/sysctl.d/90-h5b.conf", "etc/systemd/system/k3s.service"]) {
      expect({ path, installed: installs(path) }).toEqual({ path, installed: false });
    }
    for (const path of ["etc/kea/kea-dhcp-ddns.conf", "etc/coredns/Corefile", "etc/systemd/system/h5b-ddns.service", "etc/systemd/system/etcd.service.d/h5b.conf", "usr/local/sbin/h5b-host-records"]) {
      expect({ path, installed: installs(path) }).toEqual({ path, installed: true });
    }
  });

  it("never shows a diff of a file others may not read, whichever role copies it", () => {
    // `h5b deploy --check` runs with --diff: a Secret manifest or a key would be printed.
    const { files, yaml } = rendered(planOf());
    const roleTasks = [...files.keys()].filter((p) => /^ansible\/roles\/[^/]+\/tasks\/main\.yml$/.test(p));
    let overlayCopies = 0;
    for (const path of roleTasks) {
      for (const task of yaml(path) as unknown as Record<string, any>[]) {
        if (task.vars?.h5b_prefixes === undefined || task["ansible.builtin.copy"] === undefined) continue;
        overlayCopies++;
        const secretOnly = String(task.loop).includes("| selectattr('mode', 'match', '^0[0-7][0-7]0$')");
        const secretsLeftOut = String(task.loop).includes("| rejectattr('mode', 'match', '^0[0-7][0-7]0$')");
        expect({ path, task: task.name, ok: secretOnly ? task.diff === false : secretsLeftOut }).toEqual({ path, task: task.name, ok: true });
      }
    }
    expect(overlayCopies).toBeGreaterThan(10);
  });

  it("turns SSH passwords off only once the spec names a key", () => {
    expect(rendered(planOf()).files.has("hosts/porygon/etc/ssh/sshd_config.d/00-h5b.conf")).toBe(false);
    const withKey = planOf((s) => {
      s.access = { ...s.access, administrator: { name: "admin", sshKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLE admin@laptop"] } };
    });
    expect(rendered(withKey).files.get("hosts/porygon/etc/ssh/sshd_config.d/00-h5b.conf")).toContain("PasswordAuthentication no\n");
  });
});
