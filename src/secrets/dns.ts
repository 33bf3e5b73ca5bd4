import { createHash, randomBytes } from "node:crypto";
import { error, H5bError } from "../issue.js";
import type { Plan } from "../plan/types.js";
import { joinPair, splitPair } from "./_pem.js";
import type { LeafRequest, PemPair } from "./pki.js";
import { Secret } from "./secret.js";
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
  const caText = await store.ensureAsync("etcd-ca", async () => joinPair(await (await pki()).createCa(`h5b etcd CA (${plan.site.name})`)));
  const ca = pair(caText);
  const leaf = async (label: string, req: LeafRequest): Promise<KeyPair> => {
    const id = createHash("sha256").update(ca.cert).update(JSON.stringify(req)).digest("hex").slice(0, 12);
    const p = pair(await store.ensureAsync(`etcd-${label}-${id}`, async () => joinPair(await (await pki()).issueCertificate(ca, req))));
    return { cert: p.cert, key: p.secret(`etcd-${label}-key`) };
  };
  const server = await leaf("server", { commonName: plan.dns.etcdServerName, ...etcdServerNames(plan), usages: ["server"] });
  const clients = {} as Record<EtcdUser, KeyPair>;
  for (const user of Object.values(ETCD_USERS)) {
    clients[user] = await leaf(`client-${user}`, { commonName: user, usages: ["client"] });
  }
  // kea-dhcp-ddns reads the key as base64 and refuses anything else; say so at build, not at Porygon's start.
  const tsigKey = store.ensure("ddns-tsig-key", () => randomBytes(32).toString("base64"), { pattern: /^[A-Za-z0-9+/]{16,}={0,2}$/, what: "a base64 TSIG key (one line)" });
  return { etcdCa: ca.cert, etcdServer: server, etcdClients: clients, tsigKey };

  function pair(s: Secret): PemPair & { secret(name: string): Secret } {
    let p: PemPair;
    try {
      p = splitPair(s.reveal());
    } catch {
      throw new H5bError("secrets", [error("secret-malformed", store.pathOf(s.name), "does not hold a PEM private key and certificate; delete it to have a new one made")]);
    }
    return { ...p, secret: (name) => new Secret(name, p.key) };
  }
}
