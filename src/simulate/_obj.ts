/** Narrow readers for parsed YAML, where every field may be missing or of the wrong type. */
export type Obj = Readonly<Record<string, unknown>>;

export function rec(x: unknown): Obj {
  return x !== null && typeof x === "object" && !Array.isArray(x) ? (x as Obj) : {};
}

export function list(x: unknown): readonly unknown[] {
  return Array.isArray(x) ? x : [];
}

export function str(x: unknown): string | undefined {
  return typeof x === "string" ? x : undefined;
}

export function num(x: unknown): number | undefined {
  return typeof x === "number" && Number.isFinite(x) ? x : undefined;
}

export function strings(x: unknown): string[] {
  return list(x).filter((v): v is string => typeof v === "string");
}

export function stringMap(x: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec(x))) if (typeof v === "string") out[k] = v;
  return out;
}
