import { checkEachFile } from "./_each-file.js";
import { findProgram } from "./_program.js";
import type { Checker } from "./types.js";

/**
 * The rendered file ends in `source /etc/network/interfaces.d/*`, which on the host means the host's own extra ports.
 * Here it would mean this machine's: an error in one of them would be blamed on the rendered file, and a stanza for
 * the same port would be read as part of it. So an empty tmpfs covers that folder, in a mount namespace of a
 * throwaway user namespace (no root needed, nothing mounted outside it). That folder is all that needs covering:
 * ifup is told where the file and its state are, and reads nothing else. Rewriting the `source` line instead would
 * check another line than the one rendered. Exit 125: the folder could not be covered.
 */
const SCRIPT = `ifup=$1; file=$2
if [ -d /etc/network/interfaces.d ]; then mount -t tmpfs -o mode=0755 h5b /etc/network/interfaces.d || exit 125; fi
exec "$ifup" --no-act --all --interfaces "$file" --state-dir "$file.state"`;

/**
 * Debian 12's `ifup --no-act --all` (ifupdown 0.8) on each rendered /etc/network/interfaces: it parses the file as
 * networking.service does at boot, and works out the commands for every `auto` port, which needs a known address
 * family and method and each method's required options (a static port's address). It prints them and runs none: no
 * `ip`, no hook scripts, no DHCP client; in a network namespace of its own, even a command run by mistake would meet
 * no port of this machine. A refusal is a finding, and so is a warning about a line ifup ignores. It does not check
 * option names or values: a misspelled option is handed to hook scripts as a variable, an address goes to `ip` as
 * written.
 */
export const ifupdownChecker: Checker = {
  name: "ifupdown",
  description: "every rendered /etc/network/interfaces passes ifup --no-act",
  run(ctx) {
    return checkEachFile(ctx, {
      check: this.name,
      path: /^hosts\/[^/]+\/etc\/network\/interfaces$/,
      needs: [["ifup", "ifupdown"], ["unshare", "util-linux"], ["mount", "mount"]],
      // ifup is in /sbin, which a user's PATH in the namespace may lack.
      command: (file) => ["unshare", ["--user", "--map-root-user", "--mount", "--net", "sh", "-c", SCRIPT, "sh", findProgram("ifup") as string, file]],
      refusal: "ifup --no-act",
      reason: /^ifup: /,
      warning: /^ifup: /,
      namespaced: true,
    });
  },
};
