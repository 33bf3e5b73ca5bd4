import { afterAll, describe, expect, it } from "vitest";
import { startEtcd, type EtcdInstance } from "../_harness/etcd.js";

describe("etcd harness", () => {
  const started: EtcdInstance[] = [];
  afterAll(async () => {
    for (const e of started) await e.stop();
  });

  it("starts a plain etcd, survives kill/restart with its data", async () => {
    const etcd = await startEtcd();
    started.push(etcd);
    await etcd.ctl(["put", "/k", "v"]);
    await etcd.kill();
    await expect(etcd.ctl(["get", "/k"])).rejects.toThrow();
    await etcd.restart();
    expect(await etcd.ctl(["get", "--print-value-only", "/k"])).toBe("v\n");
  });

  it("starts etcd with TLS and auth", async () => {
    const etcd = await startEtcd({ tls: true, auth: true });
    started.push(etcd);
    expect(etcd.endpoints[0]).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    await etcd.ctl(["put", "/k", "v"]);
    expect(await etcd.ctl(["get", "--print-value-only", "/k"])).toBe("v\n");
  });
});
