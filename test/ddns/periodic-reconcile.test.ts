import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDdnsSecrets } from "../../src/ddns/config.js";
import { openStore, zonesOf } from "../../src/ddns/daemon.js";
import { UpdateEngine } from "../../src/ddns/engine.js";
import type { Lease } from "../../src/ddns/leases.js";
import { reconcile } from "../../src/ddns/reconcile.js";
import { servedHosts, startFixture, type Fixture } from "./_fixture.js";
import { waitFor } from "./_kea.js";

// A lease whose update never reached etcd (kea-dhcp-ddns gave it up on a SERVFAIL while etcd was down) is in Kea's
// lease file: the daemon's own reconcile, configured as Porygon's is, puts its name in without any update.
const HEADER = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context";

describe("the daemon's own reconcile from Kea's lease files", () => {
  let dir: string;
  let fx: Fixture;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "h5b-periodic-"));
    const expire = Math.floor(Date.now() / 1000) + 3600;
    // After a lease file cleanup: one lease in `.2`, another in the file itself.
    await writeFile(join(dir, "leases4.csv.2"), `${HEADER}\n10.99.0.71,02:99:00:00:03:71,,3600,${expire},1,1,1,p71.lab.test.,0,\n`);
    await writeFile(join(dir, "leases4.csv"), `${HEADER}\n10.99.0.72,02:99:00:00:03:72,,3600,${expire},1,1,0,p72.lab.test.,0,\n`);
    fx = await startFixture({ reconcile: { leases: [join(dir, "leases4.csv")], intervalSeconds: 1 } });
  });
  afterAll(async () => {
    await fx?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("registers every lease's records shortly after start, the PTR only where Kea does reverse updates", async () => {
    const served = async () => {
      const dump = await fx.dump();
      return [servedHosts(dump, "/skydns/test/lab/p71"), servedHosts(dump, "/skydns/test/lab/p72"), servedHosts(dump, "/skydns/arpa/in-addr/10/99/0/71"), servedHosts(dump, "/skydns/arpa/in-addr/10/99/0/72")];
    };
    await waitFor(async () => ((await served())[1]?.length ? true : undefined), 15_000, "the daemon's reconcile");
    expect(await served()).toEqual([["10.99.0.71"], ["10.99.0.72"], ["p71.lab.test."], []]);
    expect(fx.logs.some((l) => /^ddns reconcile names=\d+ repaired=\d+/.test(l))).toBe(true);
  });

  it("stops between names when told to (the daemon stopping): nothing more is read or written", async () => {
    const config = fx.config;
    const store = openStore(config, await loadDdnsSecrets(config));
    const engine = new UpdateEngine(store, { maxBatch: 1 });
    const expire = Math.floor(Date.now() / 1000) + 3600;
    const lease: Lease = { family: 4, address: "10.99.0.73", fqdn: ["p73", "lab", "test"], forward: true, reverse: true, expires: expire, lifetime: 3600, state: 0 };
    try {
      const actions = await reconcile(async () => [lease], zonesOf(config), store, engine, { metaPrefix: config.etcd.metaPrefix, signal: AbortSignal.abort() });
      expect(actions).toEqual([]);
      expect(servedHosts(await fx.dump(), "/skydns/test/lab/p73")).toEqual([]);
    } finally {
      engine.close();
      store.close();
    }
  });

  it("removes a released lease's name at a later run", async () => {
    await writeFile(join(dir, "leases4.csv"), `${HEADER}\n10.99.0.72,02:99:00:00:03:72,,0,0,1,1,0,p72.lab.test.,0,\n`, { flag: "a" });
    await waitFor(async () => (servedHosts(await fx.dump(), "/skydns/test/lab/p72").length === 0 ? true : undefined), 15_000, "the release");
    expect(servedHosts(await fx.dump(), "/skydns/test/lab/p71")).toEqual(["10.99.0.71"]);
  });
});
