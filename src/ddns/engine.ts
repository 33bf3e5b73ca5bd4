import { DEADLINE_EXCEEDED, EtcdError, UNAVAILABLE } from "./_etcd.js";
import type { Labels } from "./_names.js";
import { stderrLogger, type Logger } from "./log.js";
import { RCODE, type Rcode } from "./rcode.js";
import { opCount, RANGES_PER_NAME, type ReadSnapshot, type UpdateStore, type WriteSet } from "./store.js";
import { applyChanges, evaluatePrereqs, type CheckedUpdate } from "./update.js";

/**
 * Applies checked updates to etcd with group commit. One compare-and-put transaction per update tops out near
 * etcd's transaction rate (about 2,400/s here), so independent updates (disjoint names) queued at the same time are
 * read in one transaction and written in one transaction. If that combined transaction's compares fail, nobody
 * can tell which update was overtaken: the group is redone once with fresh reads, then each update alone (read,
 * evaluate, commit with its own compares). Every update stays all-or-nothing, and a concurrent change only costs
 * a retry.
 *
 * Most of Kea's updates are for names that hold nothing yet. Those are evaluated against an empty name without
 * reading, and committed with compares that hold only if the name is indeed empty: one round trip instead of two.
 * A bounded set of names known to hold records sends updates for them straight to the read path; a wrong guess
 * only costs the fallback.
 */
export interface Outcome {
  readonly rcode: Rcode;
  readonly reason: string;
}

export interface EngineEvents {
  batch?(size: number): void;
  fallback?(): void;
  etcdError?(e: unknown): void;
  health?(up: boolean): void;
}

export interface EngineOptions {
  readonly maxBatch: number;
  /** etcd's --max-txn-ops (default 128) bounds compares and operations per transaction. */
  readonly maxTxnOps?: number;
  /** Batches in flight at once (each on names disjoint from the others). */
  readonly concurrency?: number;
  /** Solo retries of one update after its compares failed. */
  readonly retries?: number;
  /** Interval of the health probe while etcd is down. */
  readonly probeMs?: number;
  /** Names remembered as holding records (bounds the memory of the guess above). */
  readonly knownNames?: number;
  readonly events?: EngineEvents;
  /** Where the cause of an etcd failure is logged (once per change of cause). @default stderr */
  readonly log?: Logger;
}

interface Job {
  readonly update: CheckedUpdate;
  readonly keys: readonly string[];
  readonly resolve: (o: Outcome) => void;
}

const nameKey = (n: Labels) => n.join(".");

/**
 * etcd answered and refused this one request (too many operations, permission denied, an answer over the size
 * limit): the request fails, and etcd is not down for everybody else. Not a refused login, nor etcd saying it
 * cannot serve anything (Unavailable, DeadlineExceeded).
 */
function refusedRequest(e: unknown): boolean {
  return e instanceof EtcdError && e.code !== undefined && e.code !== UNAVAILABLE && e.code !== DEADLINE_EXCEEDED && !e.auth;
}

export class UpdateEngine {
  private readonly queue: Job[] = [];
  private readonly busy = new Set<string>();
  private running = 0;
  private up = true;
  private probe: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  /** The etcd failure last logged: a failing etcd fails every update and probe the same way, logged once. */
  private lastCause: string | undefined;
  /** Names believed to hold records, oldest first (a Map keeps insertion order, which makes it an LRU). */
  private readonly nonEmpty = new Map<string, true>();

  constructor(
    private readonly store: UpdateStore,
    private readonly opts: EngineOptions,
  ) {}

  get healthy(): boolean {
    return this.up;
  }

  get pending(): number {
    return this.queue.length + this.busy.size;
  }

  submit(update: CheckedUpdate): Promise<Outcome> {
    // While etcd is known to be unreachable, answer at once: kea-dhcp-ddns retries SERVFAIL, and waiting for a
    // timeout per update would only pile up work.
    if (!this.up) return Promise.resolve({ rcode: RCODE.SERVFAIL, reason: "etcd unreachable" });
    if (this.closed) return Promise.resolve({ rcode: RCODE.SERVFAIL, reason: "shutting down" });
    return new Promise<Outcome>((resolve) => {
      this.queue.push({ update, keys: [...new Set(update.names.map(nameKey))], resolve });
      this.schedulePump();
    });
  }

  /** Resolves when nothing is queued or running (graceful stop). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  close(): void {
    this.closed = true;
    if (this.probe) clearInterval(this.probe);
    this.probe = undefined;
  }

  private pumpScheduled = false;

  /**
   * Forms batches after the current I/O phase rather than on the first arrival: every datagram already read in
   * this turn of the event loop joins the batch, instead of the first one going alone.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /**
   * Starts batches. An idle engine sends at once; while a batch is in etcd, a second one starts only with at least
   * half a batch queued, and smaller arrivals gather behind the running one instead. At kea-dhcp-ddns's pace (a
   * steady trickle, at most 32 updates in flight) sending each arrival in its own transaction made batches of 2
   * and cost the daemon and etcd together about 1.4 CPU cores at 1,000 updates/s; waiting behind the running batch
   * made them 3 and cost 15% less, with the same latency. Under a flood the queue is long and two run at once.
   */
  private pump(): void {
    const concurrency = this.opts.concurrency ?? 2;
    const enough = Math.max(1, this.opts.maxBatch >> 1);
    while (this.running < concurrency && this.queue.length > 0) {
      if (this.running > 0 && this.queue.length < enough) break;
      const batch = this.take();
      if (batch.length === 0) break;
      this.running++;
      void this.runBatch(batch).finally(() => {
        for (const j of batch) for (const k of j.keys) this.busy.delete(k);
        this.running--;
        this.pump();
        if (this.queue.length === 0 && this.running === 0) {
          const w = this.idleWaiters;
          this.idleWaiters = [];
          for (const r of w) r();
        }
      });
    }
  }

  /** Takes queued jobs whose names are free, in order; a job waits behind any earlier job on one of its names. */
  private take(): Job[] {
    const batch: Job[] = [];
    const blocked = new Set<string>();
    const maxOps = (this.opts.maxTxnOps ?? 128) - 8;
    let reads = 0;
    for (let i = 0; i < this.queue.length && batch.length < this.opts.maxBatch; ) {
      const job = this.queue[i];
      if (job === undefined) break;
      const conflict = job.keys.some((k) => this.busy.has(k) || blocked.has(k));
      if (conflict || reads + job.keys.length * RANGES_PER_NAME > maxOps) {
        for (const k of job.keys) blocked.add(k);
        i++;
        continue;
      }
      reads += job.keys.length * RANGES_PER_NAME;
      for (const k of job.keys) this.busy.add(k);
      batch.push(job);
      this.queue.splice(i, 1);
    }
    return batch;
  }

  private evaluate(job: Job, snap: ReadSnapshot): Outcome | WriteSet {
    if (job.update.names.some((n) => snap.oversized?.has(n.join(".")))) {
      return { rcode: RCODE.REFUSED, reason: "too many records at or below this name" };
    }
    const pre = evaluatePrereqs(job.update.prereqs, snap.records);
    if (pre.rcode !== RCODE.NOERROR) return pre;
    const applied = applyChanges(job.update.changes, snap.records);
    if (!applied.ok) return { rcode: applied.rcode, reason: applied.reason };
    return this.store.diff(snap, job.update.names, applied.result);
  }

  private remember(job: Job, held: boolean): void {
    for (const k of job.keys) {
      this.nonEmpty.delete(k);
      if (held) this.nonEmpty.set(k, true);
    }
    const cap = this.opts.knownNames ?? 65_536;
    for (const k of this.nonEmpty.keys()) {
      if (this.nonEmpty.size <= cap) break;
      this.nonEmpty.delete(k);
    }
  }

  /** Evaluates against empty names when that needs no read: a write set, or undefined when a read is needed. */
  private blind(job: Job): WriteSet | undefined {
    if (this.store.assumeEmpty === undefined || job.keys.some((k) => this.nonEmpty.has(k))) return undefined;
    const r = this.evaluate(job, this.store.assumeEmpty(job.update.names));
    // Anything but a write (a failed prerequisite, a no-op) depends on what is really there: read it.
    if ("rcode" in r || r.puts.length + r.deletes.length === 0) return undefined;
    return r;
  }

  /**
   * One group: updates of names guessed empty go blind, the others are read together; then everything is written
   * in as few transactions as the operation limit allows. `retry` is the second pass after a failed transaction:
   * everything is read (no guessing), and a failure then sends each update on alone.
   */
  private async runBatch(batch: Job[], retry = false): Promise<void> {
    if (!retry) this.opts.events?.batch?.(batch.length);
    const writes: { job: Job; set: WriteSet }[] = [];
    const toRead: Job[] = [];
    for (const job of batch) {
      const set = retry ? undefined : this.blind(job);
      if (set) writes.push({ job, set });
      else toRead.push(job);
    }
    let alone: Promise<unknown> | undefined;
    const snap = toRead.length === 0 ? undefined : await this.store.read(toRead.flatMap((j) => j.update.names)).catch((e: unknown) => ({ failed: e }));
    if (snap !== undefined && "failed" in snap) {
      this.down(snap.failed);
      if (!refusedRequest(snap.failed)) {
        for (const j of batch) j.resolve({ rcode: RCODE.SERVFAIL, reason: "etcd read failed" });
        return;
      }
      // etcd refused the group's read because of one name (its answer over the size limit, a name the role cannot
      // read): each update is read alone, so only that name's fails; the blind writes go on.
      if (toRead.length > 1) {
        this.opts.events?.fallback?.();
        alone = Promise.all(toRead.map((j) => this.solo(j, undefined)));
      } else for (const j of toRead) j.resolve({ rcode: RCODE.SERVFAIL, reason: "etcd read failed" });
    } else if (snap !== undefined) {
      for (const job of toRead) {
        const r = this.evaluate(job, snap);
        this.remember(job, job.update.names.some((n) => (snap.records.get(n.join("."))?.length ?? 0) > 0));
        if ("rcode" in r) job.resolve(r);
        else if (r.puts.length + r.deletes.length === 0) job.resolve({ rcode: RCODE.NOERROR, reason: "no change" });
        else writes.push({ job, set: r });
      }
    }
    const maxOps = this.opts.maxTxnOps ?? 128;
    let chunk: { job: Job; set: WriteSet }[] = [];
    let cmp = 0;
    let ops = 0;
    const flush = async () => {
      if (chunk.length === 0) return;
      const c = chunk;
      chunk = [];
      cmp = 0;
      ops = 0;
      await this.commitChunk(c, retry);
    };
    for (const w of writes) {
      const wc = w.set.compares.length;
      const wo = w.set.puts.length + w.set.deletes.length;
      if (chunk.length > 0 && (cmp + wc > maxOps || ops + wo > maxOps)) await flush();
      if (opCount(w.set) > maxOps) {
        w.job.resolve({ rcode: RCODE.REFUSED, reason: "update too large for one etcd transaction" });
        continue;
      }
      chunk.push(w);
      cmp += wc;
      ops += wo;
    }
    await flush();
    await alone;
  }

  private async commitChunk(chunk: { job: Job; set: WriteSet }[], retry: boolean): Promise<void> {
    let ok: boolean;
    try {
      ok = await this.store.commit(chunk.map((c) => c.set));
    } catch (e) {
      this.down(e);
      for (const c of chunk) c.job.resolve({ rcode: RCODE.SERVFAIL, reason: "etcd commit failed" });
      return;
    }
    if (ok) {
      for (const c of chunk) {
        this.remember(c.job, c.set.puts.length > 0);
        c.job.resolve({ rcode: RCODE.NOERROR, reason: "" });
      }
      return;
    }
    // A failed guess that a name was empty: remember it holds something, so its next update reads first.
    for (const c of chunk) this.remember(c.job, true);
    if (chunk.length > 1) this.opts.events?.fallback?.();
    // First the whole group again with fresh reads (after a restart every name is guessed empty, and a group of
    // renewals should cost two round trips, not two per update); if that fails too, each update alone.
    if (!retry && chunk.length > 1) return this.runBatch(chunk.map((c) => c.job), true);
    await Promise.all(chunk.map((c) => this.solo(c.job, chunk.length === 1 ? c.set : undefined)));
  }

  /** Redoes one update alone until its own compares hold (or it fails on its own prerequisites). */
  private async solo(job: Job, failedOnce: WriteSet | undefined): Promise<void> {
    const attempts = (this.opts.retries ?? 3) + (failedOnce ? 0 : 1);
    for (let i = 0; i < attempts; i++) {
      try {
        const snap = await this.store.read(job.update.names);
        const r = this.evaluate(job, snap);
        if ("rcode" in r) return job.resolve(r);
        if (r.puts.length + r.deletes.length === 0) return job.resolve({ rcode: RCODE.NOERROR, reason: "no change" });
        if (await this.store.commit([r])) {
          this.remember(job, r.puts.length > 0);
          return job.resolve({ rcode: RCODE.NOERROR, reason: "" });
        }
      } catch (e) {
        this.down(e);
        return job.resolve({ rcode: RCODE.SERVFAIL, reason: "etcd failed" });
      }
    }
    job.resolve({ rcode: RCODE.SERVFAIL, reason: "concurrent changes; retries exhausted" });
  }

  /** Checks etcd once (at start): opens the connections early, and starts SERVFAIL-and-probe if it is down. */
  async probeNow(): Promise<Error | undefined> {
    try {
      await Promise.all([this.store.ping(), this.store.ping()]);
      return undefined;
    } catch (e) {
      this.down(e);
      return e instanceof Error ? e : new Error(String(e));
    }
  }

  /**
   * The counter alone said that something failed, never what: a wrong password, a hanging etcd and a refused
   * request looked the same. The message never holds a secret (the client leaves the password out of its errors).
   */
  private logCause(e: unknown): void {
    const cause = e instanceof Error ? e.message : String(e);
    if (cause === this.lastCause) return;
    this.lastCause = cause;
    (this.opts.log ?? stderrLogger)(`ddns etcd error: ${cause}`);
  }

  private down(e: unknown): void {
    this.opts.events?.etcdError?.(e);
    this.logCause(e);
    if (refusedRequest(e)) return;
    if (!this.up || this.closed) return;
    this.up = false;
    this.opts.events?.health?.(false);
    const probeMs = this.opts.probeMs ?? 250;
    let probing = false;
    this.probe = setInterval(() => {
      if (probing) return;
      probing = true;
      this.store
        .ping()
        .then(() => {
          if (this.probe) clearInterval(this.probe);
          this.probe = undefined;
          this.up = true;
          // The next outage is logged with its cause even if it is the same as the last one.
          this.lastCause = undefined;
          this.opts.events?.health?.(true);
        })
        .catch((e: unknown) => this.logCause(e))
        .finally(() => {
          probing = false;
        });
    }, probeMs);
    this.probe.unref();
  }
}
