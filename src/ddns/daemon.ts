import { asUserError } from "../issue.js";
import type { Server } from "node:http";
import type { EtcdClientOptions } from "./_etcd.js";
import { inZone, parseName, type Labels } from "./_names.js";
import { loadDdnsSecrets, type DdnsConfig, type DdnsSecrets } from "./config.js";
import { UpdateEngine } from "./engine.js";
import { handleMessage, type HandlerContext } from "./handler.js";
import { formatUpdateLog, stderrLogger, type Logger } from "./log.js";
import { DdnsMetrics, serveMetrics } from "./metrics.js";
import { DnsTransport, type BoundAddress } from "./server.js";
import { startPeriodicReconcile, type PeriodicReconcile } from "./periodic.js";
import { EtcdStore } from "./store.js";
import { ReplayGuard, tsigKey } from "./tsig.js";
import { warmUp } from "./_warmup.js";
import type { Zone } from "./update.js";

export interface DdnsHandle {
  /** Where DNS is answered (with the actual ports when the config asked for port 0). */
  readonly listening: readonly BoundAddress[];
  /** The metrics HTTP address, when enabled. */
  readonly metricsAddress?: { address: string; port: number };
  readonly metrics: DdnsMetrics;
  /** Stops taking requests, lets in-flight updates finish, closes etcd. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Secrets to use instead of reading the files the config names (tests). */
  readonly secrets?: DdnsSecrets;
  /** Where the per-update log lines go. @default stderr */
  readonly logger?: Logger;
  /** Clock in seconds (tests of the TSIG fudge window). */
  readonly now?: () => number;
  /** Compile the request path before listening (about 0.4 s; see _warmup.ts). @default true */
  readonly warmUp?: boolean;
}

export function etcdOptions(config: DdnsConfig, secrets: DdnsSecrets): EtcdClientOptions {
  return {
    endpoints: config.etcd.endpoints,
    timeoutMs: config.etcd.timeoutMs,
    ...(secrets.tls ? { tls: secrets.tls } : {}),
    ...(config.etcd.username !== undefined && secrets.etcdPassword !== undefined
      ? { auth: { username: config.etcd.username, password: secrets.etcdPassword } }
      : {}),
  };
}

export function zonesOf(config: DdnsConfig): Zone[] {
  return [
    ...config.zones.forward.map((z) => ({ name: parseName(z), reverse: false })),
    ...config.zones.reverse.map((z) => ({ name: parseName(z), reverse: true })),
  ];
}

export function layoutOf(config: DdnsConfig) {
  return { prefix: config.etcd.prefix, metaPrefix: config.etcd.metaPrefix, owner: config.owner };
}

export function openStore(config: DdnsConfig, secrets: DdnsSecrets): EtcdStore {
  const zones = zonesOf(config);
  const isReverse = (n: Labels) => zones.some((z) => z.reverse && inZone(n, z.name));
  return new EtcdStore(etcdOptions(config, secrets), layoutOf(config), isReverse);
}

/** Starts the daemon from a validated config: the function tests and `h5b ddns` both use. */
export async function startDdns(config: DdnsConfig, options: StartOptions = {}): Promise<DdnsHandle> {
  const secrets = options.secrets ?? (await loadDdnsSecrets(config));
  const logger = options.logger ?? stderrLogger;
  const metrics = new DdnsMetrics();
  const store = openStore(config, secrets);
  let periodic: PeriodicReconcile | undefined;
  const engine = new UpdateEngine(store, {
    maxBatch: config.limits.maxBatch,
    log: logger,
    events: {
      batch: (n) => {
        metrics.batches++;
        metrics.batchedUpdates += n;
      },
      fallback: () => metrics.fallbacks++,
      etcdError: () => metrics.etcdErrors++,
      health: (up) => {
        metrics.etcdUp = up ? 1 : 0;
        logger(`ddns etcd=${up ? "up" : "down"}`);
        // Updates answered SERVFAIL meanwhile are lost to kea-dhcp-ddns: the lease files still have them.
        if (up) periodic?.soon();
      },
    },
  });
  const inFlight = { count: 0, max: config.limits.maxInFlight };
  metrics.inFlight = () => inFlight.count;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const ctx: HandlerContext = {
    key: tsigKey(config.tsig.name, config.tsig.algorithm, secrets.tsigSecret),
    replay: new ReplayGuard(config.tsig.algorithm, { since: now() }),
    zones: zonesOf(config),
    engine,
    now,
    inFlight,
  };
  const transport = new DnsTransport(
    async (msg, client) => {
      const t0 = performance.now();
      const handled = await handleMessage(msg, client, ctx);
      if (handled.log) {
        metrics.update(handled.log.result, (performance.now() - t0) / 1000);
        logger(formatUpdateLog(handled.log));
      }
      return handled.response;
    },
    config.limits,
    { dropped: () => metrics.dropped++, tcpRefused: () => metrics.tcpRefused++ },
  );
  let metricsServer: Server | undefined;
  try {
    if (options.warmUp !== false) await warmUp(ctx, store);
    await transport.listen(config.listen);
    const m = config.metrics;
    if (m) metricsServer = await asUserError("ddns", "ddns-listen", "metrics", `cannot listen on ${m.address} port ${m.port}`, () => serveMetrics(metrics, m.address, m.port));
  } catch (e) {
    await transport.close(0);
    engine.close();
    store.close();
    throw e;
  }
  // Connecting before the first update arrives keeps the first updates from paying for it; a daemon started while
  // etcd is down still starts, answers SERVFAIL, and probes until etcd is back.
  const startError = await engine.probeNow();
  if (startError) logger(`ddns etcd check at start failed (${startError.message}); updates get SERVFAIL until it works`);
  if (config.reconcile) periodic = startPeriodicReconcile(config.reconcile, ctx.zones, store, engine, config.etcd.metaPrefix, logger);
  const maddr = metricsServer?.address();
  let closing: Promise<void> | undefined;
  return {
    listening: transport.bound,
    ...(maddr && typeof maddr === "object" ? { metricsAddress: { address: maddr.address, port: maddr.port } } : {}),
    metrics,
    close: () =>
      (closing ??= (async () => {
        await transport.close();
        await periodic?.stop();
        await engine.idle();
        engine.close();
        store.close();
        await new Promise<void>((r) => (metricsServer ? metricsServer.close(() => r()) : r()));
      })()),
  };
}
