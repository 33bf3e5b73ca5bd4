import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

function newest(dir: string): number {
  let t = 0;
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

/** The CLI tests run bin/h5b.js (the bundle) as a user would, so dist/ must match src/: rebuild it when it is older. */
export default function setup(): void {
  const outputs = [join(root, "dist", "cli", "main.js"), join(root, "dist", "bin", "main.js")];
  const src = newest(join(root, "src"));
  if (outputs.every((f) => existsSync(f) && statSync(f).mtimeMs >= src)) return;
  // Type errors are the typecheck step's to report; tsc still emits, and the CLI tests need only the JavaScript.
  spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.build.json")], { stdio: "ignore" });
  const bundled = spawnSync(process.execPath, [join(root, "scripts", "bundle.mjs")], { stdio: "inherit" });
  for (const f of outputs) if (!existsSync(f)) throw new Error(`the build produced no ${f}`);
  if (bundled.status !== 0) throw new Error("scripts/bundle.mjs failed");
}
