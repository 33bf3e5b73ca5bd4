import { describe, expect, it } from "vitest";
import { emitHostNetworks, interfacesFile, keyfileLines, lanProfile, profileUuid } from "../../src/emit/network/index.js";
import { buildPlan } from "../../src/plan/build.js";
import type { Plan, PlanHostNetwork } from "../../src/plan/types.js";
import type { HomelabInput } from "../../src/spec/homelab.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import { variants } from "../gateway/_render.js";
import { pisOnK3os } from "../_harness/k3os.js";
import { ipv4Only } from "../spec/_helpers.js";

const planOf = (mutate: (s: HomelabInput) => void = () => {}): Plan => {
  const input = defaultHomelabInput();
  mutate(input);
  return buildPlan(parseHomelab(input).spec);
};
const networkOf = (plan: Plan, host: string) => plan.hostNetworks.find((n) => n.host === host);

describe("the hosts' own network settings in the plan", () => {
  it("cover every Debian host, with the spec's addresses and the LAN's prefix lengths, for what manages its ports", () => {
    const plan = planOf();
    const pis = plan.hosts.filter((h) => h.platform === "raspberry-pi").map((h) => h.name);
    expect(pis.length).toBeGreaterThan(0);
    expect(plan.hostNetworks.map((n) => n.host)).toEqual(plan.hosts.filter((h) => h.os === "debian").map((h) => h.name));
    for (const n of plan.hostNetworks) expect([n.host, n.manager]).toEqual([n.host, pis.includes(n.host) ? "networkmanager" : "ifupdown"]);
    for (const n of plan.hostNetworks) {
      const host = plan.hosts.find((h) => h.name === n.host);
      expect(n.lan).toMatchObject({
        nic: host?.lanNic.name,
        addresses: { ipv4: `${host?.addresses.ipv4}/${plan.lan.ipv4.prefix.prefixLength}`, ipv6: `${host?.addresses.ipv6}/${plan.lan.ipv6?.prefix.prefixLength}` },
      });
    }
  });

  it("route IPv4 through the gateway, except on the gateway, which takes its routes and resolver from the ISP", () => {
    const plan = planOf();
    expect(networkOf(plan, "porygon")).toMatchObject({
      lan: { gateway: plan.lan.ipv4.gateway },
      resolver: { nameservers: [plan.lan.ipv4.dns, plan.lan.ipv6?.dns], search: [plan.site.zones.services, plan.site.zones.dhcp] },
    });
    expect(networkOf(plan, "porygon")?.wan).toBeUndefined();
    // Only a NetworkManager profile writes the IPv6 route out; ifupdown hosts take it from router advertisements.
    expect(networkOf(plan, "porygon")?.lan.ipv6Gateway).toBeUndefined();
    expect(networkOf(plan, "pi-cp")?.lan).toMatchObject({ gateway: plan.lan.ipv4.gateway, ipv6Gateway: plan.lan.ipv6?.gateway });
    const gw = networkOf(plan, "gateway");
    expect(gw?.wan).toBe("wan0");
    expect(gw?.lan.gateway).toBeUndefined();
    expect(gw?.resolver).toBeUndefined();
  });

  it("route through the spec's router when h5b does not run it", () => {
    const plan = planOf((s) => {
      delete s.hosts.gateway;
      const nets = s.networks as Required<NonNullable<typeof s.networks>>;
      (nets.lan.ipv4 as { gateway?: string }).gateway = "10.0.0.254";
      (nets.lan.ipv6 as { gateway?: string }).gateway = "2001:db8:10::fe";
    });
    expect(plan.hostNetworks.map((n) => [n.host, n.lan.gateway, n.lan.ipv6Gateway])).toEqual([
      ["pi-cp", "10.0.0.254", "2001:db8:10::fe"],
      ["pi-worker", "10.0.0.254", "2001:db8:10::fe"],
      ["porygon", "10.0.0.254", undefined],
      ["x86-1", "10.0.0.254", undefined],
    ]);
  });

  it("know a Raspberry Pi by its platform, or by a model that names one, whatever the spelling", () => {
    const platforms = (edit: (s: HomelabInput) => void) => planOf(edit).hosts.map((h) => [h.name, h.platform, networkOf(planOf(edit), h.name)?.manager]);
    const renamed = platforms((s) => {
      for (const name of ["pi-cp", "pi-worker"]) {
        const hw = s.hosts[name]?.hardware as { model?: string; platform?: string };
        delete hw.platform;
        hw.model = name === "pi-cp" ? "RPi 4 Model B" : "raspberrypi 4";
      }
    });
    expect(renamed.filter(([, p]) => p === "raspberry-pi")).toEqual([
      ["pi-cp", "raspberry-pi", "networkmanager"],
      ["pi-worker", "raspberry-pi", "networkmanager"],
    ]);
    const named = platforms((s) => {
      const hw = s.hosts["pi-worker"]?.hardware as { model?: string; platform?: string };
      hw.model = "a board";
      hw.platform = "raspberry-pi";
    });
    expect(named.find(([h]) => h === "pi-worker")).toEqual(["pi-worker", "raspberry-pi", "networkmanager"]);
    expect(named.find(([h]) => h === "x86-1")).toEqual(["x86-1", "generic", "ifupdown"]);
  });

  it("give the Pis on k3OS to connman, and keep one box that is gateway and Porygon on its WAN's resolver", () => {
    const k3os = planOf(pisOnK3os);
    expect(k3os.hostNetworks.map((n) => [n.host, n.manager])).toEqual([
      ["gateway", "ifupdown"],
      ["pi-cp", "connman"],
      ["pi-worker", "connman"],
      ["porygon", "ifupdown"],
      ["x86-1", "ifupdown"],
    ]);
    const oneBox = planOf(variants["gateway-is-porygon"]);
    const resolver = expect.objectContaining({ nameservers: [oneBox.lan.ipv4.dns, oneBox.lan.ipv6?.dns] });
    expect(oneBox.hostNetworks.map((n) => [n.host, n.wan, n.resolver])).toEqual([
      ["gateway", "wan0", undefined],
      ["pi-cp", undefined, resolver],
      ["pi-worker", undefined, resolver],
      ["x86-1", undefined, resolver],
    ]);
  });
});

describe("/etc/network/interfaces", () => {
  const stanzas = (lines: string[]) => lines.filter((l) => /^(auto|iface) /.test(l));

  it("brings every port up at boot: static LAN addresses, DHCP and router advertisements on the WAN", () => {
    const plan = planOf();
    const porygon = interfacesFile(networkOf(plan, "porygon") as NonNullable<ReturnType<typeof networkOf>>);
    expect(stanzas(porygon)).toEqual(["auto lo", "iface lo inet loopback", "auto eth0", "iface eth0 inet6 static", "iface eth0 inet static"]);
    expect(porygon.filter((l) => l.startsWith("    "))).toEqual(["    address 2001:db8:10::53/64", "    dad-attempts 0", "    address 10.0.0.53/16", "    gateway 10.0.0.1"]);
    const gw = interfacesFile(networkOf(plan, "gateway") as NonNullable<ReturnType<typeof networkOf>>);
    expect(stanzas(gw)).toEqual(["auto lo", "iface lo inet loopback", "auto wan0", "iface wan0 inet dhcp", "iface wan0 inet6 auto", "auto lan0", "iface lan0 inet6 static", "iface lan0 inet static"]);
    expect(gw).toContain("    accept_ra 2");
    expect(gw.filter((l) => /gateway/.test(l) && !l.startsWith("#"))).toEqual([]);
  });

  it("has no IPv6 on an IPv4-only LAN, and resolv.conf is written only where the plan has a resolver", () => {
    const plan = planOf(ipv4Only);
    const files = new Map(emitHostNetworks(plan).map((f) => [f.path, f.content]));
    expect([...files.keys()].sort()).toEqual([
      "hosts/gateway/etc/network/interfaces",
      "hosts/pi-cp/etc/NetworkManager/system-connections/h5b-lan.nmconnection",
      "hosts/pi-worker/etc/NetworkManager/system-connections/h5b-lan.nmconnection",
      "hosts/porygon/etc/network/interfaces",
      "hosts/porygon/etc/resolv.conf",
      "hosts/x86-1/etc/network/interfaces",
      "hosts/x86-1/etc/resolv.conf",
    ]);
    const ifupdown = [...files].filter(([path]) => !path.endsWith(".nmconnection"));
    for (const [path, text] of ifupdown) expect({ path, inet6: /inet6|:/.test(text.replace(/^#.*$/gm, "")) }).toEqual({ path, inet6: false });
    expect(files.get("hosts/x86-1/etc/resolv.conf")?.split("\n").filter((l) => !l.startsWith("#"))).toEqual([
      "search svc.home.example.org lan.home.example.org",
      "nameserver 10.0.0.53",
      "",
    ]);
  });
});

describe("NetworkManager profiles (Raspberry Pi OS)", () => {
  const lines = (plan: Plan, host: string) => keyfileLines("test", lanProfile(networkOf(plan, host) as PlanHostNetwork));

  it("give the Pi's LAN port static addresses, both default routes and the resolver, in NetworkManager's own syntax", () => {
    const plan = planOf();
    const pi = lines(plan, "pi-cp");
    expect(pi).toContain("interface-name=eth0");
    expect(pi.slice(pi.indexOf("[ipv4]") + 1, pi.indexOf("[ipv6]") - 1)).toEqual(["method=manual", "address1=10.0.0.10/16,10.0.0.1", "dns=10.0.0.53;", "dns-priority=-50", "dns-search=svc.home.example.org;lan.home.example.org;"]);
    expect(pi.slice(pi.indexOf("[ipv6]") + 1)).toEqual(["method=manual", "address1=2001:db8:10::10/64,2001:db8:10::1", "dns=2001:db8:10::53;", "dns-priority=-50"]);
  });

  it("name each profile by a UUID that stays the same from build to build and differs between hosts", () => {
    expect(profileUuid("pi-cp/h5b-lan")).toBe(profileUuid("pi-cp/h5b-lan"));
    expect(profileUuid("pi-cp/h5b-lan")).not.toBe(profileUuid("pi-worker/h5b-lan"));
    expect(profileUuid("pi-cp/h5b-lan")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("leave IPv6 to the kernel on an IPv4-only LAN, and are readable by root only", () => {
    const plan = planOf(ipv4Only);
    expect(lines(plan, "pi-worker").slice(-2)).toEqual(["[ipv6]", "method=ignore"]);
    const profile = emitHostNetworks(plan).find((f) => f.path === "hosts/pi-worker/etc/NetworkManager/system-connections/h5b-lan.nmconnection");
    expect(profile?.mode).toBe(0o600);
  });

  it("give a Pi that is the gateway no LAN routes or resolver, and leave its WAN port to NetworkManager's defaults", () => {
    const plan = planOf((s) => {
      (s.hosts.gateway as (typeof s.hosts)[string]).hardware.model = "Raspberry Pi 4B";
    });
    const net = networkOf(plan, "gateway") as PlanHostNetwork;
    expect([net.manager, net.wan, net.lan.gateway, net.lan.ipv6Gateway, net.resolver]).toEqual(["networkmanager", "wan0", undefined, undefined, undefined]);
    expect(lanProfile(net).find(([section]) => section === "ipv4")?.[1]).toEqual([["method", "manual"], ["address1", "10.0.0.1/16"]]);
    expect(emitHostNetworks(plan).filter((f) => f.path.startsWith("hosts/gateway/")).map((f) => f.path)).toEqual(["hosts/gateway/etc/NetworkManager/system-connections/h5b-lan.nmconnection"]);
  });
});
