import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { PATHS } from "../../src/emit/porygon/index.js";
import { renderPorygon } from "./_render.js";

// systemd-analyze verify reads each unit as systemd would and names every unknown key or bad value. CoreDNS,
// dnscrypt-proxy and h5b are not Debian packages, so their binaries stand in as /bin/true; a drop-in is verified
// appended to the Debian unit it changes, as systemd merges them.
const dir = mkdtempSync(join(tmpdir(), "h5b-units-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function verify(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  writeFileSync(file, text.replace(/\/usr\/local\/bin\/\S+/g, "/bin/true"));
  const r = await execa("systemd-analyze", ["verify", "--man=no", file], { reject: false });
  return `${r.stderr}${r.exitCode === 0 ? "" : ` (exit ${r.exitCode})`}`.trim();
}

describe("Porygon's systemd units and drop-ins", () => {
  it("pass systemd-analyze verify", async () => {
    const r = await renderPorygon();
    const units = [...r.files].filter(([p]) => p.startsWith(`${PATHS.units}/`));
    expect(units.length).toBe(5);
    for (const [path, f] of units) {
      const dropIn = /\/([^/]+)\.d\/[^/]+\.conf$/.exec(path);
      const name = dropIn === null ? (path.split("/").pop() as string) : (dropIn[1] as string);
      const text = dropIn === null ? f.content : `${readFileSync(`/lib/systemd/system/${name}`, "utf8")}\n${f.content}`;
      expect(await verify(name, text), path).toBe("");
    }
  });

  it("the check names a bad key (so a clean run means something)", async () => {
    expect(await verify("bad.service", "[Service]\nExecStart=/bin/true\nDynamicUsr=yes\n")).toMatch(/Unknown key 'DynamicUsr'/);
  });
});
