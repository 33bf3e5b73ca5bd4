import type { Issue } from "../issue.js";
import type { Allocatable } from "../plan/capacity.js";
import type { Taint } from "../plan/taint.js";

export type { Effect, Taint } from "../plan/taint.js";

export interface Toleration {
  readonly key?: string;
  readonly operator?: "Exists" | "Equal";
  readonly value?: string;
  readonly effect?: string;
  readonly tolerationSeconds?: number;
}

export interface SelectorRequirement {
  readonly key: string;
  readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt";
  readonly values?: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly SelectorRequirement[];
}

export interface NodeSelectorTerm {
  readonly matchExpressions?: readonly SelectorRequirement[];
  /** Only `metadata.name` is a field a node selector can match. */
  readonly matchFields?: readonly SelectorRequirement[];
}

export interface PodAffinityTerm {
  readonly labelSelector?: LabelSelector;
  readonly topologyKey: string;
  /** Namespaces whose pods the selector looks at; empty means the pod's own. */
  readonly namespaces?: readonly string[];
}

export interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly whenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway";
  readonly labelSelector?: LabelSelector;
  /** `Honor` leaves tainted (for instance unreachable) nodes out of the domains; Kubernetes' default is `Ignore`. */
  readonly nodeTaintsPolicy?: "Honor" | "Ignore";
  /** `Honor` (the default) counts only the domains of nodes the pod's nodeSelector and required affinity allow. */
  readonly nodeAffinityPolicy?: "Honor" | "Ignore";
  /** With fewer eligible domains than this, the global minimum is 0 (DoNotSchedule only). */
  readonly minDomains?: number;
}

export type SimVolume =
  | { readonly name: string; readonly kind: "nfs"; readonly claim?: string }
  /** `dataset`: the ZFS dataset the path lies in, on the storage host (the NFS server's own volumes). */
  | { readonly name: string; readonly kind: "hostPath"; readonly path: string; readonly dataset?: string }
  | { readonly name: string; readonly kind: "emptyDir" }
  | { readonly name: string; readonly kind: "other" };

/** A Kubernetes node as the scheduler sees it. */
export interface SimNode {
  readonly name: string;
  readonly role: "server" | "agent";
  readonly arch: string;
  readonly allocatable: Allocatable;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
}

/** `Pod`: a bare pod, one replica that nothing recreates. ReplicaSets and ReplicationControllers act as Deployments. */
export type WorkloadKind = "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController" | "Pod";

/** A controller of pods, read from a rendered or user manifest. */
export interface SimWorkload {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
  /** Output file (or user file) it came from. */
  readonly source: string;
  /** Desired replicas; for a DaemonSet, the number of nodes it fits is decided by placement. */
  readonly replicas: number;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** `spec.nodeName`: the pod is bound to that node, by no scheduler, and goes nowhere else. */
  readonly nodeName?: string;
  /** Required node affinity terms (ORed); undefined when there is none. */
  readonly requiredNodeTerms?: readonly NodeSelectorTerm[];
  readonly preferredNodeTerms: readonly { readonly weight: number; readonly preference: NodeSelectorTerm }[];
  readonly antiAffinity: readonly PodAffinityTerm[];
  readonly spread: readonly SpreadConstraint[];
  readonly tolerations: readonly Toleration[];
  /** What the scheduler reserves: the containers' requests (a limit standing in for a missing request), or the largest init container's. */
  readonly request: Allocatable;
  readonly volumes: readonly SimVolume[];
  readonly images: readonly string[];
  /** Architectures every image of the pod runs on. */
  readonly architectures: readonly string[];
  readonly architecturesFrom: "spec" | "annotation" | "assumed";
  readonly essential: boolean;
  readonly priority: number;
  /** `Never`: it waits for room rather than preempt lower-priority pods (absent: PreemptLowerPriority). */
  readonly preemptionPolicy?: "Never";
}

export interface SimService {
  readonly namespace: string;
  readonly name: string;
  readonly source: string;
  readonly type: "LoadBalancer" | "ClusterIP" | "NodePort";
  readonly selector: Readonly<Record<string, string>>;
  /** externalTrafficPolicy: Local (MetalLB announces only from a node with a ready endpoint). */
  readonly local: boolean;
  /** MetalLB pool, for a LoadBalancer. */
  readonly pool?: string;
  readonly addresses: readonly string[];
  /** Name external-dns publishes in CoreDNS. */
  readonly dnsName?: string;
}

/** Which hosts carry the services outside the cluster that the failures are about. */
export interface SimHosts {
  /** The k3s server: its failure takes the API server with it. */
  readonly server: string;
  /** The ZFS/NFS host and what it exports, when the homelab has storage. */
  readonly storage?: { readonly host: string; readonly export: string; readonly storageClass: string };
  /** Porygon: DNS (and, usually, DHCP). */
  readonly dns: string;
  readonly dhcp: string;
  /** The gateway host, or undefined for a router h5b does not manage. */
  readonly gateway?: string;
  readonly zones: readonly string[];
}

export interface Model {
  readonly cluster: string;
  readonly nodes: readonly SimNode[];
  readonly workloads: readonly SimWorkload[];
  readonly services: readonly SimService[];
  /** Pool name -> node selectors of the L2Advertisements that announce it (empty list: every node). */
  readonly announcers: ReadonlyMap<string, readonly (readonly LabelSelector[])[]>;
  readonly hosts: SimHosts;
  /** Pools whose addresses the gateway opens to the internet. */
  readonly publicPools: readonly string[];
  readonly warnings: readonly Issue[];
}
