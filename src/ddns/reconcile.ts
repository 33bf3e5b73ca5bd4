import { inZone, nameText, nameWire, reverseName, type Labels } from "./_names.js";
import { addressRdata } from "./_rdata.js";
import { TYPE } from "./_wire.js";
import type { UpdateEngine } from "./engine.js";
import type { StoredRR } from "./layout.js";
import type { Lease } from "./leases.js";
import { RCODE, rcodeName } from "./rcode.js";
import type { EtcdStore } from "./store.js";
import { type Change, type CheckedUpdate, namePolicy, type Prereq, type Zone } from "./update.js";

/**
 * `h5b ddns reconcile`: makes etcd hold exactly the records Kea's current leases call for, after an outage in
 * which updates were lost. It only touches names the daemon manages (those with one of its DHCID records, or
 * named by a current lease), never foreign ones, and goes through the same engine as live updates, so each
 * name's repair is one atomic etcd transaction.
 *
 * Kea keeps serving while a reconcile runs, and its updates must win. Kea writes a lease to its file before it
 * sends the update, so a run reads the leases, then the names in etcd, then the leases again: a name whose wanted
 * records differ between the two lease reads is in the middle of a change and left to the live update (and to the
 * next run). Each repair carries prerequisites that the name's records are still those read, so a live update that
 * changed them after the read makes the repair fail instead of being undone (docs/ddns.md names the one window left).
 */
export interface ReconcileAction {
  readonly name: string;
  readonly result: "unchanged" | "repaired" | "removed" | "skipped" | "refused" | "failed";
  readonly detail: string;
}

/** Kea's current leases, read afresh at each call (lease files or control sockets). */
export type LeaseSource = () => Promise<readonly Lease[]>;

interface Want {
  readonly name: Labels;
  readonly zone: Zone;
  readonly leases: Lease[];
}

const DHCP_TYPES = [TYPE.A, TYPE.AAAA, TYPE.PTR, TYPE.DHCID] as const;

function wantsOf(leases: readonly Lease[], zones: readonly Zone[], now: number): Map<string, Want> {
  const wants = new Map<string, Want>();
  const want = (name: Labels, lease: Lease, reverse: boolean) => {
    const zone = zones.find((z) => inZone(name, z.name));
    if (zone === undefined || zone.reverse !== reverse) return;
    const k = name.join(".");
    const w = wants.get(k) ?? { name, zone, leases: [] };
    w.leases.push(lease);
    wants.set(k, w);
  };
  for (const l of leases) {
    if (l.state !== 0 || l.expires <= now || l.fqdn.length === 0 || l.dhcid === undefined) continue;
    if (l.forward) want(l.fqdn, l, false);
    if (l.reverse) want(reverseName(l.address), l, true);
  }
  return wants;
}

/** The records a name should hold: those of the lease whose client holds the name (Kea's conflict resolution). */
function wantedAdds(name: Labels, zone: Zone, w: Want | undefined, current: readonly StoredRR[]): Change[] {
  if (w === undefined) return [];
  // The client whose DHCID is in etcd keeps the name while it holds a lease.
  const held = current.find((r) => r.type === TYPE.DHCID)?.rdata;
  const owner = w.leases.find((l) => held !== undefined && l.dhcid?.equals(held)) ?? w.leases[0];
  const adds: Change[] = [];
  for (const l of w.leases.filter((l) => owner?.dhcid !== undefined && l.dhcid?.equals(owner.dhcid))) {
    const ttl = l.lifetime;
    if (zone.reverse) adds.push({ kind: "add", name, type: TYPE.PTR, ttl, rdata: nameWire(l.fqdn) });
    else adds.push({ kind: "add", name, type: l.family === 4 ? TYPE.A : TYPE.AAAA, ttl, rdata: addressRdata(l.address) });
    if (l.dhcid) adds.push({ kind: "add", name, type: TYPE.DHCID, ttl, rdata: l.dhcid });
  }
  return adds;
}

const rrText = (type: number, ttl: number, rdata: Buffer) => `${type}/${ttl}/${rdata.toString("hex")}`;
const addsText = (adds: readonly Change[]) =>
  adds.flatMap((c) => (c.kind === "add" ? [rrText(c.type, c.ttl, c.rdata)] : [])).sort().join();

/** Prerequisites that hold only while the name's DHCP records are exactly those read (RFC 2136 2.4.2, 2.4.3). */
function unchangedSince(name: Labels, current: readonly StoredRR[]): Prereq[] {
  return DHCP_TYPES.map((type) => {
    const rdatas = current.filter((r) => r.type === type).map((r) => r.rdata);
    return rdatas.length > 0 ? { kind: "rrset-equals", name, type, rdatas } : { kind: "rrset-not-exists", name, type };
  });
}

export async function reconcile(
  source: LeaseSource,
  zones: readonly Zone[],
  store: EtcdStore,
  engine: UpdateEngine,
  /** `signal`: stop between names (the daemon stopping); the names done so far are returned. */
  opts: { metaPrefix: string; now?: number; dryRun?: boolean; signal?: AbortSignal },
): Promise<ReconcileAction[]> {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const zoneOf = (n: Labels) => zones.find((z) => inZone(n, z.name));
  const wants = wantsOf(await source(), zones, now);
  // Names with one of our DHCIDs are Kea's names: if no current lease wants them, their records are stale.
  const managed = new Map<string, Labels>();
  const dhcidRoot = `${opts.metaPrefix}dhcid/`;
  for (const key of await store.keys(dhcidRoot)) {
    const name = key.slice(dhcidRoot.length).split("/")[0] ?? "";
    if (name !== "") managed.set(name, name.split("."));
  }
  const names = new Map<string, Labels>([...managed, ...[...wants].map(([k, w]) => [k, w.name] as [string, Labels])]);
  const actions: ReconcileAction[] = [];
  // The names to repair, each with its records as read before the second read of the leases.
  const read: { k: string; name: Labels; zone: Zone; current: readonly StoredRR[] }[] = [];
  for (const [k, name] of [...names].sort(([a], [b]) => a.localeCompare(b))) {
    if (opts.signal?.aborted === true) return actions;
    const zone = zoneOf(name);
    if (zone === undefined) continue;
    // The rules an update meets: a lease Kea holds for a name the daemon refused is not written here either.
    const refused = namePolicy(name, zone, wants.has(k));
    if (refused !== undefined) {
      actions.push({ name: nameText(name), result: "refused", detail: refused });
      continue;
    }
    const current = (await store.read([name])).records.get(k) ?? [];
    if (current.some((r) => !r.own)) {
      actions.push({ name: nameText(name), result: "refused", detail: "holds records h5b ddns did not write" });
      continue;
    }
    read.push({ k, name, zone, current });
  }
  const again = wantsOf(await source(), zones, now);
  for (const { k, name, zone, current } of read) {
    if (opts.signal?.aborted === true) return actions;
    const adds = wantedAdds(name, zone, wants.get(k), current);
    if (addsText(adds) !== addsText(wantedAdds(name, zone, again.get(k), current))) {
      actions.push({ name: nameText(name), result: "skipped", detail: "Kea changed its lease while reconcile read it; its own update follows" });
      continue;
    }
    const removing = adds.length === 0;
    if (opts.dryRun) {
      // What the transaction would find unchanged: the same records, TTLs included.
      const have = current.filter((r) => (DHCP_TYPES as readonly number[]).includes(r.type)).map((r) => rrText(r.type, r.ttl, r.rdata));
      const same = have.sort().join() === addsText(adds);
      const result = same ? "unchanged" : removing ? "removed" : "repaired";
      actions.push({ name: nameText(name), result, detail: same ? "" : `dry run: ${have.length} record(s) now, ${adds.length} wanted` });
      continue;
    }
    const changes: Change[] = [...DHCP_TYPES.map((type) => ({ kind: "delete-rrset", name, type }) as Change), ...adds];
    const update: CheckedUpdate = { zone, prereqs: unchangedSince(name, current), changes, names: [name] };
    const outcome = await engine.submit(update);
    if (outcome.rcode === RCODE.NXRRSET || outcome.rcode === RCODE.YXRRSET) {
      actions.push({ name: nameText(name), result: "skipped", detail: "changed by a live update since reconcile read it" });
    } else if (outcome.rcode !== RCODE.NOERROR) {
      actions.push({ name: nameText(name), result: outcome.rcode === RCODE.REFUSED ? "refused" : "failed", detail: `${rcodeName(outcome.rcode)} ${outcome.reason}`.trim() });
    } else if (outcome.reason === "no change") {
      actions.push({ name: nameText(name), result: "unchanged", detail: "" });
    } else {
      actions.push({ name: nameText(name), result: removing ? "removed" : "repaired", detail: `${current.length} record(s) before` });
    }
  }
  return actions;
}
