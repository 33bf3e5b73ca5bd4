import { checkEachFile } from "./_each-file.js";
import type { Checker } from "./types.js";

/** `radvd --configtest` on each rendered radvd.conf: the test Debian's radvd.service runs before it starts. */
export const radvdChecker: Checker = {
  name: "radvd",
  description: "radvd --configtest accepts each rendered radvd.conf",
  run(ctx) {
    return checkEachFile(ctx, {
      check: this.name,
      path: /^hosts\/[^/]+\/etc\/radvd\.conf$/,
      needs: [["radvd", "radvd"]],
      // stderr, not syslog: the reason is what the finding needs.
      command: (file) => ["radvd", ["--configtest", "--logmethod", "stderr", "-C", file]],
      refusal: "radvd --configtest",
      reason: /error|invalid|unknown/i,
    });
  },
};
