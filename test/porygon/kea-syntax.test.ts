import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PATHS } from "../../src/emit/porygon/index.js";
import { NetnsLab } from "../_harness/netns.js";
import { keaEnv, keaForTest } from "./_kea.js";
import { renderPorygon, variants } from "./_render.js";

// `-t` resolves the interfaces the config names, so it runs in a namespace that has Porygon's LAN port.
const lab = new NetnsLab();
const dir = mkdtempSync(join(tmpdir(), "h5b-kea-t-"));
afterAll(async () => {
  await lab.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe("Kea 2.2 accepts the rendered files (kea-* -t)", () => {
  for (const [variant, mutate] of Object.entries(variants)) {
    it(variant, async () => {
      const r = await renderPorygon(mutate);
      const nic = r.plan.hosts.find((h) => h.name === r.plan.dns.dhcpHost)?.lanNic.name as string;
      const ns = await lab.namespace(variant.slice(0, 6));
      const peer = await lab.namespace(`${variant.slice(0, 5)}p`);
      await lab.veth(ns, nic, peer, "peer0");
      const vdir = mkdtempSync(join(dir, `${variant}-`));
      const daemons: [string, string][] = [
        ["kea-dhcp4", PATHS.kea4],
        ["kea-dhcp-ddns", PATHS.keaDdns],
        ...(r.plan.lan.ipv6 !== undefined ? ([["kea-dhcp6", PATHS.kea6]] as [string, string][]) : []),
      ];
      for (const [daemon, path] of daemons) {
        const out = await ns.run(daemon, ["-t", keaForTest(r, path, vdir)], { env: keaEnv(vdir) });
        expect(out, daemon).not.toMatch(/ERROR|failed/);
      }
      expect(r.files.has(PATHS.kea6)).toBe(r.plan.lan.ipv6 !== undefined);
    });
  }
});
