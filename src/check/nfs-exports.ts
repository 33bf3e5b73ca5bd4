import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { namespaceSkip } from "./_namespace.js";
import { nfsServer, parseExports, serverExports } from "./_nfs-rules.js";
import { findProgram, missingProgram } from "./_program.js";
import { describe, renderedManifests } from "./manifests.js";
import type { Checker, CheckResult } from "./types.js";

/** What a finding calls the text exportfs reads: the ConfigMap key mounted as the server's /etc/exports. */
const KEY = "data.exports";

/**
 * exportfs's notes on lines it exports as written: a client without options gets the defaults, and a line without
 * subtree_check or no_subtree_check gets no_subtree_check, the default.
 */
const HARMLESS = [/^No options for \S+ \S+: suggest \S+\(sync\) to avoid warning$/, /Neither 'subtree_check' or 'no_subtree_check' specified/];

/**
 * exportfs reads /etc/exports and keeps its table in /var/lib/nfs, whatever it is told; so, in a throwaway user,
 * mount and network namespace, it runs chrooted into a tmpfs that holds the file as /etc/exports, an empty
 * /var/lib/nfs, each export path as an empty folder, and this machine's /usr and library folders read-only.
 * Exit 125: that root could not be made (chroot's own code for it too).
 */
const SCRIPT = `tmp=$1; exportfs=$2; shift 2; r=$tmp/root
{ mkdir "$r" && mount -t tmpfs -o mode=0755 h5b "$r" && mkdir -p "$r/etc" "$r/var/lib/nfs" && cp "$tmp/exports" "$r/etc/exports"; } || exit 125
for d in usr bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$r/$d" || exit 125
  elif [ -d "/$d" ]; then { mkdir "$r/$d" && mount --rbind "/$d" "$r/$d" && mount -o remount,bind,ro "$r/$d"; } || exit 125; fi
done
for p in "$@"; do mkdir -p "$r$p" || exit 125; done
exec chroot "$r" "$exportfs" -ra`;

/**
 * Debian 12's `exportfs -ra` (nfs-utils 2.6.2) on the NFS server's exports, as the server's own exportfs reads them
 * when the pod starts. This machine's exports, nfs.conf, /var/lib/nfs and nfsd stay out of sight and untouched, and
 * no root is needed. The export paths are made because they exist only in the pod and exportfs refuses a path it
 * cannot stat; without /proc it cannot ask a local nfsd whether those empty folders may be exported, which would
 * test this machine's filesystem instead of the storage host's datasets.
 * A refusal (a syntax error, an unknown option, a bad fsid or prefix: exit 1) is a finding, and so is any warning
 * but the notes above: exportfs exits 0 when a line does not export what it says, dropping a client it cannot
 * resolve (h5b names clients by address, and nothing is looked up without a network) or exporting options without
 * a client (a space before the parenthesis) to everyone.
 */
export const nfsExportsChecker: Checker = {
  name: "nfs-exports",
  description: "exportfs -ra accepts the NFS server's exports and exports each line as written",
  async run(ctx): Promise<CheckResult> {
    const { objects } = renderedManifests(ctx.files);
    const server = nfsServer(ctx.plan, objects);
    // Without a server or its exports file there is nothing to read; design-rules reports that.
    const exportsFile = server === undefined ? undefined : serverExports(server, objects);
    if (exportsFile === undefined) return { findings: [], skipped: [] };
    const missing = missingProgram(this.name, [["exportfs", "nfs-kernel-server"], ["unshare", "util-linux"], ["mount", "mount"]]);
    if (missing !== undefined) return { findings: [], skipped: [missing] };

    // A path with . or .. could name a folder outside the private root; exportfs then reports it as missing.
    const paths = parseExports(exportsFile.text)
      .map((e) => e.path)
      .filter((p) => p.startsWith("/") && !p.split("/").some((s) => s === "." || s === ".."));
    const tmp = mkdtempSync(join(tmpdir(), "h5b-check-nfs-exports-"));
    try {
      writeFileSync(join(tmp, "exports"), exportsFile.text, { mode: 0o600 });
      const r = await execa("unshare", ["--user", "--map-root-user", "--mount", "--net", "sh", "-c", SCRIPT, "sh", tmp, findProgram("exportfs") as string, ...paths], { reject: false, all: true });
      const skip = namespaceSkip(this.name, "exportfs", r, r.all ?? "");
      if (skip !== undefined) return { findings: [], skipped: [skip] };
      const notes = messages(r.all ?? "").map((m) => atLine(m, exportsFile.text));
      const wrong = notes.filter((m) => !HARMLESS.some((h) => h.test(m)));
      if (r.exitCode === 0 && wrong.length === 0) return { findings: [], skipped: [] };
      const what = r.exitCode === 0 ? "exportfs -ra accepts it but warns" : "exportfs -ra refuses it";
      const why = (wrong.length > 0 ? wrong : notes).join("; ") || (r.all ?? "").trim() || `exit ${r.exitCode}`;
      return { findings: [{ check: this.name, where: `${exportsFile.map.file} (${describe(exportsFile.map)})`, message: `${what}: ${why}` }], skipped: [] };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};

/** exportfs's messages, each once (it repeats one per client), a message's indented lines joined to it. */
function messages(output: string): string[] {
  const out: string[] = [];
  for (const line of output.split("\n")) {
    if (line.startsWith("exportfs: ")) out.push(line.slice("exportfs: ".length).trim());
    else if (line.trim() !== "" && out.length > 0) out[out.length - 1] += ` ${line.trim()}`;
  }
  return [...new Set(out)];
}

/**
 * `/etc/exports:11: …` as `data.exports:12: …`, the line of the rendered text. exportfs does not count the line break
 * that ends a comment, so its numbers fall one behind after each comment; its number is the last line that reaches it.
 */
function atLine(message: string, text: string): string {
  const m = /^\/etc\/exports:\s*(\d+):\s*/.exec(message);
  if (m === null) return message.replace(/^\/etc\/exports\b/, KEY);
  const wanted = Number(m[1]);
  let counted = 1;
  let line = wanted;
  text.split("\n").forEach((l, i) => {
    if (counted === wanted) line = i + 1;
    if (!l.includes("#")) counted++;
  });
  return `${KEY}:${line}: ${message.slice(m[0].length)}`;
}
