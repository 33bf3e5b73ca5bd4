import { describe, expect, it } from "vitest";
import { keaChecker } from "../../src/check/kea.js";
import { PATHS } from "../../src/emit/porygon/index.js";
import { renderPorygon, variants } from "./_render.js";

// The same run as `h5b check`: kea-dhcp4/kea-dhcp6/kea-dhcp-ddns -t on each rendered file, in a throwaway network
// namespace that has the interfaces the file names (Debian 12's Kea 2.2).
describe("Kea 2.2 accepts the rendered files (kea-* -t)", () => {
  for (const [variant, mutate] of Object.entries(variants)) {
    it(variant, async () => {
      const r = await renderPorygon(mutate);
      const kea = [...r.output.keys()].filter((p) => p.includes("/etc/kea/"));
      expect(kea.map((p) => p.replace(/^hosts\/[^/]+/, "")).sort()).toEqual(
        [PATHS.kea4, PATHS.keaDdns, ...(r.plan.lan.ipv6 !== undefined ? [PATHS.kea6] : [])].sort(),
      );
      expect(await keaChecker.run({ outDir: "/nonexistent", plan: r.plan, files: r.output })).toEqual({ findings: [], skipped: [] });
    });
  }
});
