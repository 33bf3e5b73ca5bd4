import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cidrContainsAddress, parseCidr } from "../../src/_net.js";
import type { PlanPublishedPort } from "../../src/plan/types.js";
import { type Namespace, NetnsLab } from "../_harness/netns.js";
import { PATHS, type RenderedGateway, renderGateway, withPublicWeb } from "./_render.js";

// Four namespaces: the internet, the gateway (ports named as the spec names them, loading the rendered ruleset and
// sysctls as they are), the LAN, which holds the addresses of public services, the internal pool, a node, Porygon
// and a BMC, each with a listener, and a LAN client (a phone on the Wi-Fi) bridged to the same segment. Real TCP
// connections and UDP datagrams show what gets through.
const SOCKETS = fileURLToPath(new URL("./_sockets.mjs", import.meta.url));
const INTERNET = { ipv4: "192.0.2.2", ipv6: "2001:db8:ffff::2" };
const GATEWAY_WAN = { ipv4: "192.0.2.1", ipv6: "2001:db8:ffff::1" };
const PROBE_PORT = 8443;
const CLOSED_PORT = 9999;
// An unanswered probe waits this long; an answered one comes back at once (all of it is in one kernel).
const DROPPED_AFTER_MS = 2500;
const ANSWER_WITHIN_MS = 15000;

const lab = new NetnsLab();
const dir = mkdtempSync(join(tmpdir(), "h5b-gateway-fw-"));
let r: RenderedGateway;
let wan: Namespace;
let gw: Namespace;
let lan: Namespace;
let client: Namespace;

type Proto = "tcp" | "udp";
interface Target {
  readonly what: string;
  readonly proto: Proto;
  readonly address: string;
  readonly port: number;
}

async function listen(ns: Namespace, name: string, targets: readonly Target[]): Promise<void> {
  const ready = join(dir, `${name}.ready`);
  ns.spawn(process.execPath, [SOCKETS, "serve", ready, ...targets.map((t) => `${t.proto}:${t.address}:${t.port}`)]);
  for (let i = 0; !existsSync(ready); i++) {
    if (i > 600) throw new Error(`listeners in ${name} never came up`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** What the listener answers ("<its address> <the peer it saw>"), or undefined when nothing came back. */
async function probe(from: Namespace, t: { proto: Proto; address: string; port: number }, waitMs = ANSWER_WITHIN_MS): Promise<string | undefined> {
  const out = (await from.run(process.execPath, [SOCKETS, "probe", t.proto, t.address, String(t.port), String(waitMs)])).trim();
  return out === "timeout" || out.startsWith("error") ? undefined : out;
}

const published = (service: string, proto: Proto): PlanPublishedPort => {
  const p = r.gateway.published.find((x) => x.service === service && x.protocol.toLowerCase() === proto);
  if (p === undefined) throw new Error(`${service} publishes no ${proto} port`);
  return p;
};

/** The LAN client's address, one the DHCP server would lend. */
const lanClient = (): string => r.plan.lan.ipv4.ranges.dhcp.first;

/** Every address in the LAN the internet must not reach, with a listener each. */
function closedTargets(): Target[] {
  const x86 = r.host("x86-1");
  const porygon = r.host("porygon");
  const bmc = x86.bmc as NonNullable<typeof x86.bmc>;
  const internal6 = r.plan.lan.ipv6?.ranges.internal.last as string;
  const web = published("apps/web", "tcp").addresses;
  return [
    { what: "an internal pool address (IPv4)", proto: "tcp", address: r.plan.lan.ipv4.ranges.internal.last, port: PROBE_PORT },
    { what: "an internal pool address (IPv6)", proto: "tcp", address: internal6, port: PROBE_PORT },
    { what: "a node (IPv4)", proto: "tcp", address: x86.addresses.ipv4, port: 22 },
    { what: "a node (IPv6)", proto: "tcp", address: x86.addresses.ipv6 as string, port: 22 },
    { what: "Porygon (IPv4)", proto: "tcp", address: porygon.addresses.ipv4, port: 53 },
    { what: "Porygon (IPv6)", proto: "tcp", address: porygon.addresses.ipv6 as string, port: 53 },
    { what: "a BMC (IPv4)", proto: "tcp", address: bmc.addresses.ipv4, port: 443 },
    { what: "a BMC (IPv6)", proto: "tcp", address: bmc.addresses.ipv6 as string, port: 443 },
    { what: "a public service's IPv4 address routed at the WAN port (not forwarded)", proto: "tcp", address: web.ipv4, port: PROBE_PORT },
    { what: "an unpublished port of a public IPv6 address", proto: "tcp", address: web.ipv6 as string, port: CLOSED_PORT },
  ];
}

beforeAll(async () => {
  r = renderGateway(withPublicWeb);
  const lanV6 = r.plan.lan.ipv6;
  if (lanV6 === undefined) throw new Error("the test spec is dual-stack");
  const gwHost = r.host(r.gateway.host);
  wan = await lab.namespace("wan");
  gw = await lab.namespace("gw");
  lan = await lab.namespace("lan");
  client = await lab.namespace("client");
  await lab.veth(gw, r.gateway.wanNic, wan, "w0");
  await lab.veth(gw, r.gateway.lanNic, lan, "eth0");
  // One segment: the LAN namespace bridges the gateway's port and the client's, and keeps its addresses on the bridge.
  await lab.veth(lan, "cl0", client, "eth0");
  await lan.run("ip", ["link", "add", "br0", "type", "bridge"]);
  for (const port of ["eth0", "cl0"]) await lan.run("ip", ["link", "set", port, "master", "br0"]);
  await lan.run("ip", ["link", "set", "br0", "up"]);

  await wan.address("w0", `${INTERNET.ipv4}/24`);
  await wan.address("w0", `${INTERNET.ipv6}/64`);
  await gw.address(r.gateway.wanNic, `${GATEWAY_WAN.ipv4}/24`);
  await gw.address(r.gateway.wanNic, `${GATEWAY_WAN.ipv6}/64`);
  await gw.address(r.gateway.lanNic, `${gwHost.addresses.ipv4}/${r.plan.lan.ipv4.prefix.prefixLength}`);
  await gw.address(r.gateway.lanNic, `${gwHost.addresses.ipv6}/${lanV6.prefix.prefixLength}`);
  // The ISP routes the LAN's IPv6 prefix to the gateway; a neighbour on the WAN segment may route private IPv4 at it.
  await wan.run("ip", ["-6", "route", "add", lanV6.prefix.cidr, "via", GATEWAY_WAN.ipv6]);
  await wan.run("ip", ["route", "add", r.plan.lan.ipv4.prefix.cidr, "via", GATEWAY_WAN.ipv4]);
  await gw.run("ip", ["route", "add", "default", "via", INTERNET.ipv4]);
  await gw.run("ip", ["-6", "route", "add", "default", "via", INTERNET.ipv6]);

  const lanTargets: Target[] = [
    ...r.gateway.published.flatMap((p) => [
      { what: p.service, proto: p.protocol.toLowerCase() as Proto, address: p.addresses.ipv4, port: p.port },
      ...(p.addresses.ipv6 !== undefined ? [{ what: p.service, proto: p.protocol.toLowerCase() as Proto, address: p.addresses.ipv6, port: p.port }] : []),
    ]),
    ...closedTargets(),
  ];
  const lanAddresses = [...new Set(lanTargets.map((t) => t.address))];
  const lanSockets = [...new Map(lanTargets.map((t) => [`${t.proto}:${t.address}:${t.port}`, t])).values()];
  for (const a of lanAddresses) await lan.address("br0", `${a}/${a.includes(":") ? lanV6.prefix.prefixLength : r.plan.lan.ipv4.prefix.prefixLength}`);
  await client.address("eth0", `${lanClient()}/${r.plan.lan.ipv4.prefix.prefixLength}`);
  for (const ns of [lan, client]) await ns.run("ip", ["route", "add", "default", "via", gwHost.addresses.ipv4]);
  await lan.run("ip", ["-6", "route", "add", "default", "via", gwHost.addresses.ipv6 as string]);

  await listen(lan, "lan", lanSockets);
  await listen(wan, "wan", [
    { what: "a web site", proto: "tcp", address: INTERNET.ipv4, port: 443 },
    { what: "a web site", proto: "tcp", address: INTERNET.ipv6, port: 443 },
  ]);
  await listen(gw, "gw", [{ what: "SSH on the gateway", proto: "tcp", address: "::", port: 22 }]);

  const sysctl = join(dir, "sysctl.conf");
  writeFileSync(sysctl, r.file(PATHS.sysctl) as string);
  await gw.run("sysctl", ["-q", "-p", sysctl]);
  // What nftables.service runs once it has loaded the ruleset (h5b's drop-in): forwarding on.
  const start = /^ExecStartPost=(.*)$/m.exec(r.file(PATHS.forwarding) ?? "")?.[1];
  if (start === undefined) throw new Error("the forwarding drop-in has no ExecStartPost");
  const [cmd = "", ...args] = start.split(" ");
  await gw.run(cmd, args);
}, 120_000);

afterAll(async () => {
  await lab.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe("the gateway's rendered firewall, loaded in a network namespace", () => {
  it("without it, every LAN address is reachable from the internet (so what it closes is closed by it)", async () => {
    const answers = await Promise.all(closedTargets().map((t) => probe(wan, t)));
    expect(closedTargets().filter((_, i) => answers[i] === undefined).map((t) => t.what)).toEqual([]);
    // And no port forward yet: the gateway itself has nothing on the public port.
    expect(await probe(wan, { proto: "tcp", address: GATEWAY_WAN.ipv4, port: PROBE_PORT }, DROPPED_AFTER_MS)).toBeUndefined();
  });

  it("loads with nft -f, and forgets the neighbours learnt without it", async () => {
    const ruleset = join(dir, "nftables.conf");
    writeFileSync(ruleset, r.file(PATHS.nftables) as string);
    await gw.run("nft", ["-f", ruleset]);
    // Loading it again replaces h5b's table (one table, same rules), as a second deploy does.
    await gw.run("nft", ["-f", ruleset]);
    expect((await gw.run("nft", ["list", "tables"])).trim()).toBe("table inet h5b");
    // IPv6 below must find its neighbours through the ruleset (ND), not from the cache of the probes above.
    for (const ns of [wan, gw, lan, client]) await ns.run("ip", ["neigh", "flush", "all"]);
  });

  it("opens each public service's port on its IPv6 address, and the internet's address arrives unchanged", async () => {
    for (const [service, proto] of [["apps/web", "tcp"], ["apps/wireguard", "udp"]] as const) {
      const p = published(service, proto);
      const answer = await probe(wan, { proto, address: p.addresses.ipv6 as string, port: p.port });
      expect({ service, proto, answer }).toEqual({ service, proto, answer: `${p.addresses.ipv6} ${INTERNET.ipv6}` });
    }
  });

  it("forwards each public port of its WAN address to the service's IPv4 address (TCP and UDP)", async () => {
    for (const [service, proto] of [["apps/web", "tcp"], ["kube-system/cilium-ingress", "tcp"], ["apps/wireguard", "udp"]] as const) {
      const p = published(service, proto);
      const answer = await probe(wan, { proto, address: GATEWAY_WAN.ipv4, port: p.port });
      // The service sees the client's own address: nothing rewrites the source on the way in.
      expect({ service, proto, answer }).toEqual({ service, proto, answer: `${p.addresses.ipv4} ${INTERNET.ipv4}` });
    }
  });

  it("forwards a LAN client at its WAN address to the public service, which sees the gateway's LAN address (hairpin)", async () => {
    const gwLan = r.host(r.gateway.host).addresses.ipv4;
    for (const [service, proto] of [["apps/web", "tcp"], ["kube-system/cilium-ingress", "tcp"], ["apps/wireguard", "udp"]] as const) {
      const p = published(service, proto);
      const answer = await probe(client, { proto, address: GATEWAY_WAN.ipv4, port: p.port });
      // Without the gateway's address as source the service would answer the client directly, from an address the
      // client never spoke to, and the connection would fail.
      expect({ service, proto, answer }).toEqual({ service, proto, answer: `${p.addresses.ipv4} ${gwLan}` });
    }
  });

  it("leaves a LAN client's direct connections to a service as they are", async () => {
    for (const [service, proto] of [["apps/web", "tcp"], ["apps/wireguard", "udp"]] as const) {
      const p = published(service, proto);
      const answer = await probe(client, { proto, address: p.addresses.ipv4, port: p.port });
      expect({ service, proto, answer }).toEqual({ service, proto, answer: `${p.addresses.ipv4} ${lanClient()}` });
    }
  });

  it("forwards nothing else a LAN client sends to its addresses: unpublished ports, and its own LAN address", async () => {
    const gwLan = r.host(r.gateway.host).addresses.ipv4;
    const web = published("apps/web", "tcp");
    const unforwarded = [
      // Porygon listens on 53 in the LAN, unpublished.
      { proto: "tcp", address: GATEWAY_WAN.ipv4, port: 53 },
      // The web service listens on its published port, but the gateway's LAN address is the gateway's alone.
      { proto: "tcp", address: gwLan, port: web.port },
    ] as const;
    const answers = await Promise.all(unforwarded.map((t) => probe(client, t, DROPPED_AFTER_MS)));
    expect(unforwarded.map((t, i) => ({ ...t, answer: answers[i] }))).toEqual(unforwarded.map((t) => ({ ...t, answer: undefined })));
    // SSH on the WAN address is the gateway's own, answered by itself and not taken to the node that also listens on 22.
    const ssh = await probe(client, { proto: "tcp", address: GATEWAY_WAN.ipv4, port: 22 });
    expect(ssh).toBe(`::ffff:${GATEWAY_WAN.ipv4} ::ffff:${lanClient()}`);
  });

  it("closes the internal pool, the nodes, Porygon, the BMCs and every unpublished port to the internet", async () => {
    const targets = closedTargets();
    const answers = await Promise.all(targets.map((t) => probe(wan, t, DROPPED_AFTER_MS)));
    expect(targets.map((t, i) => ({ what: t.what, answer: answers[i] })).filter((x) => x.answer !== undefined)).toEqual([]);
  });

  it("keeps SSH on the gateway to the LAN", async () => {
    const gwHost = r.host(r.gateway.host);
    const fromLan = await probe(lan, { proto: "tcp", address: gwHost.addresses.ipv4, port: 22 });
    expect(fromLan?.split(" ")[0]).toBe(`::ffff:${gwHost.addresses.ipv4}`);
    const fromWan = await Promise.all(
      [GATEWAY_WAN.ipv4, GATEWAY_WAN.ipv6, gwHost.addresses.ipv4].map((address) => probe(wan, { proto: "tcp", address, port: 22 }, DROPPED_AFTER_MS)),
    );
    expect(fromWan).toEqual([undefined, undefined, undefined]);
  });

  it("lets the LAN reach the internet: IPv4 masqueraded as the WAN address, IPv6 as it is", async () => {
    expect(await probe(lan, { proto: "tcp", address: INTERNET.ipv4, port: 443 })).toBe(`${INTERNET.ipv4} ${GATEWAY_WAN.ipv4}`);
    const v6 = (await probe(lan, { proto: "tcp", address: INTERNET.ipv6, port: 443 }))?.split(" ");
    expect(v6?.[0]).toBe(INTERNET.ipv6);
    // The source is one of the LAN's own addresses (the kernel picks which): no NAT for IPv6.
    expect(cidrContainsAddress(parseCidr(r.plan.lan.ipv6?.prefix.cidr as string), v6?.[1] as string)).toBe(true);
  });

  it("advertises the LAN prefix with the managed and other-config flags through it (radvd, answered by rdisc6)", async () => {
    const v6 = r.plan.lan.ipv6 as NonNullable<typeof r.plan.lan.ipv6>;
    const conf = join(dir, "radvd.conf");
    writeFileSync(conf, r.file(PATHS.radvd) as string);
    gw.spawn("radvd", ["--nodaemon", "--logmethod", "stderr", "--config", conf, "--pidfile", join(dir, "radvd.pid")]);
    // rdisc6 solicits (the ruleset must let the solicitation in) and prints the first advertisement it gets.
    let ra = "";
    for (let i = 0; i < 20 && !ra.includes("Prefix"); i++) ra = await client.run("rdisc6", ["-1", "-r", "3", "-w", "1000", "eth0"]).catch(() => "");
    const fields = ra.split("\n").map((l) => l.split(/\s*:\s+/).map((x) => x.trim()));
    const field = (name: string) => fields.filter(([k]) => k === name).map(([, v]) => v);
    expect(field("Stateful address conf.")).toEqual(["Yes"]);
    expect(field("Stateful other conf.")).toEqual(["Yes"]);
    expect(field("Prefix")).toEqual([v6.prefix.cidr]);
    expect(field("Autonomous address conf.")).toEqual(["Yes"]);
    expect(field("Recursive DNS server")).toEqual([v6.dns]);
    expect(field("DNS search list")).toEqual([`${r.plan.site.zones.services} ${r.plan.site.zones.dhcp}`]);
  });

  it("forwards to the internet nothing from outside the LAN's prefixes (BCP 38), even where the way back exists", async () => {
    // A LAN host sending from an address not the LAN's, every route in place: only the forward rule stops it.
    const spoofed = "fd99::77";
    const node = r.host("x86-1").addresses.ipv6 as string;
    await lan.run("ip", ["-6", "addr", "add", `${spoofed}/128`, "dev", "br0", "nodad"]);
    await lan.run("ip", ["-6", "route", "add", `${INTERNET.ipv6}/128`, "via", r.host(r.gateway.host).addresses.ipv6 as string, "src", spoofed]);
    await gw.run("ip", ["-6", "route", "add", `${spoofed}/128`, "via", node]);
    await wan.run("ip", ["-6", "route", "add", `${spoofed}/128`, "via", GATEWAY_WAN.ipv6]);
    try {
      expect(await probe(lan, { proto: "tcp", address: INTERNET.ipv6, port: 443 }, DROPPED_AFTER_MS)).toBeUndefined();
    } finally {
      await lan.run("ip", ["-6", "route", "del", `${INTERNET.ipv6}/128`]);
    }
    // The LAN's own address still goes out.
    expect((await probe(lan, { proto: "tcp", address: INTERNET.ipv6, port: 443 }))?.split(" ")[0]).toBe(INTERNET.ipv6);
  });

  it("drops what comes in at the WAN port from the LAN's own addresses (forged), before the port forward", async () => {
    // The internet sends from the LAN client's addresses to a public UDP port; a service that got it would answer
    // the client, which listens (the way back is the LAN's, as for any LAN address).
    const wg = published("apps/wireguard", "udp");
    const clientV6 = (r.plan.lan.ipv6 as NonNullable<typeof r.plan.lan.ipv6>).ranges.dhcp.first;
    await client.address("eth0", `${clientV6}/${r.plan.lan.ipv6?.prefix.prefixLength}`);
    const forged = async (source: string, to: string) => {
      const ready = join(dir, `forged-${source}.ready`);
      rmSync(ready, { force: true });
      const caught = client.run(process.execPath, [SOCKETS, "catch", ready, source, "40000", String(DROPPED_AFTER_MS * 2)]);
      for (let i = 0; !existsSync(ready); i++) {
        if (i > 600) throw new Error("the catcher never bound");
        await new Promise((res) => setTimeout(res, 50));
      }
      await wan.run("ip", ["addr", "add", `${source}/${source.includes(":") ? 128 : 32}`, "dev", "w0", ...(source.includes(":") ? ["nodad"] : [])]);
      try {
        await wan.run(process.execPath, [SOCKETS, "probe", "udp", to, String(wg.port), "500", source, "40000"]);
      } finally {
        await wan.run("ip", ["addr", "del", `${source}/${source.includes(":") ? 128 : 32}`, "dev", "w0"]);
      }
      const got = (await caught).trim();
      return got === "timeout" ? undefined : got;
    };
    const cases = [
      [lanClient(), GATEWAY_WAN.ipv4],
      [clientV6, wg.addresses.ipv6 as string],
    ] as const;
    for (const [source, to] of cases) expect({ source, answer: await forged(source, to) }).toEqual({ source, answer: undefined });
    // Without the chain the same packets get through (so the test sees what the chain stops).
    await gw.run("nft", ["delete", "chain", "inet", "h5b", "antispoof"]);
    try {
      for (const [source, to] of cases) expect({ source, answer: await forged(source, to) }).not.toEqual({ source, answer: undefined });
    } finally {
      const ruleset = join(dir, "nftables.conf");
      writeFileSync(ruleset, r.file(PATHS.nftables) as string);
      await gw.run("nft", ["-f", ruleset]);
    }
  });

  // Last: it takes the firewall down.
  it("stops as nftables.service stops it: forwarding off first, then h5b's table alone, others' tables kept", async () => {
    await gw.run("nft", ["add", "table", "inet", "someone-else"]);
    const stops = [...(r.file(PATHS.forwarding) ?? "").matchAll(/^ExecStop=(.+)$/gm)].map((m) => (m[1] as string).replace(/^-/, ""));
    const forwarding = async () => (await gw.run("sysctl", ["-n", "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"])).split("\n").filter(Boolean);
    const tables = async () => (await gw.run("nft", ["list", "tables"])).trim().split("\n").sort();
    expect(await forwarding()).toEqual(["1", "1"]);
    const seen: { forwarding: string[]; tables: string[] }[] = [];
    for (const line of stops) {
      const [cmd = "", ...args] = line.split(" ");
      await gw.run(cmd, args);
      seen.push({ forwarding: await forwarding(), tables: await tables() });
    }
    // Forwarding is never on without h5b's table; at the end only the other table is left.
    const withoutTable = seen.filter((s) => !s.tables.includes("table inet h5b"));
    expect(withoutTable.length).toBeGreaterThan(0);
    expect(withoutTable.every((s) => s.forwarding.every((f) => f === "0"))).toBe(true);
    expect(seen.at(-1)).toEqual({ forwarding: ["0", "0"], tables: ["table inet someone-else"] });
  });
});
