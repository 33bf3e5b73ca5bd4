import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { PlanHostNetwork } from "../../src/plan/types.js";
import { type Namespace, NetnsLab } from "../_harness/netns.js";
import { renderTree, type RenderedTree } from "../ansible/_render.js";
import { globalAddresses } from "./_host.js";

// The common role's task that adds a host's static LAN addresses beside the ones it has, so that Porygon's services
// can bind them at the first deploy, run by the real ansible-playbook (local connection) inside a network namespace
// whose port holds the address an old router leased. Creating namespaces needs root.
const TASKS = [
  "Keep the static IPv4 address when the installer's DHCP lease goes (until the next boot)",
  "Add the host's static LAN addresses beside its current ones (the rest applies at the next boot)",
];
// Leased in the LAN's own prefix (the DHCP range), so that the static address is the secondary one.
const OLD = "10.0.32.77/16";

describe.runIf(process.getuid?.() === 0)("the static LAN addresses added at the first deploy", () => {
  const lab = new NetnsLab();
  let dir: string;
  let tree: RenderedTree;
  let net: PlanHostNetwork;
  let host: Namespace;

  const addresses = async () => (await globalAddresses(host, net.lan.nic)).sort();
  const play = async () => {
    const out = await host.run("ansible-playbook", ["-i", "localhost,", join(dir, "play.yml")], { env: { ANSIBLE_NOCOLOR: "1", ANSIBLE_LOCAL_TEMP: join(dir, "tmp") }, timeoutMs: 120_000 });
    return /localhost\s*:\s*ok=(\d+)\s+changed=(\d+).*failed=(\d+)/.exec(out)?.slice(1).map(Number);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "h5b-add-addresses-"));
    tree = await renderTree(undefined, dir);
    net = tree.plan.hostNetworks.find((n) => n.host === tree.plan.dns.dhcpHost) as PlanHostNetwork;
    const tasks = parse(readFileSync(join(tree.out, "ansible/roles/common/tasks/main.yml"), "utf8")) as { name: string }[];
    const task = TASKS.map((name) => tasks.find((t) => t.name === name));
    expect(task.every((t) => t !== undefined)).toBe(true);
    const hostVars = parse(readFileSync(join(tree.out, `ansible/host_vars/${net.host}.yml`), "utf8")) as { h5b_network: unknown };
    writeFileSync(
      join(dir, "play.yml"),
      stringify([{ hosts: "localhost", connection: "local", gather_facts: true, vars: { h5b_network: hostVars.h5b_network, ansible_python_interpreter: "/usr/bin/python3" }, tasks: task }]),
    );
    host = await lab.namespace("porygon");
    const peer = await lab.namespace("lan");
    await lab.veth(host, net.lan.nic, peer, "lan0");
    await host.address(net.lan.nic, OLD);
  }, 120_000);

  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("adds the static addresses and keeps the leased one", async () => {
    expect(await play()).toEqual([3, 1, 0]);
    expect(await addresses()).toEqual([OLD, net.lan.addresses.ipv4, net.lan.addresses.ipv6].sort());
  }, 120_000);

  it("changes nothing once they are there", async () => {
    expect(await play()).toEqual([2, 0, 0]);
    expect(await addresses()).toEqual([OLD, net.lan.addresses.ipv4, net.lan.addresses.ipv6].sort());
  }, 120_000);

  it("keeps the static IPv4 address when the installer's dhclient drops its lease (a flush by the port's label)", async () => {
    // What dhclient-script does when the lease expires, changes or is released. The lease is the primary address of
    // the prefix: without promote_secondaries its deletion takes the static one along, label or not.
    await host.run("ip", ["-4", "address", "flush", "dev", net.lan.nic, "label", net.lan.nic]);
    expect(await addresses()).toEqual([net.lan.addresses.ipv4, net.lan.addresses.ipv6].sort());
  }, 120_000);
});
