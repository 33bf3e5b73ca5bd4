import type { Plan } from "../plan/types.js";
import { selectorMatches } from "./_labels.js";
import { list, rec, str, stringMap, strings } from "./_obj.js";
import { labelSelector } from "./_podspec.js";
import { type ManifestObject, metaOf, namespaceOf, ofKind } from "./manifests.js";
import type { LabelSelector, SimService } from "./types.js";

/**
 * MetalLB's view: which node selectors announce each pool (from the L2Advertisements), and each Service with its
 * pool, fixed addresses (from the plan or the annotation) and the name external-dns publishes.
 */
export function readServices(plan: Pick<Plan, "cluster" | "loadBalancers">, objects: readonly ManifestObject[]): { services: SimService[]; announcers: Map<string, LabelSelector[][]> } {
  const kindOf = (group: string, k: string) => ofKind(objects, group, k);
  const pools = kindOf("metallb.io", "IPAddressPool").map((p) => ({ name: str(metaOf(p).name) ?? "", labels: stringMap(metaOf(p).labels), autoAssign: rec(p.object.spec).autoAssign !== false }));
  const poolNames = pools.length > 0 ? pools.map((p) => p.name) : plan.cluster.pools.map((p) => p.name);
  const announcers = new Map<string, LabelSelector[][]>(poolNames.map((n) => [n, []]));
  for (const adv of kindOf("metallb.io", "L2Advertisement")) {
    const spec = rec(adv.object.spec);
    const named = strings(spec.ipAddressPools);
    const selectors = list(spec.ipAddressPoolSelectors).map(labelSelector);
    const all = named.length === 0 && selectors.length === 0;
    const nodeSelectors = list(spec.nodeSelectors).map((s) => labelSelector(s) ?? {});
    for (const p of pools.length > 0 ? pools : poolNames.map((name) => ({ name, labels: {} }))) {
      if (all || named.includes(p.name) || selectors.some((s) => selectorMatches(s, p.labels))) announcers.get(p.name)?.push(nodeSelectors);
    }
  }

  const a = plan.cluster.metallbAnnotations;
  // The one prefix the external-dns h5b runs reads.
  const dnsKey = `${plan.cluster.externalDns.annotationPrefix}hostname`;
  const autoPool = pools.find((p) => p.autoAssign)?.name ?? plan.cluster.pools.find((p) => p.autoAssign)?.name;
  const services: SimService[] = [];
  for (const s of kindOf("", "Service")) {
    const spec = rec(s.object.spec);
    const selector = stringMap(spec.selector);
    if (Object.keys(selector).length === 0) continue; // endpoints managed by hand: nothing to simulate
    const ann = stringMap(metaOf(s).annotations);
    const type = str(spec.type) === "LoadBalancer" ? "LoadBalancer" : str(spec.type) === "NodePort" ? "NodePort" : "ClusterIP";
    const name = str(metaOf(s).name) ?? "";
    const namespace = namespaceOf(s);
    const planned = plan.loadBalancers.find((lb) => lb.namespace === namespace && lb.name === name);
    const pool = ann[a.pool] ?? ann["metallb.io/address-pool"] ?? ann["metallb.universe.tf/address-pool"] ?? planned?.pool ?? autoPool;
    const ips = ann[a.ips] ?? ann["metallb.io/loadBalancerIPs"];
    const addresses = planned?.addresses !== undefined ? Object.values(planned.addresses) : ips !== undefined ? ips.split(",").map((x) => x.trim()) : [];
    const dnsName = ann[dnsKey];
    services.push({
      namespace,
      name,
      source: s.file,
      type,
      selector,
      local: str(spec.externalTrafficPolicy) === "Local",
      ...(type === "LoadBalancer" && pool !== undefined ? { pool } : {}),
      addresses: type === "LoadBalancer" ? addresses : [],
      ...(type === "LoadBalancer" && dnsName !== undefined ? { dnsName } : {}),
    });
  }
  services.sort((x, y) => (`${x.namespace}/${x.name}` < `${y.namespace}/${y.name}` ? -1 : 1));

  return { services, announcers };
}
