import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { missingProgram } from "./_program.js";
import type { Checker, Finding, Skipped } from "./types.js";

const UNIT = /^hosts\/([^/]+)\/etc\/systemd\/system\/([^/]+\.(service|timer|socket|path|mount|target))$/;
const DROP_IN = /^hosts\/([^/]+)\/etc\/systemd\/system\/([^/]+)\.d\/[^/]+\.conf$/;
const SYSTEM_UNITS = ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"];

// What is checked is the unit's grammar, not the programs it starts, which are installed on the host later.
const standIn = (text: string) => text.replace(/^(Exec[A-Za-z]*=[-@:+!]*)\/\S+/gm, "$1/bin/true");

/**
 * `systemd-analyze verify` on every rendered unit, and on every drop-in appended to the unit it changes (the
 * rendered one, or the one a Debian package installs, when this machine has it), as systemd merges them.
 */
export const systemdChecker: Checker = {
  name: "systemd",
  description: "every rendered systemd unit and drop-in passes systemd-analyze verify",
  async run(ctx) {
    const findings: Finding[] = [];
    const skipped: Skipped[] = [];
    const byHost = new Map<string, Map<string, { text: string; from: string }>>();
    const units = (h: string) => byHost.get(h) ?? byHost.set(h, new Map()).get(h) ?? new Map();
    for (const [path, text] of ctx.files) {
      const m = UNIT.exec(path);
      if (m !== null) units(m[1] as string).set(m[2] as string, { text, from: path });
    }
    for (const [path, text] of ctx.files) {
      const m = DROP_IN.exec(path);
      if (m === null) continue;
      const [host, name] = [m[1] as string, m[2] as string];
      const own = units(host).get(name);
      const installed = SYSTEM_UNITS.map((d) => join(d, name)).find((p) => existsSync(p));
      if (own === undefined && installed === undefined) {
        skipped.push({ check: this.name, reason: `${path} changes ${name}, which is not installed here (install its Debian package to check it)` });
        continue;
      }
      units(host).set(name, { text: `${own?.text ?? readFileSync(installed as string, "utf8")}\n${text}`, from: path });
    }
    if (byHost.size === 0) return { findings };
    const missing = missingProgram(this.name, [["systemd-analyze", "systemd"]]);
    if (missing !== undefined) return { findings, skipped: [missing] };
    for (const [, files] of byHost) {
      const dir = mkdtempSync(join(tmpdir(), "h5b-check-systemd-"));
      try {
        for (const [name, f] of files) writeFileSync(join(dir, name), standIn(f.text));
        // Verifying a unit loads the units it names too, so one problem can be told several times: each is
        // reported once, against the file of the unit it is about.
        const seen = new Set<string>();
        for (const [name, f] of files) {
          const r = await execa("systemd-analyze", ["verify", "--man=no", join(dir, name)], { reject: false });
          const lines = `${r.stderr}`.split("\n").filter(Boolean).map((l) => l.replace(`${dir}/`, ""));
          for (const message of lines) {
            const where = files.get(message.slice(0, message.indexOf(":")))?.from ?? f.from;
            if (!seen.has(`${where}\n${message}`)) findings.push({ check: this.name, where, message });
            seen.add(`${where}\n${message}`);
          }
          if (r.exitCode !== 0 && lines.length === 0) findings.push({ check: this.name, where: f.from, message: `systemd-analyze verify exits ${r.exitCode}` });
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return { findings, skipped };
  },
};
