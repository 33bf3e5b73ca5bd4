// Reads the DNS messages of a packet capture (tcpdump -w, IPv4 over UDP), for the end-to-end benchmark: when each
// update left kea-dhcp-ddns and when the server's answer did, measured on the wire for both servers alike.
import { readFile } from "node:fs/promises";

/** Link-layer header lengths of the link types a capture on Linux can have (Ethernet, as on lo; cooked v1, v2). */
const LINK_HEADER = { 1: 14, 113: 16, 276: 20 };

/** Yields `{ t (ms since the epoch), src, sport, dst, dport, payload }` for every IPv4 UDP packet of a pcap file. */
export async function* udpPackets(file) {
  const buf = await readFile(file);
  if (buf.length < 24) return;
  const magicLE = buf.readUInt32LE(0);
  const le = magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d;
  const magic = le ? magicLE : buf.readUInt32BE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`${file}: not a pcap file`);
  const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const fraction = magic === 0xa1b23c4d ? 1e-6 : 1e-3;
  const link = LINK_HEADER[u32(20)];
  if (link === undefined) throw new Error(`${file}: link type ${u32(20)} is not read here`);
  for (let o = 24; o + 16 <= buf.length; ) {
    const t = u32(o) * 1000 + u32(o + 4) * fraction;
    const len = u32(o + 8);
    const p = o + 16 + link;
    o += 16 + len;
    if (o > buf.length || (buf[p] ?? 0) >> 4 !== 4 || buf[p + 9] !== 17) continue;
    const ip = p + ((buf[p] ?? 0) & 15) * 4;
    const addr = (at) => [...buf.subarray(at, at + 4)].join(".");
    const end = Math.min(o, ip + buf.readUInt16BE(ip + 4));
    yield { t, src: addr(p + 12), dst: addr(p + 16), sport: buf.readUInt16BE(ip), dport: buf.readUInt16BE(ip + 2), payload: buf.subarray(ip + 8, end) };
  }
}
