import { createServer, type Server } from "node:http";

/**
 * The daemon's Prometheus metrics, in the text exposition format (hand-written: a handful of counters and one
 * histogram do not justify a client library).
 */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class DdnsMetrics {
  readonly updates = new Map<string, number>();
  readonly latency = { buckets: BUCKETS.map(() => 0), count: 0, sum: 0 };
  etcdErrors = 0;
  etcdUp = 1;
  batches = 0;
  batchedUpdates = 0;
  fallbacks = 0;
  dropped = 0;
  tcpRefused = 0;
  /** Requests being handled now, read when the metrics are (a value sampled at each arrival went stale). */
  inFlight: () => number = () => 0;

  update(result: string, seconds: number): void {
    this.updates.set(result, (this.updates.get(result) ?? 0) + 1);
    this.latency.count++;
    this.latency.sum += seconds;
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) this.latency.buckets[i] = (this.latency.buckets[i] ?? 0) + 1;
    });
  }

  render(): string {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    metric("h5b_ddns_requests_total", "counter", "DNS requests answered, by response code.");
    for (const [r, n] of [...this.updates].sort()) lines.push(`h5b_ddns_requests_total{result="${r}"} ${n}`);
    metric("h5b_ddns_request_duration_seconds", "histogram", "Time from receipt to answer.");
    BUCKETS.forEach((b, i) => lines.push(`h5b_ddns_request_duration_seconds_bucket{le="${b}"} ${this.latency.buckets[i] ?? 0}`));
    lines.push(`h5b_ddns_request_duration_seconds_bucket{le="+Inf"} ${this.latency.count}`);
    lines.push(`h5b_ddns_request_duration_seconds_sum ${this.latency.sum}`, `h5b_ddns_request_duration_seconds_count ${this.latency.count}`);
    metric("h5b_ddns_etcd_errors_total", "counter", "etcd calls that failed or timed out.");
    lines.push(`h5b_ddns_etcd_errors_total ${this.etcdErrors}`);
    metric("h5b_ddns_etcd_up", "gauge", "1 while etcd answers, 0 while updates are refused with SERVFAIL.");
    lines.push(`h5b_ddns_etcd_up ${this.etcdUp}`);
    metric("h5b_ddns_batches_total", "counter", "Group-commit batches.");
    lines.push(`h5b_ddns_batches_total ${this.batches}`);
    metric("h5b_ddns_batched_updates_total", "counter", "Updates that went through a batch.");
    lines.push(`h5b_ddns_batched_updates_total ${this.batchedUpdates}`);
    metric("h5b_ddns_batch_fallbacks_total", "counter", "Batches whose combined transaction failed and were redone one by one.");
    lines.push(`h5b_ddns_batch_fallbacks_total ${this.fallbacks}`);
    metric("h5b_ddns_dropped_total", "counter", "Packets dropped unanswered (responses, oversized, runts).");
    lines.push(`h5b_ddns_dropped_total ${this.dropped}`);
    metric("h5b_ddns_tcp_refused_total", "counter", "TCP connections closed at once because of maxTcpConnections.");
    lines.push(`h5b_ddns_tcp_refused_total ${this.tcpRefused}`);
    metric("h5b_ddns_in_flight", "gauge", "Updates waiting for etcd.");
    lines.push(`h5b_ddns_in_flight ${this.inFlight()}`);
    metric("process_resident_memory_bytes", "gauge", "Resident set size.");
    lines.push(`process_resident_memory_bytes ${process.memoryUsage.rss()}`);
    return `${lines.join("\n")}\n`;
  }
}

export function serveMetrics(metrics: DdnsMetrics, address: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method === "GET" && (req.url === "/metrics" || req.url === "/")) {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(metrics.render());
    } else if (req.method === "GET" && req.url === "/healthz") {
      res.writeHead(metrics.etcdUp ? 200 : 503).end(metrics.etcdUp ? "ok\n" : "etcd down\n");
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
