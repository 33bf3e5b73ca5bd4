import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { render, type Rendered } from "../../src/pipeline.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const GOLDEN_DIR = join(ROOT, "test", "golden");
/**
 * Fixed secrets for golden output: keys and certificates made for these tests only, so that files embedding them
 * (certificates, the k3OS token) are the same on every machine. UPDATE_GOLDEN=1 adds any secret a new emitter needs.
 */
export const TEST_SECRETS = join(GOLDEN_DIR, "_secrets-for-tests-only");
export const update = process.env.UPDATE_GOLDEN === "1";

/** Renders a spec with the fixed test secrets; `config` is relative to the repository (undefined: the default spec). */
export async function renderWithTestSecrets(config: string | undefined): Promise<Rendered> {
  const tmp = mkdtempSync(join(tmpdir(), "h5b-secrets-"));
  try {
    if (existsSync(TEST_SECRETS)) cpSync(TEST_SECRETS, tmp, { recursive: true });
    // git keeps no 0600 modes, and the store rightly refuses readable secrets.
    chmodSync(tmp, 0o700);
    for (const f of readdirSync(tmp)) chmodSync(join(tmp, f), 0o600);
    const r = await render({ cwd: ROOT, secretsDir: tmp, ...(config !== undefined ? { config } : {}) });
    if (update) {
      mkdirSync(TEST_SECRETS, { recursive: true });
      cpSync(tmp, TEST_SECRETS, { recursive: true });
    }
    return r;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function listTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Golden comparison of a rendered tree: returns the differences (or rewrites the golden folder when updating). */
export function compareGolden(name: string, files: readonly { path: string; content: string }[]): string[] {
  const dir = join(GOLDEN_DIR, name);
  if (update) {
    rmSync(dir, { recursive: true, force: true });
    for (const f of files) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.content);
    }
    return [];
  }
  const diffs: string[] = [];
  const want = new Set(listTree(dir));
  for (const f of files) {
    if (!want.has(f.path)) diffs.push(`new file ${f.path}`);
    else if (readFileSync(join(dir, f.path), "utf8") !== f.content) diffs.push(`changed ${f.path}`);
    want.delete(f.path);
  }
  for (const p of want) diffs.push(`missing ${p}`);
  return diffs;
}
