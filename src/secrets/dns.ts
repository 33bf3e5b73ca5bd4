import { createHash, randomBytes } from "node:crypto";
import { error, H5bError } from "../issue.js";
import type { Plan } from "../plan/types.js";
import { isUsablePair, joinPair, splitPair } from "./_pem.js";
import type { LeafRequest, PemPair } from "./pki.js";
import { Secret } from "./secret.js";
import { generated, type Shape } from "./shape.js";
import type { SecretStore } from "./store.js";

/**
 * etcd users, one per writer plus CoreDNS and the administrator. Every client speaks gRPC, and etcd takes the user
 * name from its client certificate's common name: no passwords.
 */
export const ETCD_USERS = { root: "root", externalDns: "external-dns", coredns: "coredns", ddns: "h5b-ddns" } as const;
export type EtcdUser = (typeof ETCD_USERS)[keyof typeof ETCD_USERS];

/** A certificate (public) and its private key (secret). */
export interface KeyPair {
  readonly cert: string;
  readonly key: Secret;
}

/** Secrets of Porygon: the etcd PKI and the TSIG key kea-dhcp-ddns signs its updates with. */
export interface DnsSecrets {
  /** The etcd CA's certificate (its key stays in the store). */
  readonly etcdCa: string;
  readonly etcdServer: KeyPair;
  readonly etcdClients: Readonly<Record<EtcdUser, KeyPair>>;
  /** HMAC-SHA256 key, base64 (32 random octets). */
  readonly tsigKey: Secret;
}

/** The etcd CA's file: every etcd server and client certificate of the homelab is signed by it. */
export const ETCD_CA = "etcd-ca";

/** Checked whole, not by its markers: its key first meets WebCrypto when a certificate is issued, long after a build started. */
const CA_SHAPE: Shape = {
  test: (v) => isUsablePair(v, true),
  message:
    "does not hold an etcd CA that h5b can sign with (a CA's PEM certificate and its ECDSA P-256 private key, PKCS#8): restore it from a backup of this folder, or, to start over with a new CA and new certificates everywhere, delete it and the output folder",
};
const LEAF_SHAPE: Shape = { test: (v) => isUsablePair(v, false), message: "does not hold a PEM certificate and its private key; delete it to have a new one made" };
/** `etcd-<label>-<id>`: a certificate and its key, named by a hash of what they were issued from. */
const LEAF_NAME = /^etcd-(?:server|client-[a-z0-9.-]+)-[0-9a-f]{12}$/;
const TSIG_KEY = "ddns-tsig-key";
const TSIG_SHAPE = generated(/^[A-Za-z0-9+/]{16,}={0,2}$/, "a base64 TSIG key (one line)");

/** The shape of Porygon's secrets, by file name. */
export function dnsShape(name: string): Shape | undefined {
  if (name === ETCD_CA) return CA_SHAPE;
  if (name === TSIG_KEY) return TSIG_SHAPE;
  return LEAF_NAME.test(name) ? LEAF_SHAPE : undefined;
}

/** The etcd server certificate's names: Porygon's names and addresses, and loopback for the local clients. */
export function etcdServerNames(plan: Plan): Required<Pick<LeafRequest, "dnsNames" | "ipAddresses">> {
  const host = plan.dns.host;
  return {
    dnsNames: [...new Set([plan.dns.etcdServerName, host, "localhost"])],
    ipAddresses: [...plan.families.map((f) => plan.dns.addresses[f] as string), "127.0.0.1", "::1"],
  };
}

/**
 * Creates what is missing, once. Certificates are stored under a name that hashes what they were issued from
 * (the CA and the request), so a new CA or a changed address gets new certificates and never a stale one.
 */
export async function dnsSecrets(plan: Plan, store: SecretStore): Promise<DnsSecrets> {
  // The X.509 library costs a noticeable part of a build's start-up; load it only when something must be made.
  const pki = () => import("./pki.js");
  const caText = await store.ensureAsync(ETCD_CA, async () => joinPair(await (await pki()).createCa(`h5b etcd CA (${plan.site.name})`)));
  const ca = pair(caText, CA_SHAPE);
  const issue = async (req: LeafRequest): Promise<PemPair> => {
    const { issueCertificate, CaUnusable } = await pki();
    try {
      return await issueCertificate(ca, req);
    } catch (e) {
      // Node's parser (the shape check) and the X.509 library's may still disagree about a file made elsewhere.
      if (e instanceof CaUnusable) throw new H5bError("secrets", [error("secret-malformed", store.pathOf(ETCD_CA), CA_SHAPE.message)]);
      throw e;
    }
  };
  const leaf = async (label: string, req: LeafRequest): Promise<KeyPair> => {
    const id = createHash("sha256").update(ca.cert).update(JSON.stringify(req)).digest("hex").slice(0, 12);
    const p = pair(await store.ensureAsync(`etcd-${label}-${id}`, async () => joinPair(await issue(req))), LEAF_SHAPE);
    return { cert: p.cert, key: p.secret(`etcd-${label}-key`) };
  };
  const server = await leaf("server", { commonName: plan.dns.etcdServerName, ...etcdServerNames(plan), usages: ["server"] });
  const clients = {} as Record<EtcdUser, KeyPair>;
  for (const user of Object.values(ETCD_USERS)) {
    clients[user] = await leaf(`client-${user}`, { commonName: user, usages: ["client"] });
  }
  // kea-dhcp-ddns reads the key as base64 and refuses anything else; say so at build, not at Porygon's start.
  const tsigKey = store.ensure(TSIG_KEY, () => randomBytes(32).toString("base64"), TSIG_SHAPE);
  return { etcdCa: ca.cert, etcdServer: server, etcdClients: clients, tsigKey };

  function pair(s: Secret, shape: Shape): PemPair & { secret(name: string): Secret } {
    if (!shape.test(s.reveal())) throw new H5bError("secrets", [error("secret-malformed", store.pathOf(s.name), shape.message)]);
    const p = splitPair(s.reveal());
    return { ...p, secret: (name) => new Secret(name, p.key) };
  }
}
