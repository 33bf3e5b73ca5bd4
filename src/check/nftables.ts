import { checkEachFile } from "./_each-file.js";
import type { Checker } from "./types.js";

/**
 * `nft -c -f` on each rendered ruleset: parsed by nft and checked by the kernel's nf_tables as one transaction, in a
 * throwaway user and network namespace. There nft has the CAP_NET_ADMIN it needs without root, and nothing reaches
 * this machine's own firewall. Interface names are matched by name (`iifname`), so the gateway's ports need not exist.
 */
export const nftablesChecker: Checker = {
  name: "nftables",
  description: "nft -c -f accepts each rendered nftables ruleset (parser and kernel)",
  run(ctx) {
    return checkEachFile(ctx, {
      check: this.name,
      path: /^hosts\/[^/]+\/etc\/nftables\.conf$/,
      needs: [["nft", "nftables"], ["unshare", "util-linux"]],
      command: (file) => ["unshare", ["--user", "--map-root-user", "--net", "nft", "-c", "-f", file]],
      refusal: "nft -c",
      reason: /Error:/,
    });
  },
};
