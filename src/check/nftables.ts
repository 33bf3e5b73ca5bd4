import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { missingProgram } from "./_program.js";
import { programErrors } from "./_program-errors.js";
import type { Checker, Finding, Skipped } from "./types.js";

const RULESET = /^hosts\/[^/]+\/etc\/nftables\.conf$/;

/**
 * `nft -c -f` on each rendered ruleset: parsed by nft and checked by the kernel's nf_tables as one transaction, in a
 * throwaway user and network namespace. There nft has the CAP_NET_ADMIN it needs without root, and nothing reaches
 * this machine's own firewall. Interface names are matched by name (`iifname`), so the gateway's ports need not exist.
 */
export const nftablesChecker: Checker = {
  name: "nftables",
  description: "nft -c -f accepts each rendered nftables ruleset (parser and kernel)",
  async run(ctx) {
    const findings: Finding[] = [];
    const skipped: Skipped[] = [];
    const tmp = mkdtempSync(join(tmpdir(), "h5b-check-nft-"));
    try {
      for (const [path, text] of ctx.files) {
        if (!RULESET.test(path)) continue;
        const missing = missingProgram(this.name, [["nft", "nftables"], ["unshare", "util-linux"]]);
        if (missing !== undefined) {
          skipped.push(missing);
          break;
        }
        const file = join(tmp, path.replace(/\//g, "_"));
        writeFileSync(file, text, { mode: 0o600 });
        const r = await execa("unshare", ["--user", "--map-root-user", "--net", "nft", "-c", "-f", file], { reject: false });
        if (r.exitCode !== 0) findings.push({ check: this.name, where: path, message: `nft -c refuses it: ${programErrors(r.stderr, file, path, /Error:/)}` });
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return { findings, skipped };
  },
};
