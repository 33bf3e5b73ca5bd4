import { createHash } from "node:crypto";
import type { Plan, PlanWorkload } from "../../plan/types.js";
import { managedBy } from "./_helm.js";
import { lbAnnotations } from "./_service.js";

const APP_LABEL = "app.kubernetes.io/name";

/**
 * Ready once its first TCP port accepts connections, not as soon as the container starts: with the Local traffic
 * policy MetalLB announces a service only from nodes with a ready endpoint, and a rolling update ends the old pod
 * once the new one is ready. Readiness only, no liveness probe: a slow start (a first database migration) must not
 * get the pod killed. A workload with UDP ports only gets none: a TCP connect cannot tell it is serving.
 */
function readiness(w: PlanWorkload): Record<string, unknown> {
  const tcp = w.ports.find((p) => p.protocol === "TCP");
  return tcp !== undefined ? { readinessProbe: { tcpSocket: { port: tcp.name }, periodSeconds: 10, failureThreshold: 3 } } : {};
}

/**
 * A workload as the design wants it: only on workers of an architecture its image has, spread one replica per
 * node where possible, a LoadBalancer service with the Local policy in its pool with a DNS name, and a
 * disruption budget that keeps one replica through a drain. `files` holds the contents of its supplied secret
 * files, when the user has put them all in the store: they become a Secret (without it, the pods wait for it).
 */
export function workloadObjects(plan: Plan, w: PlanWorkload, files?: ReadonlyMap<string, Buffer>): Record<string, unknown>[] {
  const labels = { [APP_LABEL]: w.name, ...managedBy };
  const selector = { [APP_LABEL]: w.name };
  const claim = `${w.name}-data`;
  const secretName = `${w.name}-files`;
  const out: Record<string, unknown>[] = [];

  // Mounted by subPath, a changed Secret never reaches a running pod: a digest of the contents rolls the pods instead.
  let filesDigest: string | undefined;
  if (files !== undefined && w.secretFiles.length > 0) {
    const data = Object.fromEntries(w.secretFiles.map((f) => [f.file, (files.get(f.file) ?? Buffer.alloc(0)).toString("base64")]));
    filesDigest = createHash("sha256").update(JSON.stringify(data)).digest("hex");
    out.push({ apiVersion: "v1", kind: "Secret", metadata: { name: secretName, namespace: w.namespace, labels }, type: "Opaque", data });
  }

  if (w.storage !== undefined) {
    out.push({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: claim, namespace: w.namespace, labels },
      spec: { accessModes: ["ReadWriteMany"], storageClassName: w.storage.storageClass, resources: { requests: { storage: w.storage.size } } },
    });
  }

  const mounts = [
    ...(w.storage !== undefined ? [{ name: "data", mountPath: w.storage.mountPath }] : []),
    ...w.secretFiles.map((f) => ({ name: "secret-files", mountPath: f.mountPath, subPath: f.file, readOnly: true })),
  ];
  const container = {
    name: w.name,
    image: w.image,
    ...(w.ports.length > 0 ? { ports: w.ports.map((p) => ({ name: p.name, containerPort: p.targetPort, protocol: p.protocol })) } : {}),
    ...(Object.keys(w.env).length > 0 ? { env: Object.entries(w.env).map(([name, value]) => ({ name, value })) } : {}),
    resources: { requests: { cpu: w.resources.cpu, memory: w.resources.memory }, limits: { memory: w.resources.memory } },
    securityContext: {
      allowPrivilegeEscalation: false,
      ...(w.capabilities.length > 0 ? { capabilities: { add: [...w.capabilities] } } : {}),
    },
    ...(mounts.length > 0 ? { volumeMounts: mounts } : {}),
    ...readiness(w),
  };
  const volumes = [
    ...(w.storage !== undefined ? [{ name: "data", persistentVolumeClaim: { claimName: claim } }] : []),
    // Readable by the container's own user, whichever it is (the pod's mount namespace is the file's only reader).
    ...(w.secretFiles.length > 0 ? [{ name: "secret-files", secret: { secretName, defaultMode: 0o444 } }] : []),
  ];

  out.push({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: w.name, namespace: w.namespace, labels },
    spec: {
      replicas: w.replicas,
      selector: { matchLabels: selector },
      // A claim mounted by one pod at a time must be released before the next pod starts.
      strategy: w.storage !== undefined ? { type: "Recreate" } : { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels, ...(filesDigest !== undefined ? { annotations: { [`${plan.cluster.labelPrefix}/files-sha256`]: filesDigest } } : {}) },
        spec: {
          automountServiceAccountToken: false,
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [
                      { key: "kubernetes.io/arch", operator: "In", values: [...w.architectures] },
                      { key: `${plan.cluster.labelPrefix}/role`, operator: "In", values: ["worker"] },
                    ],
                  },
                ],
              },
            },
          },
          // ScheduleAnyway: with a worker down the replacement replica may share a node rather than stay Pending.
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
          ],
          containers: [container],
          ...(volumes.length > 0 ? { volumes } : {}),
        },
      },
    },
  });

  const lb = plan.loadBalancers.find((l) => l.workload === w.name);
  if (lb !== undefined) {
    out.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: w.name, namespace: w.namespace, labels, annotations: lbAnnotations(plan, lb) },
      spec: {
        type: "LoadBalancer",
        // Local keeps the client's source address and makes MetalLB announce only from nodes with an endpoint.
        externalTrafficPolicy: "Local",
        ipFamilyPolicy: "PreferDualStack",
        selector,
        ports: w.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: p.protocol })),
      },
    });
  } else if (w.ports.length > 0) {
    out.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: w.name, namespace: w.namespace, labels },
      spec: { type: "ClusterIP", ipFamilyPolicy: "PreferDualStack", selector, ports: w.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: p.protocol })) },
    });
  }

  // With one replica a budget could only block drains; with more, it keeps one serving through a drain.
  if (w.replicas >= 2) {
    out.push({
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: w.name, namespace: w.namespace, labels },
      spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    });
  }
  return out;
}
