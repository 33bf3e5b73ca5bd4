import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { renderedManifests } from "../../src/check/manifests.js";
import { ROOT, renderWithTestSecrets } from "../_harness/golden.js";

/**
 * The rendered chart values against the charts' own published values.schema.json, read straight from the shared
 * reference folder beside the repository (CI has it; h5b itself never depends on it).
 */
const REFERENCE = join(ROOT, "..", "shared", "reference");
const upstream: Readonly<Record<string, string>> = {
  cilium: "cilium-values.schema.json",
  "external-dns": "external-dns-chart-1.21.1-values.schema.json",
};

describe.runIf(existsSync(REFERENCE))("rendered values against the upstream chart schemas", () => {
  it.each(["default", "ipv4-only"])("%s", async (name) => {
    const r = await renderWithTestSecrets(name === "default" ? undefined : `test/specs/${name}.yaml`);
    const { objects } = renderedManifests(new Map(r.files.map((f) => [f.path, f.content])));
    const ajv = new Ajv({ strict: false, allErrors: true });
    let checked = 0;
    for (const o of objects) {
      const spec = o.object.spec as { chart?: string; valuesContent?: string } | undefined;
      const file = spec?.chart !== undefined ? upstream[spec.chart] : undefined;
      if (o.object.kind !== "HelmChart" || file === undefined) continue;
      const validate = ajv.compile(JSON.parse(readFileSync(join(REFERENCE, file), "utf8")));
      const ok = validate(parse(spec?.valuesContent ?? ""));
      expect(validate.errors ?? [], `${spec?.chart} values vs ${file}`).toEqual([]);
      expect(ok).toBe(true);
      checked++;
    }
    // Cilium, and external-dns once per address family.
    expect(checked).toBe(name === "default" ? 3 : 2);
  });
});
