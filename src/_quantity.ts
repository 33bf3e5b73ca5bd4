const binary: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
const decimal: Record<string, number> = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };

/** Bytes of a Kubernetes-style quantity (`64Gi`, `14T`, `512Mi`); the spec schema has already checked the form. */
export function parseBytes(q: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)$/.exec(q);
  if (!m) throw new Error(`not a byte quantity: ${q}`);
  const unit = m[2] ?? "";
  const factor = unit === "" ? 1 : (binary[unit] ?? decimal[unit]);
  if (factor === undefined) throw new Error(`unknown unit in ${q}`);
  return Math.round(Number(m[1]) * factor);
}

/** Millicores of a CPU quantity (`250m`, `2`, `0.5`). */
export function parseMillicores(q: string): number {
  return q.endsWith("m") ? Number(q.slice(0, -1)) : Math.round(Number(q) * 1000);
}

export function formatBytes(n: number): string {
  for (const [u, f] of Object.entries(binary).reverse()) if (n >= f && n % f === 0) return `${n / f}${u}`;
  for (const [u, f] of Object.entries(binary).reverse()) if (n >= f) return `${(n / f).toFixed(1)}${u}`;
  return String(n);
}
