import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { DeployOutput, DeployReport } from "../../src/deploy/run.js";
import { deploy } from "../../src/deploy/run.js";
import { unpackDebianRoot } from "../_harness/debian-root.js";
import { covers, overlayPrefixes } from "../_harness/overlay.js";
import { renderTree, type RenderedTree } from "./_render.js";

/**
 * The rendered playbook converges real Debian 12 roots through Ansible's chroot connection, as `h5b deploy` runs it:
 * Porygon (common, porygon, network), the gateway (common, gateway, network), the k3s server (common, raspberry_pi,
 * k3s, network with its NetworkManager profile) and the x86 node (common, backups, k3s as an agent, network; its ZFS and IPMI plays need the hardware, and
 * `--skip-hardware` leaves them out). The one switch only this test sets, h5b_skip_release_downloads, leaves out
 * the release binaries (no internet here but the registries).
 */
const HOSTS = ["gateway", "porygon", "pi-cp", "x86-1"];
/** What the B2 key files hold here: the user puts real ones in the secrets folder. */
const B2_KEYS = { "b2-key-id": "0012345678900000000000001\n", "b2-application-key": "K001test-only-not-a-real-key\n" };
const work = mkdtempSync(join(tmpdir(), "h5b-converge-"));
const root = (h: string) => join(work, "roots", h);
let tree: RenderedTree;
const serverToken = join(root("pi-cp"), "var/lib/rancher/k3s/server/token");
let inventory: string;

const quiet: DeployOutput = { notice: () => {}, info: () => {}, start: () => {}, result: () => {}, other: () => {} };
const run = (check = false, hosts = HOSTS): Promise<DeployReport> =>
  deploy(
    {
      cwd: work,
      out: "out",
      check,
      limit: hosts.join(","),
      inventory,
      extraVars: ["h5b_skip_release_downloads=true"],
      skipHardware: true,
      defaultSpec: true,
      fetcher: () => Promise.reject(new Error("no internet in this test")),
    },
    quiet,
  );

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

beforeAll(async () => {
  tree = await renderTree(undefined, work);
  for (const [name, text] of Object.entries(B2_KEYS)) writeFileSync(join(tree.secretsDir, name), text, { mode: 0o600 });
  await Promise.all(HOSTS.map((h) => unpackDebianRoot(root(h))));
  // Raspberry Pi OS manages its ports with NetworkManager, which the network play checks for; a Debian install has
  // ifupdown instead (in every root). debootstrap cannot configure NetworkManager among its base packages.
  await execa("chroot", [root("pi-cp"), "sh", "-c", "apt-get update -qq && apt-get install -y -qq --no-install-recommends network-manager"], {
    env: { DEBIAN_FRONTEND: "noninteractive" },
  });
  // k3s writes its secure token at its first start, which its agents take; no k3s runs here, so the test writes it.
  mkdirSync(dirname(serverToken), { recursive: true });
  writeFileSync(serverToken, `K10${"ab".repeat(32)}::server:${readFileSync(join(tree.secretsDir, "k3s-token"), "utf8").trim()}\n`, { mode: 0o600 });
  inventory = join(work, "chroot.yml");
  const hosts = Object.fromEntries(HOSTS.map((h) => [h, { ansible_connection: "community.general.chroot", ansible_host: root(h) }]));
  writeFileSync(inventory, stringify({ all: { hosts } }));
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("converging Debian 12 roots with the rendered playbook", () => {
  let first: DeployReport;

  it("checks fresh hosts without changing them", async () => {
    const dry = await run(true);
    expect(dry.failures).toEqual([]);
    expect(dry.exitCode).toBe(0);
    for (const h of HOSTS) expect(dry.recap.get(h)?.changed).toBeGreaterThan(0);
    expect(existsSync(join(root("pi-cp"), "etc/rancher/k3s/config.yaml"))).toBe(false);
  }, 600_000);

  it("converges every host", async () => {
    first = await run();
    expect(first.failures).toEqual([]);
    expect([...first.recap.keys()].sort()).toEqual([...HOSTS].sort());
    expect(first.exitCode).toBe(0);
    for (const h of HOSTS) expect(first.recap.get(h)?.changed).toBeGreaterThan(0);
  }, 900_000);

  it("changes nothing on a second run", async () => {
    const second = await run();
    expect(second.exitCode).toBe(0);
    for (const h of HOSTS) expect({ host: h, changed: second.recap.get(h)?.changed }).toEqual({ host: h, changed: 0 });
  }, 600_000);

  it.each([
    ["x86-1", "restic-password", "etc/h5b/backup/restic-password"],
    ["pi-cp", "k3s-token", "etc/rancher/k3s/token"],
  ])("stops on %s, and overwrites nothing, where the secrets folder lost its %s", async (h, name, onHost) => {
    // As after a lost laptop: a fresh secrets folder gets a new value at the next build.
    const kept = readFileSync(join(tree.secretsDir, name));
    try {
      writeFileSync(join(tree.secretsDir, name), "made-anew\n", { mode: 0o600 });
      const report = await run(false, [h]);
      expect(report.exitCode).not.toBe(0);
      expect(report.failures.map((f) => f.detail).join("\n")).toContain(`/${onHost} on ${h} differs from`);
      expect(readFileSync(join(root(h), onHost))).toEqual(kept);
    } finally {
      writeFileSync(join(tree.secretsDir, name), kept, { mode: 0o600 });
    }
  }, 600_000);

  it("leaves every rendered file of each host byte-identical on its root, with its mode", () => {
    // Files only the hardware plays install, which this test leaves out: those plays' overlay patterns.
    const hardware = ["zfs", "ipmi"].flatMap((r) => overlayPrefixes(parse(readFileSync(join(tree.out, "ansible/roles", r, "tasks/main.yml"), "utf8")) as { vars?: { h5b_prefixes?: string[] } }[]));
    expect(hardware.length).toBeGreaterThan(0);
    for (const h of HOSTS) {
      const overlay = join(tree.out, "hosts", h);
      const files = filesUnder(overlay).filter((f) => !hardware.some((p) => covers(p, relative(overlay, f))));
      expect(files.length).toBeGreaterThan(3);
      for (const f of files) {
        const onHost = join(root(h), relative(overlay, f));
        expect({ file: onHost, same: readFileSync(onHost).equals(readFileSync(f)) }).toEqual({ file: onHost, same: true });
        expect((statSync(onHost).mode & 0o777).toString(8)).toBe((statSync(f).mode & 0o777).toString(8));
      }
    }
  });

  it("installs the backup's secrets from the store, readable by root only", () => {
    for (const [name, text] of Object.entries({ ...B2_KEYS, "restic-password": readFileSync(join(tree.secretsDir, "restic-password"), "utf8") })) {
      const onHost = join(root("x86-1"), "etc/h5b/backup", name);
      expect({ name, text: readFileSync(onHost, "utf8"), mode: (statSync(onHost).mode & 0o777).toString(8) }).toEqual({ name, text, mode: "600" });
    }
  });

  it("lets kea-dhcp-ddns (Debian's unit runs it as _kea, its AppArmor profile allows /etc/kea only) read its config, and nobody else", () => {
    const conf = statSync(join(root("porygon"), "etc/kea/kea-dhcp-ddns.conf"));
    const kea = readFileSync(join(root("porygon"), "etc/group"), "utf8").split("\n").find((l) => l.startsWith("_kea:"));
    expect({ mode: (conf.mode & 0o777).toString(8), uid: conf.uid, gid: String(conf.gid) }).toEqual({ mode: "640", uid: 0, gid: kea?.split(":")[2] });
  });

  it("installs the join token, readable by root only: the secrets' on the server, the server's (with its CA's hash) on the agent", () => {
    const token = join(root("pi-cp"), "etc/rancher/k3s/token");
    expect(readFileSync(token, "utf8")).toBe(readFileSync(join(tree.secretsDir, "k3s-token"), "utf8"));
    expect(statSync(token).mode & 0o777).toBe(0o600);
    const agent = join(root("x86-1"), "etc/rancher/k3s/token");
    expect(readFileSync(agent, "utf8")).toBe(readFileSync(serverToken, "utf8"));
    expect(statSync(agent).mode & 0o777).toBe(0o600);
  });

  it("enables the units of the host's services", () => {
    // Enabled for the target the unit's [Install] names: Debian's nftables.service is wanted by sysinit.target.
    const wanted = (h: string, unit: string, target: string) => join(root(h), `etc/systemd/system/${target}.wants`, unit);
    const enabled = (h: string, unit: string, target = "multi-user.target") => ({
      unit,
      enabled: lstatSync(wanted(h, unit, target), { throwIfNoEntry: false })?.isSymbolicLink() === true,
    });
    expect(enabled("pi-cp", "k3s.service")).toEqual({ unit: "k3s.service", enabled: true });
    expect(enabled("gateway", "nftables.service", "sysinit.target")).toEqual({ unit: "nftables.service", enabled: true });
    expect(enabled("gateway", "radvd.service")).toEqual({ unit: "radvd.service", enabled: true });
    expect(enabled("x86-1", "k3s-agent.service")).toEqual({ unit: "k3s-agent.service", enabled: true });
    expect(enabled("x86-1", "h5b-backup.timer", "timers.target")).toEqual({ unit: "h5b-backup.timer", enabled: true });
    for (const unit of ["coredns.service", "dnscrypt-proxy.service", "etcd.service", "h5b-ddns.service", "kea-dhcp4-server.service"]) {
      expect(enabled("porygon", unit)).toEqual({ unit, enabled: true });
    }
    // Runs whenever etcd starts, so an etcd started empty gets its users and the hosts' records back.
    expect(enabled("porygon", "h5b-etcd-setup.service", "etcd.service")).toEqual({ unit: "h5b-etcd-setup.service", enabled: true });
  });
});
