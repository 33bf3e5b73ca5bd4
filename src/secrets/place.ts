import { existsSync, statSync } from "node:fs";
import { error, type Issue } from "../issue.js";
import { isForeignFolder } from "../write/writer.js";
import { isWithin, realPath } from "./_real-path.js";

export interface Places {
  readonly secretsDir: string;
  /** Whether the user chose `secretsDir` (`--secrets`); otherwise it is the default beside the spec. */
  readonly chosen: boolean;
  readonly outDir: string;
  /** The spec file; undefined for the embedded default, whose place is then the folder h5b runs in. */
  readonly specFile: string | undefined;
  readonly specFolder: string;
}

/**
 * A secrets folder the build would destroy, or that would spoil the user's folder, before anything is written
 * there. Compared by where the folders really are, so that a link does not hide one in the other.
 *
 * - In the output folder: every build replaces it whole, so the secrets would be deleted right after being
 *   embedded, and every build would make a new join token, etcd CA and TSIG key.
 * - The spec's folder, or one that holds it: the store closes its folder to others (0700) and puts a `.gitignore`
 *   of `*` in it, which would hide the spec from git.
 *
 * A secrets folder that holds the output folder is let be: the writer replaces only the output folder and its own
 * `<out>.h5b-*` siblings (never a secret's name), and the store's mode and `.gitignore` then only close off rendered
 * files that hold private keys anyway. So is one inside an output folder the writer will refuse to replace (not
 * empty, not h5b's): nothing there is deleted, and the writer's refusal says what is wrong with that --out.
 */
export function misplacedSecrets(p: Places): Issue[] {
  const secrets = realPath(p.secretsDir);
  const shown = secrets === p.secretsDir ? p.secretsDir : `${p.secretsDir} (${secrets})`;
  const issues: Issue[] = [];
  const out = realPath(p.outDir);
  if (isWithin(secrets, out) && !refusedByWriter(out)) {
    const why = "every build replaces the output folder whole, which would delete the secrets once written into the files and make new ones (a new k3s token, etcd CA and TSIG key) at the next build";
    issues.push(
      p.chosen
        ? error("secrets-in-output", "--secrets", `${shown} is in the output folder ${p.outDir}: ${why}; keep them outside it (the default is .h5b/secrets beside the spec)`)
        : error("secrets-in-output", "--out", `${p.outDir} holds the secrets folder ${shown}: ${why}; choose another --out`),
    );
  }
  if (isWithin(realPath(p.specFolder), secrets)) {
    const what = p.specFile !== undefined ? `the folder of the spec ${p.specFile}` : `${p.specFolder}, the folder h5b runs in`;
    issues.push(
      error(
        "secrets-over-spec",
        p.chosen ? "--secrets" : p.secretsDir,
        `${shown} is or holds ${what}: the secrets folder is closed to others (mode 0700) and git-ignores everything in it; give the secrets a folder of their own (the default is .h5b/secrets beside the spec)`,
      ),
    );
  }
  return issues;
}

/** An output folder the writer will refuse to replace (src/write/writer.ts). */
function refusedByWriter(out: string): boolean {
  return existsSync(out) && statSync(out).isDirectory() && isForeignFolder(out);
}
