import { Ajv } from "ajv";
import { parse } from "yaml";
import { describe, renderedManifests } from "./manifests.js";
import { valuesSchemas } from "./schemas/values.js";
import type { Checker, Finding } from "./types.js";

/** Each HelmChart's valuesContent against h5b's closed schema of that chart's values. */
export const chartValuesChecker: Checker = {
  name: "chart-values",
  description: "Cilium, MetalLB, external-dns and csi-driver-nfs values against the charts' schemas",
  async run(ctx) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const findings: Finding[] = [];
    for (const o of renderedManifests(ctx.files).objects) {
      if (o.object.kind !== "HelmChart") continue;
      const spec = o.object.spec as { chart?: string; valuesContent?: string } | undefined;
      const where = `${o.file} (${describe(o)})`;
      const schema = spec?.chart !== undefined ? valuesSchemas[spec.chart] : undefined;
      if (schema === undefined) {
        findings.push({ check: this.name, where, message: `no values schema for chart ${String(spec?.chart)}` });
        continue;
      }
      let values: unknown;
      try {
        values = parse(spec?.valuesContent ?? "") ?? {};
      } catch (e) {
        findings.push({ check: this.name, where, message: `valuesContent is not YAML: ${(e as Error).message.split("\n")[0]}` });
        continue;
      }
      const validate = ajv.compile(schema);
      if (!validate(values)) {
        for (const e of validate.errors ?? []) {
          const extra = e.params && "additionalProperty" in e.params ? ` ('${String(e.params.additionalProperty)}')` : "";
          findings.push({ check: this.name, where, message: `values${e.instancePath} ${e.message ?? "is invalid"}${extra}` });
        }
      }
    }
    return { findings };
  },
};
