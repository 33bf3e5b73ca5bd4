import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { covers, overlayPrefixes } from "../_harness/overlay.js";
import { emitAnsible } from "../../src/emit/ansible/index.js";
import { emitGateway } from "../../src/emit/gateway/index.js";
import { buildPlan } from "../../src/plan/build.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import { PATHS, renderGateway, variants, withPublicWeb } from "./_render.js";

const rules = (text: string | undefined, chain: string): string[] => {
  const lines = (text ?? "").split("\n").map((l) => l.trim());
  const start = lines.indexOf(`chain ${chain} {`);
  return lines.slice(start + 1, lines.indexOf("}", start));
};

describe("the gateway in the plan", () => {
  it("names its ports as the spec does and publishes every port of every public service, on both families", () => {
    const r = renderGateway(withPublicWeb);
    expect({ host: r.gateway.host, wan: r.gateway.wanNic, lan: r.gateway.lanNic }).toEqual({ host: "gateway", wan: "wan0", lan: "lan0" });
    expect(r.gateway.lanIpv4).toBe(r.host("gateway").addresses.ipv4);
    const publics = r.plan.loadBalancers.filter((lb) => lb.pool === "public");
    expect(r.gateway.published.map((p) => `${p.service} ${p.port}/${p.protocol}`)).toEqual([
      "apps/web 8443/TCP",
      "apps/wireguard 51820/UDP",
      "kube-system/cilium-ingress 80/TCP",
      "kube-system/cilium-ingress 443/TCP",
    ]);
    for (const p of r.gateway.published) expect(p.addresses).toEqual(publics.find((lb) => `${lb.namespace}/${lb.name}` === p.service)?.addresses);
    // The ingress Service is IPv4 only, so it has nothing to open on IPv6.
    expect(r.gateway.published.filter((p) => p.addresses.ipv6 === undefined).map((p) => p.service)).toEqual(["kube-system/cilium-ingress", "kube-system/cilium-ingress"]);
  });

  it("is absent, with no gateway files, when the router is not h5b's", () => {
    const input = defaultHomelabInput();
    delete input.hosts.gateway;
    const nets = input.networks as Required<NonNullable<typeof input.networks>>;
    (nets.lan.ipv4 as { gateway?: string }).gateway = "10.0.0.1";
    (nets.lan.ipv6 as { gateway?: string }).gateway = "2001:db8:10::1";
    const plan = buildPlan(parseHomelab(input).spec);
    expect(plan.gateway).toBeUndefined();
    expect(emitGateway(plan)).toEqual([]);
  });
});

describe("the gateway's nftables ruleset", () => {
  it("replaces only h5b's own table, in one transaction", () => {
    const text = renderGateway().file(PATHS.nftables) ?? "";
    expect(text).not.toMatch(/flush ruleset/);
    expect(text.split("\n").filter((l) => /^(table|delete table)/.test(l))).toEqual(["table inet h5b", "delete table inet h5b", "table inet h5b {"]);
  });

  it("forwards and opens exactly the published ports, on the plan's addresses", () => {
    const r = renderGateway(withPublicWeb);
    const text = r.file(PATHS.nftables);
    const forward = rules(text, "forward");
    const prerouting = rules(text, "prerouting");
    for (const p of r.gateway.published) {
      const proto = p.protocol.toLowerCase();
      const dnat = `${proto} dport ${p.port} dnat ip to ${p.addresses.ipv4} comment "${p.service} ${p.name}"`;
      expect(prerouting).toContain(`iifname "wan0" fib daddr type local ${dnat}`);
      // Hairpin: the same forward for a LAN client at the public address, never at the gateway's LAN address.
      expect(prerouting).toContain(`iifname "lan0" ip daddr != ${r.gateway.lanIpv4} fib daddr type local ${dnat}`);
      expect(forward).toContain(`iifname { "wan0", "lan0" } oifname "lan0" ip daddr ${p.addresses.ipv4} ${proto} dport ${p.port} ct status dnat accept comment "${p.service} ${p.name}"`);
      if (p.addresses.ipv6 !== undefined) expect(forward).toContain(`iifname "wan0" oifname "lan0" ip6 daddr ${p.addresses.ipv6} ${proto} dport ${p.port} accept comment "${p.service} ${p.name}"`);
    }
    expect(prerouting.filter((l) => l.includes(" dnat "))).toHaveLength(2 * r.gateway.published.length);
    expect(forward.filter((l) => / dport \d+ /.test(l))).toHaveLength(r.gateway.published.length + r.gateway.published.filter((p) => p.addresses.ipv6 !== undefined).length);
    expect(forward.at(-1)).toMatch(/^iifname "wan0" counter drop/);
    expect(rules(text, "postrouting")).toEqual([
      `type nat hook postrouting priority srcnat; policy accept;`,
      `oifname "wan0" ip saddr ${r.plan.lan.ipv4.prefix.cidr} masquerade`,
      `iifname "lan0" oifname "lan0" ip saddr ${r.plan.lan.ipv4.prefix.cidr} ct status dnat masquerade comment "hairpin: a LAN client at the public address"`,
    ]);
  });

  it("opens to the LAN only what the gateway host runs", () => {
    const lanRules = (text: string | undefined) => rules(text, "input").filter((l) => l.startsWith('iifname "lan0"'));
    expect(lanRules(renderGateway().file(PATHS.nftables))).toEqual(['iifname "lan0" tcp dport 22 accept comment "SSH from the LAN"']);
    const both = renderGateway(variants["gateway-is-porygon"]);
    expect(lanRules(both.file(PATHS.nftables)).map((l) => l.replace(/ accept.*/, ""))).toEqual([
      'iifname "lan0" tcp dport 22',
      'iifname "lan0" udp dport 53',
      'iifname "lan0" tcp dport 53',
      `iifname "lan0" tcp dport ${both.plan.dns.etcdPort}`,
      'iifname "lan0" udp dport 67',
      'iifname "lan0" udp dport 547',
    ]);
  });

  it("uses the spec's interface names, a VLAN's dot included", () => {
    const r = renderGateway(variants["renamed-ports"]);
    const text = r.file(PATHS.nftables) ?? "";
    expect(text).toContain('iifname "enp3s0" oifname "enp2s0.7" ip saddr ');
    expect(text).not.toMatch(/wan0|lan0/);
    expect(r.file(PATHS.sysctl)).toContain("net/ipv6/conf/enp2s0.7/accept_ra = 2\n");
    expect(r.file(PATHS.radvd)).toContain("interface enp3s0\n");
  });

  it("has no IPv6 service rules on an IPv4-only LAN", () => {
    const r = renderGateway(variants["ipv4-only"]);
    expect(rules(r.file(PATHS.nftables), "forward").filter((l) => l.includes("ip6 daddr"))).toEqual([]);
  });
});

describe("forwarding and router advertisements", () => {
  it("sends no redirects for hairpinned connections, and keeps the WAN port listening to the ISP's advertisements", () => {
    expect(renderGateway().file(PATHS.sysctl)?.split("\n").slice(1)).toEqual([
      "net.ipv4.conf.all.send_redirects = 0",
      "net.ipv4.conf.default.send_redirects = 0",
      "net.ipv4.conf.lan0.send_redirects = 0",
      "net.ipv6.conf.wan0.accept_ra = 2",
      "",
    ]);
    expect(renderGateway(variants["ipv4-only"]).file(PATHS.sysctl)?.split("\n").slice(1)).toEqual([
      "net.ipv4.conf.all.send_redirects = 0",
      "net.ipv4.conf.default.send_redirects = 0",
      "net.ipv4.conf.lan0.send_redirects = 0",
      "",
    ]);
  });

  it("forwards only while nftables.service has the ruleset loaded: on after its start, off after its stop or failure", () => {
    expect(renderGateway().file(PATHS.forwarding)?.split("\n").slice(1)).toEqual([
      "[Service]",
      "ExecStartPost=/usr/sbin/sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1",
      // Debian's stop (flush ruleset) replaced: forwarding off first, then h5b's table alone.
      "ExecStop=",
      "ExecStop=/usr/sbin/sysctl -q -w net.ipv4.ip_forward=0",
      "ExecStop=-/usr/sbin/sysctl -q -w net.ipv6.conf.all.forwarding=0",
      "ExecStop=-/usr/sbin/nft delete table inet h5b",
      "ExecStopPost=/usr/sbin/sysctl -q -w net.ipv4.ip_forward=0",
      "ExecStopPost=-/usr/sbin/sysctl -q -w net.ipv6.conf.all.forwarding=0",
      "",
    ]);
    // IPv4 only: IPv6 forwarding kept off, also on a gateway that forwarded IPv6 before.
    expect(renderGateway(variants["ipv4-only"]).file(PATHS.forwarding)).toContain(
      "\nExecStartPost=/usr/sbin/sysctl -q -w net.ipv4.ip_forward=1\nExecStartPost=-/usr/sbin/sysctl -q -w net.ipv6.conf.all.forwarding=0\n",
    );
    expect(renderGateway().file(PATHS.sysctl)).not.toMatch(/ip_forward|forwarding =/);
  });

  it("advertises the prefix with the managed and other-config flags, Porygon as DNS server and the zones", () => {
    const r = renderGateway();
    const conf = r.file(PATHS.radvd) ?? "";
    for (const line of ["AdvManagedFlag on;", "AdvOtherConfigFlag on;", `prefix ${r.plan.lan.ipv6?.prefix.cidr}`, "AdvAutonomous on;", `RDNSS ${r.plan.lan.ipv6?.dns}`]) {
      expect(conf).toContain(line);
    }
    expect(conf).toContain(`DNSSL ${r.plan.site.zones.services} ${r.plan.site.zones.dhcp}`);
    expect(renderGateway(variants["ipv4-only"]).file(PATHS.radvd)).toBeUndefined();
  });
});

describe("the gateway's Ansible role", () => {
  const files = (mutate?: Parameters<typeof renderGateway>[0]) => new Map(emitAnsible(renderGateway(mutate).plan).map((f) => [f.path, f.content]));
  const yaml = (f: Map<string, string>, p: string) => parse(f.get(p) ?? "null") as any;

  it("runs on the gateways group, and installs radvd only for an IPv6 LAN", () => {
    const f = files();
    expect(yaml(f, "ansible/site.yml").find((p: { roles: string[] }) => p.roles.includes("gateway"))?.hosts).toBe("gateways");
    expect(yaml(f, "ansible/host_vars/gateway.yml").h5b_gateway).toEqual({ packages: ["nftables", "radvd"], radvd: true, wan_nic: "wan0" });
    expect(yaml(files(variants["ipv4-only"]), "ansible/host_vars/gateway.yml").h5b_gateway).toEqual({ packages: ["nftables"], radvd: false, wan_nic: "wan0" });
    expect(yaml(f, "ansible/host_vars/porygon.yml").h5b_gateway).toBeUndefined();
  });

  it("turns forwarding on only with the firewall, and never loads the machine's own from a chroot", () => {
    const f = files();
    const tasks: { name: string }[] = yaml(f, "ansible/roles/gateway/tasks/main.yml");
    const at = (name: string) => tasks.findIndex((t) => t.name === name);
    expect(at("Install the gateway's firewall")).toBeLessThan(at("Load the firewall, and forwarding with it"));
    expect(at("Install the switch of forwarding with the firewall")).toBeLessThan(at("Load the firewall, and forwarding with it"));
    expect(at("Load the firewall, and forwarding with it")).toBeLessThan(at("Enable the firewall at boot"));
    const handlers: { name: string; when?: string; "ansible.builtin.command"?: { argv: string[] }; "ansible.builtin.systemd"?: Record<string, unknown> }[] = yaml(f, "ansible/roles/gateway/handlers/main.yml");
    const load = handlers.find((h) => h.name === "Load the gateway's firewall");
    expect(load?.["ansible.builtin.command"]?.argv).toEqual(["nft", "-f", PATHS.nftables]);
    expect(load?.when).toMatch(/is_chroot/);
    const restart = handlers.findIndex((h) => h.name === "Restart the firewall, and forwarding with it");
    expect(handlers[restart]?.["ansible.builtin.systemd"]).toEqual({ name: "nftables.service", state: "restarted" });
    expect(handlers.findIndex((h) => h.name === "Reload systemd units")).toBeLessThan(restart);
    // The common role copies only its own sysctl file, so it cannot turn forwarding on either.
    const common = overlayPrefixes(yaml(f, "ansible/roles/common/tasks/main.yml"));
    expect(common.some((p) => covers(p, "etc/sysctl.d/90-h5b.conf"))).toBe(true);
    for (const p of [PATHS.sysctl, PATHS.forwarding]) expect(common.some((c) => covers(c, p.slice(1)))).toBe(false);
  });
});
