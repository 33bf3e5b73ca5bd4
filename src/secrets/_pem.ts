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
