import type { LabelSelector, NodeSelectorTerm, SelectorRequirement } from "./types.js";

type Labels = Readonly<Record<string, string>>;

/** One requirement of a label selector or node selector term, with Kubernetes' operator semantics. */
export function requirementMatches(r: SelectorRequirement, labels: Labels): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = labels[r.key];
  const values = r.values ?? [];
  switch (r.operator) {
    case "In":
      return has && values.includes(v as string);
    case "NotIn":
      return !has || !values.includes(v as string);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      const n = Number(v);
      const bound = Number(values[0]);
      if (!has || !Number.isInteger(n) || !Number.isInteger(bound)) return false;
      return r.operator === "Gt" ? n > bound : n < bound;
    }
  }
}

/** A label selector: every matchLabels pair and every expression must hold; an empty selector matches all. */
export function selectorMatches(sel: LabelSelector | undefined, labels: Labels): boolean {
  if (sel === undefined) return false;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  return (sel.matchExpressions ?? []).every((r) => requirementMatches(r, labels));
}

/** A node selector term; an empty term matches nothing (as in Kubernetes). */
export function termMatches(term: NodeSelectorTerm, nodeName: string, labels: Labels): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const fieldLabels = { "metadata.name": nodeName };
  return exprs.every((r) => requirementMatches(r, labels)) && fields.every((r) => requirementMatches(r, fieldLabels));
}

export function formatSelector(sel: Readonly<Record<string, string>>): string {
  return Object.entries(sel)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
