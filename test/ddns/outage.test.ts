import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseName } from "../../src/ddns/_names.js";
import { TYPE } from "../../src/ddns/_wire.js";
import { dhcidRdata, hexBytes } from "../../src/ddns/dhcid.js";
import { RCODE } from "../../src/ddns/rcode.js";
import { runReconcile } from "../../src/ddns/run.js";
import { buildUpdate, ipv4, sendUdp, sign } from "./_client.js";
import { FORWARD, REVERSE4, REVERSE6, SECRET, servedHosts, startFixture, type Fixture } from "./_fixture.js";
import { startD2, waitFor, type D2 } from "./_kea.js";

/**
 * etcd stops while Kea keeps handing out leases: updates get SERVFAIL quickly, nothing is half-written, the daemon
 * reconnects by itself, and `reconcile` from Kea's lease file restores every current lease's records.
 */
describe("etcd outage", () => {
  let fx: Fixture;
  let d2: D2;
  beforeAll(async () => {
    fx = await startFixture({ etcd: { timeoutMs: 300 } } as never);
    d2 = await startD2(fx.dir, fx.port, SECRET, { forward: [FORWARD], reverse: [REVERSE4, REVERSE6] });
  });
  afterAll(async () => {
    await d2?.stop();
    await fx?.close();
  });

  const mac = (i: number) => `02:99:00:00:01:${i.toString(16).padStart(2, "0")}`;
  const host = (i: number) => `host${i}.lab.test`;
  const ip = (i: number) => `10.99.0.${i}`;
  const dhcid = (i: number) => dhcidRdata(0, Buffer.concat([Buffer.from([1]), hexBytes(mac(i))]), parseName(host(i)));
  /** A Kea 2.2 memfile v4 line: address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context */
  const leaseLine = (i: number, lifetime = 600) =>
    `${ip(i)},${mac(i)},,${lifetime},${Math.floor(Date.now() / 1000) + lifetime},1,1,1,${host(i)}.,0,`;
  const hostsOf = async (i: number) => servedHosts(await fx.dump(), `/skydns/test/lab/host${i}`);
  const ptrOf = async (i: number) => servedHosts(await fx.dump(), `/skydns/arpa/in-addr/10/99/0/${i}`);
  const d2Done = (i: number, what: string) =>
    waitFor(async () => ((await d2.log()).split("\n").some((l) => l.includes(dhcid(i).toString("hex").toUpperCase()) && l.includes(what)) ? true : undefined), 15_000, `${what} for host${i}`);

  it("leases before the outage are registered", async () => {
    for (const i of [10, 11, 12]) await d2.send({ add: true, fqdn: `${host(i)}.`, ip: ip(i), dhcid: dhcid(i) });
    for (const i of [10, 11, 12]) await d2Done(i, "DHCP_DDNS_ADD_SUCCEEDED");
    expect(await hostsOf(11)).toEqual([ip(11)]);
  });

  it("with etcd down, an update gets SERVFAIL within the etcd deadline, and the next ones at once", async () => {
    await fx.etcd.kill();
    const req = (n: string) => sign(buildUpdate({ zone: "lab.test", updates: [{ name: n, type: TYPE.A, ttl: 60, rdata: ipv4("10.99.0.99") }] })).message;
    let t = performance.now();
    const first = await sendUdp(fx.port, req("down1.lab.test"));
    const firstMs = performance.now() - t;
    expect(first?.rcode).toBe(RCODE.SERVFAIL);
    expect(firstMs).toBeLessThan(1500);
    t = performance.now();
    const second = await sendUdp(fx.port, req("down2.lab.test"));
    expect(second?.rcode).toBe(RCODE.SERVFAIL);
    expect(performance.now() - t).toBeLessThan(100);
    expect(fx.ddns.metrics.etcdUp).toBe(0);
  });

  it("Kea's updates during the outage fail (SERVFAIL) and a release is lost too", async () => {
    for (const i of [20, 21]) await d2.send({ add: true, fqdn: `${host(i)}.`, ip: ip(i), dhcid: dhcid(i) });
    await d2.send({ add: false, fqdn: `${host(12)}.`, ip: ip(12), dhcid: dhcid(12) });
    for (const i of [20, 21]) await d2Done(i, "DHCP_DDNS_ADD_FAILED");
    await d2Done(12, "DHCP_DDNS_REMOVE_FAILED");
    expect(fx.logs.filter((l) => l.includes("result=SERVFAIL")).length).toBeGreaterThanOrEqual(3);
  });

  it("after etcd restarts the daemon reconnects by itself, and reconcile restores every current lease", async () => {
    await fx.etcd.restart();
    await waitFor(async () => (fx.ddns.metrics.etcdUp === 1 ? true : undefined), 10_000, "etcd up again");
    // Nothing of the failed updates was half-written.
    expect(await hostsOf(20)).toEqual([]);
    expect(await hostsOf(12)).toEqual([ip(12)]);
    // Kea's lease file now: 10, 11, 20, 21 current; 12 released (lifetime 0 line after its grant).
    const csv = [
      "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context",
      ...[10, 11, 12, 20, 21].map((i) => leaseLine(i)),
      `${ip(12)},${mac(12)},,0,${Math.floor(Date.now() / 1000)},1,1,1,${host(12)}.,0,`,
    ].join("\n");
    const leaseFile = join(fx.dir, "kea-leases4.csv");
    await writeFile(leaseFile, `${csv}\n`);
    const actions = await runReconcile(fx.configFile, { leases: [leaseFile] });
    const byName = Object.fromEntries(actions.map((a) => [a.name, a.result]));
    expect(byName["host20.lab.test"]).toBe("repaired");
    expect(byName["host21.lab.test"]).toBe("repaired");
    expect(byName["host12.lab.test"]).toBe("removed");
    expect(byName["host10.lab.test"]).toBe("unchanged");
    for (const i of [10, 11, 20, 21]) {
      expect(await hostsOf(i)).toEqual([ip(i)]);
      expect(await ptrOf(i)).toEqual([`${host(i)}.`]);
    }
    expect(await hostsOf(12)).toEqual([]);
    expect(await ptrOf(12)).toEqual([]);
    // A second run finds nothing to do.
    const again = await runReconcile(fx.configFile, { leases: [leaseFile] });
    expect(again.filter((a) => a.result !== "unchanged")).toEqual([]);
    // Reconcile restored the DHCIDs Kea computes, so Kea's own later removal passes its DHCID prerequisite.
    await d2.send({ add: false, fqdn: `${host(20)}.`, ip: ip(20), dhcid: dhcid(20) });
    await d2Done(20, "DHCP_DDNS_REMOVE_SUCCEEDED");
    expect(await hostsOf(20)).toEqual([]);
  });
});
