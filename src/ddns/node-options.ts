/**
 * The Node.js options the daemon runs with: Porygon's unit sets them as NODE_OPTIONS, and the benchmark starts the
 * daemon the same way. A young generation of 2 x 8 MB instead of Node 20's 2 x 16 MB: under 4,000 updates/s the
 * daemon's peak RSS went from about 100 MB to about 86 MB with no more CPU per update; at 2 x 4 MB objects of the
 * updates still in flight were promoted and the old generation grew instead (RSS about 95 MB).
 */
export const DDNS_NODE_OPTIONS = "--max-semi-space-size=8";
