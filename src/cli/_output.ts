import { H5bError, type Issue } from "../issue.js";

const tty = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const paint = (code: string) => (s: string) => (tty ? `\u001b[${code}m${s}\u001b[0m` : s);
export const bold = paint("1");
export const dim = paint("2");
export const red = paint("31");
export const green = paint("32");
export const yellow = paint("33");

/** `✖ message` / `→ at path`, the one way user-caused problems are shown. */
export function formatIssue(i: Issue): string {
  const mark = i.severity === "error" ? red("✖") : yellow("⚠");
  return `${mark} ${i.message}\n  ${dim("→ at")} ${i.path}`;
}

export function printIssues(issues: readonly Issue[], stream: NodeJS.WritableStream = process.stderr): void {
  for (const i of issues) stream.write(`${formatIssue(i)}\n`);
}

/** Exit code of a failed command: 2 for a user error (issues printed), otherwise the error is a bug and rethrown. */
export function reportError(e: unknown): number {
  if (e instanceof H5bError) {
    printIssues(e.issues);
    const n = e.issues.filter((i) => i.severity === "error").length;
    process.stderr.write(`${red(`${n} error${n === 1 ? "" : "s"}`)} (${e.message.split(":")[0]})\n`);
    return 2;
  }
  throw e;
}

/** A plain text table with padded columns. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(c).length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - visible(c).length))).join("  ").trimEnd()).join("\n");
}

function visible(s: string): string {
  return s.replace(/\u001b\[[0-9;]*m/g, "");
}
