import type { UpdateLog } from "./handler.js";

/** One logfmt line per request: `ddns client=... key=... zone=... names=... result=... ms=...`. */
export function formatUpdateLog(l: UpdateLog): string {
  const q = (v: string) => (/^[A-Za-z0-9_.:\-[\]/,]+$/.test(v) ? v : JSON.stringify(v));
  const parts = [
    `client=${q(l.client)}`,
    `key=${q(l.key)}`,
    `zone=${q(l.zone)}`,
    `names=${q(l.names.length ? l.names.join(",") : "-")}`,
    `op=${l.opcode === 5 ? "update" : l.opcode === 0 ? "query" : String(l.opcode)}`,
    `result=${l.result}`,
    ...(l.tsigError ? [`tsig=${l.tsigError}`] : []),
    `ms=${l.ms}`,
    ...(l.reason ? [`reason=${q(l.reason)}`] : []),
  ];
  return `ddns ${parts.join(" ")}`;
}

export type Logger = (line: string) => void;

export const stderrLogger: Logger = (line) => {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
};
