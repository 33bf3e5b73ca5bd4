import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { missingProgram } from "./_program.js";
import type { Checker, Finding } from "./types.js";

interface LintIssue {
  readonly check_name: string;
  readonly description: string;
  readonly location: { readonly path: string; readonly lines?: { readonly begin?: number } };
  readonly content?: { readonly body?: string };
}

const env = { ANSIBLE_NOCOLOR: "1", NO_COLOR: "1" };

/** `ansible-playbook --syntax-check` and `ansible-lint` with the production profile on the rendered Ansible tree. */
export const ansibleChecker: Checker = {
  name: "ansible",
  description: "ansible-playbook --syntax-check and ansible-lint (production profile) accept the rendered playbook and roles",
  async run(ctx) {
    if (!ctx.files.has("ansible/site.yml")) return { findings: [] };
    const missing = missingProgram(this.name, [
      ["ansible-playbook", "ansible"],
      ["ansible-lint", "ansible-lint"],
    ]);
    if (missing !== undefined) return { findings: [], skipped: [missing] };
    const cwd = join(ctx.outDir, "ansible");
    if (!existsSync(join(cwd, "site.yml"))) return { findings: [], skipped: [{ check: this.name, reason: `${cwd} is not on disk (Ansible reads the roles from there)` }] };
    const findings: Finding[] = [];
    const syntax = await execa("ansible-playbook", ["--syntax-check", "site.yml"], { cwd, env, reject: false });
    if (syntax.exitCode !== 0) {
      findings.push({ check: this.name, where: "ansible/site.yml", message: `ansible-playbook --syntax-check: ${(syntax.stderr || syntax.stdout).trim()}` });
      return { findings };
    }
    const lint = await execa("ansible-lint", ["--offline", "--profile", "production", "--nocolor", "-q", "-f", "codeclimate", "site.yml"], { cwd, env, reject: false });
    let issues: LintIssue[];
    try {
      issues = JSON.parse(lint.stdout || "[]") as LintIssue[];
    } catch {
      issues = [];
    }
    for (const i of issues) {
      const line = i.location.lines?.begin;
      findings.push({
        check: this.name,
        where: `ansible/${i.location.path}${line !== undefined ? `:${line}` : ""}`,
        message: `ansible-lint ${i.check_name}: ${i.description}${i.content?.body !== undefined ? ` (${i.content.body})` : ""}`,
      });
    }
    if (lint.exitCode !== 0 && issues.length === 0) findings.push({ check: this.name, where: "ansible/", message: `ansible-lint failed: ${lint.stderr.trim()}` });
    return { findings };
  },
};
