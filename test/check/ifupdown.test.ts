import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ifupdownChecker } from "../../src/check/ifupdown.js";
import { findProgram } from "../../src/check/_program.js";
import type { CheckContext } from "../../src/check/types.js";
import { editedContext } from "./_context.js";
import { renderWithTestSecrets, ROOT } from "../_harness/golden.js";

const PORYGON = "hosts/porygon/etc/network/interfaces";
const rendered = await renderWithTestSecrets(undefined);

/** The default build's files, Porygon's interfaces file edited. */
const ctx = (edit?: (text: string) => string): CheckContext => editedContext(rendered, PORYGON, edit);

describe("h5b check: ifupdown", () => {
  it("accepts the default build's interfaces files (ifup --no-act --all)", async () => {
    const read = [...ctx().files.keys()].filter((p) => p.endsWith("/etc/network/interfaces")).sort();
    expect(read).toEqual(["hosts/gateway/etc/network/interfaces", PORYGON, "hosts/x86-1/etc/network/interfaces"]);
    expect(await ifupdownChecker.run(ctx())).toEqual({ findings: [], skipped: [] });
  });

  it.each([
    {
      name: "an unknown method",
      edit: (t: string) => t.replace("iface eth0 inet static", "iface eth0 inet statik"),
      message: `ifup --no-act refuses it: ifup: ${PORYGON}:12: unknown or no method and no inherits keyword specified; ifup: couldn't read interfaces file "${PORYGON}"`,
    },
    {
      // ifup names the port, not the line; the finding names the file.
      name: "a static port without its address",
      edit: (t: string) => t.replace(/^ {4}address 10\..*\n/m, ""),
      message: "ifup --no-act refuses it: ifup: missing required variable: address; ifup: missing required configuration variables for interface eth0/inet; ifup: failed to bring up eth0",
    },
    {
      // ifup exits 0 on this one, and brings the port up without what the line says.
      name: "a word ifup ignores on an iface line",
      edit: (t: string) => t.replace("iface eth0 inet6 static", "iface eth0 inet6 static dad-attempts 0"),
      message: `ifup --no-act accepts it but warns: ifup: ${PORYGON}:9: extra parameter for the iface line not understood and ignored: dad-attempts`,
    },
  ])("reports $name at the rendered file", async ({ edit, message }) => {
    const res = await ifupdownChecker.run(ctx(edit));
    expect(res.skipped).toEqual([]);
    expect(res.findings).toEqual([{ check: "ifupdown", where: PORYGON, message }]);
  });
});

describe("h5b check: ifupdown on a machine of its own", () => {
  const h5b = [process.execPath, join(ROOT, "bin", "h5b.js")];
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "h5b-ifupdown-"));
    expect((await execa(h5b[0] as string, [...h5b.slice(1), "build", "--out", "out"], { cwd: dir, reject: false })).exitCode).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs `script`, then `argv`, as root of a user and mount namespace: it changes this machine's folders for `argv` alone. */
  const inNamespace = (script: string, argv: readonly string[]) =>
    execa("unshare", ["--user", "--map-root-user", "--mount", "sh", "-c", `${script} && exec "$@"`, "sh", ...argv], { cwd: dir, reject: false, env: { NO_COLOR: "1" } });

  it("does not read this machine's /etc/network/interfaces.d", async () => {
    // A machine whose interfaces.d has a stanza ifup complains about (exiting 0, as for any error in a sourced
    // file); the rendered file's `source` line reads it, and the checker would blame the rendered file.
    const broken = 'mount -t tmpfs h5b /etc/network && mkdir /etc/network/interfaces.d && echo "iface eth9 inet bogus" > /etc/network/interfaces.d/eth9';
    const plain = await inNamespace(broken, [findProgram("ifup") as string, "--no-act", "--all", "--interfaces", `out/${PORYGON}`, "--state-dir", join(dir, "state")]);
    expect(plain.stderr).toContain("/etc/network/interfaces.d/eth9:1: unknown or no method");
    const r = await inNamespace(broken, [...h5b, "check", "--only", "ifupdown"]);
    expect(r.stdout).toContain("✔ no findings; 1 checks ran (ifupdown)");
    expect(r.exitCode).toBe(0);
  });

  it("skips without ifup, naming the Debian package to install", async () => {
    // ifup is found in /sbin whatever PATH says: a machine without it is one where it is not executable.
    const r = await inNamespace(`mount --bind /dev/null ${findProgram("ifup") as string}`, [...h5b, "check", "--only", "ifupdown"]);
    expect(r.stdout).toContain("ifupdown not run: ifup is not installed (Debian package ifupdown: apt-get install ifupdown)");
    // Not a pass: the last line says what could not run.
    expect(r.stdout).toContain("⚠ no findings in what ran, but 1 check could not run (⚠ above)");
    expect(r.stdout).not.toContain("✔");
    expect(r.exitCode).toBe(0);
  });

  it("skips where no user namespace can be made, rather than blame the files", async () => {
    // The limit is the namespace's own: this machine's stays as it is.
    const r = await inNamespace("echo 0 > /proc/sys/user/max_user_namespaces", [...h5b, "check", "--only", "ifupdown"]);
    expect(r.stdout).toMatch(/ifupdown not run: no private namespace to run ifup --no-act in: unshare: /);
    expect(r.stdout).not.toContain("✖");
    expect(r.exitCode).toBe(0);
  });
});
