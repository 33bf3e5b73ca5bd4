import { createHash } from "node:crypto";
import { nameWire, type Labels } from "./_names.js";

/**
 * DHCID RDATA (RFC 4701) as Kea computes it, so that `reconcile` can restore the DHCID Kea's conflict resolution
 * expects: identifier type (0 = htype + chaddr, 1 = DHCPv4 client identifier, 2 = DUID), digest type 1 (SHA-256),
 * SHA-256 over the identifier followed by the FQDN in wire form.
 */
export function dhcidRdata(identifierType: 0 | 1 | 2, identifier: Buffer, fqdn: Labels): Buffer {
  const digest = createHash("sha256").update(identifier).update(nameWire(fqdn)).digest();
  const out = Buffer.alloc(3 + digest.length);
  out.writeUInt16BE(identifierType, 0);
  out[2] = 1;
  digest.copy(out, 3);
  return out;
}

/** `01:02:0a` / `01020a` → bytes. */
export function hexBytes(text: string): Buffer {
  return Buffer.from(text.replace(/[:\s-]/g, ""), "hex");
}
