import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { missingProgram } from "./_program.js";
import { programErrors } from "./_program-errors.js";
import type { Checker, Finding, Skipped } from "./types.js";

const CONFIG = /^hosts\/[^/]+\/etc\/radvd\.conf$/;

/** `radvd --configtest` on each rendered radvd.conf: the test Debian's radvd.service runs before it starts. */
export const radvdChecker: Checker = {
  name: "radvd",
  description: "radvd --configtest accepts each rendered radvd.conf",
  async run(ctx) {
    const findings: Finding[] = [];
    const skipped: Skipped[] = [];
    const tmp = mkdtempSync(join(tmpdir(), "h5b-check-radvd-"));
    try {
      for (const [path, text] of ctx.files) {
        if (!CONFIG.test(path)) continue;
        const missing = missingProgram(this.name, [["radvd", "radvd"]]);
        if (missing !== undefined) {
          skipped.push(missing);
          break;
        }
        const file = join(tmp, "radvd.conf");
        writeFileSync(file, text, { mode: 0o600 });
        // stderr, not syslog: the reason is what the finding needs.
        const r = await execa("radvd", ["--configtest", "--logmethod", "stderr", "-C", file], { reject: false });
        if (r.exitCode !== 0) findings.push({ check: this.name, where: path, message: `radvd --configtest refuses it: ${programErrors(r.stderr, file, path, /error|invalid|unknown/i)}` });
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return { findings, skipped };
  },
};
