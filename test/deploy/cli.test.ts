import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BIN, runH5b } from "../_harness/cli.js";
import { ROOT } from "../_harness/golden.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "h5b-deploy-cli-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** An ansible-playbook stand-in on PATH: records its arguments and plays back a canned run. */
function fakeAnsible(output: readonly string[], exitCode: number): string {
  const bin = join(dir, "bin");
  const script = join(bin, "ansible-playbook");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "output.txt"), `${output.join("\n")}\n`);
  writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$@" > "${bin}/args.txt"\npwd >> "${bin}/args.txt"\ncat "${bin}/output.txt"\nexit ${exitCode}\n`);
  chmodSync(script, 0o755);
  return bin;
}

const h5b = (args: string[], path: string) => runH5b(["deploy", "--default-spec", ...args], dir, { PATH: `${path}:/usr/bin:/bin` });

const RECAP = "PLAY RECAP *********************************************************************";

describe("h5b deploy", () => {
  it("refuses the embedded default spec unless asked for it (exit 2), and writes nothing", async () => {
    const r = await execa(process.execPath, [BIN, "deploy", "--check"], { cwd: dir, reject: false, env: { NO_COLOR: "1", PATH: fakeAnsible([], 0) } });
    expect(r.stderr).toContain("holds no spec (h5b.config.ts or homelab.yaml)");
    expect(r.stderr).toContain("--default-spec");
    expect(r.exitCode).toBe(2);
    expect(existsSync(join(dir, "out"))).toBe(false);
    expect(existsSync(join(dir, ".h5b"))).toBe(false);
  });

  it("says which Debian package brings a missing ansible-playbook (exit 2)", async () => {
    const r = await execa(process.execPath, [BIN, "deploy", "--default-spec"], { cwd: dir, reject: false, env: { NO_COLOR: "1", PATH: join(dir, "nothing") } });
    expect(r.stderr).toContain("apt-get install ansible");
    expect(r.exitCode).toBe(2);
  });

  it("refuses an unknown host and a k3OS host in --limit (exit 2)", async () => {
    const bin = fakeAnsible([], 0);
    const r = await h5b(["--limit", "nope"], bin);
    expect(r.stderr).toMatch(/no host nope in the spec/);
    expect(r.exitCode).toBe(2);
    // Refused before the output is written.
    expect(existsSync(join(dir, "out"))).toBe(false);
    const k3os = await h5b(["--config", join(ROOT, "test/specs/pis-on-k3os.yaml"), "--limit", "pi-cp"], bin);
    expect(k3os.stderr).toContain("pi-cp runs k3OS");
    expect(k3os.exitCode).toBe(2);
  });

  it("refuses a missing --inventory or -e @file (exit 2) before the playbook runs: ansible-playbook would skip it and converge the rendered addresses", async () => {
    const bin = fakeAnsible([], 0);
    const r = await h5b(["--check", "--inventory", "mine.yml", "-e", "@vars/none.yml", "-e", "a=b"], bin);
    expect(r.stderr).toContain(`✖ no such file: ${join(dir, "mine.yml")}\n  → at --inventory`);
    expect(r.stderr).toContain(`✖ no such file: ${join(dir, "vars/none.yml")}\n  → at --extra-vars`);
    expect(r.exitCode).toBe(2);
    expect(existsSync(join(bin, "args.txt"))).toBe(false);
    expect(existsSync(join(dir, "out"))).toBe(false);
  });

  it.each([
    ["a trailing comma", '{\n  "https://example.org/a.tgz": "%s",\n}\n', "is not valid JSON (it does not parse at line 3, column 1"],
    ["null", "null\n", "holds null"],
    ["a value with its algorithm's name", '{"https://example.org/a.tgz": "sha256:%s"}\n', "without the sha256: prefix"],
  ])("refuses a hand-edited .h5b/checksums.json with %s (exit 2, no stack), before the output is written", async (_what, text, message) => {
    const bin = fakeAnsible([], 0);
    const pins = join(dir, ".h5b", "checksums.json");
    mkdirSync(join(dir, ".h5b"), { recursive: true });
    writeFileSync(pins, text.replace("%s", "c".repeat(64)));
    const r = await h5b(["--limit", "porygon"], bin);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(`→ at ${pins}`);
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(r.stderr).not.toContain("c".repeat(64));
    expect(r.exitCode).toBe(2);
    expect(existsSync(join(dir, "out"))).toBe(false);
    expect(existsSync(join(bin, "args.txt"))).toBe(false);
  });

  it("renders a stale output, runs the playbook in check mode and exits 0 when every host converged", async () => {
    const bin = fakeAnsible(
      ["TASK [common : Install the base packages] **************************************", "changed: [porygon]", RECAP, "porygon : ok=1 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"],
      0,
    );
    const r = await h5b(["--check", "--limit", "porygon"], bin);
    expect(r.stdout).toContain("rendered out");
    expect(r.stdout).toMatch(/~ porygon\s+common : Install the base packages\s+changed/);
    expect(r.stdout).toContain("every host converged (check mode: nothing changed)");
    expect(r.exitCode).toBe(0);
    const args = readFileSync(join(bin, "args.txt"), "utf8").split("\n");
    expect(args).toEqual(expect.arrayContaining(["--check", "--diff", "--limit", "porygon", "site.yml"]));
    expect(args).toContain(join(dir, "out", "ansible"));
    // The playbook gets the secrets folder and the checksums through a vars file, never on the command line.
    expect(args.some((a) => a.startsWith("@") && a.endsWith("vars.json"))).toBe(true);
    expect(args).not.toContain("--skip-tags");
  });

  it("hands ansible-playbook a vars file named from the user's folder by its full path (it runs in out/ansible)", async () => {
    const bin = fakeAnsible([RECAP, "porygon : ok=1 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"], 0);
    mkdirSync(join(dir, "vars"));
    writeFileSync(join(dir, "vars", "mine.yml"), "a: b\n");
    const r = await h5b(["--check", "--limit", "porygon", "-e", "@vars/mine.yml", "-e", "c=d"], bin);
    expect(r.exitCode).toBe(0);
    const args = readFileSync(join(bin, "args.txt"), "utf8").split("\n");
    expect(args).toEqual(expect.arrayContaining([`@${join(dir, "vars", "mine.yml")}`, "c=d"]));
  });

  it("leaves out the plays that need hardware with --skip-hardware", async () => {
    const bin = fakeAnsible([RECAP, "x86-1 : ok=1 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0"], 0);
    const r = await h5b(["--skip-hardware", "--limit", "x86-1"], bin);
    expect(r.exitCode).toBe(0);
    const args = readFileSync(join(bin, "args.txt"), "utf8").split("\n");
    expect(args.slice(args.indexOf("--skip-tags"), args.indexOf("--skip-tags") + 2)).toEqual(["--skip-tags", "hardware"]);
  });

  it("prints failures in full at the end and exits 1 when a host did not converge", async () => {
    const bin = fakeAnsible(
      [
        "TASK [zfs : Create the pool] ***************************************************",
        'fatal: [x86-1]: FAILED! => {"changed": false, "msg": "non-zero return code", "stderr": "cannot create \'tank\': no such device"}',
        RECAP,
        "x86-1 : ok=3 changed=0 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0",
      ],
      2,
    );
    const r = await h5b(["--limit", "x86-1"], bin);
    expect(r.stdout).toMatch(/✖ x86-1\s+zfs : Create the pool\s+failed/);
    expect(r.stdout).toContain("✖ x86-1 failed in zfs : Create the pool\n    non-zero return code\n    stderr:\n    cannot create 'tank': no such device");
    expect(r.stdout).toContain("not every host converged");
    expect(r.exitCode).toBe(1);
  });
});
