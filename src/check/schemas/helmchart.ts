import { bool, closed, int, type JsonSchema, resource, str, strList } from "./_common.js";

const ref = closed({ name: str }, ["name"]);

/**
 * helm.cattle.io/v1 HelmChart as helm-controller v0.17.7 defines it (the version k3s 1.36/1.37 bundles).
 * `serverSide` and `forceConflicts` are newer than v0.17.1, which older k3s 1.36 builds ship.
 */
export const helmChartSchema: JsonSchema = resource(
  "helm.cattle.io/v1",
  "HelmChart",
  closed({
    chart: str,
    repo: str,
    version: str,
    targetNamespace: str,
    createNamespace: bool,
    valuesContent: str,
    values: { type: "object" },
    valuesSecrets: { type: "array", items: closed({ name: str, keys: strList, ignoreUpdates: bool }, ["name"]) },
    set: { type: "object", additionalProperties: { anyOf: [str, int] } },
    bootstrap: bool,
    chartContent: str,
    repoCA: str,
    repoCAConfigMap: ref,
    authSecret: ref,
    dockerRegistrySecret: ref,
    plainHTTP: bool,
    insecureSkipTLSVerify: bool,
    jobImage: str,
    backOffLimit: int,
    timeout: str,
    failurePolicy: { enum: ["abort", "reinstall", "retry"] },
    takeOwnership: bool,
    serverSide: { anyOf: [bool, { enum: ["true", "false", "auto"] }] },
    forceConflicts: bool,
    driver: { enum: ["secret", "configmap"] },
    podSecurityContext: { type: "object" },
    securityContext: { type: "object" },
    helmVersion: str,
  }),
);
