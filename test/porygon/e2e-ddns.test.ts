import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reverseName } from "../../src/_net.js";
import { PATHS, PORTS } from "../../src/emit/porygon/index.js";
import type { PlanHost } from "../../src/plan/types.js";
import { ETCD_USERS } from "../../src/secrets/dns.js";
import { type Namespace, NetnsLab } from "../_harness/netns.js";
import { type RenderedEtcd, startRenderedEtcd, zonePath } from "./_etcd.js";
import { dhclientLease, keaEnv, keaForTest, until, which } from "./_kea.js";
import { type RenderedPorygon, renderPorygon } from "./_render.js";

// The whole path of a lease into DNS, every daemon from its rendered file: dhclient -> Kea -> kea-dhcp-ddns ->
// (TSIG-signed RFC 2136) -> h5b ddns -> etcd (as user h5b-ddns), read back as CoreDNS's user.
const lab = new NetnsLab();
const dir = mkdtempSync(join(tmpdir(), "h5b-e2e-ddns-"));
const CLIENT_IF = "eth0";
let r: RenderedPorygon;
let srv: Namespace;
let cli: Namespace;
let etcd: RenderedEtcd;

/** The rendered h5b ddns config, with the files systemd would hand it taken from the test's folders. */
function ddnsConfigForTest(pki: string): string {
  const c = r.json(PATHS.ddnsConfig) as { tsig: Record<string, unknown>; etcd: Record<string, unknown> };
  writeFileSync(join(dir, "tsig.key"), `${r.secrets.dns.tsigKey.reveal()}\n`, { mode: 0o600 });
  c.tsig.secretFile = join(dir, "tsig.key");
  c.etcd.tls = { ca: join(pki, "ca.crt"), cert: join(pki, `${ETCD_USERS.ddns}.crt`), key: join(pki, `${ETCD_USERS.ddns}.key`) };
  const file = join(dir, "ddns.json");
  writeFileSync(file, JSON.stringify(c));
  return file;
}

beforeAll(async () => {
  r = await renderPorygon();
  const porygon = r.plan.hosts.find((h) => h.name === r.plan.dns.dhcpHost) as PlanHost;
  srv = await lab.namespace("srv");
  cli = await lab.namespace("cli");
  await lab.veth(srv, porygon.lanNic.name, cli, CLIENT_IF, { macA: porygon.lanNic.mac });
  for (const f of r.plan.families) await srv.address(porygon.lanNic.name, `${porygon.addresses[f]}/${r.plan.lan[f]?.prefix.prefixLength}`);
  mkdirSync(join(dir, "etcd"));
  etcd = await startRenderedEtcd(srv, r, join(dir, "etcd"));

  // h5b ddns from the sources (no build needed), in Porygon's namespace.
  const code = "const m = await import(process.argv[1]); await (m.runDaemon ?? m.default.runDaemon)(process.argv[2]);";
  const entry = new URL("../../src/ddns/run.ts", import.meta.url).pathname;
  srv.spawn(process.execPath, ["--import", "jiti/register", "--input-type=module", "-e", code, entry, ddnsConfigForTest(etcd.pki)], {
    logFile: openSync(join(dir, "ddns.log"), "a"),
  });
  await until("h5b ddns listening", () => which(srv, `127.0.0.1:${PORTS.ddns}`), 30_000);
  srv.spawn("kea-dhcp-ddns", ["-c", keaForTest(r, PATHS.keaDdns, dir)], { env: keaEnv(dir) });
  srv.spawn("kea-dhcp4", ["-c", keaForTest(r, PATHS.kea4, dir)], { env: keaEnv(dir) });
  srv.spawn("kea-dhcp6", ["-c", keaForTest(r, PATHS.kea6, dir)], { env: keaEnv(dir) });
  await until("kea-dhcp-ddns", () => which(srv, `127.0.0.1:${PORTS.d2}`));
  await until("kea-dhcp4", () => which(srv, `${porygon.addresses.ipv4}:67`));
  await until("kea-dhcp6", () => which(srv, ":547"));
}, 90_000);

afterAll(async () => {
  await lab.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * What CoreDNS would serve for a name, read as its etcd plugin reads: for a reverse name (a PTR question) the value
 * at the exact key; otherwise every value below the key path, or the one at the path when nothing is below.
 */
async function served(name: string): Promise<string[]> {
  const path = zonePath(r, name);
  const get = async (args: string[]) => (await etcd.ctl(ETCD_USERS.coredns, ["get", "--print-value-only", ...args])).split("\n").filter(Boolean);
  if (name.endsWith(".arpa")) return get([path]);
  const below = await get(["--prefix", `${path}/`]);
  return below.length > 0 ? below : get([path]);
}
const hostsOf = (values: string[]) => values.map((v) => (JSON.parse(v) as { host?: string }).host).filter(Boolean);
const eventually = (what: string, check: () => Promise<boolean>) => until(what, check, 10_000).then(() => true);
const host = (name: string) => r.plan.hosts.find((h) => h.name === name) as PlanHost;

describe("a lease becomes DNS records in CoreDNS's etcd", () => {
  // Both families register one name only when they prove the same client (RFC 4703 DHCIDs): the DHCPv4 client
  // sends its DUID as client identifier (RFC 4361), as systemd-networkd does.
  it("DHCPv4: a node's reserved address gets its A record and PTR", async () => {
    const x86 = host("x86-1");
    expect((await dhclientLease(cli, CLIENT_IF, dir, 4, x86.lanNic.mac, { rfc4361: true })).new_ip_address).toBe(x86.addresses.ipv4);
    await eventually("A in etcd", async () => hostsOf(await served(x86.fqdn)).includes(x86.addresses.ipv4));
    await eventually("PTR in etcd", async () => hostsOf(await served(reverseName(x86.addresses.ipv4))).includes(`${x86.fqdn}.`));
  });

  it("DHCPv6: the same node's reserved IPv6 address gets its AAAA record and PTR", async () => {
    const x86 = host("x86-1");
    expect((await dhclientLease(cli, CLIENT_IF, dir, 6, x86.lanNic.mac)).new_ip6_address).toBe(x86.addresses.ipv6);
    await eventually("AAAA in etcd", async () => hostsOf(await served(x86.fqdn)).includes(x86.addresses.ipv6 as string));
    await eventually("PTR6 in etcd", async () => hostsOf(await served(reverseName(x86.addresses.ipv6 as string))).includes(`${x86.fqdn}.`));
  });

  it("an unknown client's own host name is registered under the DHCP zone", async () => {
    const l = await dhclientLease(cli, CLIENT_IF, dir, 4, "02:00:00:00:77:01", { hostname: "laptop" });
    await eventually("laptop's A", async () => hostsOf(await served(`laptop.${r.plan.site.zones.dhcp}`)).includes(l.new_ip_address as string));
  });

  it("a client naming itself after a service cannot touch the services zone", async () => {
    const svc = r.plan.loadBalancers.find((lb) => lb.pool === "public")?.fqdn as string;
    // What external-dns would have written.
    const key = `${zonePath(r, svc)}/1a2b3c4d`;
    await etcd.ctl(ETCD_USERS.externalDns, ["put", key, '{"host":"192.0.2.10","ttl":300}']);
    await dhclientLease(cli, CLIENT_IF, dir, 4, "02:00:00:00:77:02", { hostname: svc });
    await dhclientLease(cli, CLIENT_IF, dir, 4, "02:00:00:00:77:03", { hostname: svc.split(".")[0] as string });
    // The short name lands in the DHCP zone; nothing was added to, changed in or removed from the service's name.
    await eventually("the short name in the DHCP zone", async () => (await served(`${svc.split(".")[0]}.${r.plan.site.zones.dhcp}`)).length > 0);
    expect(await etcd.ctl(ETCD_USERS.coredns, ["get", "--prefix", zonePath(r, svc)])).toBe(`${key}\n{"host":"192.0.2.10","ttl":300}`);
    // kea-dhcp-ddns has no domain for the services zone, so it never even asks (and etcd would refuse h5b ddns).
    expect(readFileSync(join(dir, "ddns.log"), "utf8")).not.toContain(`zone=${r.plan.site.zones.services}`);
  });
});
