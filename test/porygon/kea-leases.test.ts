import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cidrContainsAddress, parseCidr } from "../../src/_net.js";
import { PATHS } from "../../src/emit/porygon/index.js";
import type { PlanHost } from "../../src/plan/types.js";
import { type Namespace, NetnsLab } from "../_harness/netns.js";
import { dhclientLease, keaEnv, keaForTest, until, which } from "./_kea.js";
import { type RenderedPorygon, renderPorygon } from "./_render.js";

// kea-dhcp4 and kea-dhcp6 run from the rendered files in a namespace that has Porygon's LAN port and addresses;
// dhclient runs in another namespace on the far end of a veth pair, taking the MAC of the device it plays.
const lab = new NetnsLab();
const dir = mkdtempSync(join(tmpdir(), "h5b-kea-leases-"));
let r: RenderedPorygon;
let cli: Namespace;
const CLIENT_IF = "eth0";

beforeAll(async () => {
  r = await renderPorygon();
  const porygon = r.plan.hosts.find((h) => h.name === r.plan.dns.dhcpHost) as PlanHost;
  const srv = await lab.namespace("srv");
  cli = await lab.namespace("cli");
  await lab.veth(srv, porygon.lanNic.name, cli, CLIENT_IF, { macA: porygon.lanNic.mac });
  await srv.address(porygon.lanNic.name, `${porygon.addresses.ipv4}/${r.plan.lan.ipv4.prefix.prefixLength}`);
  await srv.address(porygon.lanNic.name, `${porygon.addresses.ipv6}/${r.plan.lan.ipv6?.prefix.prefixLength}`);
  // Kea starts while the port has no link, as after a power cut when the switch boots after Porygon: it must take
  // the port once the link comes (Kea 2.2 alone gives up at start).
  await cli.run("ip", ["link", "set", CLIENT_IF, "down"]);
  // The kernel tells the other end of the pair a moment later.
  await until("Porygon's port to lose its link", async () => (await srv.run("ip", ["link", "show", porygon.lanNic.name])).includes("NO-CARRIER"));
  // Kea's log to a file of the test (stdout is block-buffered in a pipe), to see when it has started.
  const started = (hostFile: string, name: string) => {
    const file = keaForTest(r, hostFile, dir);
    const doc = JSON.parse(readFileSync(file, "utf8")) as Record<string, { loggers: { output_options: { output: string }[] }[] }>;
    for (const top of Object.values(doc)) for (const l of top.loggers) for (const o of l.output_options) o.output = join(dir, `${name}.log`);
    writeFileSync(file, JSON.stringify(doc));
    srv.spawn(name, ["-c", file], { env: keaEnv(dir) });
  };
  started(PATHS.kea4, "kea-dhcp4");
  started(PATHS.kea6, "kea-dhcp6");
  // Both have tried the port (they log their start after opening sockets) and found no link.
  for (const [name, started] of [["kea-dhcp4", "DHCP4_STARTED"], ["kea-dhcp6", "DHCP6_STARTED"]] as const) {
    const log = join(dir, `${name}.log`);
    await until(`${name} to start`, () => existsSync(log) && readFileSync(log, "utf8").includes(started));
  }
  // kea-dhcp4 refuses a port that is not running (kea-dhcp6 sometimes opens its socket on the link-local address
  // anyway): without its retries it would never serve.
  expect(await which(srv, `${porygon.addresses.ipv4}:67`)).toBe(false);
  await cli.run("ip", ["link", "set", CLIENT_IF, "up"]);
  await until("kea-dhcp4 on :67", () => which(srv, `${porygon.addresses.ipv4}:67`), 20_000);
  await until("kea-dhcp6 on :547", () => which(srv, ":547"), 20_000);
});

afterAll(async () => {
  await lab.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const lease = (family: 4 | 6, mac: string) => dhclientLease(cli, CLIENT_IF, dir, family, mac);

const host = (name: string) => r.plan.hosts.find((h) => h.name === name) as PlanHost;
const search = () => [r.plan.site.zones.services, r.plan.site.zones.dhcp];

describe("real leases from the rendered Kea files", () => {
  it("DHCPv4: a node's MAC gets exactly its reserved address and the spec's options", async () => {
    const x86 = host("x86-1");
    const l = await lease(4, x86.lanNic.mac);
    expect(l.new_ip_address).toBe(x86.addresses.ipv4);
    expect(l.new_routers).toBe(r.plan.lan.ipv4.gateway);
    expect(l.new_domain_name_servers).toBe(r.plan.lan.ipv4.dns);
    expect(l.new_domain_name).toBe(r.plan.site.zones.dhcp);
    expect(l.new_domain_search?.split(" ").map((d) => d.replace(/\.$/, ""))).toEqual(search());
    expect(l.new_host_name).toBe(x86.fqdn);
  });

  it("DHCPv4: a BMC's MAC gets the BMC's reserved address", async () => {
    const bmc = host("x86-1").bmc as NonNullable<PlanHost["bmc"]>;
    expect((await lease(4, bmc.mac)).new_ip_address).toBe(bmc.addresses.ipv4);
  });

  it("DHCPv4: an unknown client gets an address from the DHCP range", async () => {
    const l = await lease(4, "02:00:00:00:99:01");
    expect(cidrContainsAddress(parseCidr(r.plan.lan.ipv4.ranges.dhcp.cidr), l.new_ip_address as string)).toBe(true);
  });

  it("DHCPv6: a node's DUID-LL gets exactly its reserved address, DNS server and search list", async () => {
    const pi = host("pi-worker");
    const l = await lease(6, pi.lanNic.mac);
    expect(l.new_ip6_address).toBe(pi.addresses.ipv6);
    expect(l.new_dhcp6_name_servers).toBe(r.plan.lan.ipv6?.dns);
    expect(l.new_dhcp6_domain_search?.split(" ").map((d) => d.replace(/\.$/, ""))).toEqual(search());
  });

  it("DHCPv6: an unknown client gets an address from the DHCPv6 range", async () => {
    const l = await lease(6, "02:00:00:00:99:02");
    expect(cidrContainsAddress(parseCidr(r.plan.lan.ipv6?.ranges.dhcp.cidr as string), l.new_ip6_address as string)).toBe(true);
  });
});
