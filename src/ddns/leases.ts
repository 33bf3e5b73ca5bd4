import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { connect } from "node:net";
import { parseName, type Labels } from "./_names.js";
import { dhcidRdata, hexBytes } from "./dhcid.js";

/** A Kea lease as far as DNS cares, from a memfile CSV or a control-socket `lease4/6-get-all`. */
export interface Lease {
  readonly family: 4 | 6;
  readonly address: string;
  /** The FQDN Kea registered (lowercase labels); empty when the lease has no hostname. */
  readonly fqdn: Labels;
  readonly forward: boolean;
  readonly reverse: boolean;
  /** Seconds since the epoch when the lease ends. */
  readonly expires: number;
  readonly lifetime: number;
  /** Kea's lease state: 0 default (in use), 1 declined, 2 expired-reclaimed. */
  readonly state: number;
  /** RFC 4701 DHCID Kea computed for this client and name (client-id, else hardware address; DUID for v6). */
  readonly dhcid?: Buffer;
}

function splitCsvLine(line: string): string[] {
  // Kea's memfile never quotes; it escapes commas inside values as "&#x2c".
  return line.split(",").map((f) => f.replace(/&#x2c/g, ","));
}

const truthy = (s: string | undefined) => s === "1" || s === "true";

function dhcidFor(family: 4 | 6, fqdn: Labels, clientId: string, hwaddr: string, duid: string): Buffer | undefined {
  if (fqdn.length === 0) return undefined;
  if (family === 6) return duid ? dhcidRdata(2, hexBytes(duid), fqdn) : undefined;
  if (clientId) return dhcidRdata(1, hexBytes(clientId), fqdn);
  // RFC 4701 3.3: htype (1 = Ethernet; the v4 memfile does not store it) followed by chaddr.
  if (hwaddr) return dhcidRdata(0, Buffer.concat([Buffer.from([1]), hexBytes(hwaddr)]), fqdn);
  return undefined;
}

/**
 * Parses Kea memfile lease files (v4 or v6, told apart by each one's header), in the order given. Each is an append
 * log: the last line for an address wins, and a line with valid_lifetime 0 is a deletion.
 */
export function parseLeaseCsv(...texts: readonly string[]): Lease[] {
  const byAddress = new Map<string, Lease>();
  for (const text of texts) {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
    const header = splitCsvLine(lines[0] ?? "");
    const col = (name: string) => header.indexOf(name);
    const family: 4 | 6 = col("duid") >= 0 ? 6 : 4;
    if (col("address") < 0 || col("expire") < 0) throw new Error("not a Kea memfile lease file (no address/expire header)");
    for (const line of lines.slice(1)) {
      const f = splitCsvLine(line);
      const get = (name: string) => (col(name) >= 0 ? (f[col(name)] ?? "") : "");
      if (family === 6 && get("lease_type") !== "" && get("lease_type") !== "0") continue; // prefixes have no names
      const address = get("address").toLowerCase();
      const lifetime = Number(get("valid_lifetime"));
      if (lifetime === 0) {
        byAddress.delete(address);
        continue;
      }
      const fqdn = parseName(get("hostname"));
      const dhcid = dhcidFor(family, fqdn, get("client_id"), get("hwaddr"), get("duid"));
      byAddress.set(address, {
        family,
        address,
        fqdn,
        forward: truthy(get("fqdn_fwd")),
        reverse: truthy(get("fqdn_rev")),
        expires: Number(get("expire")),
        lifetime,
        state: Number(get("state") || "0"),
        ...(dhcid ? { dhcid } : {}),
      });
    }
  }
  return [...byAddress.values()];
}

/**
 * The leases of Kea's memfile lease files, read as Kea 2.2 reads them at start. Its lease file cleanup (LFC) moves
 * leases out of the file: the file is renamed `.1` while a new one starts, LFC merges `.2` and `.1` into
 * `.completed`, which then becomes `.2`. So Kea reads `.completed` if it is there, else `.2` then `.1`, and then
 * the file; reading the file alone would miss every lease not renewed since the last cleanup, and reconcile would
 * remove their names. While LFC runs (`.pid` is there) Kea refuses to load; so does this. A set of files that changed
 * while it was read (a cleanup starting or ending) is read again.
 */
export async function readLeaseFiles(files: readonly string[]): Promise<Lease[]> {
  const leases: Lease[] = [];
  for (const f of files) leases.push(...(await readOneLeaseSet(f)));
  return leases;
}

async function readOneLeaseSet(f: string): Promise<Lease[]> {
  // What each file of the set is right now: its inode and size, or absent. The live file only by its inode: Kea
  // appends to it all the time, and a line appended after the read is the next run's.
  const state = async () =>
    (await Promise.all(["completed", "2", "1", "pid", ""].map((s) => stat(s === "" ? f : `${f}.${s}`).then((st) => (s === "" ? `${st.ino}` : `${st.ino}/${st.size}`), () => "-")))).join(" ");
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = await state();
    if (existsSync(`${f}.pid`)) throw new Error(`${f}: Kea's lease file cleanup is running (${f}.pid); try again when it ends`);
    const older = existsSync(`${f}.completed`) ? [`${f}.completed`] : [`${f}.2`, `${f}.1`];
    const texts: string[] = [];
    for (const path of [...older, f]) {
      try {
        texts.push(await readFile(path, "utf8"));
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (path !== f && code === "ENOENT") continue;
        throw new Error(`cannot read ${path}: ${code ?? "error"}`);
      }
    }
    if ((await state()) !== before) continue;
    try {
      return parseLeaseCsv(...texts);
    } catch (e) {
      throw new Error(`${f}: ${(e as Error).message}`);
    }
  }
  throw new Error(`${f}: Kea's lease files kept changing while they were read; try again`);
}

interface SocketLease {
  "ip-address"?: string;
  "hw-address"?: string;
  "client-id"?: string;
  duid?: string;
  hostname?: string;
  "fqdn-fwd"?: boolean;
  "fqdn-rev"?: boolean;
  cltt?: number;
  "valid-lft"?: number;
  state?: number;
  type?: string;
}

/** Asks a Kea DHCP server's control socket for every lease (`lease4-get-all` / `lease6-get-all`, lease_cmds hook). */
export async function leasesFromSocket(path: string, family: 4 | 6, timeoutMs = 10_000): Promise<Lease[]> {
  const reply = await new Promise<string>((resolve, reject) => {
    const c = connect(path);
    let buf = "";
    const t = setTimeout(() => {
      c.destroy();
      reject(new Error(`no answer from ${path}`));
    }, timeoutMs);
    c.on("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
    c.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      try {
        JSON.parse(buf);
        clearTimeout(t);
        c.end();
        resolve(buf);
      } catch {
        // Not the whole answer yet.
      }
    });
    c.on("end", () => {
      clearTimeout(t);
      resolve(buf);
    });
    c.write(JSON.stringify({ command: `lease${family}-get-all` }));
  });
  const parsed = JSON.parse(reply) as { result?: number; text?: string; arguments?: { leases?: SocketLease[] } };
  // Result 3 is "empty": no leases at all.
  if (parsed.result === 3) return [];
  if (parsed.result !== 0) throw new Error(`lease${family}-get-all failed: ${parsed.text ?? "unknown error"}`);
  const out: Lease[] = [];
  for (const l of parsed.arguments?.leases ?? []) {
    if (family === 6 && l.type !== undefined && l.type !== "IA_NA") continue;
    const fqdn = parseName(l.hostname ?? "");
    const dhcid = dhcidFor(family, fqdn, l["client-id"] ?? "", l["hw-address"] ?? "", l.duid ?? "");
    const lifetime = l["valid-lft"] ?? 0;
    out.push({
      family,
      address: (l["ip-address"] ?? "").toLowerCase(),
      fqdn,
      forward: l["fqdn-fwd"] === true,
      reverse: l["fqdn-rev"] === true,
      expires: (l.cltt ?? 0) + lifetime,
      lifetime,
      state: l.state ?? 0,
      ...(dhcid ? { dhcid } : {}),
    });
  }
  return out;
}
