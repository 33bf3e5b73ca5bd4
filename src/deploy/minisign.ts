import { createHash, createPublicKey, verify } from "node:crypto";

/**
 * Verifies a minisign signature (the format dnscrypt-proxy signs its releases with) using Node's Ed25519: the
 * public key is `"Ed" | key id (8) | key (32)` in base64; the .minisig file holds an untrusted comment, the
 * signature `alg (2) | key id (8) | signature (64)` (alg `ED`: over the BLAKE2b-512 of the file; legacy `Ed`:
 * over the file), a trusted comment, and a global signature over `signature | trusted comment`.
 * Returns the trusted comment; throws with the reason when anything does not verify.
 */
export function verifyMinisign(data: Uint8Array, sigFile: string, publicKey: string): string {
  const pk = Buffer.from(publicKey, "base64");
  if (pk.length !== 42 || pk.subarray(0, 2).toString("latin1") !== "Ed") throw new Error("not a minisign public key");
  const lines = sigFile.split("\n").map((l) => l.trim());
  const sigLine = lines[1];
  const trusted = lines[2];
  const globalLine = lines[3];
  if (!lines[0]?.startsWith("untrusted comment:") || sigLine === undefined || trusted === undefined || globalLine === undefined || !trusted.startsWith("trusted comment: ")) {
    throw new Error("not a minisign signature file");
  }
  const sig = Buffer.from(sigLine, "base64");
  if (sig.length !== 74) throw new Error("malformed signature");
  const alg = sig.subarray(0, 2).toString("latin1");
  if (alg !== "ED" && alg !== "Ed") throw new Error(`unknown signature algorithm ${alg}`);
  if (!sig.subarray(2, 10).equals(pk.subarray(2, 10))) throw new Error("signed with another key");
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: pk.subarray(10).toString("base64url") }, format: "jwk" });
  const signed = alg === "ED" ? createHash("blake2b512").update(data).digest() : Buffer.from(data);
  if (!verify(null, signed, key, sig.subarray(10))) throw new Error("the signature does not match the file");
  const comment = trusted.slice("trusted comment: ".length);
  const global = Buffer.from(globalLine, "base64");
  if (!verify(null, Buffer.concat([sig.subarray(10), Buffer.from(comment, "utf8")]), key, global)) {
    throw new Error("the trusted comment was altered");
  }
  return comment;
}
