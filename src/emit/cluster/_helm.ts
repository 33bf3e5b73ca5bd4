import { yamlText } from "../file.js";

export interface HelmChartInput {
  readonly name: string;
  readonly repo: string;
  readonly chart: string;
  readonly version: string;
  readonly targetNamespace: string;
  /** Run the install job on the host network of the control plane, before any CNI exists. */
  readonly bootstrap?: boolean;
  readonly values: Record<string, unknown>;
}

/** A k3s helm-controller `HelmChart` (helm.cattle.io/v1), installed from the server's auto-deploy folder. */
export function helmChart(c: HelmChartInput): Record<string, unknown> {
  return {
    apiVersion: "helm.cattle.io/v1",
    kind: "HelmChart",
    metadata: { name: c.name, namespace: "kube-system" },
    spec: {
      repo: c.repo,
      chart: c.chart,
      version: c.version,
      targetNamespace: c.targetNamespace,
      ...(c.bootstrap === true ? { bootstrap: true } : {}),
      // helm-controller's default answer to a failed install or upgrade is to uninstall the release and install it
      // again: a failed MetalLB upgrade would take its CRDs, and with them the address pools, which k3s does not
      // apply again (their file is unchanged), and a failed Cilium upgrade would take every node's network. A
      // failed release is left for the operator instead (README: "A chart that failed").
      failurePolicy: "abort",
      // Values travel as a YAML string; the checks parse it back to validate it against the chart's schema.
      valuesContent: yamlText(c.values).trimEnd(),
    },
  };
}

export const managedBy = { "app.kubernetes.io/managed-by": "h5b" } as const;
