import { createServer } from "node:net";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { systemdChecker } from "../../src/check/systemd.js";
import { PATHS, PORTS } from "../../src/emit/porygon/index.js";
import { renderPorygon } from "./_render.js";

// The same run as `h5b check`: systemd-analyze verify on each unit, and on each drop-in appended to the Debian
// unit it changes (etcd-server's, installed here).
describe("Porygon's systemd units and drop-ins", () => {
  it("pass systemd-analyze verify", async () => {
    const r = await renderPorygon();
    expect([...r.files.keys()].filter((p) => p.startsWith(`${PATHS.units}/`))).toHaveLength(6);
    expect(await systemdChecker.run({ outDir: "/nonexistent", plan: r.plan, files: r.output })).toEqual({ findings: [], skipped: [] });
  });

  it("the check names a bad key in a unit or in a drop-in", async () => {
    const r = await renderPorygon();
    const files = new Map(r.output);
    const bump = (suffix: string, line: string) => {
      const path = [...files.keys()].find((p) => p.endsWith(suffix)) as string;
      files.set(path, `${files.get(path) as string}${line}\n`);
      return path;
    };
    const unit = bump("/coredns.service", "DynamicUsr=yes");
    const dropIn = bump("/etcd.service.d/h5b.conf", "RestartSecs=1");
    const res = await systemdChecker.run({ outDir: "/nonexistent", plan: r.plan, files });
    // In the order the units are verified, which may verify etcd's first through a unit that names it.
    expect(res.findings.map((f) => [f.where, f.message.replace(/:\d+:/, ":")]).sort()).toEqual([
      [unit, "coredns.service: Unknown key 'DynamicUsr' in section [Install], ignoring."],
      [dropIn, "etcd.service: Unknown key 'RestartSecs' in section [Service], ignoring."],
    ]);
  });

  it("h5b ddns counts as started once its TCP port answers: the rendered ExecStartPost, run as systemd would", async () => {
    const r = await renderPorygon();
    const line = /^ExecStartPost=(.+)$/m.exec(r.file(`${PATHS.units}/h5b-ddns.service`))?.[1] ?? "";
    // systemd splits the line into words, single quotes kept together; the port is the test's, the loop shorter.
    const [cmd = "", flag = "", script = ""] = line.match(/'[^']*'|\S+/g) ?? [];
    const probe = (port: number, tries: number) =>
      execa(cmd, [flag, script.slice(1, -1).replace(`/${PORTS.ddns})`, `/${port})`).replace("{1..300}", `{1..${tries}}`)], { reject: false });
    const server = createServer((c) => c.end());
    // The daemon opens its TCP port some time after the unit starts.
    const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
    server.close();
    const waiting = probe(port, 50);
    await new Promise((r) => setTimeout(r, 1_000));
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      expect((await waiting).exitCode).toBe(0);
    } finally {
      server.close();
    }
    // Never: the start fails (and systemd restarts the unit).
    expect((await probe(port, 3)).exitCode).toBe(1);
  }, 30_000);
});
