import { CLASS, OPCODE, TYPE, WireWriter, writeHeader } from "./_wire.js";
import { UpdateEngine } from "./engine.js";
import { handleMessage, type HandlerContext } from "./handler.js";
import type { ReadSnapshot, UpdateStore, WriteSet } from "./store.js";
import { appendTsig, ReplayGuard } from "./tsig.js";
import type { Zone } from "./update.js";

/**
 * Runs the request path (parse, TSIG verify and sign, RFC 2136 checks, evaluation, building the etcd write) a
 * couple of thousand times against a store that does no I/O, before the daemon listens. Measured here: the first
 * thousand updates after a cold start had a p99 three times the steady state's while V8 compiled the hot path, and
 * a restart is exactly when Kea sends its backlog at once.
 *
 * Only the store's pure half is used (`assumeEmpty`, `diff`): nothing here can reach etcd. The updates must pass
 * every check on the way (names the policy accepts, fresh MACs), or the warm-up compiles only the refusal paths.
 */
export async function warmUp(
  ctx: Omit<HandlerContext, "engine" | "inFlight" | "replay">,
  store: Pick<UpdateStore, "diff"> & Required<Pick<UpdateStore, "assumeEmpty">>,
  budgetMs = 400,
): Promise<void> {
  const zone: Zone | undefined = ctx.zones.find((z) => !z.reverse) ?? ctx.zones[0];
  if (zone === undefined) return;
  const dry: UpdateStore = {
    read: async (names) => store.assumeEmpty(names),
    assumeEmpty: (names) => store.assumeEmpty(names),
    diff: (snap: ReadSnapshot, names, desired): WriteSet => store.diff(snap, names, desired),
    commit: async () => true,
    ping: async () => undefined,
  };
  const engine = new UpdateEngine(dry, { maxBatch: 32 });
  // Its own replay memory: the warm-up's requests must not count as the daemon's accepted ones.
  const wctx: HandlerContext = { ...ctx, engine, inFlight: { count: 0, max: 1 << 30 }, replay: new ReplayGuard(ctx.key.algorithm) };
  const deadline = performance.now() + budgetMs;
  const dhcid = Buffer.alloc(35, 7);
  dhcid.writeUInt16BE(1, 0);
  for (let i = 0; i < 3000 && performance.now() < deadline; i += 50) {
    const batch: Promise<unknown>[] = [];
    for (let j = 0; j < 50; j++) {
      // Not `h5b-…`: the policy reserves those labels for the daemon's keys and would refuse the update.
      const name = [`warmup-${j}`, ...zone.name];
      const w = new WireWriter();
      // A new ID per message keeps every MAC distinct: an exact repeat would be refused as a replay.
      writeHeader(w, { id: (i + j) & 0xffff, qr: false, opcode: OPCODE.UPDATE, rcode: 0, counts: [1, 1, 2, 0] });
      w.name(zone.name).u16(TYPE.SOA).u16(CLASS.IN);
      w.rr(name, TYPE.ANY, CLASS.NONE, 0, Buffer.alloc(0));
      w.rr(name, zone.reverse ? TYPE.TXT : TYPE.A, CLASS.IN, 300, zone.reverse ? Buffer.from([1, 120]) : Buffer.from([10, 0, 0, j]));
      w.rr(name, TYPE.DHCID, CLASS.IN, 300, dhcid);
      const signed = appendTsig(w.toBuffer(), ctx.key, { time: ctx.now() }).message;
      batch.push(handleMessage(signed, "warmup", wctx));
    }
    await Promise.all(batch);
  }
  engine.close();
}
