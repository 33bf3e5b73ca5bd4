import type { NodeRejection } from "./scheduler.js";

/** `a`, `a and b`, `a, b and c`, from a list that may repeat names (sorted, each once). */
export function names(list: readonly string[]): string {
  const u = [...new Set(list)].sort();
  return u.length <= 1 ? (u[0] ?? "") : `${u.slice(0, -1).join(", ")} and ${u[u.length - 1]}`;
}

/** `a`, `a or b`, `a, b or c` (sorted, each once). */
export function alternatives(list: readonly string[]): string {
  const u = [...new Set(list)].sort();
  return u.length <= 1 ? (u[0] ?? "") : `${u.slice(0, -1).join(", ")} or ${u[u.length - 1]}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Where the lost replicas ran: `its only replica ran on x86-1`, `1 of 2 replicas ran on pi-worker`. */
export function lostPhrase(lost: readonly string[], total: number): string {
  if (lost.length === total) return total === 1 ? `its only replica ran on ${lost[0]}` : `its ${total} replicas ran on ${names(lost)}`;
  return `${lost.length} of ${plural(total, "replica")} ran on ${names(lost)}`;
}

/**
 * Why no node could take a pod, in the fewest words: nodes its taints and node selection rule out are left out
 * unless nothing else is left; `no other worker runs amd64` when the image's architecture is what is missing.
 */
export function noNodePhrase(rejections: readonly NodeRejection[], architectures: readonly string[], afterFailure: boolean): string {
  const candidates = rejections.filter((r) => r.rejection.filter !== "taints" && r.rejection.filter !== "affinity");
  if (rejections.length === 0) return "no node is up";
  if (candidates.length === 0) return `no ${afterFailure ? "remaining " : ""}node matches its node selection and tolerations (${list(rejections)})`;
  if (candidates.every((r) => r.rejection.filter === "architecture")) return `no ${afterFailure ? "other " : ""}worker runs ${architectures.join(" or ")}`;
  return `no node can take it (${list(candidates.filter((r) => r.rejection.filter !== "architecture"))})`;
}

function list(rs: readonly NodeRejection[]): string {
  const shown = rs.slice(0, 3).map((r) => `${r.node}: ${r.rejection.detail}`);
  return rs.length > 3 ? `${shown.join("; ")}; and ${rs.length - 3} more` : shown.join("; ");
}
