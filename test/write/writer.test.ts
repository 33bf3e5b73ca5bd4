import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OutputFile } from "../../src/emit/file.js";
import { H5bError } from "../../src/issue.js";
import { MARKER, writeTree } from "../../src/write/writer.js";

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "h5b-writer-"));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

/** Every file under `dir` with its content and mode, in path order. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, n.name);
      if (n.isDirectory()) walk(p);
      else out[relative(dir, p)] = `${(statSync(p).mode & 0o777).toString(8)} ${readFileSync(p, "utf8")}`;
    }
  };
  walk(dir);
  return out;
}

const tree: OutputFile[] = [
  { path: "hosts/a/etc/rancher/k3s/config.yaml", content: "node-ip: 10.0.0.1\n" },
  { path: "hosts/a/etc/rancher/k3s/token", content: "secret\n", mode: 0o600 },
  { path: "hosts/b/usr/local/sbin/tool", content: "#!/bin/sh\n", mode: 0o755 },
  { path: "plan.json", content: "{}\n" },
];

describe("writeTree", () => {
  it("writes every file with its mode, nested folders and the marker", async () => {
    const out = join(base, "out");
    const r = await writeTree(out, tree);
    expect(r).toMatchObject({ files: 4, bytes: tree.reduce((n, f) => n + f.content.length, 0), unchanged: false });
    const s = snapshot(out);
    expect(Object.keys(s)).toEqual([MARKER, "hosts/a/etc/rancher/k3s/config.yaml", "hosts/a/etc/rancher/k3s/token", "hosts/b/usr/local/sbin/tool", "plan.json"]);
    expect(s["hosts/a/etc/rancher/k3s/token"]).toBe("600 secret\n");
    expect(s["hosts/b/usr/local/sbin/tool"]).toBe("755 #!/bin/sh\n");
    expect(s["plan.json"]).toBe("644 {}\n");
  });

  it("replaces the previous output whole: files the new tree lacks are gone, nothing is left beside it", async () => {
    const out = join(base, "out");
    await writeTree(out, [...tree, { path: "hosts/c/old.conf", content: "x" }]);
    await writeTree(out, tree);
    expect(Object.keys(snapshot(out))).not.toContain("hosts/c/old.conf");
    expect(readdirSync(base)).toEqual(["out"]);
  });

  it("writes an output folder that is a link where it points, and leaves the link in place", async () => {
    mkdirSync(join(base, "disk"));
    const out = join(base, "out");
    symlinkSync(join(base, "disk", "h5b-out"), out);
    await writeTree(out, tree);
    await writeTree(out, [...tree, { path: "hosts/c/new.conf", content: "x" }]);
    expect(lstatSync(out).isSymbolicLink()).toBe(true);
    expect(Object.keys(snapshot(join(base, "disk", "h5b-out")))).toContain("hosts/c/new.conf");
    expect(readdirSync(join(base, "disk"))).toEqual(["h5b-out"]);
  });

  it("an interrupt during the swap waits for it: the new tree lands whole, nothing is left beside it, the signal is raised again after", async () => {
    const out = join(base, "out");
    await writeTree(out, [...tree, { path: "hosts/c/old.conf", content: "x" }]);
    const many = [...tree, ...Array.from({ length: 400 }, (_, i) => ({ path: `hosts/d/${i}/f.conf`, content: `${i}\n` }))];
    // A listener of the test's own keeps the re-raised signal from ending the test's process.
    let received = 0;
    const count = () => received++;
    process.on("SIGINT", count);
    try {
      const writing = writeTree(out, many);
      // As soon as the new tree is being written beside the output, as Ctrl-C would.
      const tmp = `${out}.h5b-tmp-${process.pid}`;
      for (let i = 0; i < 10_000 && !readdirSync(base).includes(relative(base, tmp)); i++) await new Promise((r) => setImmediate(r));
      expect(readdirSync(base)).toContain(relative(base, tmp));
      process.emit("SIGINT", "SIGINT");
      const r = await writing;
      expect(r.files).toBe(many.length);
      expect(readdirSync(base)).toEqual(["out"]);
      expect(Object.keys(snapshot(out))).toHaveLength(many.length + 1);
      // Once by the emit above, once raised again by the writer when it was done.
      for (let i = 0; i < 100 && received < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(received).toBe(2);
    } finally {
      process.off("SIGINT", count);
    }
  });

  it("leaves a folder that already holds exactly the files untouched, and marks it as checked", async () => {
    const out = join(base, "out");
    await writeTree(out, tree);
    const file = join(out, "plan.json");
    const marker = join(out, MARKER);
    utimesSync(marker, new Date(2000, 0, 1), new Date(2000, 0, 1));
    const before = { ino: statSync(file).ino, marker: statSync(marker).mtimeMs };
    const r = await writeTree(out, [...tree].reverse());
    expect(r.unchanged).toBe(true);
    expect(statSync(file).ino).toBe(before.ino);
    expect(statSync(marker).mtimeMs).toBeGreaterThan(before.marker);
  });

  it.each([
    ["a file edited by hand", (out: string) => writeFileSync(join(out, "plan.json"), "{ }\n")],
    ["a mode changed", (out: string) => chmodSync(join(out, "plan.json"), 0o600)],
    ["a file added", (out: string) => writeFileSync(join(out, "hosts/a/extra"), "")],
    ["a file removed", (out: string) => rmSync(join(out, "plan.json"))],
    [
      "a file replaced by a dangling link",
      (out: string) => {
        rmSync(join(out, "plan.json"));
        symlinkSync("/nonexistent/h5b", join(out, "plan.json"));
      },
    ],
    [
      "a file replaced by a link to the same content",
      (out: string) => {
        writeFileSync(join(base, "copy"), readFileSync(join(out, "plan.json")));
        rmSync(join(out, "plan.json"));
        symlinkSync(join(base, "copy"), join(out, "plan.json"));
      },
    ],
  ])("rewrites the tree after %s", async (_, change) => {
    const out = join(base, "out");
    await writeTree(out, tree);
    const before = snapshot(out);
    change(out);
    expect((await writeTree(out, tree)).unchanged).toBe(false);
    expect(snapshot(out)).toEqual(before);
  });

  it("writes byte-identical trees for the same files in any order", async () => {
    await writeTree(join(base, "one"), tree);
    await writeTree(join(base, "two"), [...tree].reverse());
    expect(snapshot(join(base, "two"))).toEqual(snapshot(join(base, "one")));
  });

  it("leaves the previous output as it was, and no temporary folder, when a write fails part-way", async () => {
    const out = join(base, "out");
    await writeTree(out, tree);
    const before = snapshot(out);
    // "x" is needed as a folder for "x/y" and written as a file: the write fails after others have succeeded.
    await expect(writeTree(out, [...tree, { path: "x", content: "file" }, { path: "x/y", content: "below" }])).rejects.toThrow();
    expect(snapshot(out)).toEqual(before);
    expect(readdirSync(base)).toEqual(["out"]);
  });

  it("refuses a non-empty folder it did not write, and a file in the way, changing neither", async () => {
    const foreign = join(base, "foreign");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "notes.txt"), "mine");
    await expect(writeTree(foreign, tree)).rejects.toSatisfy((e) => e instanceof H5bError && e.issues[0]?.code === "out-not-h5b");
    expect(snapshot(foreign)).toEqual({ "notes.txt": "644 mine" });
    const file = join(base, "file");
    writeFileSync(file, "mine");
    await expect(writeTree(file, tree)).rejects.toSatisfy((e) => e instanceof H5bError && e.issues[0]?.code === "out-not-dir");
    expect(readFileSync(file, "utf8")).toBe("mine");
  });

  it("treats a bad path from an emitter as a bug, before touching the disk", async () => {
    for (const path of ["/etc/passwd", "../escape", "a/../b", MARKER]) {
      await expect(writeTree(join(base, "out"), [{ path, content: "" }])).rejects.toThrow(/bad path/);
    }
    await expect(writeTree(join(base, "out"), [tree[0] as OutputFile, tree[0] as OutputFile])).rejects.toThrow(/two emitters/);
    expect(readdirSync(base)).toEqual([]);
  });
});
