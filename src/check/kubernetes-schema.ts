import { Ajv, type ValidateFunction } from "ajv";
import { describe, type ManifestObject, renderedManifests } from "./manifests.js";
import { helmChartSchema } from "./schemas/helmchart.js";
import { ipAddressPoolSchema, l2AdvertisementSchema } from "./schemas/metallb.js";
import type { Checker, Finding } from "./types.js";

const customResources: Readonly<Record<string, object>> = {
  "helm.cattle.io/v1/HelmChart": helmChartSchema,
  "metallb.io/v1beta1/IPAddressPool": ipAddressPoolSchema,
  "metallb.io/v1beta1/L2Advertisement": l2AdvertisementSchema,
};

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function customValidator(key: string): ValidateFunction | undefined {
  const schema = customResources[key];
  if (schema === undefined) return undefined;
  ajv ??= new Ajv({ allErrors: true, strict: false });
  let v = compiled.get(key);
  if (v === undefined) {
    v = ajv.compile(schema);
    compiled.set(key, v);
  }
  return v;
}

/** kubernetes-models module of a built-in API group/version: `apps/v1` -> `kubernetes-models/apps/v1`. */
function modelModule(apiVersion: string): string {
  return `kubernetes-models/${apiVersion}`;
}

type Model = new (data: unknown) => { validate(): void };

async function builtinModel(apiVersion: string, kind: string): Promise<Model | undefined> {
  try {
    const mod = (await import(`${modelModule(apiVersion)}/${kind}`)) as Record<string, unknown>;
    const model = mod[kind];
    return typeof model === "function" ? (model as Model) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Validates Kubernetes objects: built-in kinds against the Kubernetes OpenAPI schema (kubernetes-models),
 * the custom resources h5b renders against its own closed schemas. An unknown kind is a finding, since k3s
 * would fail to apply it without its CRD; with `skipUnknownCustom`, a custom resource h5b has no schema for (a
 * user's own) is passed over.
 */
export async function validateObjects(objects: readonly ManifestObject[], check: string, opts: { skipUnknownCustom?: boolean } = {}): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const o of objects) {
    const where = `${o.file} (${describe(o)})`;
    const { apiVersion, kind } = o.object;
    if (typeof apiVersion !== "string" || typeof kind !== "string") {
      findings.push({ check, where: `${o.file}#${o.index}`, message: "object without apiVersion and kind" });
      continue;
    }
    const key = `${apiVersion}/${kind}`;
    const custom = customValidator(key);
    if (custom !== undefined) {
      if (!custom(o.object)) {
        for (const e of custom.errors ?? []) findings.push({ check, where, message: `${e.instancePath || "/"} ${e.message ?? "is invalid"}${e.params && "additionalProperty" in e.params ? ` ('${String(e.params.additionalProperty)}')` : ""}` });
      }
      continue;
    }
    if (apiVersion.includes(".") && !apiVersion.includes(".k8s.io/")) {
      if (opts.skipUnknownCustom !== true) findings.push({ check, where, message: `no schema for ${key}: h5b cannot check this custom resource` });
      continue;
    }
    const Model = await builtinModel(apiVersion, kind);
    if (Model === undefined) {
      // A group under k8s.io that Kubernetes itself does not serve is a CRD too (Gateway API, volume snapshots).
      if (opts.skipUnknownCustom !== true || !apiVersion.includes(".")) findings.push({ check, where, message: `${key} is not a Kubernetes 1.36 kind` });
      continue;
    }
    try {
      new Model(o.object).validate();
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      for (const part of msg.split(/, (?=data)/)) findings.push({ check, where, message: part });
    }
  }
  return findings;
}

export const kubernetesSchemaChecker: Checker = {
  name: "kubernetes-schema",
  description: "every rendered Kubernetes object against the Kubernetes OpenAPI schema and the CRDs h5b uses",
  async run(ctx) {
    const { objects, issues } = renderedManifests(ctx.files);
    const findings = issues.map((i) => ({ check: this.name, where: i.path, message: i.message }));
    findings.push(...(await validateObjects(objects, this.name)));
    return { findings };
  },
};
