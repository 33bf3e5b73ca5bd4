import type { DdnsConfig } from "./config.js";
import type { UpdateEngine } from "./engine.js";
import { readLeaseFiles } from "./leases.js";
import type { Logger } from "./log.js";
import { reconcile } from "./reconcile.js";
import type { EtcdStore } from "./store.js";
import type { Zone } from "./update.js";

/** Delay of the first run and of the run after etcd came back: long enough for Kea's own start. */
const SOON_MS = 5_000;

export interface PeriodicReconcile {
  /** Runs again soon (etcd is back after an outage). */
  soon(): void;
  /** Stops the timer and a run in progress after the name it is at, and waits for that. */
  stop(): Promise<void>;
}

/**
 * The daemon's own reconcile from Kea's lease files (config `reconcile`): one run at a time, through the daemon's
 * engine like any update, so a name is never written by two transactions at once; a name Kea is changing while
 * a run reads is left to Kea's own update (see `reconcile`). One log line per run that changed or could not
 * change something.
 */
export function startPeriodicReconcile(
  settings: NonNullable<DdnsConfig["reconcile"]>,
  zones: readonly Zone[],
  store: EtcdStore,
  engine: UpdateEngine,
  metaPrefix: string,
  logger: Logger,
): PeriodicReconcile {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  // etcd came back while a run was going: the next run comes soon, not an interval later.
  let again = false;
  let stopped = false;
  // A whole run is two round trips per name: the daemon's stop, its DNS already closed, waits for one name only.
  const stopping = new AbortController();
  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void run(), ms);
    timer.unref();
  };
  const run = async () => {
    if (running !== undefined) return;
    running = (async () => {
      try {
        const actions = await reconcile(() => readLeaseFiles(settings.leases), zones, store, engine, { metaPrefix, signal: stopping.signal });
        const count = (r: string) => actions.filter((a) => a.result === r).length;
        const changed = count("repaired") + count("removed");
        const bad = actions.filter((a) => a.result === "failed" || a.result === "refused");
        if (changed + bad.length > 0) {
          const detail = bad.map((a) => `${a.name} ${a.result}${a.detail ? ` (${a.detail})` : ""}`).join("; ");
          logger(`ddns reconcile names=${actions.length} repaired=${count("repaired")} removed=${count("removed")} skipped=${count("skipped")} refused=${count("refused")} failed=${count("failed")}${detail ? ` ${detail}` : ""}`);
        }
      } catch (e) {
        logger(`ddns reconcile failed: ${(e as Error).message}`);
      }
    })();
    await running;
    running = undefined;
    schedule(again ? SOON_MS : settings.intervalSeconds * 1000);
    again = false;
  };
  schedule(SOON_MS);
  return {
    soon: () => {
      if (running === undefined) schedule(SOON_MS);
      else again = true;
    },
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      stopping.abort();
      await running;
    },
  };
}
