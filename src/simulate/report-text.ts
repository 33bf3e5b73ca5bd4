import { indent } from "../_text.js";
import type { Outcome, Status } from "./engine.js";
import { plural } from "./_phrases.js";
import { rules } from "./promises.js";
import type { Simulation } from "./simulate.js";

export interface Paint {
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly status: (st: Status, s: string) => string;
}

const plain: Paint = { bold: (s) => s, dim: (s) => s, status: (_, s) => s };

function header(s: Simulation): string {
  const m = s.model;
  return `${m.cluster}: ${plural(m.nodes.length, "node")}, ${plural(m.workloads.length, "workload")}, ${plural(s.rows.length, "service")}, ${plural(s.scenarios.length, "scenario")} (depth ${s.depth})`;
}

const line = (o: Outcome) => `${o.status}${o.reasons.length > 0 ? `: ${o.reasons.join("; ")}` : ""}`;

/** One line per broken promise, as `h5b simulate` and `h5b check` report them. */
export function brokenLines(s: Simulation): string[] {
  return s.broken.map((b) => `${b.rule}: ${b.service} is ${b.status} ${b.scenario === "healthy" ? "on the healthy cluster" : `when ${b.scenario} fails`}: ${b.reasons.join("; ")}`);
}

/** The terminal report: placement, the scenario x service matrix, the reasons, the promises. */
export function terminalReport(s: Simulation, paint: Paint = plain, table: (rows: string[][]) => string): string {
  const out: string[] = [`${paint.bold("h5b simulate")} ${header(s)}`, "", paint.bold("Placement on the healthy cluster")];
  out.push(
    indent(
      table(
        s.model.workloads.map((w, i) => [
          `${w.namespace}/${w.name}`,
          w.kind,
          w.kind === "DaemonSet" ? "per node" : plural(w.replicas, "replica"),
          (s.placement[i] ?? []).join(", ") || "-",
          w.architectures.join("/"),
          w.essential ? "essential" : "",
        ]),
      ),
    ),
  );
  out.push("", paint.bold("Matrix"));
  const head = ["scenario", ...s.rows.map((r) => r.name)];
  out.push(indent(table([head.map(paint.bold), ...s.scenarios.map((sc) => [sc.id, ...sc.outcomes.map((o) => paint.status(o.status, o.status))])])));
  out.push("", paint.bold("Why"));
  for (const sc of s.scenarios) {
    const notUp = sc.outcomes.flatMap((o, i) => (o.status !== "up" ? [`${s.rows[i]?.name}: ${paint.status(o.status, o.status)}${o.reasons.length > 0 ? `: ${o.reasons.join("; ")}` : ""}`] : []));
    if (notUp.length === 0 && sc.effects.length === 0) continue;
    out.push(`  ${paint.bold(sc.id)}`, ...sc.effects.map((e) => `    ${paint.dim(`· ${e}`)}`), ...notUp.map((l) => `    ${l}`));
  }
  const essential = s.rows.filter((r) => r.essential).length;
  out.push("", paint.bold(`Promises (${plural(rules.length, "rule")} on ${plural(essential, "essential service")})`));
  if (s.broken.length === 0) out.push(`  ${paint.status("up", "✔")} every promise kept`);
  else out.push(...brokenLines(s).map((l) => `  ${paint.status("down", "✖")} ${l}`));
  return `${out.join("\n")}\n`;
}

/** The same report in Markdown, for an issue or a wiki page. */
export function markdownReport(s: Simulation): string {
  const cell = (t: string) => t.replace(/\|/g, "\\|");
  const icon: Record<Status, string> = { up: "✅ up", degraded: "⚠️ degraded", down: "❌ down" };
  const out: string[] = [`# h5b simulate: ${header(s)}`, "", "## Matrix", ""];
  out.push(`| scenario | ${s.rows.map((r) => cell(r.name)).join(" | ")} |`, `|---|${s.rows.map(() => "---").join("|")}|`);
  for (const sc of s.scenarios) out.push(`| ${cell(sc.id)} | ${sc.outcomes.map((o) => icon[o.status]).join(" | ")} |`);
  out.push("", "## Why");
  for (const sc of s.scenarios) {
    const notUp = sc.outcomes.flatMap((o, i) => (o.status !== "up" ? [`- **${s.rows[i]?.name}** ${line(o)}`] : []));
    if (notUp.length === 0 && sc.effects.length === 0) continue;
    out.push("", `### ${sc.id}`, "", ...sc.effects.map((e) => `- _${e}_`), ...notUp);
  }
  out.push("", "## Promises", "", ...rules.map((r) => `- \`${r.id}\`: ${r.description}`), "");
  if (s.broken.length === 0) out.push("Every promise is kept.");
  else out.push(...brokenLines(s).map((l) => `- ❌ ${l}`));
  return `${out.join("\n")}\n`;
}
