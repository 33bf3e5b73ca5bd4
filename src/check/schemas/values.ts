import { bool, closed, type JsonSchema, str, strList, strMap } from "./_common.js";

/**
 * The chart values h5b sets, as closed schemas: the types follow the charts' own values.schema.json (Cilium
 * 1.20.0, external-dns 1.21.1), and every object is closed, so a misspelled key is caught here even though the
 * upstream schemas let it through. A CI test also checks the rendered values against the upstream files.
 */
const enabled = closed({ enabled: bool });

export const ciliumValuesSchema: JsonSchema = closed({
  // From chart 1.16 only true/false render; older charts took strict/partial/disabled.
  kubeProxyReplacement: { anyOf: [bool, { enum: ["true", "false", "strict", "partial", "disabled"] }] },
  k8sServiceHost: str,
  k8sServicePort: { type: ["string", "integer"] },
  ipv4: enabled,
  ipv6: enabled,
  ipam: closed({ mode: { enum: ["kubernetes", "cluster-pool", "multi-pool", "crd", "eni", "azure", "alibabacloud", "delegated-plugin"] } }),
  cni: closed({ binPath: str, confPath: str, exclusive: bool }),
  l2announcements: enabled,
  defaultLBServiceIPAM: { enum: ["lbipam", "nodeipam", "none"] },
  enableLBIPAM: bool,
  hubble: closed({ enabled: bool, relay: enabled, ui: enabled }),
  ingressController: closed({
    enabled: bool,
    default: bool,
    loadbalancerMode: { enum: ["dedicated", "shared"] },
    service: closed({ type: { enum: ["LoadBalancer", "NodePort"] }, externalTrafficPolicy: { enum: ["Local", "Cluster"] }, annotations: strMap }),
  }),
});

const envVar = closed({ name: str, value: str }, ["name", "value"]);

export const externalDnsValuesSchema: JsonSchema = closed({
  image: closed({ repository: str, tag: str, pullPolicy: { enum: ["IfNotPresent", "Always"] } }),
  provider: closed({ name: str }, ["name"]),
  env: { type: "array", items: envVar },
  extraVolumes: { type: "array", items: { type: "object", required: ["name"] } },
  extraVolumeMounts: { type: "array", items: closed({ name: str, mountPath: str, readOnly: bool }, ["name", "mountPath"]) },
  sources: { type: "array", items: { enum: ["service", "ingress", "node", "pod", "gateway-httproute", "gateway-grpcroute", "gateway-tlsroute", "gateway-tcproute", "gateway-udproute", "crd"] } },
  domainFilters: strList,
  txtOwnerId: str,
  policy: { enum: ["create-only", "sync", "upsert-only"] },
  registry: { enum: ["txt", "aws-sd", "dynamodb", "noop"] },
  interval: { type: "string", pattern: "^[0-9]+(s|m|h)$" },
  annotationPrefix: { type: "string", pattern: "/$" },
  managedRecordTypes: { type: "array", uniqueItems: true, items: { enum: ["A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "NAPTR", "PTR"] } },
  extraArgs: strList,
});

export const metallbValuesSchema: JsonSchema = closed({
  frrk8s: enabled,
  speaker: closed({ frr: enabled }),
});

export const csiNfsValuesSchema: JsonSchema = closed({
  storageClass: closed({
    create: bool,
    name: str,
    annotations: strMap,
    parameters: closed({ server: str, share: str, subDir: str, onDelete: { enum: ["delete", "retain", "archive"] }, mountPermissions: { type: ["string", "integer"] } }, ["server", "share"]),
    reclaimPolicy: { enum: ["Delete", "Retain"] },
    volumeBindingMode: { enum: ["Immediate", "WaitForFirstConsumer"] },
    mountOptions: strList,
  }),
});

/** Values schema of each chart h5b installs, by chart name. */
export const valuesSchemas: Readonly<Record<string, JsonSchema>> = {
  cilium: ciliumValuesSchema,
  "external-dns": externalDnsValuesSchema,
  metallb: metallbValuesSchema,
  "csi-driver-nfs": csiNfsValuesSchema,
};

