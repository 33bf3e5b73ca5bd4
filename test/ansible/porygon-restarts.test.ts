import { createHash } from "node:crypto";
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { unpackDebianRoot } from "../_harness/debian-root.js";
import { renderTree, type RenderedTree } from "./_render.js";

/**
 * The porygon role's own tasks, as rendered, run by ansible-playbook with the rendered ansible.cfg through the chroot
 * connection into a Debian 12 root, deploy after deploy. Left out: the apt packages, the downloads and the start of
 * the units (no Kea or etcd here). The releases are folders of stand-ins (npm among them: it records each install and
 * fails on demand). The handlers are debug stand-ins with the real ones' loops, conditions and variables, so the
 * test reads which units a real run would restart, and in what order.
 */
const work = mkdtempSync(join(tmpdir(), "h5b-porygon-restarts-"));
const root = join(work, "root");
let tree: RenderedTree;
interface Release {
  readonly name: string;
  readonly version: string;
  readonly binaries: readonly { readonly from: string; readonly to: string }[];
}
let hostVars: { h5b_porygon: Record<string, unknown> & { releases: Release[] } };

const LEFT_OUT = [
  "Check that the releases' checksums are known",
  "Install Porygon's Debian packages",
  "Download the pinned releases",
  "Unpack the releases",
  "Enable and start Porygon's services",
  "Enable and start etcd's setup",
];
const STAMP = "var/cache/h5b/releases/h5b.tgz.installed";
const NPM_LOG = join(root, "npm.log");
const NPM_FAILS = join(root, "npm-fails");

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A debug task in place of a handler, printing what the handler would do. */
function standIn(handler: Record<string, any>): Record<string, unknown> {
  const { "ansible.builtin.systemd": systemd, "ansible.builtin.command": command, ...rest } = handler;
  if (systemd?.daemon_reload === true) return { ...rest, "ansible.builtin.debug": { msg: "daemon-reload" } };
  // A restart fails for the unit the test names in h5b_test_restart_fails.
  if (systemd?.state === "restarted") {
    return { ...rest, "ansible.builtin.debug": { msg: `restart ${systemd.name}` }, failed_when: "item == (h5b_test_restart_fails | default(''))" };
  }
  if (command !== undefined) return { ...rest, "ansible.builtin.debug": { msg: command.argv.join(" ") } };
  if (rest["ansible.builtin.fail"] !== undefined) return handler;
  throw new Error(`no stand-in for the handler ${handler.name}`);
}

/** Fake release folders, as unpacked: each binary a stand-in; npm records its arguments, and fails when asked to. */
function unpackReleases(releases: readonly Release[]): void {
  for (const r of releases) {
    for (const b of r.binaries) {
      const file = join(root, "usr/local/lib/h5b", `${r.name}-${r.version}`, b.from);
      mkdirSync(dirname(file), { recursive: true });
      const npm = ["#!/bin/sh", 'echo "$@" >> /npm.log', "[ -e /npm-fails ] && exit 1", "mkdir -p /usr/local/lib/h5b/app/bin", "touch /usr/local/lib/h5b/app/bin/h5b"];
      writeFileSync(file, `${(b.to.endsWith("/npm") ? npm : ["#!/bin/sh"]).join("\n")}\n`);
      chmodSync(file, 0o755);
    }
  }
}

beforeAll(async () => {
  tree = await renderTree(undefined, work);
  await unpackDebianRoot(root);
  const ansible = join(tree.out, "ansible");
  const role = join(ansible, "roles/porygon");
  const tasks = (parse(readFileSync(join(role, "tasks/main.yml"), "utf8")) as { name: string }[]).filter((t) => !LEFT_OUT.includes(t.name));
  const handlers = (parse(readFileSync(join(role, "handlers/main.yml"), "utf8")) as Record<string, any>[]).map(standIn);
  const testRole = join(work, "roles/porygon");
  mkdirSync(join(testRole, "tasks"), { recursive: true });
  mkdirSync(join(testRole, "handlers"), { recursive: true });
  cpSync(join(role, "vars"), join(testRole, "vars"), { recursive: true });
  writeFileSync(join(testRole, "tasks/main.yml"), stringify(tasks));
  writeFileSync(join(testRole, "handlers/main.yml"), stringify(handlers));
  // Beside the rendered site.yml, so that the rendered group and host variables (the overlay's files) apply.
  writeFileSync(join(ansible, "porygon-restarts.yml"), stringify([{ hosts: "porygon", gather_facts: false, become: true, roles: [testRole] }]));
  writeFileSync(join(work, "chroot.yml"), stringify({ all: { hosts: { porygon: { ansible_connection: "community.general.chroot", ansible_host: root } } } }));
  hostVars = parse(readFileSync(join(ansible, "host_vars/porygon.yml"), "utf8")) as typeof hostVars;
  unpackReleases(hostVars.h5b_porygon.releases);
}, 300_000);

interface Run {
  readonly exitCode: number;
  readonly output: string;
  readonly changed: number;
  /** The units restarted, in order. */
  readonly restarted: readonly string[];
  /** What the other handlers did: `daemon-reload`, `systemctl start|restart h5b-etcd-setup.service`. */
  readonly handlers: readonly string[];
}

/** One deploy of the role; `porygon` replaces parts of the host's h5b_porygon. */
async function deploy(vars: { h5b_package?: string; porygon?: Record<string, unknown>; restartFails?: string } = {}): Promise<Run> {
  const extra = join(work, "vars.json");
  // No _kea group in this root: Kea's package is not installed.
  const porygon = { ...hostVars.h5b_porygon, groups: {}, ...vars.porygon };
  writeFileSync(
    extra,
    JSON.stringify({
      h5b_porygon: porygon,
      ...(vars.h5b_package !== undefined ? { h5b_package: vars.h5b_package } : {}),
      ...(vars.restartFails !== undefined ? { h5b_test_restart_fails: vars.restartFails } : {}),
    }),
  );
  const ansible = join(tree.out, "ansible");
  const r = await execa("ansible-playbook", ["-i", join(work, "chroot.yml"), "-e", `@${extra}`, "porygon-restarts.yml"], {
    cwd: ansible,
    // The rendered configuration, as `h5b deploy` runs it.
    env: { ANSIBLE_CONFIG: join(ansible, "ansible.cfg"), ANSIBLE_NOCOLOR: "1", ANSIBLE_STDOUT_CALLBACK: "default" },
    reject: false,
    all: true,
  });
  const output = r.all ?? "";
  const said = [...output.matchAll(/"msg": "([^"]+)"/g)].map((m) => m[1] as string);
  return {
    exitCode: r.exitCode ?? -1,
    output,
    changed: Number(/porygon\s+: ok=\d+\s+changed=(\d+)/.exec(output)?.[1] ?? Number.NaN),
    restarted: said.filter((m) => m.startsWith("restart ")).map((m) => m.slice("restart ".length)),
    handlers: said.filter((m) => !m.startsWith("restart ")),
  };
}

/** Appends a line to a file of the rendered overlay, as a changed spec would change it. */
function edit(path: string): void {
  const file = join(tree.out, "hosts/porygon", path);
  expect(existsSync(file)).toBe(true);
  appendFileSync(file, "\n");
}

function packageFile(name: string, text: string): { path: string; sha256: string } {
  const path = join(work, name);
  writeFileSync(path, text);
  return { path, sha256: createHash("sha256").update(text).digest("hex") };
}

const v1 = packageFile("h5b-1.tgz", "h5b, first version\n");
const v2 = packageFile("h5b-2.tgz", "h5b, second version\n");
const installs = () => (existsSync(NPM_LOG) ? readFileSync(NPM_LOG, "utf8").trim().split("\n").length : 0);
const stamp = () => readFileSync(join(root, STAMP), "utf8");

describe("Porygon's restarts, deploy after deploy", () => {
  it("stops before changing anything when the h5b package is not given", async () => {
    const r = await deploy();
    expect(r.exitCode, r.output).not.toBe(0);
    expect(r.output).toContain("h5b_package is not set");
    expect(existsSync(join(root, "etc/kea/kea-dhcp4.conf"))).toBe(false);
    expect(existsSync(join(root, "usr/local/bin/coredns"))).toBe(false);
    expect(r.restarted).toEqual([]);
  }, 120_000);

  it("installs h5b and starts every unit once on the first deploy, each after those it is ordered after", async () => {
    const r = await deploy({ h5b_package: v1.path });
    expect(r.exitCode, r.output).toBe(0);
    expect(r.restarted).toEqual([
      "etcd.service",
      "dnscrypt-proxy.service",
      "coredns.service",
      "h5b-ddns.service",
      "kea-dhcp4-server.service",
      "kea-dhcp6-server.service",
      "kea-dhcp-ddns-server.service",
    ]);
    expect(r.handlers).toEqual(["daemon-reload", "systemctl restart h5b-etcd-setup.service"]);
    expect(installs()).toBe(1);
    expect(stamp()).toBe(`${v1.sha256}\n`);
  }, 300_000);

  it("restarts Kea's DHCPv4 server alone for a new DHCP reservation: not etcd, not CoreDNS", async () => {
    edit("etc/kea/kea-dhcp4.conf");
    const r = await deploy({ h5b_package: v1.path });
    expect(r.exitCode, r.output).toBe(0);
    expect(r.restarted).toEqual(["kea-dhcp4-server.service"]);
    // No unit file changed: no daemon-reload. The setup's check is notified, and finds it ran (`systemctl start`
    // does nothing then).
    expect(r.handlers).toEqual(["systemctl start h5b-etcd-setup.service"]);
  }, 300_000);

  it("restarts the units whose files changed, secret ones too, in the units' order", async () => {
    for (const path of ["etc/coredns/etcd/client.key", "etc/kea/kea-dhcp-ddns.conf", "etc/dnscrypt-proxy/forwarding-rules.txt", "etc/h5b/ddns.json"]) edit(path);
    const r = await deploy({ h5b_package: v1.path });
    expect(r.exitCode, r.output).toBe(0);
    expect(r.restarted).toEqual(["dnscrypt-proxy.service", "coredns.service", "h5b-ddns.service", "kea-dhcp-ddns-server.service"]);
  }, 300_000);

  it("restarts etcd for its drop-in, CoreDNS for its new release, and runs etcd's setup again for its changed script", async () => {
    edit("etc/systemd/system/etcd.service.d/h5b.conf");
    edit("usr/local/sbin/h5b-host-records");
    const releases = hostVars.h5b_porygon.releases.map((r) => (r.name === "coredns" ? { ...r, version: `${r.version}-next` } : r));
    unpackReleases(releases);
    const r = await deploy({ h5b_package: v1.path, porygon: { releases } });
    expect(r.exitCode, r.output).toBe(0);
    expect(r.restarted).toEqual(["etcd.service", "coredns.service"]);
    expect(r.handlers).toEqual(["daemon-reload", "systemctl restart h5b-etcd-setup.service"]);
    hostVars.h5b_porygon.releases = releases;
  }, 300_000);

  it("runs etcd's setup again for its changed script when a unit fails to restart, then fails the run naming the unit", async () => {
    edit("etc/kea/kea-dhcp4.conf");
    edit("usr/local/sbin/h5b-host-records");
    const r = await deploy({ h5b_package: v1.path, restartFails: "kea-dhcp4-server.service" });
    expect(r.exitCode).not.toBe(0);
    expect(r.handlers).toContain("systemctl restart h5b-etcd-setup.service");
    expect(r.handlers).toContain("kea-dhcp4-server.service did not restart: journalctl -u <unit> says why");
  }, 600_000);

  it("restarts what changed before a later task failed, and installs again the h5b whose install failed", async () => {
    edit("etc/kea/kea-dhcp4.conf");
    writeFileSync(NPM_FAILS, "");
    const failed = await deploy({ h5b_package: v2.path });
    expect(failed.exitCode).not.toBe(0);
    expect(failed.output).toMatch(/porygon : Install h5b for h5b ddns\] \**\nfatal: \[porygon\]: FAILED!/);
    // force_handlers in the rendered ansible.cfg: the next run would find the file unchanged. Not h5b ddns, onto
    // an install that failed.
    expect(failed.restarted).toEqual(["kea-dhcp4-server.service"]);
    expect(stamp()).toBe(`${v1.sha256}\n`);
    expect(installs()).toBe(2);

    rmSync(NPM_FAILS);
    // The package on the host is the same as in the failed run: the stamp, not a change, sends it to npm again.
    const retried = await deploy({ h5b_package: v2.path });
    expect(retried.exitCode, retried.output).toBe(0);
    expect(installs()).toBe(3);
    expect(stamp()).toBe(`${v2.sha256}\n`);
    expect(retried.restarted).toEqual(["h5b-ddns.service"]);

    const again = await deploy({ h5b_package: v2.path });
    expect(again.exitCode, again.output).toBe(0);
    expect(again.changed).toBe(0);
    expect(again.restarted).toEqual([]);
    expect(again.handlers).toEqual([]);
    expect(installs()).toBe(3);
  }, 600_000);
});
