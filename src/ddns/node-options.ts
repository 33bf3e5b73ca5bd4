/**
 * The Node.js options the daemon runs with: Porygon's unit sets them as NODE_OPTIONS, and the benchmark starts the
 * daemon the same way. A young generation of 2 x 4 MB instead of Node 20's 2 x 16 MB: under 5,000 updates/s (the
 * direct benchmark, etcd reached over gRPC) the daemon's peak RSS was 93-94 MB against 102-103 MB at 2 x 8 MB and
 * 101-104 MB at 2 x 2 MB (where objects of the updates still in flight are promoted and the old generation grows
 * instead), with the same rate within the run-to-run noise.
 */
export const DDNS_NODE_OPTIONS = "--max-semi-space-size=4";
