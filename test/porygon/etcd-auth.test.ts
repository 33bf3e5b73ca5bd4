import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ETCD_USERS, type EtcdUser } from "../../src/secrets/dns.js";
import { NetnsLab } from "../_harness/netns.js";
import { reverseName } from "../../src/_net.js";
import { HOST_RECORD_MARKS, hostRecords, PATHS } from "../../src/emit/porygon/index.js";
import { type RenderedEtcd, startRenderedEtcd, zonePath } from "./_etcd.js";
import { type RenderedPorygon, renderPorygon } from "./_render.js";

// etcd starts from the rendered configuration in a namespace that owns Porygon's addresses, so the listen URLs,
// the certificate's names and the ports are the rendered ones.
const lab = new NetnsLab();
const dir = mkdtempSync(join(tmpdir(), "h5b-etcd-auth-"));
let r: RenderedPorygon;
let etcd: RenderedEtcd;

beforeAll(async () => {
  r = await renderPorygon();
  const ns = await lab.namespace("etcd");
  for (const f of r.plan.families) await ns.address("lo", `${r.plan.dns.addresses[f]}/${r.plan.lan[f]?.prefix.prefixLength}`);
  etcd = await startRenderedEtcd(ns, r, dir);
}, 60_000);

afterAll(async () => {
  await lab.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const zone = (z: string) => zonePath(r, z);
const ctl = (user: EtcdUser | undefined, args: readonly string[], endpoint?: string) => etcd.ctl(user, args, endpoint);
const put = (user: EtcdUser | undefined, key: string) => ctl(user, ["put", key, '{"host":"192.0.2.1"}']);

describe("etcd from the rendered configuration, with the rendered users and roles", () => {
  it("external-dns writes the services zone and its reverse zones, and nothing else", async () => {
    const u = ETCD_USERS.externalDns;
    await put(u, `${zone(r.plan.site.zones.services)}/app/1a2b3c4d`);
    for (const z of r.plan.dns.serviceReverseZones) await put(u, `${zone(z)}/1`);
    await expect(put(u, `${zone(r.plan.site.zones.dhcp)}/x86-1/1a2b3c4d`)).rejects.toThrow(/permission denied/);
    await expect(put(u, `${zone(r.plan.dns.dhcpReverseZones[0] as string)}/20`)).rejects.toThrow(/permission denied/);
    await expect(put(u, "/h5b-ddns/dhcid/x")).rejects.toThrow(/permission denied/);
    // It lists the whole prefix on every sync.
    expect(await ctl(u, ["get", "--prefix", "--keys-only", r.plan.dns.prefix])).toContain("/app/1a2b3c4d");
  });

  it("h5b ddns writes the DHCP zone, its reverse zones and its metadata, and never a service's name", async () => {
    const u = ETCD_USERS.ddns;
    await put(u, `${zone(r.plan.site.zones.dhcp)}/x86-1/h5b-a-0123456789abcdef`);
    for (const z of r.plan.dns.dhcpReverseZones) await put(u, `${zone(z)}/h5b-ptr-0123456789abcdef`);
    await put(u, "/h5b-ddns/dhcid/x86-1.lan/0123");
    await expect(put(u, `${zone(r.plan.site.zones.services)}/app/1a2b3c4d`)).rejects.toThrow(/permission denied/);
    await expect(ctl(u, ["del", `${zone(r.plan.site.zones.services)}/app/1a2b3c4d`])).rejects.toThrow(/permission denied/);
    await expect(put(u, `${zone(r.plan.dns.serviceReverseZones[0] as string)}/1`)).rejects.toThrow(/permission denied/);
    // A sibling zone whose name merely starts like the DHCP zone is not the DHCP zone.
    await expect(put(u, `${zone(r.plan.site.zones.dhcp)}2/x`)).rejects.toThrow(/permission denied/);
  });

  it("CoreDNS reads everything under the prefix and cannot write at all", async () => {
    const u = ETCD_USERS.coredns;
    expect(await ctl(u, ["get", "--prefix", "--keys-only", r.plan.dns.prefix])).toContain("x86-1");
    await expect(put(u, `${zone(r.plan.site.zones.dhcp)}/evil/1`)).rejects.toThrow(/permission denied/);
    await expect(put(u, `${zone(r.plan.site.zones.services)}/evil/1`)).rejects.toThrow(/permission denied/);
  });

  it("a second run takes nobody's access away, not for a moment, and drops a role left from before", async () => {
    const u = ETCD_USERS.coredns;
    // A role an earlier deploy left on the user (the script named roles after their users before).
    await ctl(ETCD_USERS.root, ["role", "add", "coredns-stale"]);
    await ctl(ETCD_USERS.root, ["user", "grant-role", u, "coredns-stale"]);
    let stop = false;
    let reads = 0;
    const denied: string[] = [];
    const reader = (async () => {
      while (!stop) {
        for (const user of [ETCD_USERS.coredns, ETCD_USERS.ddns]) {
          await ctl(user, ["get", "--keys-only", `${zone(r.plan.site.zones.dhcp)}/x86-1/h5b-a-0123456789abcdef`]).then(
            () => reads++,
            (e: Error) => denied.push(`${user}: ${e.message.split("\n")[0]}`),
          );
        }
      }
    })();
    try {
      await etcd.ns.run("sh", [join(dir, "h5b-etcd-auth")], { env: { H5B_ETCD_PKI: etcd.pki } });
    } finally {
      stop = true;
      await reader;
    }
    expect({ denied, someReads: reads > 0 }).toEqual({ denied: [], someReads: true });
    const roles = (await ctl(ETCD_USERS.root, ["user", "get", u])).match(/^Roles: *(.*)$/m)?.[1]?.trim().split(/\s+/);
    expect(roles).toEqual([expect.stringMatching(/^coredns-[0-9a-f]{8}$/)]);
    await expect(ctl(ETCD_USERS.root, ["role", "get", "coredns-stale"])).rejects.toThrow(/not found/);
  });

  it("a client without a certificate is refused", async () => {
    await expect(ctl(undefined, ["get", "--prefix", r.plan.dns.prefix])).rejects.toThrow(/context deadline exceeded/);
    // The reason, as etcd logs it: the TLS handshake itself was refused.
    expect(readFileSync(etcd.log, "utf8")).toMatch(/rejected connection.*client didn't provide a certificate/);
  });

  it("answers on Porygon's address with a certificate that names it", async () => {
    const url = `https://${r.plan.dns.addresses.ipv4}:${r.plan.dns.etcdPort}`;
    expect(await ctl(ETCD_USERS.coredns, ["get", "--prefix", "--keys-only", r.plan.dns.prefix], url)).toContain("/app/");
  });
});

describe("the rendered host records script, against the same etcd", () => {
  it("writes every host's records as root, keeps them on a second run, and removes those no longer in the spec, what DHCP registered for the hosts and the services zone's keys without an owner", async () => {
    const script = join(dir, "h5b-host-records");
    writeFileSync(script, r.file(PATHS.hostRecordsScript), { mode: 0o755 });
    const lan = zone(r.plan.site.zones.dhcp);
    const rev = (a: string) => zonePath(r, reverseName(a));
    const ddnsValue = '{"host":"10.0.0.20","ttl":300,"owner":"h5b-ddns"}';
    // An earlier run's records of a host since removed from the spec, with their marks.
    const stale = [`${lan}/old-host/h5b-host-a`, rev("10.0.0.99")];
    for (const k of stale) {
      await ctl(ETCD_USERS.root, ["put", k, '{"host":"10.0.0.99","ttl":300,"owner":"h5b-hosts"}']);
      await ctl(ETCD_USERS.root, ["put", `${HOST_RECORD_MARKS}${k}`, ""]);
    }
    // x86-1's registrations from a lease before its static address: h5b ddns's A, its PTR at the reverse path and
    // an earlier version's PTR leaf, and the DHCIDs of both names.
    const leased = [
      `${lan}/x86-1/h5b-a-0123456789abcdef`,
      `${rev("10.0.0.20")}/h5b-ptr-0123456789abcdef`,
      "/h5b-ddns/dhcid/x86-1.lan.home.example.org/0123456789abcdef",
      `/h5b-ddns/dhcid/${reverseName("10.0.0.20")}/0123456789abcdef`,
    ];
    for (const k of [...leased, rev("10.0.0.20")]) await ctl(ETCD_USERS.root, ["put", k, ddnsValue]);
    // Other names' records: a laptop's, its PTR, and the BMC beside x86-1.
    const others = [`${lan}/laptop/h5b-a-0123456789abcdef`, rev("10.0.32.7"), "/h5b-ddns/dhcid/x86-10.lan.home.example.org/0123456789abcdef"];
    for (const k of others) await ctl(ETCD_USERS.root, ["put", k, ddnsValue]);
    // The services zone: a name and its TXT registry entry from the single external-dns of before (no owner), and
    // the same from today's IPv4 instance (strictly owned).
    const svc = zone(r.plan.site.zones.services);
    const unowned = [
      [`${svc}/app/1a2b3c4d`, '{"host":"10.0.65.20","ttl":300}'],
      [`${svc}/a-app/5e6f7a8b`, '{"text":"\\"heritage=external-dns,external-dns/owner=home\\"","ttl":300}'],
    ];
    const owned = [[`${svc}/app/9c0d1e2f`, '{"host":"10.0.65.20","ttl":300,"owner":"home"}']];
    for (const [k, v] of [...unowned, ...owned]) await ctl(ETCD_USERS.externalDns, ["put", k as string, v as string]);

    for (let i = 0; i < 2; i++) await etcd.ns.run("sh", [script], { env: { H5B_ETCD_PKI: etcd.pki } });
    const expected = hostRecords(r.plan);
    expect(expected.length).toBeGreaterThan(0);
    for (const rec of expected) {
      const [key, value] = (await ctl(ETCD_USERS.coredns, ["get", rec.key])).split("\n");
      expect({ key, value: JSON.parse(value ?? "null") as unknown }).toEqual({ key: rec.key, value: rec.value });
    }
    const marks = (await ctl(ETCD_USERS.root, ["get", "--prefix", "--keys-only", `${HOST_RECORD_MARKS}/`])).split("\n").filter(Boolean);
    expect(marks.sort()).toEqual(expected.map((x) => `${HOST_RECORD_MARKS}${x.key}`).sort());
    const gone = async (k: string) => expect({ k, left: await ctl(ETCD_USERS.root, ["get", "--keys-only", k]) }).toEqual({ k, left: "" });
    for (const k of [...stale, ...leased, ...unowned.map(([k]) => k as string)]) await gone(k);
    for (const k of [...others, ...owned.map(([k]) => k as string)]) expect(await ctl(ETCD_USERS.root, ["get", "--keys-only", k])).toContain(k);
  });
});
