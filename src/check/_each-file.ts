import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { namespaceSkip } from "./_namespace.js";
import { missingProgram, programEnv } from "./_program.js";
import { programErrors } from "./_program-errors.js";
import type { CheckContext, CheckResult, Finding } from "./types.js";

export interface EachFileCheck {
  readonly check: string;
  /** The rendered files it reads, by path in the output folder. */
  readonly path: RegExp;
  /** `[program, Debian package]` pairs it needs; the first one missing skips the check. */
  readonly needs: readonly (readonly [string, string])[];
  /** The command that reads a temporary copy of the file: program and arguments. */
  readonly command: (file: string) => readonly [string, readonly string[]];
  /** What a refusal is called in a finding (`nft -c`), and the lines of its stderr that say why. */
  readonly refusal: string;
  readonly reason: RegExp;
  /** Lines of its stderr that are a finding even when it exits 0: a warning about a line it ignores. */
  readonly warning?: RegExp;
  /** The command runs under `unshare`: when its namespaces cannot be made, the check is skipped (see namespaceSkip). */
  readonly namespaced?: boolean;
}

/**
 * Runs a program on a temporary copy of each rendered file whose path matches; a non-zero exit (or a warning, where
 * the check names them) is a finding whose message names the rendered file, not the copy.
 */
export async function checkEachFile(ctx: CheckContext, c: EachFileCheck): Promise<CheckResult> {
  const files = [...ctx.files].filter(([path]) => c.path.test(path));
  const missing = files.length > 0 ? missingProgram(c.check, c.needs) : undefined;
  if (missing !== undefined) return { findings: [], skipped: [missing] };
  const findings: Finding[] = [];
  if (files.length === 0) return { findings, skipped: [] };
  const { warning } = c;
  const tmp = mkdtempSync(join(tmpdir(), `h5b-check-${c.check}-`));
  try {
    for (const [path, text] of files) {
      const file = join(tmp, path.replace(/\//g, "_"));
      writeFileSync(file, text, { mode: 0o600 });
      const [program, args] = c.command(file);
      const r = await execa(program, args, { reject: false, env: programEnv() });
      const skip = c.namespaced === true ? namespaceSkip(c.check, c.refusal, r, r.stderr) : undefined;
      if (skip !== undefined) return { findings: [], skipped: [skip] };
      if (r.exitCode !== 0) findings.push({ check: c.check, where: path, message: `${c.refusal} refuses it: ${programErrors(r.stderr, file, path, c.reason)}` });
      else if (warning !== undefined && r.stderr.split("\n").some((l) => warning.test(l.trim()))) {
        findings.push({ check: c.check, where: path, message: `${c.refusal} accepts it but warns: ${programErrors(r.stderr, file, path, warning)}` });
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { findings, skipped: [] };
}
