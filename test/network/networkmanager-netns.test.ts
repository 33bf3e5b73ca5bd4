import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commonHostFiles } from "../../src/emit/ansible/roles/common.js";
import { emitHostNetworks } from "../../src/emit/network/index.js";
import type { PlanHostNetwork } from "../../src/plan/types.js";
import { type Namespace, NetnsLab } from "../_harness/netns.js";
import { PATHS as GATEWAY, renderGateway } from "../gateway/_render.js";
import { until } from "../porygon/_kea.js";
import { defaultRoutes, globalAddresses, type NetworkManagerHost, networkManagerHost, startRadvd } from "./_host.js";

// A Raspberry Pi's rendered NetworkManager profile, activated by the real NetworkManager daemon (Debian 12's, the
// version of Raspberry Pi OS 12) in a network namespace whose port is named as the spec names it. The peer plays the
// gateway: its LAN addresses and its rendered router advertisements, whose managed flag and autonomous prefix would
// give the Pi a DHCPv6 attempt and a second, SLAAC address if the profile let NetworkManager or the kernel act on
// them. Creating namespaces needs root.
const r = renderGateway();
const pi = r.plan.hostNetworks.find((n) => n.manager === "networkmanager") as PlanHostNetwork;
const profiles = new Map(
  emitHostNetworks(r.plan)
    .filter((f) => f.path.startsWith(`hosts/${pi.host}/`))
    .map((f) => [f.path.slice(`hosts/${pi.host}`.length), f.content]),
);
// NetworkManager's own settings for the test, in place of Raspberry Pi OS's: profiles from keyfiles only, and every
// port managed (Debian's default leaves a port listed in /etc/network/interfaces to ifupdown).
const NM_CONF = "[main]\nplugins=keyfile\n\n[device]\nmatch-device=*\nmanaged=1\n";
// A profile for the same port made earlier by hand (DHCP, NetworkManager's default priority): h5b's must win.
const OTHER = "/etc/NetworkManager/system-connections/wired.nmconnection";
const OTHER_PROFILE = `[connection]\nid=wired\ntype=ethernet\ninterface-name=${pi.lan.nic}\n\n[ipv4]\nmethod=auto\n\n[ipv6]\nmethod=auto\n`;

describe.runIf(process.getuid?.() === 0)("a Raspberry Pi's rendered NetworkManager profile, activated by NetworkManager", () => {
  const lab = new NetnsLab();
  const machineResolvConf = () => readFileSync("/etc/resolv.conf", "utf8");
  let before: string;
  let dir: string;
  let host: Namespace;
  let router: Namespace;
  let nm: NetworkManagerHost;
  const log = () => readFileSync(join(dir, "nm.log"), "utf8");

  beforeAll(async () => {
    before = machineResolvConf();
    dir = mkdtempSync(join(tmpdir(), "h5b-networkmanager-"));
    host = await lab.namespace("pi");
    router = await lab.namespace("router");
    await lab.veth(host, pi.lan.nic, router, r.gateway.lanNic);
    // As at boot: NetworkManager finds the port down.
    await host.run("ip", ["link", "set", pi.lan.nic, "down"]);
    const gatewayLan = (r.plan.hostNetworks.find((n) => n.host === r.gateway.host) as PlanHostNetwork).lan.addresses;
    for (const a of Object.values(gatewayLan)) await router.address(r.gateway.lanNic, a);
    // The Pi's own sysctl settings (a k3s node), applied before NetworkManager starts, as systemd-sysctl does at boot.
    const sysctlFile = commonHostFiles(r.plan, r.host(pi.host)).find((f) => f.path.startsWith(`hosts/${pi.host}/etc/sysctl.d/`));
    writeFileSync(join(dir, "sysctl.conf"), sysctlFile?.content as string);
    await host.run("sysctl", ["-q", "-p", join(dir, "sysctl.conf")]);
    await startRadvd(router, dir, "radvd", r.file(GATEWAY.radvd) as string);
    nm = networkManagerHost(host, join(dir, "root"), new Map([...profiles, ["/etc/NetworkManager/NetworkManager.conf", NM_CONF], [OTHER, OTHER_PROFILE]]));
    nm.start(openSync(join(dir, "nm.log"), "a"));
    await until("NetworkManager activating the port", () => new RegExp(`device \\(${pi.lan.nic}\\): Activation: successful`).test(log()), 30_000);
    // An advertisement reaches the port while NetworkManager runs: the Pi solicits one and waits for it. Then time
    // for NetworkManager, or the kernel, to act on it, had the profile let them.
    await host.run("rdisc6", ["-1", "-w", "2000", pi.lan.nic]);
    await new Promise((res) => setTimeout(res, 2000));
  }, 60_000);

  afterAll(async () => {
    nm?.stop();
    await lab.cleanup();
    if (process.env.KEEPNM === undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("activates h5b's profile on the port the spec names, before another profile for the port", () => {
    expect(profiles.size).toBe(1);
    expect(log()).toMatch(/policy: auto-activating connection 'h5b-lan'/);
    expect(log()).not.toMatch(/Activation: starting connection 'wired'/);
  });

  it("puts the static IPv4 and IPv6 addresses on the LAN port, and no other global address", async () => {
    expect((await globalAddresses(host, pi.lan.nic)).sort()).toEqual([pi.lan.addresses.ipv4, pi.lan.addresses.ipv6].sort());
  });

  it("leaves router advertisements alone, also once the Pi's sysctl settings are applied again", async () => {
    const acceptRa = async () => (await host.run("sysctl", ["-n", `net.ipv6.conf.${pi.lan.nic}.accept_ra`])).trim();
    // NetworkManager turned the kernel's handling off; a later advertisement would otherwise add a SLAAC address.
    expect(await acceptRa()).toBe("0");
    // As the common play's handler does after a change: the k3s node's settings must not turn it on again.
    await host.run("sysctl", ["-q", "-p", join(dir, "sysctl.conf")]);
    expect(await acceptRa()).toBe("0");
    expect(await host.run("sysctl", ["-n", "net.ipv6.conf.all.forwarding"])).toBe("1");
  });

  it("routes both families through the gateway, and reaches it", async () => {
    expect((await defaultRoutes(host, "-4")).map((x) => [x.gateway, x.dev])).toEqual([[pi.lan.gateway, pi.lan.nic]]);
    expect((await defaultRoutes(host, "-6")).map((x) => [x.gateway, x.dev, x.protocol])).toEqual([[pi.lan.ipv6Gateway, pi.lan.nic, "static"]]);
    await host.run("ping", ["-c1", "-W2", pi.lan.gateway as string]);
    await host.run("ping", ["-c1", "-W2", pi.lan.ipv6Gateway as string]);
  });

  it("writes Porygon and the zones to the Pi's resolv.conf, and leaves this machine's alone", () => {
    const resolv = (nm.written("/etc/resolv.conf") ?? "").split("\n").filter((l) => /^(search|nameserver) /.test(l));
    expect(resolv).toEqual([`search ${pi.resolver?.search.join(" ")}`, ...(pi.resolver?.nameservers ?? []).map((a) => `nameserver ${a}`)]);
    expect(machineResolvConf()).toBe(before);
  });
});
