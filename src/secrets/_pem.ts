import { createPrivateKey, X509Certificate } from "node:crypto";
import type { PemPair } from "./pki.js";

/** One file holds the key and then the certificate, so that a pair is always written (and replaced) whole. */
export function joinPair(p: PemPair): string {
  return `${p.key.trim()}\n${p.cert.trim()}`;
}

export function splitPair(text: string): PemPair {
  const key = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(text)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
  if (key === undefined || cert === undefined) throw new Error("not a key and certificate pair");
  return { cert: `${cert}\n`, key: `${key}\n` };
}

/**
 * Whether `text` holds a certificate and the private key of its public key that h5b can use: the markers alone
 * let through a file spoiled inside (a changed letter) or another tool's pair. Node's own parser does it, in a
 * fraction of a millisecond, so a build that issues nothing still never loads the X.509 library. `ca`: the pair must
 * be a CA whose key signs as h5b's certificates are signed (ECDSA P-256).
 */
export function isUsablePair(text: string, ca: boolean): boolean {
  try {
    const p = splitPair(text);
    const cert = new X509Certificate(p.cert);
    const key = createPrivateKey(p.key);
    if (!cert.checkPrivateKey(key) || cert.ca !== ca) return false;
    return !ca || (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1");
  } catch {
    return false;
  }
}
