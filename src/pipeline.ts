import { dirname, resolve } from "node:path";
import { emitAll, type OutputFile } from "./emit/index.js";
import { assertNoErrors, asUserError, type Issue } from "./issue.js";
import { buildPlan } from "./plan/build.js";
import type { Plan } from "./plan/types.js";
import { lostSecrets } from "./secrets/lost.js";
import { misplacedSecrets } from "./secrets/place.js";
import { missingSecrets, prepareSecrets } from "./secrets/prepare.js";
import { SecretStore } from "./secrets/store.js";
import { loadSpec } from "./spec/load.js";
import { type WriteResult, writeTree } from "./write/writer.js";

export interface RenderOptions {
  /** Spec file; default: h5b.config.ts or homelab.yaml in `cwd`, else the embedded default. */
  readonly config?: string;
  readonly cwd?: string;
  /** Folder of the generated secrets; default `.h5b/secrets` beside the spec (or in `cwd`). */
  readonly secretsDir?: string;
  /**
   * The output folder the files are for; default `out` in `cwd`, as the commands' `--out`. Rendering refuses secrets
   * that folder would delete, and new secrets beside an output built with others.
   */
  readonly out?: string;
  /**
   * false: secrets the folder lacks are made in memory for this render alone, and nothing is written to the folder
   * (for `h5b simulate`, which writes no output). @default true
   */
  readonly keepSecrets?: boolean;
}

export interface Rendered {
  readonly source: string;
  /** The spec file; absent for the embedded default. */
  readonly specFile?: string;
  readonly warnings: readonly Issue[];
  readonly plan: Plan;
  readonly files: readonly OutputFile[];
  readonly secretsDir: string;
}

/** load -> validate -> plan -> emit, without writing anything but missing secrets. */
export async function render(opts: RenderOptions = {}): Promise<Rendered> {
  const cwd = opts.cwd ?? process.cwd();
  const loaded = await loadSpec({ ...(opts.config !== undefined ? { file: opts.config } : {}), cwd });
  const plan = buildPlan(loaded.spec);
  const base = loaded.file !== undefined ? dirname(loaded.file) : cwd;
  const secretsDir = opts.secretsDir !== undefined ? resolve(cwd, opts.secretsDir) : resolve(base, ".h5b", "secrets");
  const outDir = outDirOf(opts);
  const keep = opts.keepSecrets !== false;
  const store = new SecretStore(secretsDir, { keep });
  const secrets = await asUserError("secrets", "secrets-write", secretsDir, "cannot keep the secrets there", () => {
    // Where the folders are first: a misplaced secrets folder says nothing about the secrets in it. A render that
    // keeps no secrets writes nothing that an output or the spec's folder could lose.
    if (keep) {
      assertNoErrors("secrets", misplacedSecrets({ secretsDir, chosen: opts.secretsDir !== undefined, outDir, specFile: loaded.file, specFolder: base }));
      assertNoErrors("secrets", lostSecrets(store, outDir));
    }
    return prepareSecrets(plan, store);
  });
  const files = emitAll(plan, secrets);
  const warnings = [...loaded.warnings, ...missingSecrets(secrets)];
  return { source: loaded.source, ...(loaded.file !== undefined ? { specFile: loaded.file } : {}), warnings, plan, files, secretsDir };
}

/** The whole pipeline: render, then write the output folder atomically. */
export async function build(opts: RenderOptions = {}): Promise<Rendered & { readonly written: WriteResult }> {
  const rendered = await render(opts);
  const written = await writeTree(outDirOf(opts), rendered.files);
  return { ...rendered, written };
}

function outDirOf(opts: RenderOptions): string {
  return resolve(opts.cwd ?? process.cwd(), opts.out ?? "out");
}
