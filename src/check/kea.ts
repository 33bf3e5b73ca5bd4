import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { jsonSyntaxError } from "../_text.js";
import { missingProgram, programEnv, unconfined } from "./_program.js";
import type { Checker, Finding, Skipped } from "./types.js";

const DAEMONS: Readonly<Record<string, readonly [string, string]>> = {
  Dhcp4: ["kea-dhcp4", "kea-dhcp4-server"],
  Dhcp6: ["kea-dhcp6", "kea-dhcp6-server"],
  DhcpDdns: ["kea-dhcp-ddns", "kea-dhcp-ddns-server"],
};
const KEA_FILE = /^hosts\/[^/]+\/etc\/kea\/kea-[a-z0-9-]+\.conf$/;

/** The interfaces a Kea config listens on (`eth0` or `eth0/10.0.0.53`), which must exist for `-t` to pass. */
function interfacesOf(top: Record<string, unknown>): string[] {
  const ic = top["interfaces-config"] as { interfaces?: unknown } | undefined;
  const list = Array.isArray(ic?.interfaces) ? (ic.interfaces as unknown[]) : [];
  return [...new Set(list.map((i) => String(i).split("/")[0] as string).filter((i) => i !== "*"))];
}

/**
 * `kea-* -t` on each rendered Kea file, inside a throwaway network namespace (unshare, so nothing is left behind
 * and the host's interfaces are not touched) that has the interfaces the file names.
 */
export const keaChecker: Checker = {
  name: "kea",
  description: "kea-dhcp4/kea-dhcp6/kea-dhcp-ddns -t accept each rendered Kea file",
  async run(ctx) {
    const findings: Finding[] = [];
    const skipped: Skipped[] = [];
    const tmp = mkdtempSync(join(tmpdir(), "h5b-check-kea-"));
    try {
      for (const [path, text] of ctx.files) {
        if (!KEA_FILE.test(path)) continue;
        let doc: Record<string, unknown>;
        try {
          doc = JSON.parse(text) as Record<string, unknown>;
        } catch (e) {
          findings.push({ check: this.name, where: path, message: `is not JSON (${jsonSyntaxError(e, text)})` });
          continue;
        }
        const kind = Object.keys(doc)[0] ?? "";
        const daemon = DAEMONS[kind];
        if (daemon === undefined) {
          findings.push({ check: this.name, where: path, message: `top-level ${kind} is not Dhcp4, Dhcp6 or DhcpDdns` });
          continue;
        }
        const missing = missingProgram(this.name, [daemon, ["ip", "iproute2"], ["unshare", "util-linux"]]);
        if (missing !== undefined) {
          skipped.push(missing);
          continue;
        }
        const file = join(tmp, path.replace(/\//g, "_"));
        writeFileSync(file, text, { mode: 0o600 });
        // Names go in as arguments, never into the script text.
        const exec = [...unconfined(daemon[0]), daemon[0]].join(" ");
        const script = `f=$1; shift; i=0; for n in "$@"; do ip link add "$n" type veth peer name h5bpeer$i && ip link set "$n" up || exit 3; i=$((i+1)); done; exec ${exec} -t "$f"`;
        const nics = interfacesOf(doc[kind] as Record<string, unknown>);
        const r = await execa("unshare", ["--user", "--map-root-user", "--net", "sh", "-c", script, "sh", file, ...nics], {
          reject: false,
          env: { ...programEnv(), KEA_PIDFILE_DIR: tmp, KEA_LOCKFILE_DIR: tmp },
        });
        if (r.exitCode !== 0) {
          const why = `${r.stderr}\n${r.stdout}`.split("\n").find((l) => /failed|error|unexpected|unsupported/i.test(l)) ?? r.stderr;
          findings.push({ check: this.name, where: path, message: `${daemon[0]} -t refuses it: ${why.trim()}` });
        }
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return { findings, skipped: dedupe(skipped) };
  },
};

function dedupe(s: readonly Skipped[]): Skipped[] {
  return [...new Map(s.map((x) => [x.reason, x])).values()];
}
