import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ansibleChecker } from "../../src/check/ansible.js";
import { readOutput } from "../../src/check/index.js";
import { renderTree, variants } from "./_render.js";

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

// The real tools, as CI installs them from Debian 12: ansible-playbook --syntax-check, then ansible-lint --profile production.
describe.each(Object.keys(variants))("the rendered Ansible of the %s spec", (variant) => {
  it("passes the syntax check and ansible-lint's production profile", async () => {
    const { out } = await renderTree(variants[variant]);
    made.push(dirname(out));
    expect(await ansibleChecker.run(readOutput(out))).toEqual({ findings: [] });
  });
});
