import { chmodSync, cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BIN, fileTree as tree, runH5b } from "../_harness/cli.js";
import { ROOT } from "../_harness/golden.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "h5b-cli-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const h5b = (args: string[], cwd = dir) => runH5b(args, cwd);

describe("h5b build", () => {
  it("renders the default spec and prints its summary", async () => {
    const r = await h5b(["build"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("h5b build home from (embedded default)");
    expect(r.stdout).toMatch(/wireguard\.svc\.home\.example\.org\s+10\.0\.65\.\d+\s+2001:db8:10::65:/);
    expect(r.stdout).toMatch(/pi-cp +k3s-server +arm64\/debian +eth0 static +10\.0\.0\.10 /);
    expect(r.stdout).toMatch(/porygon +dhcp,dns +amd64\/debian +eth0 static +10\.0\.0\.53 /);
    expect(r.stdout).toMatch(/Wrote \d+ files/);
    expect(readdirSync(join(dir, "out", "hosts")).sort()).toEqual(expect.arrayContaining(["pi-cp", "pi-worker", "x86-1"]));
  });

  it("is deterministic: a second build is byte-identical, modes included", async () => {
    await h5b(["build"]);
    const first = tree(join(dir, "out"));
    await h5b(["build"]);
    expect(tree(join(dir, "out"))).toEqual(first);
  });

  it("keeps secrets in a 0600 folder and never prints them", async () => {
    const r = await h5b(["build", "--config", join(ROOT, "test/specs/pis-on-k3os.yaml")]);
    expect(r.exitCode).toBe(0);
    const secretsDir = join(ROOT, "test/specs/.h5b/secrets");
    try {
      expect(statSync(secretsDir).mode & 0o777).toBe(0o700);
      for (const f of readdirSync(secretsDir)) {
        expect(statSync(join(secretsDir, f)).mode & 0o777).toBe(0o600);
        const value = readFileSync(join(secretsDir, f), "utf8").trim();
        expect(r.stdout + r.stderr).not.toContain(value.slice(0, 40));
      }
      // k3OS embeds the join token, so its config is readable by root only.
      expect(statSync(join(dir, "out/hosts/pi-worker/var/lib/rancher/k3os/config.yaml")).mode & 0o777).toBe(0o600);
      expect(r.stderr).toContain("k3OS is unmaintained");
    } finally {
      rmSync(join(ROOT, "test/specs/.h5b"), { recursive: true, force: true });
    }
  });

  it("rejects a bad spec with every issue, exit 2, and writes nothing", async () => {
    writeFileSync(
      join(dir, "homelab.yaml"),
      readFileSync(join(ROOT, "test/specs/ipv4-only.yaml"), "utf8").replace("public: 10.0.65.0/28", "public: 10.0.32.0/28").replace("ipv4: 10.0.0.11", "ipv4: 10.0.0.10"),
    );
    const r = await h5b(["build"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("✖ overlaps networks.lan.ipv4.ranges.dhcp (10.0.32.0/20)\n  → at networks.lan.ipv4.ranges.public");
    expect(r.stderr).toContain("→ at hosts.pi-worker.addresses.ipv4");
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(readdirSync(dir)).toEqual(["homelab.yaml"]);
  });

  it("leaves the previous output whole when a later build fails", async () => {
    await h5b(["build"]);
    const before = tree(join(dir, "out"));
    writeFileSync(join(dir, "homelab.yaml"), "site: [not, a, mapping]\n");
    expect((await h5b(["build"])).exitCode).toBe(2);
    expect(tree(join(dir, "out"))).toEqual(before);
  });

  it("refuses to replace a folder it did not write", async () => {
    writeFileSync(join(dir, "notes.txt"), "mine");
    const r = await h5b(["build", "--out", "."]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("was not written by h5b");
    expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("mine");
  });

  it("says which output or secrets folder it cannot write, exit 2, without a stack", async () => {
    writeFileSync(join(dir, "afile"), "x");
    for (const [args, path] of [
      [["build", "--out", "afile/sub"], join(dir, "afile/sub")],
      [["build", "--secrets", "afile"], join(dir, "afile")],
    ] as const) {
      const r = await h5b([...args]);
      expect({ args, exitCode: r.exitCode }).toEqual({ args, exitCode: 2 });
      expect(r.stderr).toMatch(/✖ (cannot (write the output folder|keep the secrets there): E[A-Z]+|is not a folder: the secrets are kept in one)/);
      expect(r.stderr).toContain(`→ at ${path}`);
      expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    }
  });

  it("removes what a build killed part-way left beside the output (it holds the hosts' keys)", async () => {
    await h5b(["build"]);
    // A process id no process has: the build that left these is gone.
    for (const leftover of ["out.h5b-old-999999999", "out.h5b-tmp-999999999"]) cpSync(join(dir, "out"), join(dir, leftover), { recursive: true });
    writeFileSync(join(dir, "out.h5b-old-notes"), "not h5b's");
    // The same spec: the output is left as it is, the leftovers are removed all the same.
    const r = await h5b(["build"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("Unchanged");
    expect(readdirSync(dir).sort()).toEqual([".h5b", "out", "out.h5b-old-notes"]);
  });

  it("reports YAML syntax errors with line and column", async () => {
    writeFileSync(join(dir, "homelab.yaml"), "site:\n  name: home\n   zones: x\n");
    const r = await h5b(["build"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/→ at .*homelab\.yaml:\d+:\d+/);
    // A YAML 1.1 tag too: its value (a Buffer, a Date) would meet the schema as something no field takes.
    writeFileSync(join(dir, "homelab.yaml"), "site: !!binary eHg=\n");
    const tagged = await h5b(["build"]);
    expect({ code: tagged.exitCode, err: tagged.stderr }).toEqual({ code: 2, err: `✖ Unresolved tag: tag:yaml.org,2002:binary\n  → at ${join(dir, "homelab.yaml")}:1:7\n1 error (load)` });
  });

  it("reports an alias that names no anchor, an alias bomb and a spec that is a folder, exit 2, without a stack", async () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from({ length: 6 }, (_, i) => `${"bcdefg"[i]}: &${"bcdefg"[i]} [${Array(10).fill(`*${"abcdef"[i]}`).join(", ")}]`).join("\n")}\n`;
    for (const [text, message] of [
      ["site: *nope\n", "Unresolved alias (the anchor must be set before the alias): nope"],
      [bomb, "Excessive alias count indicates a resource exhaustion attack"],
    ] as const) {
      writeFileSync(join(dir, "homelab.yaml"), text);
      const r = await h5b(["build"]);
      expect({ code: r.exitCode, err: r.stderr }).toEqual({ code: 2, err: `✖ ${message}\n  → at ${join(dir, "homelab.yaml")}\n1 error (load)` });
    }
    rmSync(join(dir, "homelab.yaml"));
    const folder = join(dir, "spec.yaml");
    cpSync(ROOT, folder, { recursive: true, filter: (s) => s === ROOT });
    const r = await h5b(["build", "--config", folder]);
    expect({ code: r.exitCode, err: r.stderr }).toEqual({ code: 2, err: `✖ is a folder, not a spec file\n  → at ${folder}\n1 error (load)` });
  });

  it("rejects an unknown flag with exit 2", async () => {
    const r = await h5b(["build", "--outt", "x"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("✖ unknown option '--outt'");
    // A nested command's too.
    const nested = await h5b(["ddns", "reconcile", "--bogus"]);
    expect(nested.exitCode).toBe(2);
    expect(nested.stderr).toMatch(/^✖ unknown option '--bogus'\n\nUsage: h5b ddns reconcile/);
  });
});

describe("h5b init, schema and a TypeScript spec", () => {
  it("init writes an h5b.config.ts that builds to exactly the default output", async () => {
    expect((await h5b(["init"])).exitCode).toBe(0);
    const src = readFileSync(join(dir, "h5b.config.ts"), "utf8");
    expect(src).toContain('import { defineHomelab } from "h5b";');
    expect((await h5b(["init"])).exitCode).toBe(2);
    const fromFile = await h5b(["build", "--out", "a", "--secrets", "s"]);
    expect(fromFile.exitCode).toBe(0);
    expect(fromFile.stdout).toContain("from h5b.config.ts");
    rmSync(join(dir, "h5b.config.ts"));
    expect((await h5b(["build", "--out", "b", "--secrets", "s"])).exitCode).toBe(0);
    expect(tree(join(dir, "a"))).toEqual(tree(join(dir, "b")));
  });

  it("init refuses a .gitignore that is a folder before writing anything, exit 2, without a stack", async () => {
    mkdirSync(join(dir, ".gitignore"));
    const r = await h5b(["init", "--yaml"]);
    expect({ code: r.exitCode, err: r.stderr }).toEqual({
      code: 2,
      err: `✖ is not a file: init adds the folders of secrets and output to it\n  → at ${join(dir, ".gitignore")}\n1 error (init)`,
    });
    expect(readdirSync(dir)).toEqual([".gitignore"]);
  });

  it("init writes its files all or none: a write failing part-way leaves the user's spec as it was and nothing beside it", async () => {
    writeFileSync(join(dir, "homelab.yaml"), "# mine\n");
    // A file size limit that lets the spec (6 KB) through and stops the schema (38 KB), as a full disk would.
    const r = await execa("bash", ["-c", `trap '' XFSZ; ulimit -f 16; exec "${process.execPath}" "${BIN}" init --yaml --force`], { cwd: dir, reject: false, env: { NO_COLOR: "1" } });
    expect({ code: r.exitCode, err: r.stderr }).toEqual({ code: 2, err: expect.stringContaining("✖ cannot write the starter spec here (nothing was written): EFBIG") });
    expect(readdirSync(dir)).toEqual(["homelab.yaml"]);
    expect(readFileSync(join(dir, "homelab.yaml"), "utf8")).toBe("# mine\n");
  });

  it("init writes a .gitignore that is a link where it leads, and leaves the link", async () => {
    mkdirSync(join(dir, "dotfiles"));
    writeFileSync(join(dir, "dotfiles", "gitignore"), "node_modules/\n");
    symlinkSync(join("dotfiles", "gitignore"), join(dir, ".gitignore"));
    expect((await h5b(["init", "--yaml"])).exitCode).toBe(0);
    expect(lstatSync(join(dir, ".gitignore")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, "dotfiles", "gitignore"), "utf8")).toMatch(/^node_modules\/\n#.*\n\.h5b\/\nout\/\n$/);
  });

  it("init --yaml writes homelab.yaml and its schema, and it builds to the default output", async () => {
    expect((await h5b(["init", "--yaml"])).exitCode).toBe(0);
    expect(readFileSync(join(dir, "homelab.yaml"), "utf8")).toMatch(/^# yaml-language-server: \$schema=\.\/homelab\.schema\.json/);
    expect((await h5b(["build", "--out", "a", "--secrets", "s"])).exitCode).toBe(0);
    rmSync(join(dir, "homelab.yaml"));
    expect((await h5b(["build", "--out", "b", "--secrets", "s"])).exitCode).toBe(0);
    expect(tree(join(dir, "a"))).toEqual(tree(join(dir, "b")));
  });

  it("refuses folders that cannot be made, under /proc too (Node's recursive mkdir loops there), exit 2", async () => {
    for (const args of [["--secrets", "/proc/h5b-nope/secrets"], ["--out", "/proc/h5b-nope/out"]]) {
      const r = await execa(process.execPath, [BIN, "build", ...args], { cwd: dir, reject: false, timeout: 30_000, env: { NO_COLOR: "1" } });
      expect({ args, timedOut: r.timedOut, exitCode: r.exitCode }).toEqual({ args, timedOut: false, exitCode: 2 });
      expect(r.stderr).toContain("✖");
    }
  });

  it("keeps secrets and output out of git: init's .gitignore, and one inside the secrets folder wherever it is", async () => {
    await execa("git", ["init", "-q"], { cwd: dir });
    writeFileSync(join(dir, ".gitignore"), "node_modules/");
    expect((await h5b(["init", "--yaml"])).exitCode).toBe(0);
    expect(readFileSync(join(dir, ".gitignore"), "utf8")).toMatch(/^node_modules\/\n# written by h5b.*\n\.h5b\/\nout\/\n$/);
    expect((await h5b(["build"])).exitCode).toBe(0);
    expect((await h5b(["build", "--out", "elsewhere/out", "--secrets", "elsewhere/secrets"])).exitCode).toBe(0);
    await execa("git", ["add", "-A"], { cwd: dir });
    const staged = (await execa("git", ["diff", "--cached", "--name-only"], { cwd: dir })).stdout.split("\n");
    expect(staged.filter((f) => f.startsWith(".h5b/") || f.startsWith("out/") || f.startsWith("elsewhere/secrets/"))).toEqual([]);
    expect(staged).toContain("homelab.yaml");
    // A second init (after removing the spec) adds nothing twice.
    rmSync(join(dir, "homelab.yaml"));
    expect((await h5b(["init", "--yaml", "--force"])).exitCode).toBe(0);
    expect(readFileSync(join(dir, ".gitignore"), "utf8").match(/\.h5b\//g)).toHaveLength(1);
  });

  it("keeps to one spec a folder: init refuses a second kind, and build refuses two side by side", async () => {
    expect((await h5b(["init"])).exitCode).toBe(0);
    const second = await h5b(["init", "--yaml"]);
    expect(second.exitCode).toBe(2);
    expect(second.stderr).toContain("✖ is already the spec here; remove it first to start over with homelab.yaml\n  → at h5b.config.ts");
    expect(readdirSync(dir)).toEqual([".gitignore", "h5b.config.ts"]);
    writeFileSync(join(dir, "homelab.yaml"), "site: {}\n");
    const r = await h5b(["build"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`is a second spec beside ${join(dir, "h5b.config.ts")}: remove one, or pass --config`);
  });

  it("a TypeScript syntax error is reported at its line and column", async () => {
    expect((await h5b(["init"])).exitCode).toBe(0);
    const lines = readFileSync(join(dir, "h5b.config.ts"), "utf8").split("\n");
    const at = lines.findIndex((l) => l.includes("hosts: {"));
    lines[at] = `${lines[at]} }`;
    writeFileSync(join(dir, "h5b.config.ts"), lines.join("\n"));
    const r = await h5b(["build"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/✖ could not load: .*\n\s+→ at .*h5b\.config\.ts:\d+:\d+/);
  });

  it("a TypeScript spec with a type error in values is reported with its path", async () => {
    cpSync(join(ROOT, "src/spec/default.ts"), join(dir, "h5b.config.ts"));
    const text = readFileSync(join(dir, "h5b.config.ts"), "utf8").replace('from "./homelab.js"', 'from "h5b"').replace('replicas: 2,\n      ports: [{ name: "wireguard"', 'replicas: "two" as never,\n      ports: [{ name: "wireguard"');
    writeFileSync(join(dir, "h5b.config.ts"), text);
    const r = await h5b(["build"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("→ at workloads.wireguard.replicas");
  });

  it("schema prints a JSON Schema with the spec's fields", async () => {
    const r = await h5b(["schema"]);
    const schema = JSON.parse(r.stdout) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["site", "networks", "hosts", "cluster", "workloads", "storage", "backups", "access"]));
  });
});

describe("h5b check", () => {
  it("says the shell check could not run when the shells are missing, rather than report every script as refused", async () => {
    await h5b(["build"]);
    const r = await execa(process.execPath, [BIN, "check", "--only", "shell"], { cwd: dir, reject: false, env: { NO_COLOR: "1", PATH: join(dir, "nothing") } });
    expect(r.stdout + r.stderr).toContain("⚠ shell not run: sh is not installed (Debian package dash: apt-get install dash)");
    expect(r.stdout + r.stderr).not.toContain("refuses it");
  });

  it("exits 0 on a fresh build and 1 with findings", async () => {
    await h5b(["build"]);
    const clean = await h5b(["check", "--only", "kubernetes-schema,chart-values,k3s-config,design-rules,rbac-audit"]);
    expect(clean.stdout).toContain("no findings");
    expect(clean.exitCode).toBe(0);
    const cfg = join(dir, "out/hosts/pi-worker/etc/rancher/k3s/config.yaml");
    chmodSync(cfg, 0o644);
    writeFileSync(cfg, `${readFileSync(cfg, "utf8")}flannel-backend: none\n`);
    const dirty = await h5b(["check", "--only", "k3s-config"]);
    expect(dirty.exitCode).toBe(1);
    expect(dirty.stdout).toContain("flannel-backend is a server flag, which an agent skips");
  });

  it("exits 2 for a check name it does not know, rather than pass with nothing run", async () => {
    await h5b(["build"]);
    const r = await h5b(["check", "--only", "kea,nonsense"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("✖ no check is called 'nonsense' (the checks: kubernetes-schema,");
    expect(r.stderr).toContain("→ at --only");
  });

  it("says when the spec changed after the output it checks was written", async () => {
    expect((await h5b(["init", "--yaml"])).exitCode).toBe(0);
    await h5b(["build"]);
    const fresh = await h5b(["check", "--only", "rbac-audit"]);
    expect(fresh.stderr).not.toContain("is older than");
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, "homelab.yaml"), later, later);
    const stale = await h5b(["check", "--only", "rbac-audit"]);
    expect(stale.stderr).toContain(`⚠ is older than ${join(dir, "homelab.yaml")}: checking the output as it is (run h5b build to check the spec as it is now)\n  → at out`);
  });

  it("exits 2 when there is no output to check", async () => {
    const r = await h5b(["check"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("run `h5b build` first");
  });
});
