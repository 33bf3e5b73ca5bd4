import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseName } from "../../src/ddns/_names.js";
import { dhcidRdata, hexBytes } from "../../src/ddns/dhcid.js";
import { FORWARD, REVERSE4, REVERSE6, SECRET, servedHosts, startFixture, type Fixture } from "./_fixture.js";
import { checkD2Config, startD2, waitFor, type D2, type Ncr } from "./_kea.js";

/**
 * Debian's kea-dhcp-ddns 2.2 sends its real RFC 2136 exchanges (conflict resolution with DHCID on) to the
 * daemon, and must accept our signed answers: its log says ADD_SUCCEEDED / REMOVE_SUCCEEDED only when the TSIG
 * on the response verified and the rcode was what its state machine expected.
 */
describe("kea-dhcp-ddns (Kea 2.2) -> h5b ddns -> etcd", () => {
  let fx: Fixture;
  let d2: D2;
  beforeAll(async () => {
    fx = await startFixture();
    d2 = await startD2(fx.dir, fx.port, SECRET, { forward: [FORWARD], reverse: [REVERSE4, REVERSE6] });
  });
  afterAll(async () => {
    await d2?.stop();
    await fx?.close();
  });

  /** Sends an NCR and waits for D2's verdict on it (the log line naming its DHCID). */
  const exchange = async (ncr: Ncr): Promise<string> => {
    const id = ncr.dhcid.toString("hex").toUpperCase();
    const before = (await d2.log()).split("\n").filter((l) => l.includes(id) && / (INFO|ERROR|WARN) /.test(l)).length;
    await d2.send(ncr);
    return waitFor(async () => {
      const lines = (await d2.log()).split("\n").filter((l) => l.includes(id) && / (INFO|ERROR|WARN) /.test(l));
      return lines.length > before ? lines.slice(before).join("\n") : undefined;
    }, 10_000, `D2's verdict on ${ncr.fqdn}`);
  };
  const keysOf = async (part: string) => Object.keys(await fx.dump()).filter((k) => k.includes(part));
  const hostsAt = async (path: string) => servedHosts(await fx.dump(), path);

  const client1 = dhcidRdata(1, hexBytes("01:02:99:00:00:00:43"), parseName("client1.lab.test"));
  const client2 = dhcidRdata(1, hexBytes("01:02:99:00:00:00:44"), parseName("client1.lab.test"));

  it("the D2 config used here passes kea-dhcp-ddns -t", async () => {
    await expect(checkD2Config(d2.configFile, fx.dir)).resolves.toBeTypeOf("string");
  });

  it("a lease's add produces A and PTR in the CoreDNS layout and DHCIDs outside it", async () => {
    const verdict = await exchange({ add: true, fqdn: "client1.lab.test.", ip: "10.99.0.100", dhcid: client1 });
    expect(verdict).toContain("DHCP_DDNS_ADD_SUCCEEDED");
    expect(await hostsAt("/skydns/test/lab/client1/")).toEqual(["10.99.0.100"]);
    expect(await hostsAt("/skydns/arpa/in-addr/10/99/0/100/")).toEqual(["client1.lab.test."]);
    expect(await keysOf("/h5b-ddns/dhcid/client1.lab.test/")).toHaveLength(1);
    expect(await keysOf("/h5b-ddns/dhcid/100.0.99.10.in-addr.arpa/")).toHaveLength(1);
    expect((await keysOf("/skydns/")).every((k) => !k.includes("dhcid"))).toBe(true);
  });

  it("a second client asking for the same name does not get it", async () => {
    const verdict = await exchange({ add: true, fqdn: "client1.lab.test.", ip: "10.99.0.110", dhcid: client2, reverse: false });
    expect(verdict).toContain("DHCP_DDNS_FORWARD_REPLACE_REJECTED");
    expect(verdict).not.toContain("DHCP_DDNS_ADD_SUCCEEDED");
    expect(await hostsAt("/skydns/test/lab/client1/")).toEqual(["10.99.0.100"]);
  });

  it("the same client renewing with a new address does get it", async () => {
    const verdict = await exchange({ add: true, fqdn: "client1.lab.test.", ip: "10.99.0.101", dhcid: client1 });
    expect(verdict).toContain("DHCP_DDNS_ADD_SUCCEEDED");
    expect(await hostsAt("/skydns/test/lab/client1/")).toEqual(["10.99.0.101"]);
    expect(await hostsAt("/skydns/arpa/in-addr/10/99/0/101/")).toEqual(["client1.lab.test."]);
  });

  it("a release removes the records", async () => {
    const verdict = await exchange({ add: false, fqdn: "client1.lab.test.", ip: "10.99.0.101", dhcid: client1 });
    expect(verdict).toContain("DHCP_DDNS_REMOVE_SUCCEEDED");
    expect(await keysOf("/client1/")).toEqual([]);
    expect(await keysOf("/h5b-ddns/dhcid/client1.lab.test/")).toEqual([]);
    expect(await keysOf("/skydns/arpa/in-addr/10/99/0/101")).toEqual([]);
  });

  it("IPv6: AAAA and the ip6.arpa PTR", async () => {
    const dhcid = dhcidRdata(2, hexBytes("00:03:00:01:02:99:00:00:00:42"), parseName("six.lab.test"));
    const verdict = await exchange({ add: true, fqdn: "six.lab.test.", ip: "fd99::42", dhcid });
    expect(verdict).toContain("DHCP_DDNS_ADD_SUCCEEDED");
    expect(await hostsAt("/skydns/test/lab/six/")).toEqual(["fd99::42"]);
    const rev = "/skydns/arpa/ip6/f/d/9/9/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/4/2/";
    expect(await hostsAt(rev)).toEqual(["six.lab.test."]);
  });

  it("a client asking for a service's name (external-dns's records) is refused and the service is intact", async () => {
    await fx.etcd.ctl(["put", "/skydns/test/lab/web/5f3a9c21", '{"host":"10.99.0.200","ttl":300,"targetstrip":1}']);
    const before = await fx.dump();
    const dhcid = dhcidRdata(1, hexBytes("01:02:99:00:00:00:45"), parseName("web.lab.test"));
    const verdict = await exchange({ add: true, fqdn: "web.lab.test.", ip: "10.99.0.120", dhcid, reverse: false });
    expect(verdict).toContain("DHCP_DDNS_FORWARD_REPLACE_REJECTED");
    expect(verdict).not.toContain("DHCP_DDNS_ADD_SUCCEEDED");
    const after = await fx.dump();
    expect(Object.entries(after).filter(([k]) => k.includes("/web/"))).toEqual(Object.entries(before).filter(([k]) => k.includes("/web/")));
  });
});
