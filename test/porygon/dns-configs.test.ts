import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { corefileProblems, parseCorefile } from "../../src/check/corefile.js";
import { dnscryptChecker, dnscryptProblems, forwardingRuleProblems } from "../../src/check/dnscrypt.js";
import { PATHS } from "../../src/emit/porygon/index.js";
import { compareGolden } from "../_harness/golden.js";
import { renderPorygon, variants } from "./_render.js";

// Neither CoreDNS nor dnscrypt-proxy is packaged in Debian 12: their files are parsed back and held against the
// documented grammar and keys (the same checks `h5b check` runs), and kept as golden files.
describe("Corefile and dnscrypt-proxy.toml", () => {
  for (const [variant, mutate] of Object.entries(variants)) {
    it(`${variant}: match the golden files and pass the grammar checks`, async () => {
      const r = await renderPorygon(mutate);
      const files = [PATHS.corefile, PATHS.dnscrypt, PATHS.dnscryptForwarding].map((p) => ({ path: p.slice(1), content: r.file(p) }));
      expect(compareGolden(`porygon/${variant}`, files), "rerun with UPDATE_GOLDEN=1 and review the diff").toEqual([]);
      expect(corefileProblems(r.file(PATHS.corefile))).toEqual([]);
      expect(dnscryptProblems(r.file(PATHS.dnscrypt))).toEqual([]);
      expect(await dnscryptChecker.run({ outDir: "/nonexistent", plan: r.plan, files: r.output })).toEqual({ findings: [] });
    });
  }

  it("the Corefile serves every home zone from etcd over TLS and forwards the rest to dnscrypt-proxy", async () => {
    const r = await renderPorygon();
    const [home, rest] = parseCorefile(r.file(PATHS.corefile));
    const zones = [r.plan.site.zones.services, r.plan.site.zones.dhcp, ...r.plan.dns.serviceReverseZones, ...r.plan.dns.dhcpReverseZones];
    // Every zone a writer fills is served (directly, or inside the LAN's reverse zone).
    for (const z of zones) expect(home?.keys.some((k) => z === k || z.endsWith(`.${k}`)), z).toBe(true);
    const etcd = home?.directives.find((d) => d.name === "etcd");
    expect(etcd?.args).toEqual(home?.keys);
    expect(etcd?.block?.find((d) => d.name === "endpoint")?.args).toEqual([`https://127.0.0.1:${r.plan.dns.etcdPort}`]);
    expect(etcd?.block?.find((d) => d.name === "tls")?.args).toHaveLength(3);
    expect(etcd?.block?.find((d) => d.name === "path")?.args).toEqual(["/skydns"]);
    expect(rest?.keys).toEqual(["."]);
    expect(rest?.directives.find((d) => d.name === "forward")?.args).toEqual([".", "127.0.0.1:5053"]);
    for (const name of ["errors", "log", "cache", "prometheus"]) expect(home?.directives.some((d) => d.name === name), name).toBe(true);
    for (const name of ["health", "ready", "errors", "log", "cache"]) expect(rest?.directives.some((d) => d.name === name), name).toBe(true);
  });

  it("dnscrypt-proxy asks only the spec's ODoH targets, each through the spec's relays, on loopback", async () => {
    const r = await renderPorygon();
    const toml = parse(r.file(PATHS.dnscrypt)) as Record<string, unknown>;
    expect(toml.server_names).toEqual(r.plan.site.upstream.servers);
    expect(toml.listen_addresses).toEqual(["127.0.0.1:5053", "[::1]:5053"]);
    expect(toml.odoh_servers).toBe(true);
    expect(toml.cache).toBe(true);
    expect((toml.anonymized_dns as { routes: unknown[] }).routes).toEqual(
      r.plan.site.upstream.servers.map((server_name) => ({ server_name, via: r.plan.site.upstream.relays })),
    );
  });

  it("the NTP servers' names go to the bootstrap resolvers in plain DNS, so a wrong clock cannot keep Porygon from the time", async () => {
    const r = await renderPorygon((s) => {
      s.site = { ...s.site, ntpServers: ["Time.Example.NET.", "192.0.2.123", "2001:db8::123", "ntp2.example.org", "ntp"] };
    });
    expect((parse(r.file(PATHS.dnscrypt)) as Record<string, unknown>).forwarding_rules).toBe(PATHS.dnscryptForwarding);
    expect(r.file(PATHS.dnscryptForwarding).split("\n").filter((l) => l !== "" && !l.startsWith("#"))).toEqual(["time.example.net $BOOTSTRAP", "ntp2.example.org $BOOTSTRAP"]);
    // Addresses alone: nothing to resolve, no rules file.
    const none = await renderPorygon((s) => {
      s.site = { ...s.site, ntpServers: ["192.0.2.123"] };
    });
    expect(none.files.has(PATHS.dnscryptForwarding)).toBe(false);
    expect((parse(none.file(PATHS.dnscrypt)) as Record<string, unknown>).forwarding_rules).toBeUndefined();
  });

  it("the dnscrypt-proxy check reads the forwarding rules the TOML names", async () => {
    expect(forwardingRuleProblems("# c\nexample.com 9.9.9.9, [2620:fe::fe]:53,$BOOTSTRAP\n*.example.org $RESOLVCONF:/etc/resolv.conf\n")).toEqual([]);
    expect(forwardingRuleProblems("example.com\nexa mple.com 9.9.9.9\nexample.com 9.9.9.300,$BOOT\n")).toEqual([
      'line 1: not "<domain> <server>[,<server>...]"',
      "line 2: mple.com 9.9.9.9 is neither an address nor one of $BOOTSTRAP, $DHCP, $RESOLVCONF:<file>",
      "line 3: 9.9.9.300 is neither an address nor one of $BOOTSTRAP, $DHCP, $RESOLVCONF:<file>",
      "line 3: $BOOT is neither an address nor one of $BOOTSTRAP, $DHCP, $RESOLVCONF:<file>",
    ]);
    const r = await renderPorygon();
    const rules = [...r.output.keys()].find((p) => p.endsWith(PATHS.dnscryptForwarding)) as string;
    const missing = new Map(r.output);
    missing.delete(rules);
    const res = await dnscryptChecker.run({ outDir: "/nonexistent", plan: r.plan, files: missing });
    expect(res.findings.map((f) => f.message)).toEqual([`forwarding_rules names ${PATHS.dnscryptForwarding}, which h5b did not render; dnscrypt-proxy refuses to start`]);
  });

  it.each([
    ["an unknown plugin", (t: string) => t.replace("    cache 30", "    cahce 30"), /cahce is not a CoreDNS plugin/],
    ["a plugin twice", (t: string) => t.replace("    cache 30", "    cache 30\n    cache 60"), /cache is used twice/],
    ["an unknown etcd setting", (t: string) => t.replace("        path /skydns", "        prefix /skydns"), /etcd has no prefix setting/],
    ["an etcd zone outside the block", (t: string) => t.replace(/etcd (\S+)/, "etcd example.com $1"), /etcd zone example.com is outside/],
    ["an unclosed block", (t: string) => t.replace(/}\n$/, ""), /does not parse: .*missing }/],
    ["two blocks for one zone", (t: string) => t.replace(". {", "svc.home.example.org {"), /served by two server blocks/],
  ])("the Corefile check finds %s", async (_what, mutate, expected) => {
    const r = await renderPorygon();
    expect(corefileProblems(mutate(r.file(PATHS.corefile))).map((p) => p.message).join("\n")).toMatch(expected);
  });

  it.each([
    ["an unknown key", (t: string) => t.replace("cache = true", "cache = true\ncache_sise = 3"), /cache_sise is not a dnscrypt-proxy setting/],
    ["a non-loopback listener", (t: string) => t.replace("127.0.0.1:5053", "0.0.0.0:5053"), /0\.0\.0\.0:5053 is not loopback/],
    ["ODoH off", (t: string) => t.replace("odoh_servers = true", "odoh_servers = false"), /odoh_servers is not true/],
    ["a target without a relay", (t: string) => t.replace(/\[\[anonymized_dns\.routes\]\]\nserver_name = "odoh-snowstorm"\nvia = \[[^\]]*\]\n/, ""), /odoh-snowstorm has no relay route/],
    ["a relay of the target's own operator", (t: string) => t.replace('server_name = "odoh-snowstorm"', 'server_name = "odoh-crypto-sx"').replace(/server_names = \[[^\]]*\]/, 'server_names = [ "odoh-cloudflare", "odoh-crypto-sx" ]'), /odoh-crypto-sx via odohrelay-crypto-sx: both run by Frank Denis/],
    ["broken TOML", (t: string) => `${t}\n[[[`, /is not TOML/],
  ])("the dnscrypt-proxy check finds %s", async (_what, mutate, expected) => {
    const r = await renderPorygon();
    expect(dnscryptProblems(mutate(r.file(PATHS.dnscrypt))).join("\n")).toMatch(expected);
  });
});
