import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { renderTree, variants } from "./_render.js";

// The real tools, as CI installs them from Debian 12 (ansible, ansible-lint).
const env = { ...process.env, ANSIBLE_NOCOLOR: "1", NO_COLOR: "1" };
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

describe.each(Object.keys(variants))("the rendered Ansible of the %s spec", (variant) => {
  const tree = renderTree(variants[variant]).then((t) => {
    made.push(dirname(t.out));
    return t;
  });

  it("passes ansible-playbook --syntax-check", async () => {
    const { out } = await tree;
    const r = await execa("ansible-playbook", ["--syntax-check", "site.yml"], { cwd: `${out}/ansible`, env, reject: false });
    expect(r.stderr + r.stdout).toContain("playbook: site.yml");
    expect(r.exitCode).toBe(0);
  });

  it("passes ansible-lint with the production profile", async () => {
    const { out } = await tree;
    const r = await execa("ansible-lint", ["--offline", "--profile", "production", "--nocolor", "site.yml"], { cwd: `${out}/ansible`, env, reject: false });
    expect(r.stdout + r.stderr).toMatch(/Passed with production profile: 0 failure\(s\), 0 warning\(s\)/);
    expect(r.exitCode).toBe(0);
  });
});
