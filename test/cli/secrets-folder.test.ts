import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fileTree as tree, runH5b } from "../_harness/cli.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "h5b-cli-secrets-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const h5b = (args: string[]) => runH5b(args, dir);

const STACK = /\n\s+at .*\.js:\d+/;

describe("h5b build and where the secrets folder is", () => {
  it("refuses a secrets folder in the output folder, through a link too, before writing anything", async () => {
    // The default secrets folder inside the chosen output: the flag at fault is --out.
    const inOut = await h5b(["build", "--out", ".h5b"]);
    expect(inOut.exitCode).toBe(2);
    expect(inOut.stderr).toContain(`✖ ${join(dir, ".h5b")} holds the secrets folder ${join(dir, ".h5b/secrets")}`);
    expect(inOut.stderr).toContain("→ at --out");
    expect(readdirSync(dir)).toEqual([]);

    expect((await h5b(["build"])).exitCode).toBe(0);
    const before = tree(join(dir, "out"));
    symlinkSync("out", join(dir, "link"));
    for (const [secrets, real] of [
      ["out/secrets", join(dir, "out/secrets")],
      ["link/secrets", join(dir, "out/secrets")],
      ["out", join(dir, "out")],
    ] as const) {
      const r = await h5b(["build", "--secrets", secrets]);
      expect({ secrets, code: r.exitCode }).toEqual({ secrets, code: 2 });
      expect(r.stderr).toContain(`is in the output folder ${join(dir, "out")}: every build replaces the output folder whole`);
      expect(r.stderr).toContain(real);
      expect(r.stderr).toContain("→ at --secrets");
      expect(r.stderr).not.toMatch(STACK);
      expect(tree(join(dir, "out"))).toEqual(before);
    }
  });

  it("refuses the spec's folder, or one holding it, as the secrets folder: nothing closed, nothing git-ignored", async () => {
    expect((await h5b(["init", "--yaml"])).exitCode).toBe(0);
    chmodSync(dir, 0o755);
    const files = readdirSync(dir).sort();
    for (const secrets of [".", ".."]) {
      const r = await h5b(["build", "--secrets", secrets]);
      expect({ secrets, code: r.exitCode }).toEqual({ secrets, code: 2 });
      expect(r.stderr).toContain(`is or holds the folder of the spec ${join(dir, "homelab.yaml")}`);
      expect(r.stderr).toContain("→ at --secrets");
    }
    expect(statSync(dir).mode & 0o777).toBe(0o755);
    expect(readdirSync(dir).sort()).toEqual(files);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).not.toMatch(/^\*$/m);
  });

  it("lets a secrets folder hold the output folder: the secrets outlive every build", async () => {
    expect((await h5b(["build", "--secrets", "s", "--out", "s/out"])).exitCode).toBe(0);
    const token = readFileSync(join(dir, "s/k3s-token"), "utf8");
    const second = await h5b(["build", "--secrets", "s", "--out", "s/out"]);
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toContain("Unchanged");
    expect(readFileSync(join(dir, "s/k3s-token"), "utf8")).toBe(token);
  });
});

describe("h5b build beside an output built with other secrets", () => {
  it("refuses to make a new k3s token and etcd CA, exit 2, and writes nothing; the right folder builds as before", async () => {
    expect((await h5b(["build"])).exitCode).toBe(0);
    const before = tree(join(dir, "out"));
    renameSync(join(dir, ".h5b"), join(dir, "moved"));
    const r = await h5b(["build"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`✖ does not exist, but the output in ${join(dir, "out")} was built with other secrets`);
    expect(r.stderr).toContain(`pass --secrets with the folder that holds them; to start over with new secrets on purpose, delete ${join(dir, "out")} first`);
    expect(r.stderr).toContain(`→ at ${join(dir, ".h5b/secrets")}`);
    expect(r.stderr).not.toMatch(STACK);
    expect(readdirSync(dir).sort()).toEqual(["moved", "out"]);
    expect(tree(join(dir, "out"))).toEqual(before);

    // A typo in --secrets is the same mistake; the folder that holds them builds the same output.
    expect((await h5b(["build", "--secrets", "moved/secret"])).exitCode).toBe(2);
    expect(existsSync(join(dir, "moved/secret"))).toBe(false);
    const right = await h5b(["build", "--secrets", "moved/secrets"]);
    expect(right.exitCode).toBe(0);
    expect(right.stdout).toContain("Unchanged");

    // One of the two gone is enough to refuse.
    renameSync(join(dir, "moved"), join(dir, ".h5b"));
    rmSync(join(dir, ".h5b/secrets/etcd-ca"));
    const partial = await h5b(["build"]);
    expect(partial.exitCode).toBe(2);
    expect(partial.stderr).toContain("✖ holds no etcd-ca, but the output in");
    expect(existsSync(join(dir, ".h5b/secrets/etcd-ca"))).toBe(false);

    // Starting over on purpose: without the output, new secrets are made.
    rmSync(join(dir, "out"), { recursive: true });
    expect((await h5b(["build"])).exitCode).toBe(0);
    expect(existsSync(join(dir, ".h5b/secrets/etcd-ca"))).toBe(true);
  });
});

describe("h5b build and a spoiled secrets folder", () => {
  it("reports every file opened up and a broken etcd CA at once, exit 2, without a stack or a secret", async () => {
    expect((await h5b(["build"])).exitCode).toBe(0);
    const secrets = join(dir, ".h5b/secrets");
    const ca = join(secrets, "etcd-ca");
    writeFileSync(ca, readFileSync(ca, "utf8").replace(/^MIIB/m, "MXXB"));
    const names = readdirSync(secrets).filter((n) => n !== ".gitignore");
    for (const n of names) chmodSync(join(secrets, n), 0o644);
    const r = await h5b(["build"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).not.toMatch(STACK);
    const at = [...r.stderr.matchAll(/✖ (.*)\n {2}→ at (.*)/g)].map((m) => [m[2], m[1]?.split(" ").slice(0, 3).join(" ")]);
    expect(at).toEqual(expect.arrayContaining([...names.map((n) => [join(secrets, n), "is readable by"]), [ca, "does not hold"]]));
    expect(at).toHaveLength(names.length + 1);
    for (const n of names) {
      for (const line of readFileSync(join(secrets, n), "utf8").split("\n").filter((l) => l.length > 8)) expect(r.stderr).not.toContain(line);
    }
  });
});
