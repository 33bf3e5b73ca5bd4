/**
 * The Node.js options the daemon runs with: Porygon's unit sets them as NODE_OPTIONS, and the benchmark starts the
 * daemon the same way.
 *
 * - A young generation of 2 x 4 MB instead of Node 20's 2 x 16 MB: under 5,000 updates/s (the direct benchmark)
 *   the peak RSS was 93-94 MB against 102-103 MB at 2 x 8 MB and 101-104 MB at 2 x 2 MB (where objects of the
 *   updates still in flight are promoted and the old generation grows instead), with the same rate.
 * - An old generation capped at 256 MB. V8 sizes its first old-generation collections from this limit, which by
 *   default follows the host's memory (4 GB on this 24 GB machine): with a default of 2 GB or more, the old
 *   generation was left to grow to 20 MB of mostly garbage before its first full collection. Capped at 1 GB or
 *   less, the peak RSS was 79-80 MB instead of 99-104 MB at a paced 1,000 updates/s, and 81-83 MB instead of
 *   93-94 MB at full rate, with the same CPU per update. 256 MB is several times what the daemon can hold: its
 *   queues, connections, remembered names and etcd answers are all bounded (`limits`, the names memory, the 4 MiB
 *   cap on an etcd answer), so reaching the cap means a bug, and the unit restarts the daemon.
 */
export const DDNS_NODE_OPTIONS = "--max-semi-space-size=4 --max-old-space-size=256";
