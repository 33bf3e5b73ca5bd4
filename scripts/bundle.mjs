// Bundles the CLI into dist/bin/ (run by `npm run build`, after tsc). `h5b build` is a short-lived process: loaded
// as some 280 separate modules, Node spends more time finding and reading them than h5b spends rendering. One
// entry plus chunks per command (each command still loads only what it runs) starts about 0.15 s sooner.
// The library (dist/index.js) and the daemon's stand-alone entry (dist/ddns/main.js) stay tsc's plain output;
// not minified, so that a bug's stack trace names real functions and lines.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = `${root}dist/bin`;
rmSync(outdir, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: { main: "src/cli/main.ts" },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Readable output with names intact, so a bug's stack trace still says where it happened.
  // jiti is loaded only for a TypeScript spec and resolves its own files at run time.
  external: ["jiti"],
  // CommonJS dependencies call require() for Node's built-in modules, which ES modules lack.
  banner: { js: 'import { createRequire as __h5bRequire } from "node:module"; const require = __h5bRequire(import.meta.url);' },
  logLevel: "warning",
});
