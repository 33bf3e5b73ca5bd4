import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDdnsSecrets } from "../../src/ddns/config.js";
import { openStore, zonesOf } from "../../src/ddns/daemon.js";
import { UpdateEngine } from "../../src/ddns/engine.js";
import { parseLeaseCsv, type Lease } from "../../src/ddns/leases.js";
import { reconcile, type ReconcileAction } from "../../src/ddns/reconcile.js";
import type { EtcdStore } from "../../src/ddns/store.js";
import { nsupdate, servedHosts, startFixture, type Fixture } from "./_fixture.js";

// A reconcile runs while Kea keeps serving: an update kea-dhcp-ddns sends while a run reads must not be undone by
// the run's repair (the record would be wrong until the next run, or a new client's name gone for five minutes).
const HEADER = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context";
const lease = (address: string, mac: string, host: string): string =>
  `${address},${mac},,3600,${Math.floor(Date.now() / 1000) + 3600},1,1,0,${host}.lab.test.,0,`;
const leases = (...rows: string[]): Lease[] => parseLeaseCsv(`${HEADER}\n${rows.join("\n")}\n`);

describe("reconcile against live updates", () => {
  let fx: Fixture;
  let store: EtcdStore;
  let engine: UpdateEngine;
  const run = async (reads: (() => Promise<Lease[]>)[]): Promise<Record<string, ReconcileAction["result"]>> => {
    let call = 0;
    const source = () => (reads[Math.min(call++, reads.length - 1)] as () => Promise<Lease[]>)();
    const actions = await reconcile(source, zonesOf(fx.config), store, engine, { metaPrefix: fx.config.etcd.metaPrefix });
    expect(call).toBe(2);
    return Object.fromEntries(actions.map((a) => [a.name, a.result]));
  };
  beforeAll(async () => {
    fx = await startFixture();
    store = openStore(fx.config, await loadDdnsSecrets(fx.config));
    engine = new UpdateEngine(store, { maxBatch: 1 });
  });
  afterAll(async () => {
    engine?.close();
    store?.close();
    await fx?.close();
  });

  it("a name kea-dhcp-ddns writes after the run read it is left as kea-dhcp-ddns wrote it; the others are repaired", async () => {
    const both = leases(lease("10.99.0.81", "02:99:00:00:04:81", "race81"), lease("10.99.0.85", "02:99:00:00:04:85", "race85"));
    const live = async () => {
      // The client moved to .82 and its update reached the daemon between the run's read and its repair.
      const s = "server 127.0.0.1 " + fx.port + "\nzone lab.test.\nupdate add race81.lab.test. 300 A 10.99.0.82\nsend\n";
      expect((await nsupdate(s)).code).toBe(0);
      return both;
    };
    expect(await run([async () => both, live])).toMatchObject({ "race81.lab.test": "skipped", "race85.lab.test": "repaired" });
    const dump = await fx.dump();
    expect(servedHosts(dump, "/skydns/test/lab/race81")).toEqual(["10.99.0.82"]);
    expect(servedHosts(dump, "/skydns/test/lab/race85")).toEqual(["10.99.0.85"]);
  });

  it("a name whose lease Kea changed between the run's two reads of the leases is left to Kea's own update", async () => {
    const before = leases(lease("10.99.0.83", "02:99:00:00:04:83", "race83"));
    const after = leases(lease("10.99.0.84", "02:99:00:00:04:83", "race83"));
    expect(await run([async () => before, async () => after])).toMatchObject({ "race83.lab.test": "skipped", "race85.lab.test": "removed" });
    const dump = await fx.dump();
    expect(servedHosts(dump, "/skydns/test/lab/race83")).toEqual([]);
    expect(servedHosts(dump, "/skydns/test/lab/race85")).toEqual([]);
  });
});
