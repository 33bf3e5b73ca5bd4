import { afterEach, describe, expect, it } from "vitest";
import { nftablesChecker } from "../../src/check/nftables.js";
import { radvdChecker } from "../../src/check/radvd.js";
import type { CheckContext } from "../../src/check/types.js";
import { PATHS, renderGateway } from "./_render.js";

const r = renderGateway();
const at = (p: string) => `hosts/${r.gateway.host}${p}`;

/** A check context over the gateway's files, one of them edited. */
function ctx(path?: string, edit: (text: string) => string = (t) => t): CheckContext {
  const files = new Map(r.output);
  if (path !== undefined) files.set(at(path), edit(files.get(at(path)) as string));
  return { outDir: "/nonexistent", plan: r.plan, files };
}

describe("h5b check: nftables", () => {
  it("accepts the rendered ruleset (nft -c, in a namespace of its own)", async () => {
    expect(await nftablesChecker.run(ctx())).toEqual({ findings: [], skipped: [] });
  });

  it("reports what nft refuses, at the rendered file's line", async () => {
    const res = await nftablesChecker.run(ctx(PATHS.nftables, (t) => t.replace("masquerade", "masqerade")));
    expect(res.findings).toHaveLength(1);
    expect(res.findings[0]?.where).toBe(at(PATHS.nftables));
    expect(res.findings[0]?.message).toMatch(new RegExp(`^nft -c refuses it: ${at(PATHS.nftables)}:\\d+:\\d+-\\d+: Error: syntax error`));
  });

  it("reports what only the kernel refuses", async () => {
    // A jump to a chain that does not exist parses, but nf_tables rejects the transaction.
    const res = await nftablesChecker.run(ctx(PATHS.nftables, (t) => t.replace('iifname "lo" accept', 'iifname "lo" jump nowhere')));
    expect(res.findings.map((f) => f.where)).toEqual([at(PATHS.nftables)]);
  });
});

describe("h5b check: radvd", () => {
  it("accepts the rendered radvd.conf", async () => {
    expect(await radvdChecker.run(ctx())).toEqual({ findings: [], skipped: [] });
  });

  it("reports what radvd --configtest refuses", async () => {
    const res = await radvdChecker.run(ctx(PATHS.radvd, (t) => t.replace("AdvManagedFlag on", "AdvManagedFlag maybe")));
    expect(res.findings).toHaveLength(1);
    expect(res.findings[0]?.where).toBe(at(PATHS.radvd));
    expect(res.findings[0]?.message).toMatch(/^radvd --configtest refuses it: .*radvd\.conf:\d+ error: syntax error/);
  });
});

describe("h5b check: nftables without its programs", () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it("skips, naming the Debian package to install", async () => {
    // nft is in /usr/sbin, which checkers always search; unshare is in /usr/bin, which an empty PATH hides.
    process.env.PATH = "/nonexistent";
    const res = await nftablesChecker.run(ctx(PATHS.nftables, () => "not a ruleset"));
    expect(res).toEqual({
      findings: [],
      skipped: [{ check: "nftables", reason: "unshare is not installed (Debian package util-linux: apt-get install util-linux)" }],
    });
  });
});
