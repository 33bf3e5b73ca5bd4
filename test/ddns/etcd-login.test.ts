import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EtcdClient, EtcdError } from "../../src/ddns/_etcd.js";
import { TYPE } from "../../src/ddns/_wire.js";
import { RCODE } from "../../src/ddns/rcode.js";
import { startEtcd, type EtcdInstance } from "../_harness/etcd.js";
import { buildUpdate, ipv4, sendUdp, sign } from "./_client.js";
import { startFixture, type Fixture } from "./_fixture.js";
import { waitFor } from "./_kea.js";

/**
 * A password etcd refuses (rotated in etcd, not in the daemon's file): etcd counts as down (SERVFAIL at once,
 * /healthz 503, the probe tries again), the cause is logged once, and etcd is not asked to check the password on
 * every update (a bcrypt each time).
 */
const RIGHT = "right-password-1";
const STALE = "stale-password-2";

let etcd: EtcdInstance;
let logins = 0;
const proto = EtcdClient.prototype as unknown as { unary(path: string, ...rest: unknown[]): Promise<Buffer> };
const unary = proto.unary;

beforeAll(async () => {
  etcd = await startEtcd({ auth: true });
  await etcd.ctl(["role", "add", "ddns"]);
  await etcd.ctl(["role", "grant-permission", "--prefix=true", "ddns", "readwrite", "/"]);
  await etcd.ctl(["user", "add", `ddns:${RIGHT}`]);
  await etcd.ctl(["user", "grant-role", "ddns", "ddns"]);
  await writeFile(join(etcd.dir, "stale.pw"), `${STALE}\n`);
  proto.unary = function (this: unknown, path: string, ...rest: unknown[]) {
    if (path.endsWith("/Authenticate")) logins++;
    return unary.call(this, path, ...rest);
  };
});
afterAll(async () => {
  proto.unary = unary;
  await etcd?.stop();
});

describe("a refused etcd login", () => {
  it("the client remembers it for a while and fails calls at once", async () => {
    const c = new EtcdClient({ endpoints: etcd.endpoints, timeoutMs: 2000, auth: { username: "ddns", password: STALE } });
    try {
      const before = logins;
      const errors: unknown[] = [];
      for (let i = 0; i < 10; i++) errors.push(await c.range(Buffer.from("/x")).catch((e: unknown) => e));
      expect(logins - before).toBe(1);
      for (const e of errors) {
        expect(e).toBeInstanceOf(EtcdError);
        expect((e as EtcdError).auth).toBe(true);
        expect((e as Error).message).toMatch(/^etcd authentication as ddns failed \(etcd: .*authentication failed/);
        expect((e as Error).message).not.toContain(STALE);
      }
    } finally {
      c.close();
    }
  });

  describe("through the daemon", () => {
    let fx: Fixture;
    // The engine logs to stderr unless the daemon hands it its logger: look in both.
    let stderr = "";
    const write = process.stderr.write.bind(process.stderr);
    beforeEach(() => {
      process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
        stderr += chunk.toString();
        return write(chunk, ...rest);
      }) as typeof process.stderr.write;
    });
    afterEach(async () => {
      process.stderr.write = write;
      await fx?.close();
    });

    it("marks etcd down, logs the cause once, and comes up by itself once the password works", async () => {
      fx = await startFixture({ etcd: { endpoints: etcd.endpoints, username: "ddns", passwordFile: join(etcd.dir, "stale.pw") } } as never, { etcd });
      expect(fx.ddns.metrics.etcdUp).toBe(0);
      const req = (i: number) => sign(buildUpdate({ id: i, zone: "lab.test", updates: [{ name: `l${i}.lab.test`, type: TYPE.A, ttl: 60, rdata: ipv4("10.99.0.9") }] })).message;
      const before = logins;
      const t0 = performance.now();
      for (let i = 0; i < 20; i++) expect((await sendUdp(fx.port, req(i)))?.rcode).toBe(RCODE.SERVFAIL);
      await new Promise((r) => setTimeout(r, 1500));
      // The probe's logins only, about one a second.
      expect(logins - before).toBeLessThanOrEqual(Math.ceil((performance.now() - t0) / 1000) + 1);
      const lines = [...fx.logs, ...stderr.split("\n")].filter((l) => l.includes("ddns etcd error: "));
      expect(lines.filter((l) => l.includes("ddns etcd error: etcd authentication as ddns failed"))).toHaveLength(1);
      expect(lines.join("\n")).not.toContain(STALE);
      expect(lines.join("\n")).not.toContain(RIGHT);

      // The operator sets the password the daemon has.
      await etcd.ctl(["user", "delete", "ddns"]);
      await etcd.ctl(["user", "add", `ddns:${STALE}`]);
      await etcd.ctl(["user", "grant-role", "ddns", "ddns"]);
      await waitFor(async () => (fx.ddns.metrics.etcdUp === 1 ? true : undefined), 5000, "etcd up");
      expect((await sendUdp(fx.port, req(99)))?.rcode).toBe(RCODE.NOERROR);
    });
  });
});
