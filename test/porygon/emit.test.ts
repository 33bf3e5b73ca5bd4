import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ddnsKeyPrefixes, parseDdnsConfig } from "../../src/ddns/index.js";
import { EXTERNAL_DNS_ETCD_SECRET, EXTERNAL_DNS_NAMESPACE } from "../../src/emit/cluster/external-dns.js";
import { EXTERNAL_DNS_SECRET_FILE, etcdRoles, PATHS, PORTS, TSIG_KEY_NAME } from "../../src/emit/porygon/index.js";
import { ETCD_USERS } from "../../src/secrets/dns.js";
import { renderPorygon, variants } from "./_render.js";

type Json = Record<string, unknown>;
const at = (o: unknown, ...keys: string[]): unknown => keys.reduce<unknown>((v, k) => (v as Json | undefined)?.[k], o);

describe("Porygon's files", () => {
  for (const [variant, mutate] of Object.entries(variants)) {
    it(`${variant}: every file that holds a private key, the TSIG key or a password is kept from others, and only those`, async () => {
      const r = await renderPorygon(mutate);
      const secrets = [r.secrets.dns.tsigKey.reveal(), "PRIVATE KEY"];
      for (const [path, f] of r.files) {
        const secret = secrets.some((s) => f.content.includes(s));
        // kea-dhcp-ddns runs as _kea and may read /etc/kea only: its config is group _kea (set by Ansible), 0640.
        const mode = path.endsWith(PATHS.keaDdns) ? 0o640 : 0o600;
        expect({ path, secret, mode: f.mode === mode }).toEqual({ path, secret, mode: secret });
      }
    });
  }

  it("Kea reserves every host's LAN port and every BMC, in both families", async () => {
    const r = await renderPorygon();
    const v4 = at(r.json(PATHS.kea4), "Dhcp4", "subnet4") as Json[];
    const v6 = at(r.json(PATHS.kea6), "Dhcp6", "subnet6") as Json[];
    const devices = r.plan.hosts.flatMap((h) => [
      { mac: h.lanNic.mac, hostname: h.name, a: h.addresses },
      ...(h.bmc ? [{ mac: h.bmc.mac, hostname: h.bmc.name, a: h.bmc.addresses }] : []),
    ]);
    expect(v4[0]?.reservations).toEqual(devices.map((d) => ({ "hw-address": d.mac, "ip-address": d.a.ipv4, hostname: d.hostname })));
    expect(v6[0]?.reservations).toEqual(devices.map((d) => ({ "hw-address": d.mac, "ip-addresses": [d.a.ipv6], hostname: d.hostname })));
    expect(v4[0]?.subnet).toBe(r.plan.lan.ipv4.prefix.cidr);
    expect(v4[0]?.pools).toEqual([{ pool: `${r.plan.lan.ipv4.ranges.dhcp.first} - ${r.plan.lan.ipv4.ranges.dhcp.last}` }]);
  });

  it("Kea's files keep to what both Kea 2.2 and 2.6+/3.x read (REFERENCE.md §7)", async () => {
    const r = await renderPorygon();
    const keys = (v: unknown): string[] =>
      Array.isArray(v) ? v.flatMap(keys) : typeof v === "object" && v !== null ? Object.entries(v).flatMap(([k, x]) => [k, ...keys(x)]) : [];
    for (const path of [PATHS.kea4, PATHS.kea6, PATHS.keaDdns]) {
      const doc = r.json(path);
      const all = keys(doc);
      // Removed in 2.6, or unknown to 2.2.
      for (const bad of ["reservation-mode", "ddns-conflict-resolution-mode", "ddns-ttl-percent", "secret-file", "output-options", "control-sockets", "qualifying-suffix"]) {
        expect(all, `${path}: ${bad}`).not.toContain(bad);
      }
      expect(all).toContain("output_options");
      expect(all).toContain("control-socket");
      for (const subnet of [...((at(doc, "Dhcp4", "subnet4") as Json[]) ?? []), ...((at(doc, "Dhcp6", "subnet6") as Json[]) ?? [])]) {
        expect(subnet.id, `${path}: subnet id (mandatory from 2.6)`).toEqual(expect.any(Number));
      }
      // Paths inside the package's own folders, as 2.6.3+ requires. Not the TSIG secret: base64, it may begin
      // with a slash (one build in 64 did).
      const paths = JSON.stringify(doc, (k, v: unknown) => (k === "secret" ? undefined : v)).match(/"\/[^"]*"/g) ?? [];
      expect(paths.length).toBeGreaterThan(0);
      expect(paths.filter((p) => !/^"\/(var\/lib|run)\/kea\//.test(p))).toEqual([]);
    }
  });

  it("IPv4 only: no DHCPv6 server and no ip6.arpa zones", async () => {
    const r = await renderPorygon(variants["ipv4-only"]);
    expect(r.files.has(PATHS.kea6)).toBe(false);
    expect(r.file(PATHS.keaDdns)).not.toContain("ip6.arpa");
    expect(r.file(PATHS.ddnsConfig)).not.toContain("ip6.arpa");
  });

  it("kea-dhcp-ddns and h5b ddns agree on zones, key and address", async () => {
    const r = await renderPorygon();
    const d2 = r.json(PATHS.keaDdns).DhcpDdns as Json;
    const ddns = parseDdnsConfig(r.json(PATHS.ddnsConfig));
    const names = (side: string) => (at(d2, side, "ddns-domains") as Json[]).map((d) => String(d.name).replace(/\.$/, ""));
    expect(names("forward-ddns")).toEqual(ddns.zones.forward);
    expect(names("reverse-ddns")).toEqual(ddns.zones.reverse);
    expect(ddns.zones.reverse).toEqual(r.plan.dns.dhcpReverseZones);
    const servers = [...(at(d2, "forward-ddns", "ddns-domains") as Json[]), ...(at(d2, "reverse-ddns", "ddns-domains") as Json[])].flatMap((d) => d["dns-servers"] as Json[]);
    for (const s of servers) expect(s).toEqual({ "ip-address": ddns.listen[0]?.address, port: ddns.listen[0]?.port });
    expect(ddns.listen[0]?.port).toBe(PORTS.ddns);
    expect(d2["tsig-keys"]).toEqual([{ name: TSIG_KEY_NAME, algorithm: "HMAC-SHA256", secret: r.secrets.dns.tsigKey.reveal() }]);
    expect(ddns.tsig.name).toBe(TSIG_KEY_NAME);
    // The daemon reads its key from the file systemd hands it, whose source is the rendered key file.
    expect(r.file(`${PATHS.units}/h5b-ddns.service`)).toContain(`LoadCredential=tsig.key:${PATHS.ddnsTsig}`);
    expect(ddns.tsig.secretFile).toBe("/run/credentials/h5b-ddns.service/tsig.key");
    expect(r.file(PATHS.ddnsTsig).trim()).toBe(r.secrets.dns.tsigKey.reveal());
  });

  it("the writers' etcd prefixes are disjoint; h5b ddns's role is exactly what the daemon asks for", async () => {
    const r = await renderPorygon();
    const roles = etcdRoles(r.plan);
    const writes = (u: string) => roles.find((x) => x.user === u)?.permissions.filter((p) => p.access === "readwrite") ?? [];
    const ed = writes(ETCD_USERS.externalDns);
    const dd = writes(ETCD_USERS.ddns);
    expect(ed.length).toBeGreaterThan(0);
    for (const a of ed) for (const b of dd) {
      expect(a.key.startsWith(b.key) && b.prefix, `${a.key} inside ${b.key}`).toBe(false);
      expect(b.key.startsWith(a.key) && a.prefix, `${b.key} inside ${a.key}`).toBe(false);
    }
    expect(dd).toEqual(ddnsKeyPrefixes(parseDdnsConfig(r.json(PATHS.ddnsConfig))));
    expect(roles.find((x) => x.user === ETCD_USERS.coredns)?.permissions).toEqual([{ key: r.plan.dns.prefix, prefix: true, access: "read" }]);
  });

  it("the cluster's external-dns Secret carries its client certificate, in the server's auto-deploy folder", async () => {
    const r = await renderPorygon();
    const f = r.files.get(EXTERNAL_DNS_SECRET_FILE);
    expect(f?.mode).toBe(0o600);
    const secret = parse(f?.content as string) as Json;
    expect(at(secret, "metadata")).toEqual({ name: EXTERNAL_DNS_ETCD_SECRET, namespace: EXTERNAL_DNS_NAMESPACE });
    const client = r.secrets.dns.etcdClients[ETCD_USERS.externalDns];
    expect(secret.stringData).toEqual({ "ca.crt": r.secrets.dns.etcdCa, "tls.crt": client.cert, "tls.key": client.key.reveal() });
    expect(r.output.has(`hosts/${r.plan.cluster.server}${EXTERNAL_DNS_SECRET_FILE}`)).toBe(true);
  });

  it("with DHCP on another host, h5b ddns runs beside kea-dhcp-ddns and reaches etcd over the LAN", async () => {
    const r = await renderPorygon((s) => {
      (s.hosts.porygon as { roles: string[] }).roles = ["dns"];
      (s.hosts.gateway as { roles: string[] }).roles = ["gateway", "dhcp"];
    });
    const on = (host: string) => [...r.output.keys()].filter((p) => p.startsWith(`hosts/${host}/`)).map((p) => p.slice(`hosts/${host}`.length));
    expect(on("gateway")).toEqual(expect.arrayContaining([PATHS.kea4, PATHS.keaDdns, PATHS.ddnsConfig, PATHS.ddnsTsig, `${PATHS.units}/h5b-ddns.service`]));
    expect(on("porygon")).toEqual(expect.arrayContaining([PATHS.etcdConfig, PATHS.corefile, `${PATHS.units}/coredns.service`]));
    expect(on("porygon")).not.toContain(PATHS.ddnsConfig);
    expect(parseDdnsConfig(JSON.parse(r.output.get(`hosts/gateway${PATHS.ddnsConfig}`) as string)).etcd.endpoints).toEqual([r.plan.dns.etcdUrl]);
  });

  it("daemons run as dynamic users; only CoreDNS may bind a privileged port", async () => {
    const r = await renderPorygon();
    for (const unit of ["coredns", "dnscrypt-proxy", "h5b-ddns"]) {
      const text = r.file(`${PATHS.units}/${unit}.service`);
      expect(text, unit).toContain("DynamicUser=yes");
      expect(text, unit).toContain(`CapabilityBoundingSet=${unit === "coredns" ? "CAP_NET_BIND_SERVICE" : ""}\n`);
    }
  });
});
