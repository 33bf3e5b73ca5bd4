import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { emitAll, type OutputFile } from "../../src/emit/index.js";
import { buildPlan } from "../../src/plan/build.js";
import type { Plan } from "../../src/plan/types.js";
import { prepareSecrets } from "../../src/secrets/prepare.js";
import { SecretStore } from "../../src/secrets/store.js";
import type { HomelabInput } from "../../src/spec/homelab.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import { writeTree } from "../../src/write/writer.js";

export { variants } from "../porygon/_render.js";

export interface RenderedTree {
  readonly plan: Plan;
  readonly files: readonly OutputFile[];
  /** The output folder, written. */
  readonly out: string;
  readonly secretsDir: string;
}

/** Renders a variant of the default spec into a fresh folder, as `h5b build` would, with fresh secrets. */
export async function renderTree(mutate: (s: HomelabInput) => void = () => {}, dir = mkdtempSync(join(tmpdir(), "h5b-ansible-"))): Promise<RenderedTree> {
  const input = defaultHomelabInput();
  mutate(input);
  const plan = buildPlan(parseHomelab(input).spec);
  const secretsDir = join(dir, ".h5b", "secrets");
  const files = emitAll(plan, await prepareSecrets(plan, new SecretStore(secretsDir)));
  const out = join(dir, "out");
  await writeTree(out, files);
  return { plan, files, out, secretsDir };
}
