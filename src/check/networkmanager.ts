import { execa } from "execa";
import { findProgram, missingProgram } from "./_program.js";
import type { Checker, Finding } from "./types.js";

/** A keyfile as `section.key` -> value (GLib key-file syntax: `[section]`, `key=value`, `#` comments). */
export function keyfileEntries(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header !== null) section = header[1] as string;
    else {
      const eq = line.indexOf("=");
      if (eq > 0) entries.set(`${section}.${line.slice(0, eq).trim()}`, line.slice(eq + 1).trim());
    }
  }
  return entries;
}

/**
 * The entries as NetworkManager 1.42 (Raspberry Pi OS 12) writes them: from 1.52 on it writes a profile's gateway as
 * a key of its own (`gateway=`) instead of after the first address (`address1=address/length,gateway`).
 */
export function withGatewayInAddress(entries: Map<string, string>): Map<string, string> {
  for (const family of ["ipv4", "ipv6"]) {
    const gateway = entries.get(`${family}.gateway`);
    const first = entries.get(`${family}.address1`);
    if (gateway === undefined || first === undefined || first.includes(",")) continue;
    entries.set(`${family}.address1`, `${first},${gateway}`);
    entries.delete(`${family}.gateway`);
  }
  return entries;
}

/**
 * `nmcli --offline connection modify` (Debian 12's is NetworkManager 1.42, as on Raspberry Pi OS 12) on each
 * rendered connection profile: it reads
 * the keyfile with the library the daemon reads profiles with, completes and verifies the profile as the daemon does
 * before using it, and prints it back, without a daemon. It refuses a profile that does not verify (a static method
 * with no address, an unknown type or method); and since it drops, without a word, a property it does not know and a
 * value it cannot parse (a misspelled key, an address out of range), every property of the rendered file must come
 * back with the value it was written with.
 */
export const networkManagerChecker: Checker = {
  name: "networkmanager",
  description: "NetworkManager reads every rendered connection profile back unchanged (nmcli --offline)",
  async run(ctx) {
    const files = [...ctx.files].filter(([path]) => /^hosts\/[^/]+\/etc\/NetworkManager\/system-connections\/[^/]+\.nmconnection$/.test(path));
    const missing = files.length > 0 ? missingProgram(this.name, [["nmcli", "network-manager"]]) : undefined;
    if (missing !== undefined) return { findings: [], skipped: [missing] };
    const findings: Finding[] = [];
    for (const [path, text] of files) {
      const r = await execa(findProgram("nmcli") as string, ["--offline", "connection", "modify"], { input: text, reject: false });
      if (r.exitCode !== 0) {
        findings.push({ check: this.name, where: path, message: `nmcli --offline refuses it: ${r.stderr.trim().split("\n").join("; ")}` });
        continue;
      }
      const read = withGatewayInAddress(keyfileEntries(r.stdout));
      for (const [key, value] of keyfileEntries(text)) {
        const got = read.get(key);
        if (got !== value) {
          const as = got === undefined ? "drops it" : `reads it as ${got}`;
          findings.push({ check: this.name, where: path, message: `NetworkManager ${as}: ${key}=${value} (an unknown property or a value it cannot parse)` });
        }
      }
    }
    return { findings, skipped: [] };
  },
};
