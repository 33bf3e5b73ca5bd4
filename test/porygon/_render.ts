import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildPlan } from "../../src/plan/build.js";
import type { Plan } from "../../src/plan/types.js";
import { prepareSecrets } from "../../src/secrets/prepare.js";
import { SecretStore, type Secrets } from "../../src/secrets/store.js";
import type { HomelabInput } from "../../src/spec/homelab.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import { emitPorygon } from "../../src/emit/porygon/index.js";
import { pisOnK3os } from "../_harness/k3os.js";
import { ipv4Only } from "../spec/_helpers.js";

export interface RenderedPorygon {
  readonly plan: Plan;
  readonly secrets: Secrets;
  /** Porygon's files by absolute path on the host (and the external-dns Secret by its path). */
  readonly files: ReadonlyMap<string, { content: string; mode: number }>;
  /** The same files by their path in the output folder (`hosts/<host>/...`), as `h5b check` reads them. */
  readonly output: ReadonlyMap<string, string>;
  /** The file at an absolute host path; fails the test when it was not rendered. */
  file(path: string): string;
  json(path: string): Record<string, unknown>;
}

/** Variants of the default spec the Porygon tests run against. */
export const variants: Record<string, (s: HomelabInput) => void> = {
  default: () => {},
  "ipv4-only": ipv4Only,
  "pis-on-k3os": pisOnK3os,
};

/** Renders Porygon's files for a variant of the default spec, with fresh secrets in a throwaway store. */
export async function renderPorygon(mutate: (s: HomelabInput) => void = () => {}): Promise<RenderedPorygon> {
  const input = defaultHomelabInput();
  mutate(input);
  const plan = buildPlan(parseHomelab(input).spec);
  const dir = mkdtempSync(join(tmpdir(), "h5b-secrets-"));
  try {
    const secrets = await prepareSecrets(plan, new SecretStore(dir));
    const emitted = emitPorygon(plan, secrets);
    const files = new Map(emitted.map((f) => [f.path.replace(/^hosts\/[^/]+/, ""), { content: f.content, mode: f.mode ?? 0o644 }]));
    const output = new Map(emitted.map((f) => [f.path, f.content]));
    const file = (p: string) => {
      const f = files.get(p);
      if (f === undefined) throw new Error(`${p} was not rendered`);
      return f.content;
    };
    return { plan, secrets, files, output, file, json: (p) => JSON.parse(file(p)) as Record<string, unknown> };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
