import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { nfsExportsChecker } from "../../src/check/nfs-exports.js";
import { findProgram } from "../../src/check/_program.js";
import type { CheckContext } from "../../src/check/types.js";
import { editedContext } from "./_context.js";
import { renderWithTestSecrets, ROOT } from "../_harness/golden.js";

const FILE = "hosts/pi-cp/var/lib/rancher/k3s/server/manifests/h5b-39-nfs-server.yaml";
const WHERE = `${FILE} (ConfigMap kube-system/nfs-server-exports)`;
const rendered = await renderWithTestSecrets(undefined);

/** The default build's files, the NFS server's manifest edited as text (the exports are a block scalar in it). */
const ctx = (edit?: (text: string) => string): CheckContext => editedContext(rendered, FILE, edit);

describe("h5b check: nfs-exports", () => {
  it("accepts the default build's exports (exportfs -ra, in namespaces of its own)", async () => {
    expect(await nfsExportsChecker.run(ctx())).toEqual({ findings: [], skipped: [] });
  });

  // Line 12 of the exports is the second client of /exports/k8s; exportfs itself says 11 (the comment above).
  it.each([
    { name: "an unknown option", edit: (t: string) => t.replace("10.0.0.11(rw,sync", "10.0.0.11(rw,foo,sync"), message: 'exportfs -ra refuses it: data.exports:12: unknown keyword "foo"' },
    { name: "a missing closing parenthesis", edit: (t: string) => t.replace("10.0.0.11(rw,sync,no_subtree_check,no_root_squash)", "10.0.0.11(rw,sync,no_subtree_check,no_root_squash"), message: "exportfs -ra refuses it: data.exports:12: syntax error: bad option list" },
    { name: "a bad fsid", edit: (t: string) => t.replace("10.0.0.10(ro,fsid=0", "10.0.0.10(ro,fsid=zero"), message: 'exportfs -ra refuses it: data.exports:3: bad fsid "fsid=zero"' },
    { name: "a prefix longer than 32 bits", edit: (t: string) => t.replace("10.0.0.11(rw", "10.0.0.0/33(rw"), message: "exportfs -ra refuses it: Invalid prefix `33' for 10.0.0.0/33" },
    // exportfs exits 0 on these two, but the server would not export what the line says.
    { name: "a client that is not an address", edit: (t: string) => t.replace("10.0.0.11(rw", "10.0.0.300(rw"), message: "exportfs -ra accepts it but warns: Failed to resolve 10.0.0.300" },
    { name: "a space before the options", edit: (t: string) => t.replace("10.0.0.11(rw", "10.0.0.11 (rw"), message: /^exportfs -ra accepts it but warns: No host name given with \/exports\/k8s \(rw,sync,no_subtree_check,no_root_squash\), suggest \*\(rw/ },
  ])("reports $name at the ConfigMap", async ({ edit, message }) => {
    const res = await nfsExportsChecker.run(ctx(edit));
    expect(res.skipped).toEqual([]);
    expect(res.findings).toEqual([{ check: "nfs-exports", where: WHERE, message: typeof message === "string" ? message : expect.stringMatching(message) }]);
  });

  it("passes exports that only leave no_subtree_check or a client's options to their defaults", async () => {
    // exportfs notes both, and exports the lines as written: the defaults are no_subtree_check and ro,sync.
    const res = await nfsExportsChecker.run(ctx((t) => t.replaceAll(",no_subtree_check", "").replace("10.0.0.10(ro,fsid=0)", "10.0.0.10")));
    expect(res).toEqual({ findings: [], skipped: [] });
  });
});

describe("h5b check: nfs-exports without exportfs", () => {
  it("skips, naming the Debian package to install", async () => {
    const dir = mkdtempSync(join(tmpdir(), "h5b-nfs-exports-"));
    try {
      const h5b = [process.execPath, join(ROOT, "bin", "h5b.js")];
      expect((await execa(h5b[0] as string, [...h5b.slice(1), "build", "--out", "out"], { cwd: dir, reject: false })).exitCode).toBe(0);
      // exportfs is found in /usr/sbin whatever PATH says: a machine without it is a mount namespace where it is not executable.
      const hide = 'mount --bind /dev/null "$0" && exec "$@"';
      const r = await execa("unshare", ["--user", "--map-root-user", "--mount", "sh", "-c", hide, findProgram("exportfs") as string, ...h5b, "check", "--only", "nfs-exports"], { cwd: dir, reject: false, env: { NO_COLOR: "1" } });
      expect(r.stdout).toContain("nfs-exports not run: exportfs is not installed (Debian package nfs-kernel-server: apt-get install nfs-kernel-server)");
      expect(r.exitCode).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
