import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { K3OS_DROPPED_DIR } from "../../src/emit/k3os/index.js";
import { K3S_MANIFESTS_DIR } from "../../src/emit/k3s/index.js";
import { H5bError } from "../../src/issue.js";
import type { HomelabInput } from "../../src/spec/homelab.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import { renderTree } from "../ansible/_render.js";
import { pisOnK3os } from "../_harness/k3os.js";
import { ipv4Only } from "../spec/_helpers.js";

interface Config {
  write_files?: WriteFile[];
  boot_cmd?: string[];
}

interface WriteFile {
  path: string;
  content: string;
  owner: string;
  permissions: string;
}

async function k3osConfigs(mutate: (s: HomelabInput) => void) {
  const { files } = await renderTree(mutate);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const config = (host: string) => parse(byPath.get(`hosts/${host}/var/lib/rancher/k3os/config.yaml`)?.content ?? "") as Config;
  return { files, config };
}

describe("a k3OS node's config.yaml", () => {
  it("carries every file rendered for the node, the server's manifests with their modes, since no Ansible reaches it", async () => {
    const { files, config } = await k3osConfigs(pisOnK3os);
    const written = config("pi-cp").write_files ?? [];
    const manifests = files.filter((f) => f.path.startsWith(`hosts/pi-cp${K3S_MANIFESTS_DIR}/`));
    expect(manifests.length).toBeGreaterThan(5);
    for (const m of manifests) {
      const entry = written.find((w) => `hosts/pi-cp${w.path}` === m.path);
      expect({ path: m.path, content: entry?.content, permissions: entry?.permissions }).toEqual({
        path: m.path,
        content: m.content,
        permissions: `0${(m.mode ?? 0o644).toString(8)}`,
      });
    }
    // The Secret of external-dns's etcd client stays root's alone on the node.
    expect(written.find((w) => w.path.endsWith("h5b-31-external-dns-etcd.yaml"))?.permissions).toBe("0600");
    // connman's file is staged and copied in only when it changed: connman re-provisions the port (dropping the LAN)
    // on every rename over it, and k3OS writes its files twice a boot.
    expect(config("pi-worker").write_files?.map((w) => w.path)).toEqual(["/var/lib/rancher/k3os/h5b-staged/var/lib/connman/h5b.config"]);
    const staged = "/var/lib/rancher/k3os/h5b-staged/var/lib/connman/h5b.config";
    expect(config("pi-worker").boot_cmd?.slice(1)).toEqual([`mkdir -p /var/lib/connman && { cmp -s ${staged} /var/lib/connman/h5b.config || cp -p ${staged} /var/lib/connman/h5b.config; }`]);
  });

  it("has connman leave Cilium's ports alone, in the main.conf k3OS writes at every boot", async () => {
    const { config } = await k3osConfigs(pisOnK3os);
    const root = mkdtempSync(join(tmpdir(), "h5b-k3os-"));
    try {
      const main = join(root, "main.conf");
      // As k3OS writes it (rancher/k3os pkg/cc/funcs.go).
      writeFileSync(main, "[General]\nNetworkInterfaceBlacklist=veth\nPreferredTechnologies=ethernet,wifi\n");
      for (const host of ["pi-cp", "pi-worker"]) {
        const cmd = config(host).boot_cmd?.[0] ?? "";
        await execa("sh", ["-c", cmd.replaceAll("/etc/connman/main.conf", main)]);
      }
      expect(readFileSync(main, "utf8")).toBe("[General]\nNetworkInterfaceBlacklist=veth,lxc,cilium_\nPreferredTechnologies=ethernet,wifi\n");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("moves aside at boot the server's h5b manifests the spec no longer has, so that k3s stops applying them; others stay", async () => {
    const { config } = await k3osConfigs(pisOnK3os);
    const cmd = config("pi-cp").boot_cmd?.at(-1) ?? "";
    const kept = (config("pi-cp").write_files ?? []).map((w) => w.path).filter((p) => p.startsWith(`${K3S_MANIFESTS_DIR}/h5b-`));
    const root = mkdtempSync(join(tmpdir(), "h5b-k3os-"));
    try {
      const manifests = join(root, "manifests");
      mkdirSync(manifests);
      for (const name of [basename(kept[0] ?? ""), "h5b-60-app-gone.yaml", "mine.yaml"]) writeFileSync(join(manifests, name), "");
      // The boot command as k3OS runs it (sh -c), its two folders moved under the test's own.
      await execa("sh", ["-c", cmd.replaceAll(K3S_MANIFESTS_DIR, manifests).replaceAll(K3OS_DROPPED_DIR, join(root, "dropped"))]);
      expect(readdirSync(manifests).sort()).toEqual([basename(kept[0] ?? ""), "mine.yaml"]);
      expect(readdirSync(join(root, "dropped"))).toEqual(["h5b-60-app-gone.yaml"]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("gives the node its static addresses, routes, resolver and time servers in connman's own format", async () => {
    const { config } = await k3osConfigs(pisOnK3os);
    const connman = config("pi-worker").write_files?.[0]?.content ?? "";
    expect(connman.split("\n").slice(1)).toEqual([
      "[service_lan]",
      "Type = ethernet",
      expect.stringMatching(/^MAC = ([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
      "IPv4 = 10.0.0.11/16/10.0.0.1",
      "IPv6 = 2001:db8:10::11/64/2001:db8:10::1",
      "Nameservers = 10.0.0.53,2001:db8:10::53",
      "SearchDomains = svc.home.example.org,lan.home.example.org",
      "Timeservers = 0.debian.pool.ntp.org,1.debian.pool.ntp.org",
      "",
    ]);
    const v4 = await k3osConfigs((s) => {
      pisOnK3os(s);
      ipv4Only(s);
    });
    expect(v4.config("pi-worker").write_files?.[0]?.content).toContain("\nIPv6 = off\n");
  });

  it("is refused without an SSH key: k3OS has no other login", () => {
    const input = defaultHomelabInput();
    pisOnK3os(input);
    input.access = { ...input.access, administrator: { name: "admin", sshKeys: [] } };
    let caught: unknown;
    try {
      parseHomelab(input);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(H5bError);
    expect((caught as H5bError).issues.map((i) => [i.code, i.path])).toContainEqual(["k3os-no-login", "access.administrator.sshKeys"]);
  });
});
