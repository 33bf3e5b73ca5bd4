import { EtcdClient, type Compare, type EtcdClientOptions, type RequestOp } from "./_etcd.js";
import type { Labels } from "./_names.js";
import { decodeName, dhcidPrefix, encodeValue, namePath, recordKey, type KV, type Layout, type StoredRR } from "./layout.js";
import type { DesiredRR, NameRecords } from "./update.js";

/**
 * etcd access for the update engine. Reads of several names happen in one read-only transaction (one consistent
 * revision); a commit is one transaction whose compares prove that nothing the reads saw has changed since.
 */
export interface ReadSnapshot {
  readonly revision: bigint;
  readonly records: NameRecords;
  /** Compares that hold exactly while every range read for these names is unchanged. */
  readonly compares: ReadonlyMap<string, readonly Compare[]>;
  /** Names with more keys than {@link MAX_KEYS_PER_NAME}: refused rather than read whole (memory stays bounded). */
  readonly oversized?: ReadonlySet<string>;
}

/** Keys read per range of one name; a DHCP client's name holds a handful. */
export const MAX_KEYS_PER_NAME = 64;

export interface WriteSet {
  readonly compares: readonly Compare[];
  readonly puts: readonly { key: string; value: string }[];
  readonly deletes: readonly string[];
}

/** The key just after every key that starts with `prefix` (etcd's range_end for a prefix). */
export function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if ((b[i] ?? 0) < 0xff) {
      const out = Buffer.from(b.subarray(0, i + 1));
      out[i] = (out[i] ?? 0) + 1;
      return out;
    }
  }
  return Buffer.from([0]);
}

interface Range {
  readonly key: string;
  /** Absent: the one key `key` (etcd's range_end left out). */
  readonly end?: Buffer;
}

/**
 * The key ranges that hold a name's records: the exact key `path` (a reverse name's PTR, or what external-dns put
 * there), the subtree `path/…` (the daemon's leaves, and whatever else CoreDNS serves for the name), and the name's
 * DHCIDs. One range [path, path + "0") would cover the first two in one read, but it also covers every sibling
 * whose label extends this one (`host-2`, `host-3`: "-" sorts before "/"), and siblings are common (Kea names hosts
 * by MAC or a counter): they took the name's read limit (past it the name was REFUSED), made the guess that a new
 * name is empty fail, and put their own compares into the name's transaction. Three ranges cost one more compare
 * per name: a group of 32 new names (3 compares each) still fits etcd's 128 operations per transaction, a group of 32
 * names read first (a renewal's A and DHCID: 5 each) now takes two. The engine counts reads with
 * {@link RANGES_PER_NAME} and splits commits by their compares.
 */
function rangesOf(layout: Layout, name: Labels): readonly Range[] {
  const path = namePath(layout, name);
  const below = `${path}/`;
  const d = dhcidPrefix(layout, name);
  return [{ key: path }, { key: below, end: prefixEnd(below) }, { key: d, end: prefixEnd(d) }];
}

/** Ranges read per name (for the engine's transaction-size arithmetic). */
export const RANGES_PER_NAME = 3;

/** What the update engine needs from storage; {@link EtcdStore} is the real one, tests may supply another. */
export interface UpdateStore {
  read(names: readonly Labels[]): Promise<ReadSnapshot>;
  /**
   * A snapshot that assumes the names hold no keys at all, with compares that hold only if that is true: lets an
   * update of a new name commit in one round trip, without reading first. Optional.
   */
  assumeEmpty?(names: readonly Labels[]): ReadSnapshot;
  diff(snapshot: ReadSnapshot, names: readonly Labels[], desired: ReadonlyMap<string, readonly DesiredRR[]>): WriteSet;
  commit(sets: readonly WriteSet[]): Promise<boolean>;
  ping(): Promise<void>;
}

export class EtcdStore implements UpdateStore {
  readonly client: EtcdClient;

  constructor(
    options: EtcdClientOptions,
    private readonly layout: Layout,
    private readonly isReverse: (name: Labels) => boolean,
  ) {
    this.client = new EtcdClient(options);
  }

  async read(names: readonly Labels[]): Promise<ReadSnapshot> {
    const ops: RequestOp[] = [];
    for (const n of names) {
      for (const r of rangesOf(this.layout, n)) {
        ops.push({ request_range: { key: Buffer.from(r.key), ...(r.end ? { range_end: r.end } : {}), limit: MAX_KEYS_PER_NAME } });
      }
    }
    const res = await this.client.txn([], ops);
    const revision = BigInt(res.revision);
    const records = new Map<string, StoredRR[]>();
    const compares = new Map<string, Compare[]>();
    const oversized = new Set<string>();
    names.forEach((n, i) => {
      const kvs: KV[] = [];
      const cmp: Compare[] = [];
      rangesOf(this.layout, n).forEach((r, j) => {
        const op = res.responses[i * RANGES_PER_NAME + j];
        const range = op !== undefined && "response_range" in op ? op.response_range : undefined;
        if ((range as { more?: boolean } | undefined)?.more === true) oversized.add(n.join("."));
        for (const kv of (range as { kvs?: { key: Buffer; value: Buffer; mod_revision: string }[] } | undefined)?.kvs ?? []) {
          kvs.push({ key: kv.key.toString(), value: kv.value, modRevision: kv.mod_revision });
          // A key that was there must still be there, unmodified (catches deletions, which the range compare
          // below cannot see).
          cmp.push({ key: kv.key, target: "MOD", result: "EQUAL", mod_revision: kv.mod_revision });
        }
        // No key in the range may have been created or modified after the read revision (for the exact key: it is
        // still absent, or unchanged).
        cmp.push({
          key: Buffer.from(r.key),
          ...(r.end ? { range_end: r.end } : {}),
          target: "MOD",
          result: "LESS",
          mod_revision: (revision + 1n).toString(),
        });
      });
      records.set(n.join("."), decodeName(this.layout, n, kvs, this.isReverse(n)));
      compares.set(n.join("."), cmp);
    });
    return { revision, records, compares, oversized };
  }

  assumeEmpty(names: readonly Labels[]): ReadSnapshot {
    const records = new Map<string, StoredRR[]>();
    const compares = new Map<string, Compare[]>();
    for (const n of names) {
      records.set(n.join("."), []);
      // Version 0 for every key in the range holds exactly when the range is empty (for the exact key: when it is
      // absent).
      compares.set(
        n.join("."),
        rangesOf(this.layout, n).map((r) => ({ key: Buffer.from(r.key), ...(r.end ? { range_end: r.end } : {}), target: "VERSION", result: "EQUAL", version: "0" })),
      );
    }
    return { revision: 0n, records, compares };
  }

  /**
   * Turns the desired records of each touched name into puts and deletes against what was read, guarded by the
   * compares of every name in `names` (all the update read, prerequisites included).
   */
  diff(snapshot: ReadSnapshot, names: readonly Labels[], desired: ReadonlyMap<string, readonly DesiredRR[]>): WriteSet {
    const compares: Compare[] = [];
    const puts: { key: string; value: string }[] = [];
    const deletes: string[] = [];
    for (const n of names) compares.push(...(snapshot.compares.get(n.join(".")) ?? []));
    for (const [name, rrs] of desired) {
      const current = (snapshot.records.get(name) ?? []).filter((r) => r.own);
      const wanted = new Map<string, string>();
      for (const rr of rrs) {
        wanted.set(recordKey(this.layout, rr.name, rr.type, rr.rdata), encodeValue(this.layout, rr.type, rr.rdata, rr.ttl));
      }
      for (const c of current) {
        const w = wanted.get(c.key);
        if (w === undefined) deletes.push(c.key);
        else if (w === encodeValue(this.layout, c.type, c.rdata, c.ttl)) wanted.delete(c.key);
      }
      for (const [key, value] of wanted) puts.push({ key, value });
    }
    return { compares, puts, deletes };
  }

  /** One transaction for several write sets; false when a compare failed (something changed since the read). */
  async commit(sets: readonly WriteSet[]): Promise<boolean> {
    const compare: Compare[] = [];
    const success: RequestOp[] = [];
    for (const s of sets) {
      compare.push(...s.compares);
      for (const p of s.puts) success.push({ request_put: { key: Buffer.from(p.key), value: Buffer.from(p.value) } });
      for (const d of s.deletes) success.push({ request_delete_range: { key: Buffer.from(d) } });
    }
    if (success.length === 0) return true;
    const res = await this.client.txn(compare, success);
    return res.succeeded;
  }

  /** A cheap call that proves etcd answers (used while marked down). */
  async ping(): Promise<void> {
    await this.client.range(Buffer.from(this.layout.metaPrefix), undefined, { limit: 1, keysOnly: true });
  }

  /** Every key starting with `prefix` (keys only), in pages. */
  async keys(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const end = prefixEnd(prefix);
    let from = Buffer.from(prefix);
    for (;;) {
      const r = await this.client.range(from, end, { limit: 1000, keysOnly: true });
      for (const kv of r.kvs) out.push(kv.key.toString());
      const last = r.kvs.at(-1);
      if (!r.more || last === undefined) return out;
      from = Buffer.concat([last.key, Buffer.from([0])]);
    }
  }

  close(): void {
    this.client.close();
  }
}

export function opCount(w: WriteSet): number {
  return Math.max(w.compares.length, w.puts.length + w.deletes.length);
}
