import { error, H5bError } from "../issue.js";
import { loadDdnsConfig, loadDdnsSecrets } from "./config.js";
import { openStore, startDdns, zonesOf } from "./daemon.js";
import { UpdateEngine } from "./engine.js";
import { leasesFromSocket, readLeaseFiles, type Lease } from "./leases.js";
import { flushLog, stderrLogger } from "./log.js";
import { reconcile, type ReconcileAction } from "./reconcile.js";

/** `h5b ddns --config FILE`: runs until SIGTERM/SIGINT, then stops gracefully (in-flight updates finish). */
export async function runDaemon(configFile: string): Promise<void> {
  const config = await loadDdnsConfig(configFile);
  const handle = await startDdns(config);
  const where = handle.listening.map((b) => `${b.address.includes(":") ? `[${b.address}]` : b.address}:${b.port}`).join(" ");
  const zones = [...config.zones.forward, ...config.zones.reverse].join(",");
  stderrLogger(
    `ddns listening on ${where} zones=${zones} etcd=${config.etcd.endpoints.join(",")} prefix=${config.etcd.prefix}${handle.metricsAddress ? ` metrics=${handle.metricsAddress.address}:${handle.metricsAddress.port}` : ""}`,
  );
  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      stderrLogger(`ddns ${sig}: stopping`);
      void handle.close().then(resolve);
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
    // Node's default for SIGHUP ends the process at once, updates in flight unanswered, and systemd counts that
    // death as clean (Restart=on-failure leaves it down). The config is read at start only: say how to reload.
    process.on("SIGHUP", () => stderrLogger("ddns SIGHUP: ignored (the config is read at start: restart the unit to read it again)"));
  });
  stderrLogger("ddns stopped");
  flushLog();
}

/** `h5b ddns reconcile`: compares Kea's current leases with etcd and repairs the difference. */
export async function runReconcile(
  configFile: string,
  sources: { leases?: readonly string[]; sockets?: readonly string[]; dryRun?: boolean },
): Promise<ReconcileAction[]> {
  const config = await loadDdnsConfig(configFile);
  if ((sources.leases?.length ?? 0) + (sources.sockets?.length ?? 0) === 0) {
    throw new H5bError("ddns reconcile", [error("ddns-reconcile-source", "--leases/--socket", "give Kea's lease file(s) with --leases or control socket(s) with --socket")]);
  }
  const readLeases = async (): Promise<Lease[]> => {
    const leases: Lease[] = [];
    try {
      leases.push(...(await readLeaseFiles(sources.leases ?? [])));
    } catch (e) {
      throw new H5bError("ddns reconcile", [error("ddns-reconcile-leases", "--leases", (e as Error).message)]);
    }
    for (const s of sources.sockets ?? []) {
      // One socket serves one family; ask for both and keep what the server knows.
      let got = false;
      const failures: string[] = [];
      for (const family of [4, 6] as const) {
        try {
          leases.push(...(await leasesFromSocket(s, family)));
          got = true;
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
      if (!got) throw new H5bError("ddns reconcile", [error("ddns-reconcile-socket", "--socket", `${s}: ${failures.join("; ")}`)]);
    }
    return leases;
  };
  // The first read happens before etcd is opened, so a wrong path or socket is reported before anything else.
  let first: Lease[] | undefined = await readLeases();
  const source = async () => {
    const leases = first ?? (await readLeases());
    first = undefined;
    return leases;
  };
  const secrets = await loadDdnsSecrets(config);
  const store = openStore(config, secrets);
  const engine = new UpdateEngine(store, { maxBatch: 1, probeMs: 1_000_000 });
  try {
    return await reconcile(source, zonesOf(config), store, engine, { metaPrefix: config.etcd.metaPrefix, ...(sources.dryRun ? { dryRun: true } : {}) });
  } catch (e) {
    if (e instanceof H5bError) throw e;
    throw new H5bError("ddns reconcile", [error("ddns-etcd", "etcd.endpoints", `etcd failed: ${(e as Error).message}`)]);
  } finally {
    engine.close();
    store.close();
  }
}
