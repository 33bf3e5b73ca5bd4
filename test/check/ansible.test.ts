import { appendFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ansibleChecker } from "../../src/check/ansible.js";
import { readOutput } from "../../src/check/index.js";
import { renderTree } from "../ansible/_render.js";

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

// That it accepts every variant's playbook is in test/ansible/lint.test.ts.
describe("the ansible checker", () => {
  it("reports each ansible-lint finding at its file and line", async () => {
    const { out } = await renderTree();
    made.push(dirname(out));
    appendFileSync(join(out, "ansible/roles/common/tasks/main.yml"), "- ansible.builtin.command: echo hi\n");
    const { findings } = await ansibleChecker.run(readOutput(out));
    expect(findings).toContainEqual({
      check: "ansible",
      where: expect.stringMatching(/^ansible\/roles\/common\/tasks\/main\.yml:\d+$/),
      message: "ansible-lint name[missing]: All tasks should be named. (Task/Handler: command echo hi)",
    });
    expect(findings.map((f) => f.message)).toContainEqual(expect.stringContaining("no-changed-when"));
  });

  it("reports a playbook Ansible cannot parse", async () => {
    const { out } = await renderTree();
    made.push(dirname(out));
    appendFileSync(join(out, "ansible/site.yml"), "- hosts: [unclosed\n");
    const { findings } = await ansibleChecker.run(readOutput(out));
    expect(findings).toHaveLength(1);
    expect(findings[0]?.where).toBe("ansible/site.yml");
    expect(findings[0]?.message).toMatch(/^ansible-playbook --syntax-check: /);
  });
});
