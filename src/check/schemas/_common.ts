/** JSON Schema fragments shared by h5b's own schemas of the custom resources and chart values it renders. */
export type JsonSchema = Record<string, unknown>;

export const str = { type: "string" } as const;
export const bool = { type: "boolean" } as const;
export const int = { type: "integer" } as const;
export const strList = { type: "array", items: str } as const;
export const strMap = { type: "object", additionalProperties: str } as const;

/** An object whose keys are all known: a misspelled key is an error, which upstream schemas do not catch. */
export function closed(properties: Record<string, unknown>, required: readonly string[] = []): JsonSchema {
  return { type: "object", properties, additionalProperties: false, ...(required.length > 0 ? { required: [...required] } : {}) };
}

export const labelSelector = closed({
  matchLabels: strMap,
  matchExpressions: {
    type: "array",
    items: closed({ key: str, operator: { enum: ["In", "NotIn", "Exists", "DoesNotExist"] }, values: strList }, ["key", "operator"]),
  },
});

/** apiVersion/kind/metadata of a namespaced custom resource. */
export function resource(apiVersion: string, kind: string, spec: JsonSchema, specRequired = true): JsonSchema {
  return closed(
    {
      apiVersion: { const: apiVersion },
      kind: { const: kind },
      metadata: {
        type: "object",
        properties: { name: { type: "string", pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", maxLength: 253 }, namespace: str, labels: strMap, annotations: strMap },
        required: ["name"],
      },
      spec,
    },
    specRequired ? ["apiVersion", "kind", "metadata", "spec"] : ["apiVersion", "kind", "metadata"],
  );
}
