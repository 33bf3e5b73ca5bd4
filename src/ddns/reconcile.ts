import { inZone, nameText, nameWire, reverseName, type Labels } from "./_names.js";
import { addressRdata } from "./_rdata.js";
import { TYPE } from "./_wire.js";
import type { UpdateEngine } from "./engine.js";
import type { Lease } from "./leases.js";
import { RCODE, rcodeName } from "./rcode.js";
import type { EtcdStore } from "./store.js";
import { type Change, type CheckedUpdate, namePolicy, type Zone } from "./update.js";

/**
 * `h5b ddns reconcile`: makes etcd hold exactly the records Kea's current leases call for, after an outage in
 * which updates were lost. It only touches names the daemon manages (those with one of its DHCID records, or
 * named by a current lease), never foreign ones, and goes through the same engine as live updates, so each
 * name's repair is one atomic etcd transaction guarded against concurrent change.
 */
export interface ReconcileAction {
  readonly name: string;
  readonly result: "unchanged" | "repaired" | "removed" | "refused" | "failed";
  readonly detail: string;
}

interface Want {
  readonly name: Labels;
  readonly zone: Zone;
  readonly leases: Lease[];
}

const DHCP_TYPES = [TYPE.A, TYPE.AAAA, TYPE.PTR, TYPE.DHCID] as const;

export async function reconcile(
  leases: readonly Lease[],
  zones: readonly Zone[],
  store: EtcdStore,
  engine: UpdateEngine,
  opts: { metaPrefix: string; now?: number; dryRun?: boolean },
): Promise<ReconcileAction[]> {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const zoneOf = (n: Labels) => zones.find((z) => inZone(n, z.name));
  const wants = new Map<string, Want>();
  const want = (name: Labels, lease: Lease, reverse: boolean) => {
    const zone = zoneOf(name);
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
  // Names with one of our DHCIDs are Kea's names: if no current lease wants them, their records are stale.
  const managed = new Map<string, Labels>();
  const dhcidRoot = `${opts.metaPrefix}dhcid/`;
  for (const key of await store.keys(dhcidRoot)) {
    const name = key.slice(dhcidRoot.length).split("/")[0] ?? "";
    if (name !== "") managed.set(name, name.split("."));
  }
  const names = new Map<string, Labels>([...managed, ...[...wants].map(([k, w]) => [k, w.name] as [string, Labels])]);
  const actions: ReconcileAction[] = [];
  for (const [k, name] of [...names].sort(([a], [b]) => a.localeCompare(b))) {
    const zone = zoneOf(name);
    if (zone === undefined) continue;
    // The rules an update meets: a lease Kea holds for a name the daemon refused is not written here either.
    const refused = namePolicy(name, zone, wants.has(k));
    if (refused !== undefined) {
      actions.push({ name: nameText(name), result: "refused", detail: refused });
      continue;
    }
    const snap = await store.read([name]);
    const current = snap.records.get(k) ?? [];
    if (current.some((r) => !r.own)) {
      actions.push({ name: nameText(name), result: "refused", detail: "holds records h5b ddns did not write" });
      continue;
    }
    const w = wants.get(k);
    const changes: Change[] = DHCP_TYPES.map((type) => ({ kind: "delete-rrset", name, type }) as Change);
    if (w !== undefined) {
      // Kea's conflict resolution: the client whose DHCID is in etcd keeps the name while it holds a lease.
      const held = current.find((r) => r.type === TYPE.DHCID)?.rdata;
      const owner = w.leases.find((l) => held !== undefined && l.dhcid?.equals(held)) ?? w.leases[0];
      const mine = w.leases.filter((l) => owner?.dhcid !== undefined && l.dhcid?.equals(owner.dhcid));
      for (const l of mine) {
        const ttl = l.lifetime;
        if (zone.reverse) changes.push({ kind: "add", name, type: TYPE.PTR, ttl, rdata: nameWire(l.fqdn) });
        else changes.push({ kind: "add", name, type: l.family === 4 ? TYPE.A : TYPE.AAAA, ttl, rdata: addressRdata(l.address) });
        if (l.dhcid) changes.push({ kind: "add", name, type: TYPE.DHCID, ttl, rdata: l.dhcid });
      }
    }
    const update: CheckedUpdate = { zone, prereqs: [], changes, names: [name] };
    if (opts.dryRun) {
      // What the transaction would find unchanged: the same records, TTLs included.
      const rr = (type: number, ttl: number, rdata: Buffer) => `${type}/${ttl}/${rdata.toString("hex")}`;
      const now = current.filter((r) => (DHCP_TYPES as readonly number[]).includes(r.type)).map((r) => rr(r.type, r.ttl, r.rdata));
      const wanted = changes.flatMap((c) => (c.kind === "add" ? [rr(c.type, c.ttl, c.rdata)] : []));
      const same = now.length === wanted.length && [...now].sort().join() === [...wanted].sort().join();
      const result = same ? "unchanged" : w ? "repaired" : "removed";
      actions.push({ name: nameText(name), result, detail: same ? "" : `dry run: ${now.length} record(s) now, ${wanted.length} wanted` });
      continue;
    }
    const before = current.length;
    const outcome = await engine.submit(update);
    if (outcome.rcode !== RCODE.NOERROR) {
      actions.push({ name: nameText(name), result: outcome.rcode === RCODE.REFUSED ? "refused" : "failed", detail: `${rcodeName(outcome.rcode)} ${outcome.reason}`.trim() });
    } else if (outcome.reason === "no change") {
      actions.push({ name: nameText(name), result: "unchanged", detail: "" });
    } else {
      actions.push({ name: nameText(name), result: w ? "repaired" : "removed", detail: `${before} record(s) before` });
    }
  }
  return actions;
}
