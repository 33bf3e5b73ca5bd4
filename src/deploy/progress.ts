/** What one host did in one task (loop items folded into one status, the worst of them). */
export interface TaskResult {
  readonly host: string;
  readonly task: string;
  readonly status: Status;
}

/** A failed or unreachable result, with everything Ansible said about it. */
export interface Failure {
  readonly host: string;
  readonly task: string;
  readonly unreachable: boolean;
  readonly detail: string;
}

export interface Recap {
  readonly ok: number;
  readonly changed: number;
  readonly unreachable: number;
  readonly failed: number;
  readonly skipped: number;
}

export type Status = "skipped" | "ok" | "changed" | "failed" | "unreachable";
const RANK: Record<Status, number> = { skipped: 0, ok: 1, changed: 2, failed: 3, unreachable: 4 };

const HEADER = /^(PLAY|TASK|RUNNING HANDLER) \[(.*)\] \**$/;
const RESULT = /^(ok|changed|skipping|fatal|failed): \[([^\]]+)\](?:: (FAILED|UNREACHABLE)!)?(?: \(item=.*?\))?(?: => (.*))?$/;
/** A delegated task's host label, `x86-1 -> pi-cp(10.0.0.10)`: the result is x86-1's, run on pi-cp. */
const DELEGATED = / -> .*$/;
const RECAP_LINE = /^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)/;

/**
 * Reads ansible-playbook's default output line by line (as it streams) and reports one result per host and
 * task when the task is over; failures are kept whole for the end, and the recap is parsed into numbers.
 */
export class ProgressReader {
  readonly failures: Failure[] = [];
  readonly recap = new Map<string, Recap>();
  #task = "";
  #pending = new Map<string, Status>();
  #failure: { host: string; task: string; unreachable: boolean; lines: string[] } | undefined;
  /** Hosts with a failed result in the current task, and the task's `...ignoring` lines (see {@link line}). */
  #failedHosts = new Set<string>();
  #ignores = 0;
  #inRecap = false;

  constructor(
    private readonly onResult: (r: TaskResult) => void,
    /** Lines that are neither headers, results nor part of a failure: diffs in check mode, warnings, errors. */
    private readonly onOther: (line: string) => void = () => {},
  ) {}

  line(raw: string): void {
    const line = raw.replace(/\s+$/, "");
    const header = HEADER.exec(line);
    if (header !== null) {
      this.#finishTask();
      this.#inRecap = false;
      if (header[1] === "PLAY" && header[2] === "") return;
      this.#task = header[1] === "PLAY" ? "" : `${header[1] === "RUNNING HANDLER" ? "handler " : ""}${header[2] ?? ""}`;
      return;
    }
    if (line.startsWith("PLAY RECAP")) {
      this.#finishTask();
      this.#inRecap = true;
      return;
    }
    if (this.#inRecap) {
      const r = RECAP_LINE.exec(line);
      if (r !== null) {
        const n = (i: number) => Number(r[i]);
        this.recap.set(r[1] as string, { ok: n(2), changed: n(3), unreachable: n(4), failed: n(5), skipped: n(6) });
      }
      return;
    }
    const result = RESULT.exec(line);
    if (result !== null) {
      this.#closeFailure();
      const [, word, label = "", bang, detail] = result;
      const host = label.replace(DELEGATED, "");
      const status: Status = bang === "UNREACHABLE" ? "unreachable" : word === "fatal" || word === "failed" ? "failed" : word === "skipping" ? "skipped" : (word as Status);
      const before = this.#pending.get(host);
      if (before === undefined || RANK[status] > RANK[before]) this.#pending.set(host, status);
      if (status === "failed") this.#failedHosts.add(host);
      if (status === "failed" || status === "unreachable") {
        this.#failure = { host, task: this.#task, unreachable: status === "unreachable", lines: detail !== undefined ? [detail] : [] };
      }
      return;
    }
    if (line === "...ignoring") {
      // An ignored failure (every failed item of it, in a loop) is not a failure of the run. The line names no host:
      // it follows that host's last result, but the items of hosts running in parallel can come in between, so the
      // last failure open may be another host's. Ansible prints it once per ignored host: when the task ends with
      // as many of them as hosts that failed, every failure was ignored (the end of the task settles it).
      const host = this.#failure?.host;
      this.#failure = undefined;
      this.#ignores++;
      if (host !== undefined) this.#ignore(host);
      return;
    }
    // Anything else continues a failure's message, or is a diff, a warning or an error of Ansible's own.
    if (this.#failure !== undefined) {
      if (line !== "") this.#failure.lines.push(line);
    } else if (line !== "") this.onOther(line);
  }

  /** Call when the output ends. */
  end(): void {
    this.#finishTask();
  }

  #closeFailure(): void {
    if (this.#failure === undefined) return;
    const f = this.#failure;
    this.failures.push({ host: f.host, task: f.task, unreachable: f.unreachable, detail: readable(f.lines.join("\n")) });
    this.#failure = undefined;
  }

  #finishTask(): void {
    this.#closeFailure();
    if (this.#ignores > 0 && this.#ignores >= this.#failedHosts.size) for (const host of this.#failedHosts) this.#ignore(host);
    this.#failedHosts.clear();
    this.#ignores = 0;
    for (const [host, status] of this.#pending) this.onResult({ host, task: this.#task, status });
    this.#pending.clear();
  }

  #ignore(host: string): void {
    this.#pending.set(host, "ok");
    for (let i = this.failures.length - 1; i >= 0; i--) {
      const f = this.failures[i] as Failure;
      if (f.host === host && f.task === this.#task) this.failures.splice(i, 1);
    }
  }
}

/** Ansible's failure JSON, shown as its message and output rather than one long line of escapes. */
function readable(detail: string): string {
  try {
    const j = JSON.parse(detail) as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of ["msg", "stderr", "stdout", "module_stderr", "module_stdout"]) {
      const v = j[key];
      if (typeof v === "string" && v.trim() !== "") parts.push(key === "msg" ? v : `${key}:\n${v.trimEnd()}`);
    }
    if (Array.isArray(j.results)) {
      for (const r of j.results as Record<string, unknown>[]) {
        if (r.failed === true && typeof r.msg === "string") parts.push(`item ${JSON.stringify(r.item)}: ${r.msg}`);
      }
    }
    return parts.length > 0 ? parts.join("\n") : detail;
  } catch {
    return detail;
  }
}
