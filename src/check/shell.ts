import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { missingProgram, programEnv } from "./_program.js";
import type { Checker, Finding } from "./types.js";

const SHEBANG = /^#!\/bin\/(bash|sh)\n/;
const shellOf = (text: string) => (SHEBANG.exec(text) as RegExpExecArray)[1] as "bash" | "sh";

/**
 * Every rendered shell script (a host file whose first line is `#!/bin/bash` or `#!/bin/sh`): the shell it names
 * parses it (`-n`), and shellcheck, told that shell, finds nothing. Parsing alone misses what breaks only when a
 * line runs (an unquoted expansion, a command whose failure `set -e` cannot see).
 */
export const shellChecker: Checker = {
  name: "shell",
  description: "every rendered shell script parses (bash -n, sh -n) and passes shellcheck",
  async run(ctx) {
    const scripts = [...ctx.files].filter(([path, text]) => path.startsWith("hosts/") && SHEBANG.test(text));
    if (scripts.length === 0) return { findings: [] };
    // Without the shells nothing here can run; without shellcheck the scripts are still parsed.
    const noShell = missingProgram(this.name, [...new Set(scripts.map(([, text]) => shellOf(text)))].map((s) => [s, s === "sh" ? "dash" : s] as const));
    if (noShell !== undefined) return { findings: [], skipped: [noShell] };
    const missing = missingProgram(this.name, [["shellcheck", "shellcheck"]]);
    const findings: Finding[] = [];
    const tmp = mkdtempSync(join(tmpdir(), "h5b-check-shell-"));
    try {
      for (const [path, text] of scripts) {
        const shell = shellOf(text);
        const file = join(tmp, "script");
        writeFileSync(file, text);
        const parse = await execa(shell, ["-n", file], { reject: false, env: programEnv() });
        if (parse.exitCode !== 0) {
          findings.push({ check: this.name, where: path, message: `${shell} -n refuses it: ${parse.stderr.replaceAll(file, path).trim()}` });
          continue;
        }
        if (missing !== undefined) continue;
        const lint = await execa("shellcheck", ["--shell", shell, "--format", "gcc", file], { reject: false });
        for (const line of lint.stdout.split("\n").filter(Boolean)) findings.push({ check: this.name, where: path, message: `shellcheck: ${line.replace(`${file}:`, "line ")}` });
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return { findings, ...(missing !== undefined ? { skipped: [missing] } : {}) };
  },
};
