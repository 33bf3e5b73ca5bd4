import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseName } from "../../src/ddns/_names.js";
import { dhcidRdata, hexBytes } from "../../src/ddns/dhcid.js";
import { leasesFromSocket, parseLeaseCsv } from "../../src/ddns/leases.js";
import { runReconcile } from "../../src/ddns/run.js";
import type { H5bError } from "../../src/issue.js";
import { copyFile, mkdtemp, readFile, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nsupdate, servedHosts, startFixture, type Fixture } from "./_fixture.js";
import { startKeaDhcp, type KeaDhcp } from "./_keadhcp.js";

/** Leases held by real kea-dhcp4/6 2.2 (added through lease_cmds), read back by file and by control socket. */
describe("reconcile from Kea's lease file and control socket", () => {
  let fx: Fixture;
  let kea4: KeaDhcp;
  let kea6: KeaDhcp;
  beforeAll(async () => {
    fx = await startFixture();
    kea4 = await startKeaDhcp(4, fx.dir);
    kea6 = await startKeaDhcp(6, fx.dir);
    const add4 = [
      { "ip-address": "10.99.0.61", "hw-address": "02:99:00:00:02:61", hostname: "r61.lab.test.", "fqdn-fwd": true, "fqdn-rev": true, "subnet-id": 1 },
      { "ip-address": "10.99.0.62", "hw-address": "02:99:00:00:02:62", "client-id": "01:02:99:00:00:02:62", hostname: "r62.lab.test.", "fqdn-fwd": true, "fqdn-rev": false, "subnet-id": 1 },
      { "ip-address": "10.99.0.63", "hw-address": "02:99:00:00:02:63", hostname: "", "subnet-id": 1 },
    ];
    for (const l of add4) expect((await kea4.command("lease4-add", l)).result).toBe(0);
    const add6 = { "ip-address": "fd99::61", duid: "00:03:00:01:02:99:00:00:02:61", iaid: 1, hostname: "r61v6.lab.test.", "fqdn-fwd": true, "fqdn-rev": true, "subnet-id": 1 };
    expect((await kea6.command("lease6-add", add6)).result).toBe(0);
  });
  afterAll(async () => {
    await kea4?.stop();
    await kea6?.stop();
    await fx?.close();
  });

  it("reads the same leases from the memfile and from the socket, with Kea's DHCIDs", async () => {
    const fromFile = parseLeaseCsv(await readFile(kea4.leaseFile, "utf8"));
    const fromSocket = await leasesFromSocket(kea4.socket, 4);
    const key = (l: { address: string; fqdn: readonly string[]; forward: boolean; reverse: boolean; dhcid?: Buffer }) =>
      `${l.address} ${l.fqdn.join(".")} ${l.forward} ${l.reverse} ${l.dhcid?.toString("hex") ?? "-"}`;
    expect(fromFile.map(key).sort()).toEqual(fromSocket.map(key).sort());
    const r61 = fromFile.find((l) => l.address === "10.99.0.61");
    expect(r61?.dhcid).toEqual(dhcidRdata(0, Buffer.concat([Buffer.from([1]), hexBytes("02:99:00:00:02:61")]), parseName("r61.lab.test")));
    const r62 = fromFile.find((l) => l.address === "10.99.0.62");
    expect(r62?.dhcid).toEqual(dhcidRdata(1, hexBytes("01:02:99:00:00:02:62"), parseName("r62.lab.test")));
    const v6 = parseLeaseCsv(await readFile(kea6.leaseFile, "utf8"));
    expect(v6[0]?.dhcid).toEqual(dhcidRdata(2, hexBytes("00:03:00:01:02:99:00:00:02:61"), parseName("r61v6.lab.test")));
  });

  it("--socket: registers every named lease, its PTR only where Kea does reverse updates, and leaves others alone", async () => {
    const s = `server 127.0.0.1 ${fx.port}\nzone lab.test.\nupdate add manual.lab.test. 300 A 10.99.0.99\nsend\n`;
    expect((await nsupdate(s)).code).toBe(0);
    const actions = await runReconcile(fx.configFile, { sockets: [kea4.socket, kea6.socket] });
    expect(Object.fromEntries(actions.map((a) => [a.name, a.result]))).toEqual({
      "r61.lab.test": "repaired",
      "61.0.99.10.in-addr.arpa": "repaired",
      "r62.lab.test": "repaired",
      "r61v6.lab.test": "repaired",
      "1.6.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.9.9.d.f.ip6.arpa": "repaired",
    });
    const dump = await fx.dump();
    const hosts = (path: string) => servedHosts(dump, path);
    expect(hosts("/skydns/test/lab/r61/")).toEqual(["10.99.0.61"]);
    expect(hosts("/skydns/test/lab/r62/")).toEqual(["10.99.0.62"]);
    expect(hosts("/skydns/test/lab/r61v6/")).toEqual(["fd99::61"]);
    expect(hosts("/skydns/arpa/in-addr/10/99/0/61/")).toEqual(["r61.lab.test."]);
    expect(hosts("/skydns/arpa/in-addr/10/99/0/62/")).toEqual([]);
    expect(hosts("/skydns/test/lab/manual/")).toEqual(["10.99.0.99"]);
  });

  it("--leases after a release: the released name is removed, the rest unchanged; --dry-run changes nothing", async () => {
    expect((await kea4.command("lease4-del", { "ip-address": "10.99.0.62" })).result).toBe(0);
    const dry = await runReconcile(fx.configFile, { leases: [kea4.leaseFile, kea6.leaseFile], dryRun: true });
    expect(dry.find((a) => a.name === "r62.lab.test")?.result).toBe("removed");
    expect(Object.keys(await fx.dump()).some((k) => k.startsWith("/skydns/test/lab/r62/"))).toBe(true);
    const actions = await runReconcile(fx.configFile, { leases: [kea4.leaseFile, kea6.leaseFile] });
    const byName = Object.fromEntries(actions.map((a) => [a.name, a.result]));
    expect(byName["r62.lab.test"]).toBe("removed");
    expect(byName["r61.lab.test"]).toBe("unchanged");
    expect(Object.keys(await fx.dump()).some((k) => k.startsWith("/skydns/test/lab/r62/") || k.includes("r62.lab.test"))).toBe(false);
  });

  it("--leases reads what Kea's lease file cleanup moved to .2, as Kea does at start", async () => {
    // Right after a cleanup: the file holds its header alone, the leases are in `.2`.
    const dir = await mkdtemp(join(tmpdir(), "h5b-lfc-"));
    const [header] = (await readFile(kea4.leaseFile, "utf8")).split("\n");
    await copyFile(kea4.leaseFile, join(dir, "leases4.csv.2"));
    await writeFile(join(dir, "leases4.csv"), `${header}\n`);
    const byName = Object.fromEntries((await runReconcile(fx.configFile, { leases: [join(dir, "leases4.csv"), kea6.leaseFile], dryRun: true })).map((a) => [a.name, a.result]));
    expect(byName).toEqual({ "r61.lab.test": "unchanged", "61.0.99.10.in-addr.arpa": "unchanged", "r61v6.lab.test": "unchanged", [Object.keys(byName).find((n) => n.endsWith(".ip6.arpa")) as string]: "unchanged" });
    // At the end of a cleanup, `.completed` holds the merged leases and replaces `.2` and `.1`, as Kea reads it.
    await rename(join(dir, "leases4.csv.2"), join(dir, "leases4.csv.completed"));
    await writeFile(join(dir, "leases4.csv.2"), `${header}\n`);
    const completed = await runReconcile(fx.configFile, { leases: [join(dir, "leases4.csv")], dryRun: true });
    expect(completed.find((a) => a.name === "r61.lab.test")?.result).toBe("unchanged");
    // While a cleanup runs, Kea itself refuses to load the files; so does reconcile, rather than remove names.
    await writeFile(join(dir, "leases4.csv.pid"), "1234\n");
    const during = await runReconcile(fx.configFile, { leases: [join(dir, "leases4.csv")], dryRun: true }).then(() => undefined, (e: H5bError) => e.issues[0]?.message);
    expect(during).toMatch(/lease file cleanup is running/);
  });

  it("a lease naming a service's host is refused, the service intact", async () => {
    await fx.etcd.ctl(["put", "/skydns/test/lab/web/1a2b3c4d", '{"host":"10.99.0.200","ttl":300}']);
    expect((await kea4.command("lease4-add", { "ip-address": "10.99.0.64", "hw-address": "02:99:00:00:02:64", hostname: "web.lab.test.", "fqdn-fwd": true, "fqdn-rev": false, "subnet-id": 1 })).result).toBe(0);
    const actions = await runReconcile(fx.configFile, { sockets: [kea4.socket] });
    expect(actions.find((a) => a.name === "web.lab.test")?.result).toBe("refused");
    expect(await fx.etcd.ctl(["get", "--print-value-only", "/skydns/test/lab/web/1a2b3c4d"])).toContain("10.99.0.200");
  });

  it("a lease for a name two labels below the zone is refused as an update would be, and nothing is written", async () => {
    expect((await kea4.command("lease4-add", { "ip-address": "10.99.0.65", "hw-address": "02:99:00:00:02:65", hostname: "foo.r61.lab.test.", "fqdn-fwd": true, "fqdn-rev": false, "subnet-id": 1 })).result).toBe(0);
    const actions = await runReconcile(fx.configFile, { sockets: [kea4.socket] });
    expect(actions.find((a) => a.name === "foo.r61.lab.test")).toMatchObject({ result: "refused", detail: expect.stringContaining("more than one label below") });
    expect(Object.keys(await fx.dump()).filter((k) => k.includes("/r61/foo"))).toEqual([]);
    expect(servedHosts(await fx.dump(), "/skydns/test/lab/r61")).toEqual(["10.99.0.61"]);
  });
});
