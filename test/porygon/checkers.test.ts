import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { keaChecker } from "../../src/check/kea.js";
import { etcdChecker } from "../../src/check/etcd.js";
import { missingProgram, unconfined } from "../../src/check/_program.js";
import type { CheckContext } from "../../src/check/types.js";
import { type RenderedPorygon, renderPorygon } from "./_render.js";

let r: RenderedPorygon;
beforeAll(async () => {
  r = await renderPorygon();
});

/** A check context over Porygon's files, with some of them replaced. */
function ctx(replace: (files: Map<string, string>) => void = () => {}): CheckContext {
  const files = new Map(r.output);
  replace(files);
  return { outDir: "/nonexistent", plan: r.plan, files };
}
const edit = (files: Map<string, string>, suffix: string, f: (text: string) => string) => {
  const path = [...files.keys()].find((p) => p.endsWith(suffix)) as string;
  files.set(path, f(files.get(path) as string));
};

describe("h5b check: kea", () => {
  it("accepts the rendered Kea files", async () => {
    expect(await keaChecker.run(ctx())).toEqual({ findings: [], skipped: [] });
  });

  it("reports what kea-dhcp4 -t refuses, with Kea's reason", async () => {
    const res = await keaChecker.run(ctx((f) => edit(f, "/etc/kea/kea-dhcp4.conf", (t) => t.replace('"authoritative": true', '"authoritative": true, "ddns-ttl-percent": 0.5'))));
    expect(res.findings).toHaveLength(1);
    expect(res.findings[0]?.message).toMatch(/kea-dhcp4 -t refuses it: .*ddns-ttl-percent/);
    expect(res.findings[0]?.where).toMatch(/kea-dhcp4\.conf$/);
  });
});

describe("h5b check: etcd", () => {
  it("starts etcd from the rendered configuration", async () => {
    expect(await etcdChecker.run(ctx())).toEqual({ findings: [], skipped: [] });
  });

  it("reports a key etcd does not know, and a value it refuses at start", async () => {
    const unknown = await etcdChecker.run(ctx((f) => edit(f, "/etc/etcd/etcd.conf.yml", (t) => `${t}listen-clients: x\n`)));
    expect(unknown.findings.map((x) => x.message)).toEqual(["listen-clients is not an etcd setting"]);
    const refused = await etcdChecker.run(ctx((f) => edit(f, "/etc/etcd/etcd.conf.yml", (t) => t.replace("initial-cluster-state: new", "initial-cluster-state: maybe"))));
    expect(refused.findings[0]?.message).toMatch(/etcd exits at start with it: .*clusterState "maybe"/);
  });
});

describe("h5b check: missing programs", () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it("names the Debian package to install", async () => {
    expect(missingProgram("kea", [["sh", "dash"], ["no-such-kea", "kea-dhcp4-server"]])).toEqual({
      check: "kea",
      reason: "no-such-kea is not installed (Debian package kea-dhcp4-server: apt-get install kea-dhcp4-server)",
    });
    expect(missingProgram("kea", [["sh", "dash"]])).toBeUndefined();
    // etcd lives in /usr/bin, which an empty PATH hides.
    process.env.PATH = "/nonexistent";
    const res = await etcdChecker.run(ctx());
    expect(res.findings).toEqual([]);
    expect(res.skipped?.[0]?.reason).toMatch(/etcd is not installed \(Debian package etcd-server/);
  });
});

describe("AppArmor", () => {
  it("runs a program outside its profile only when one is enforced for it", () => {
    const profiles = ["kea-dhcp4 (enforce)", "/{,usr/}sbin/dhclient (enforce)", "kea-dhcp6 (complain)", ""].join("\n");
    expect(unconfined("kea-dhcp4", profiles)).toEqual(["aa-exec", "-p", "unconfined", "--"]);
    expect(unconfined("dhclient", profiles)).toEqual(["aa-exec", "-p", "unconfined", "--"]);
    expect(unconfined("kea-dhcp6", profiles)).toEqual([]);
    expect(unconfined("etcd", profiles)).toEqual([]);
    expect(unconfined("kea-dhcp4", "")).toEqual([]);
  });
});
