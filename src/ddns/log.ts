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

/**
 * Writes to stderr once per event-loop turn instead of once per line: stderr on a pipe or the journal's socket is
 * a synchronous write on Linux, and one syscall per update showed up in the profile under load. Lines are kept in
 * order; past 1 MiB pending the buffer is flushed at once, so memory stays bounded.
 */
let pending: string[] = [];
let pendingBytes = 0;
let scheduled = false;

function flush(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const text = pending.join("");
  pending = [];
  pendingBytes = 0;
  process.stderr.write(text);
}

export const stderrLogger: Logger = (line) => {
  const text = `${new Date().toISOString()} ${line}\n`;
  pending.push(text);
  pendingBytes += text.length;
  if (pendingBytes > 1 << 20) flush();
  else if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
};

/** Writes out anything still buffered (before exit). */
export function flushLog(): void {
  flush();
}
