// @peculiar/x509 resolves its parts through tsyringe, which needs the Reflect metadata API loaded first.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

type CryptoKey = webcrypto.CryptoKey;
const crypto = webcrypto;
x509.cryptoProvider.set(crypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
const DAY = 86_400_000;
// Long-lived on purpose: nothing in a homelab rotates them, and an expired etcd certificate silently stops DNS.
const VALID_DAYS = 3650;

/** A certificate and its private key, both PEM (the key PKCS#8, which etcd, CoreDNS and Go's TLS all read). */
export interface PemPair {
  readonly cert: string;
  readonly key: string;
}

export interface LeafRequest {
  /** The subject's CN; etcd takes it as the user name. Without it the subject is only `O=<organization>`. */
  readonly commonName?: string;
  readonly organization?: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly usages: readonly ("server" | "client")[];
}

async function keyPair(): Promise<webcrypto.CryptoKeyPair> {
  return crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
}

async function keyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

function validity(): { notBefore: Date; notAfter: Date } {
  // A little in the past, so that a host whose clock lags the build machine's still accepts it.
  const now = Date.now();
  return { notBefore: new Date(now - DAY), notAfter: new Date(now + VALID_DAYS * DAY) };
}

/** A new self-signed CA (ECDSA P-256) that may only sign end-entity certificates. */
export async function createCa(commonName: string): Promise<PemPair> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: SIGNING,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString("pem"), key: await keyPem(keys.privateKey) };
}

/**
 * The CA given to {@link issueCertificate} could not be read or its key not used for signing: the user's file is at
 * fault, not h5b, so the caller names the file instead of showing a stack.
 */
export class CaUnusable extends Error {
  constructor(cause: unknown) {
    super("the CA's certificate or key cannot be read", { cause });
    this.name = "CaUnusable";
  }
}

async function loadCa(ca: PemPair): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  try {
    const cert = new x509.X509Certificate(ca.cert);
    return { cert, key: await crypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(ca.key), KEY_ALGORITHM, false, ["sign"]) };
  } catch (e) {
    throw new CaUnusable(e);
  }
}

/** A certificate signed by `ca`: server and/or client use, with the given names in its subjectAltName. */
export async function issueCertificate(ca: PemPair, req: LeafRequest): Promise<PemPair> {
  const { cert: caCert, key: caKey } = await loadCa(ca);
  const keys = await keyPair();
  const eku = req.usages.map((u) => (u === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth));
  const names = [
    ...(req.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(req.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    subject: req.commonName !== undefined ? `CN=${req.commonName}` : `O=${req.organization ?? "h5b"}`,
    issuer: caCert.subject,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: SIGNING,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(eku),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { cert: cert.toString("pem"), key: await keyPem(keys.privateKey) };
}

export { joinPair, splitPair } from "./_pem.js";
