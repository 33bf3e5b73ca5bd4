import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PATHS } from "../../src/emit/porygon/index.js";
import { ETCD_USERS, type EtcdUser } from "../../src/secrets/dns.js";
import { type Namespace, NetnsLab } from "../_harness/netns.js";
import { until } from "./_kea.js";
import { type RenderedPorygon, renderPorygon } from "./_render.js";

// etcd starts from the rendered configuration in a namespace that owns Porygon's addresses, so the listen URLs,
// the certificate's names and the ports are the rendered ones; only the data folder and the key files' paths
// move into a temporary folder. (test/_harness/etcd.ts starts etcd from flags with its own CA, so it cannot show
// the rendered configuration at work; this file has its own start.)
const lab = new NetnsLab();
const dir = mkdtempSync(join(tmpdir(), "h5b-etcd-auth-"));
const pki = join(dir, "pki");
let r: RenderedPorygon;
let ns: Namespace;

const zonePath = (zone: string) => `${r.plan.dns.prefix}${zone.split(".").reverse().join("/")}`;

beforeAll(async () => {
  r = await renderPorygon();
  mkdirSync(pki, { mode: 0o700 });
  const d = r.secrets.dns;
  writeFileSync(join(pki, "ca.crt"), d.etcdCa);
  writeFileSync(join(pki, "server.crt"), d.etcdServer.cert);
  writeFileSync(join(pki, "server.key"), d.etcdServer.key.reveal(), { mode: 0o600 });
  for (const [user, pair] of Object.entries(d.etcdClients)) {
    writeFileSync(join(pki, `${user}.crt`), pair.cert);
    writeFileSync(join(pki, `${user}.key`), pair.key.reveal(), { mode: 0o600 });
  }
  const config = parse(r.file(PATHS.etcdConfig)) as Record<string, unknown>;
  config["data-dir"] = join(dir, "data");
  config["client-transport-security"] = {
    ...(config["client-transport-security"] as object),
    "cert-file": join(pki, "server.crt"),
    "key-file": join(pki, "server.key"),
    "trusted-ca-file": join(pki, "ca.crt"),
  };
  config["log-outputs"] = [join(dir, "etcd.log")];
  writeFileSync(join(dir, "etcd.conf.yml"), JSON.stringify(config));
  writeFileSync(join(dir, "h5b-etcd-auth"), r.file(PATHS.etcdAuthScript), { mode: 0o755 });

  ns = await lab.namespace("etcd");
  for (const f of r.plan.families) {
    const side = r.plan.lan[f];
    await ns.address("lo", `${r.plan.dns.addresses[f]}/${side?.prefix.prefixLength}`);
  }
  // As Debian's unit does: ETCD_NAME and ETCD_DATA_DIR set, the rendered drop-in's ETCD_CONFIG_FILE winning.
  ns.spawn("etcd", [], { env: { ETCD_NAME: "wrong", ETCD_DATA_DIR: join(dir, "wrong"), ETCD_CONFIG_FILE: join(dir, "etcd.conf.yml") } });
  await until("etcd healthy", () => ctl(ETCD_USERS.root, ["endpoint", "health"]).then(() => true, () => false), 20_000);
  await ns.run("sh", [join(dir, "h5b-etcd-auth")], { env: { H5B_ETCD_PKI: pki } });
  // A second run (after a change of plan) must work on an etcd that already has auth on.
  await ns.run("sh", [join(dir, "h5b-etcd-auth")], { env: { H5B_ETCD_PKI: pki } });
}, 60_000);

afterAll(async () => {
  await lab.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function ctl(user: EtcdUser | undefined, args: readonly string[], endpoint = `https://127.0.0.1:${r.plan.dns.etcdPort}`): Promise<string> {
  const cert = user === undefined ? [] : ["--cert", join(pki, `${user}.crt`), "--key", join(pki, `${user}.key`)];
  return ns.run("etcdctl", ["--endpoints", endpoint, "--command-timeout", "3s", "--cacert", join(pki, "ca.crt"), ...cert, ...args], {
    env: { ETCDCTL_API: "3" },
  });
}
const put = (user: EtcdUser | undefined, key: string) => ctl(user, ["put", key, '{"host":"192.0.2.1"}']);

describe("etcd from the rendered configuration, with the rendered users and roles", () => {
  it("external-dns writes the services zone and its reverse zones, and nothing else", async () => {
    const u = ETCD_USERS.externalDns;
    await put(u, `${zonePath(r.plan.site.zones.services)}/app/1a2b3c4d`);
    for (const z of r.plan.dns.serviceReverseZones) await put(u, `${zonePath(z)}/1`);
    await expect(put(u, `${zonePath(r.plan.site.zones.dhcp)}/x86-1/1a2b3c4d`)).rejects.toThrow(/permission denied/);
    await expect(put(u, `${zonePath(r.plan.dns.dhcpReverseZones[0] as string)}/20`)).rejects.toThrow(/permission denied/);
    await expect(put(u, "/h5b-ddns/dhcid/x")).rejects.toThrow(/permission denied/);
    // It lists the whole prefix on every sync.
    expect(await ctl(u, ["get", "--prefix", "--keys-only", r.plan.dns.prefix])).toContain("/app/1a2b3c4d");
  });

  it("h5b ddns writes the DHCP zone, its reverse zones and its metadata, and never a service's name", async () => {
    const u = ETCD_USERS.ddns;
    await put(u, `${zonePath(r.plan.site.zones.dhcp)}/x86-1/h5b-a-0123456789abcdef`);
    for (const z of r.plan.dns.dhcpReverseZones) await put(u, `${zonePath(z)}/h5b-ptr-0123456789abcdef`);
    await put(u, "/h5b-ddns/dhcid/x86-1.lan/0123");
    await expect(put(u, `${zonePath(r.plan.site.zones.services)}/app/1a2b3c4d`)).rejects.toThrow(/permission denied/);
    await expect(ctl(u, ["del", `${zonePath(r.plan.site.zones.services)}/app/1a2b3c4d`])).rejects.toThrow(/permission denied/);
    await expect(put(u, `${zonePath(r.plan.dns.serviceReverseZones[0] as string)}/1`)).rejects.toThrow(/permission denied/);
    // A sibling zone whose name merely starts like the DHCP zone is not the DHCP zone.
    await expect(put(u, `${zonePath(r.plan.site.zones.dhcp)}2/x`)).rejects.toThrow(/permission denied/);
  });

  it("CoreDNS reads everything under the prefix and cannot write at all", async () => {
    const u = ETCD_USERS.coredns;
    expect(await ctl(u, ["get", "--prefix", "--keys-only", r.plan.dns.prefix])).toContain("x86-1");
    await expect(put(u, `${zonePath(r.plan.site.zones.dhcp)}/evil/1`)).rejects.toThrow(/permission denied/);
    await expect(put(u, `${zonePath(r.plan.site.zones.services)}/evil/1`)).rejects.toThrow(/permission denied/);
  });

  it("a client without a certificate is refused", async () => {
    await expect(ctl(undefined, ["get", "--prefix", r.plan.dns.prefix])).rejects.toThrow(/context deadline exceeded/);
    // The reason, as etcd logs it: the TLS handshake itself was refused.
    expect(readFileSync(join(dir, "etcd.log"), "utf8")).toMatch(/rejected connection.*client didn't provide a certificate/);
  });

  it("answers on Porygon's address with a certificate that names it", async () => {
    const url = `https://${r.plan.dns.addresses.ipv4}:${r.plan.dns.etcdPort}`;
    expect(await ctl(ETCD_USERS.coredns, ["get", "--prefix", "--keys-only", r.plan.dns.prefix], url)).toContain("/app/");
  });
});
