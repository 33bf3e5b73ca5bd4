import type { Plan, PlanLoadBalancer } from "../../plan/types.js";

/** The annotations that put a LoadBalancer service in its MetalLB pool and its name in external-dns. */
export function lbAnnotations(plan: Plan, lb: PlanLoadBalancer): Record<string, string> {
  const a = plan.cluster.metallbAnnotations;
  const ips = lb.addresses !== undefined ? lb.families.map((f) => lb.addresses?.[f]).filter((x): x is string => x !== undefined) : [];
  return {
    [`${plan.cluster.externalDns.annotationPrefix}hostname`]: lb.fqdn,
    [a.pool]: lb.pool,
    ...(ips.length > 0 ? { [a.ips]: ips.join(",") } : {}),
  };
}
