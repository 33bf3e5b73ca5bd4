import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cidrContainsAddress, parseCidr } from "../../src/_net.js";
import { emitHostNetworks, PATHS as NETWORK } from "../../src/emit/network/index.js";
import type { PlanHostNetwork } from "../../src/plan/types.js";
import { type Namespace, NetnsLab } from "../_harness/netns.js";
import { PATHS as GATEWAY, renderGateway } from "../gateway/_render.js";
import { keaEnv, until } from "../porygon/_kea.js";
import { type DebianHost, debianHost, defaultRoutes, globalAddresses, startRadvd } from "./_host.js";

// The rendered /etc/network/interfaces of Porygon and of the gateway, brought up and down by the real ifup and ifdown
// in network namespaces whose ports are named as the spec names them. Porygon's peer plays the gateway (its LAN
// addresses and rendered radvd.conf); the gateway's WAN peer plays an ISP (Kea's DHCPv4 and radvd), its LAN peer a
// client. Creating namespaces needs root.
const r = renderGateway();
const rendered = new Map(emitHostNetworks(r.plan).map((f) => [f.path, f.content]));
const networkOf = (host: string): PlanHostNetwork => r.plan.hostNetworks.find((n) => n.host === host) as PlanHostNetwork;
const interfacesOf = (host: string): string => rendered.get(`hosts/${host}${NETWORK.interfaces}`) as string;
const gatewayLan = networkOf(r.gateway.host).lan.addresses;
const ISP = { ipv4: "192.0.2.1", pool: "192.0.2.0/24", ipv6: "2001:db8:ffff::1", prefix6: "2001:db8:ffff::/64", dns: "192.0.2.53", domain: "isp.example" };

const ping = (ns: Namespace, address: string) => ns.run("ping", ["-c1", "-W2", address]);

/** What a folder of this machine holds: names, sizes and times of change. */
const snapshot = (dir: string) => (existsSync(dir) ? readdirSync(dir).map((n) => [n, statSync(join(dir, n)).size, statSync(join(dir, n)).mtimeMs]) : []);

describe.runIf(process.getuid?.() === 0)("Porygon's rendered interfaces file, brought up by ifup", () => {
  const lab = new NetnsLab();
  const net = networkOf(r.plan.dns.dhcpHost);
  let dir: string;
  let host: Namespace;
  let router: Namespace;
  let porygon: DebianHost;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "h5b-interfaces-porygon-"));
    host = await lab.namespace("porygon");
    router = await lab.namespace("router");
    await lab.veth(host, net.lan.nic, router, r.gateway.lanNic);
    // The port starts down, as at boot: ifup brings it up.
    await host.run("ip", ["link", "set", net.lan.nic, "down"]);
    for (const a of Object.values(gatewayLan)) await router.address(r.gateway.lanNic, a);
    // The gateway's router advertisements, autonomous prefix included: what would give Porygon a SLAAC address.
    await startRadvd(router, dir, "radvd", r.file(GATEWAY.radvd) as string);
    porygon = debianHost(host, join(dir, "root"), interfacesOf(net.host));
    await porygon.ifupdown("ifup");
  });

  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("puts the static IPv4 and IPv6 addresses on the LAN port", async () => {
    expect(await globalAddresses(host, net.lan.nic)).toEqual(expect.arrayContaining([net.lan.addresses.ipv4, net.lan.addresses.ipv6]));
  });

  it("routes IPv4 through the gateway, and reaches it", async () => {
    expect((await defaultRoutes(host, "-4")).map((x) => [x.gateway, x.dev])).toEqual([[net.lan.gateway, net.lan.nic]]);
    await ping(host, net.lan.gateway as string);
    await ping(host, (gatewayLan.ipv6 as string).split("/")[0] as string);
  });

  it("takes the IPv6 default route from the gateway's advertisements, without a SLAAC address", async () => {
    const fromRa = async () => (await defaultRoutes(host, "-6")).filter((x) => x.protocol === "ra" && x.dev === net.lan.nic);
    await until("a default route from a router advertisement", async () => (await fromRa()).length === 1, 15_000);
    expect((await fromRa())[0]?.gateway).toMatch(/^fe80:/);
    // The advertisement has been handled, autonomous prefix included: autoconf is off, the static address alone.
    // ifup turns autoconf off in the inet6 stanza, but the port comes up in whichever of its stanzas comes first: an
    // advertisement in between leaves a SLAAC address for its whole lifetime.
    expect((await globalAddresses(host, net.lan.nic)).filter((a) => a.includes(":"))).toEqual([net.lan.addresses.ipv6]);
  });

  it("is undone by ifdown", async () => {
    await porygon.ifupdown("ifdown");
    expect(await globalAddresses(host, net.lan.nic)).toEqual([]);
    expect(await defaultRoutes(host, "-4")).toEqual([]);
    expect(await defaultRoutes(host, "-6")).toEqual([]);
  });

  it("comes up with both families on a port without link (the switch still booting after a power cut)", async () => {
    await porygon.ifupdown("ifdown");
    await router.run("ip", ["link", "set", r.gateway.lanNic, "down"]);
    // The lab turns duplicate address detection off everywhere; a host has it on.
    await host.run("sysctl", ["-qw", `net.ipv6.conf.${net.lan.nic}.accept_dad=1`]);
    try {
      await porygon.ifupdown("ifup");
      expect(await globalAddresses(host, net.lan.nic)).toEqual(expect.arrayContaining([net.lan.addresses.ipv4, net.lan.addresses.ipv6]));
      expect((await defaultRoutes(host, "-4")).map((x) => x.gateway)).toEqual([net.lan.gateway]);
    } finally {
      await porygon.ifupdown("ifdown");
      await host.run("sysctl", ["-qw", `net.ipv6.conf.${net.lan.nic}.accept_dad=0`]);
      await router.run("ip", ["link", "set", r.gateway.lanNic, "up"]);
    }
  });
});

describe.runIf(process.getuid?.() === 0)("the gateway's rendered interfaces file, brought up by ifup against an ISP", () => {
  const lab = new NetnsLab();
  const net = networkOf(r.gateway.host);
  const wan = net.wan as string;
  const lanClient = { ipv4: r.plan.lan.ipv4.ranges.dhcp.first, ipv6: r.plan.lan.ipv6?.ranges.dhcp.first as string };
  const machine = () => ({ resolvConf: readFileSync("/etc/resolv.conf", "utf8"), dhcp: snapshot("/var/lib/dhcp"), pidFile: existsSync(`/run/dhclient.${wan}.pid`) });
  let before: ReturnType<typeof machine>;
  let dir: string;
  let gw: Namespace;
  let isp: Namespace;
  let client: Namespace;
  let gateway: DebianHost;

  beforeAll(async () => {
    before = machine();
    dir = mkdtempSync(join(tmpdir(), "h5b-interfaces-gateway-"));
    gw = await lab.namespace("gw");
    isp = await lab.namespace("isp");
    client = await lab.namespace("client");
    await lab.veth(gw, wan, isp, "isp0");
    await lab.veth(gw, net.lan.nic, client, "eth0");
    for (const p of [wan, net.lan.nic]) await gw.run("ip", ["link", "set", p, "down"]);
    await isp.address("isp0", `${ISP.ipv4}/24`);
    await isp.address("isp0", `${ISP.ipv6}/64`);
    await client.address("eth0", `${lanClient.ipv4}/${r.plan.lan.ipv4.prefix.prefixLength}`);
    await client.address("eth0", `${lanClient.ipv6}/${r.plan.lan.ipv6?.prefix.prefixLength}`);

    // The ISP: DHCPv4 with a router, a DNS server and a domain, and router advertisements with a SLAAC prefix.
    // The gateway's port is down, so Kea finds its own port not running: it retries until ifup brings the link up.
    const kea = {
      Dhcp4: {
        "interfaces-config": { interfaces: ["isp0"], "service-sockets-max-retries": 600, "service-sockets-retry-wait-time": 100 },
        "lease-database": { type: "memfile", persist: true, name: join(dir, "isp-leases.csv"), "lfc-interval": 0 },
        "valid-lifetime": 600,
        subnet4: [
          {
            id: 1,
            subnet: ISP.pool,
            pools: [{ pool: "192.0.2.100 - 192.0.2.199" }],
            "option-data": [
              { name: "routers", data: ISP.ipv4 },
              { name: "domain-name-servers", data: ISP.dns },
              { name: "domain-name", data: ISP.domain },
            ],
          },
        ],
        loggers: [{ name: "kea-dhcp4", output_options: [{ output: join(dir, "isp-kea.log") }], severity: "INFO" }],
      },
    };
    writeFileSync(join(dir, "isp-kea.json"), JSON.stringify(kea));
    isp.spawn("kea-dhcp4", ["-c", join(dir, "isp-kea.json")], { env: keaEnv(dir) });
    await until("the ISP's kea-dhcp4", () => existsSync(join(dir, "isp-kea.log")) && readFileSync(join(dir, "isp-kea.log"), "utf8").includes("DHCP4_STARTED"));
    await startRadvd(isp, dir, "isp-radvd", `interface isp0 {\n\tAdvSendAdvert on;\n\tprefix ${ISP.prefix6} {\n\t\tAdvOnLink on;\n\t\tAdvAutonomous on;\n\t};\n};\n`);

    // At boot systemd-sysctl runs before networking.service: forwarding is on when ifup starts.
    writeFileSync(join(dir, "sysctl.conf"), r.file(GATEWAY.sysctl) as string);
    await gw.run("sysctl", ["-q", "-p", join(dir, "sysctl.conf")]);
    gateway = debianHost(gw, join(dir, "root"), interfacesOf(net.host));
    await gateway.ifupdown("ifup");
  });

  afterAll(async () => {
    await lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("puts the static addresses on the LAN port, and routes nothing by default through it", async () => {
    expect((await globalAddresses(gw, net.lan.nic)).sort()).toEqual([net.lan.addresses.ipv4, net.lan.addresses.ipv6].sort());
    expect((await defaultRoutes(gw, "-4")).filter((x) => x.dev === net.lan.nic)).toEqual([]);
    await ping(client, r.plan.lan.ipv4.gateway);
    await ping(client, (net.lan.addresses.ipv6 as string).split("/")[0] as string);
  });

  it("leases the WAN port's IPv4 address from the ISP, with its default route and resolver", async () => {
    const wan4 = (await globalAddresses(gw, wan)).filter((a) => !a.includes(":"));
    expect(wan4).toHaveLength(1);
    expect(cidrContainsAddress(parseCidr(ISP.pool), (wan4[0] as string).split("/")[0] as string)).toBe(true);
    expect((await defaultRoutes(gw, "-4")).map((x) => [x.gateway, x.dev])).toEqual([[ISP.ipv4, wan]]);
    await ping(gw, ISP.ipv4);
    // dhclient-script writes the ISP's resolver (the plan renders no resolv.conf for the gateway), into the overlay.
    expect(gateway.written("/etc/resolv.conf")).toMatch(new RegExp(`^nameserver ${ISP.dns.replaceAll(".", "\\.")}$`, "m"));
  });

  // With forwarding on, the kernel ignores advertisements unless accept_ra is 2 (the file's `accept_ra 2`, and the sysctl's).
  it("configures the WAN port's IPv6 from the ISP's advertisements, though the gateway forwards", async () => {
    await until("a SLAAC address on the WAN port", async () => (await globalAddresses(gw, wan)).some((a) => cidrContainsAddress(parseCidr(ISP.prefix6), a.split("/")[0] as string)), 15_000);
    expect((await defaultRoutes(gw, "-6")).map((x) => [x.protocol, x.dev])).toEqual([["ra", wan]]);
  });

  it("is undone by ifdown, which ends the DHCP client", async () => {
    await gateway.ifupdown("ifdown");
    for (const p of [wan, net.lan.nic]) expect(await globalAddresses(gw, p)).toEqual([]);
    expect(await defaultRoutes(gw, "-4")).toEqual([]);
    expect(execFileSync("ip", ["netns", "pids", gw.name], { encoding: "utf8" }).trim()).toBe("");
  });

  it("left this machine's resolv.conf, DHCP leases and /run as they were", () => {
    expect(machine()).toEqual(before);
  });
});
