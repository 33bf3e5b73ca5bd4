import { type CelInput, run } from "@bufbuild/cel";
import { describe, expect, it } from "vitest";
import { SPAWNER_NAMESPACE_LABEL, spawnerVolumePolicy } from "../../src/emit/cluster/spawner-volumes.js";
import { namespaces } from "../../src/emit/cluster/namespaces.js";
import { buildPlan } from "../../src/plan/build.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";
import { pisOnK3os } from "../_harness/k3os.js";

const plan = buildPlan(parseHomelab(defaultHomelabInput()).spec);
const [policy, binding] = spawnerVolumePolicy(plan) as [Record<string, any>, Record<string, any>];
const expression = policy.spec.validations[0].expression as string;

/** CEL sees a Kubernetes object as maps and lists. */
const cel = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(cel) : v !== null && typeof v === "object" ? new Map(Object.entries(v).map(([k, x]) => [k, cel(x)])) : v;
const admits = (volumes?: unknown[]) => run(expression, { object: cel({ spec: volumes === undefined ? {} : { volumes } }) as CelInput });

describe("the job spawners' volume policy (evaluated with a CEL interpreter)", () => {
  it.each([
    ["no volumes", undefined, true],
    ["a Secret, a ConfigMap, an emptyDir, a projected token, a claim", [{ secret: {} }, { configMap: {} }, { emptyDir: {} }, { projected: {} }, { persistentVolumeClaim: { claimName: "x" } }], true],
    ["the storage host's NFS export, inline", [{ emptyDir: {} }, { nfs: { server: "10.0.0.20", path: "/" } }], false],
    ["a share through the NFS CSI driver, inline", [{ csi: { driver: "nfs.csi.k8s.io", volumeAttributes: { server: "10.0.0.20", share: "/" } } }], false],
    ["a node's folder (baseline refuses it too)", [{ hostPath: { path: "/" } }], false],
    ["an iSCSI disk", [{ iscsi: {} }], false],
  ])("%s: admitted %s", (_name, volumes, admitted) => {
    expect(admits(volumes?.map((v, i) => ({ name: `v${i}`, ...v })))).toBe(admitted);
  });

  it("applies to pods in the spawners' namespaces, which carry its label, and only there", () => {
    expect(policy.spec.matchConstraints.resourceRules).toEqual([{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }]);
    expect(binding.spec).toMatchObject({ validationActions: ["Deny"], matchResources: { namespaceSelector: { matchLabels: { [SPAWNER_NAMESPACE_LABEL]: "true" } } } });
    const labelled = namespaces(plan).filter((n: any) => n.metadata.labels[SPAWNER_NAMESPACE_LABEL] === "true").map((n: any) => n.metadata.name);
    expect(labelled).toEqual(plan.access.jobSpawners.map((s) => s.namespace));
  });

  it("is left out of a cluster older than Kubernetes 1.30 (k3OS's), which has no ValidatingAdmissionPolicy", () => {
    const input = defaultHomelabInput();
    pisOnK3os(input);
    expect(spawnerVolumePolicy(buildPlan(parseHomelab(input).spec))).toEqual([]);
  });
});
