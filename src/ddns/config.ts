import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { jsonSyntaxError } from "../_text.js";
import { error, H5bError, pathOf, type Issue } from "../issue.js";
import { inZone, isSafeName, parseName } from "./_names.js";

const zoneName = z
  .string()
  .transform((s) => s.trim().toLowerCase().replace(/\.$/, ""))
  .refine((s) => s !== "" && isSafeName(parseName(s)), "must be a DNS zone name of labels a-z, 0-9, '-' and '_'");

const ipLiteral = z.string().refine((s) => isIP(s) !== 0, "must be an IPv4 or IPv6 address literal");

const port = z.number().int().min(0).max(65535);

const keyPrefix = z
  .string()
  .regex(/^\/([^/\s]+\/)*$/, "must start and end with '/' (the prefix is concatenated without adding '/')");

const filePath = z.string().min(1, "must be a file path");

/** One address the daemon answers DNS on. */
export const ddnsListenSchema = z.strictObject({
  /** IPv4 or IPv6 address literal to bind, e.g. `10.0.0.2` or `fd00::2`. @default none (required) */
  address: ipLiteral,
  /** Port for both UDP and TCP; 0 picks a free port (tests). @default 53 */
  port: port.default(53),
  /** Answer DNS over UDP on this address. @default true */
  udp: z.boolean().default(true),
  /** Answer DNS over TCP (two-octet length prefix, RFC 1035 4.2.2) on this address. @default true */
  tcp: z.boolean().default(true),
});

/** TSIG algorithms (RFC 8945 / RFC 4635) accepted in the config; the request must use the configured one. */
export const TSIG_ALGORITHMS = ["hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"] as const;
export type TsigAlgorithm = (typeof TSIG_ALGORITHMS)[number];

export const ddnsConfigSchema = z
  .strictObject({
    /** Where DNS is answered. @default [{ "address": "127.0.0.1", "port": 53 }, { "address": "::1", "port": 53 }] */
    listen: z
      .array(ddnsListenSchema)
      .min(1)
      .default([
        { address: "127.0.0.1", port: 53, udp: true, tcp: true },
        { address: "::1", port: 53, udp: true, tcp: true },
      ]),
    /** Zones the daemon is authoritative for. An UPDATE for any other zone gets NOTAUTH. @default none (required) */
    zones: z.strictObject({
      /**
       * Forward zones of the DHCP clients (e.g. `lan.home.example.org`); A, AAAA, TXT and DHCID may be updated
       * here. Must be disjoint from external-dns's services zone. @default none (required: the plan's DHCP zone)
       */
      forward: z.array(zoneName).min(1),
      /**
       * Reverse zones (`*.in-addr.arpa`, `*.ip6.arpa`); PTR, TXT and DHCID may be updated here. @default []
       */
      reverse: z
        .array(zoneName.refine((z) => /(^|\.)(in-addr|ip6)\.arpa$/.test(z), "must end in in-addr.arpa or ip6.arpa"))
        .default([]),
    }),
    /** The one TSIG key every UPDATE must be signed with (kea-dhcp-ddns's `tsig-keys` entry). @default none (required) */
    tsig: z.strictObject({
      /** Key name, exactly as in kea-dhcp-ddns's `key-name` (case-insensitive). @default none (required) */
      name: zoneName,
      /** HMAC algorithm. @default "hmac-sha256" */
      algorithm: z.enum(TSIG_ALGORITHMS).default("hmac-sha256"),
      /** File holding the base64 secret (one line; mode 0600). Relative paths are relative to the config file. @default none (required) */
      secretFile: filePath,
    }),
    /** The etcd that CoreDNS's `etcd` plugin reads. @default none (required; `{}` takes every default) */
    etcd: z.strictObject({
      /** Client URLs, `http://` or `https://`. @default ["http://127.0.0.1:2379"] */
      endpoints: z
        .array(z.string().regex(/^https?:\/\/[^/\s]+\/?$/, "must be an http:// or https:// URL with host and port"))
        .min(1)
        .default(["http://127.0.0.1:2379"]),
      /** CoreDNS's `path` with a trailing `/` (external-dns's `--coredns-prefix`). @default "/skydns/" */
      prefix: keyPrefix.default("/skydns/"),
      /**
       * The daemon's own prefix, outside the one CoreDNS serves: DHCID records live here, because anything under
       * the CoreDNS prefix is served for the name's whole subtree. @default "/h5b-ddns/"
       */
      metaPrefix: keyPrefix.default("/h5b-ddns/"),
      /** TLS client files (PEM). Relative paths are relative to the config file. @default none (plain http) */
      tls: z
        .strictObject({
          /** CA certificate that signed etcd's server certificate (its SAN must match the endpoint's host). @default none (required with tls) */
          ca: filePath,
          /** Client certificate (with `key`), for etcd's `--client-cert-auth`. @default none */
          cert: filePath.optional(),
          /** Client private key (with `cert`). @default none */
          key: filePath.optional(),
        })
        .refine((t) => (t.cert === undefined) === (t.key === undefined), "cert and key must be given together")
        .optional(),
      /** etcd user (role limited to {@link ddnsKeyPrefixes}). Omit when etcd auth is off. @default none */
      username: z.string().min(1).optional(),
      /** File holding that user's password (one line; mode 0600). Required with `username`. @default none */
      passwordFile: filePath.optional(),
      /**
       * Deadline of one etcd call, in milliseconds; past it the update is answered SERVFAIL, on which kea-dhcp-ddns
       * gives the update up (see `reconcile`). Keep it below kea-dhcp-ddns's `dns-server-timeout`. @default 400
       */
      timeoutMs: z.number().int().min(50).max(30_000).default(400),
    }),
    /** Prometheus metrics over HTTP (`GET /metrics`, `GET /healthz`); omit to disable. @default none (off) */
    metrics: z
      .strictObject({
        /** Address to bind. @default "127.0.0.1" */
        address: ipLiteral.default("127.0.0.1"),
        /** TCP port. @default 9154 */
        port: port.default(9154),
      })
      .optional(),
    /**
     * Reconcile from Kea's lease files while running, as `h5b ddns reconcile --leases` does: at start, every
     * `intervalSeconds`, and as soon as etcd is back after an outage. kea-dhcp-ddns gives up on an update that was
     * answered SERVFAIL (while etcd was down), so without this a lease's name waits for its next renewal. Omit to
     * run no reconcile of its own. @default none (off)
     */
    reconcile: z
      .strictObject({
        /**
         * Kea's memfile lease files (v4 and/or v6); the files of Kea's lease file cleanup beside each (`.completed`,
         * else `.2` and `.1`) are read first, as Kea does. @default none (required)
         */
        leases: z.array(filePath).min(1),
        /** Seconds between two runs. @default 300 */
        intervalSeconds: z.number().int().min(1).max(86_400).default(300),
      })
      .optional(),
    /** Bounds that keep memory flat under any input. @default {} (every limit at its default) */
    limits: z
      .strictObject({
        /** Largest DNS message accepted, in octets; larger datagrams are dropped, larger TCP frames close the connection. @default 4096 */
        maxMessageSize: z.number().int().min(512).max(65535).default(4096),
        /** Concurrent TCP connections; further ones are closed at once. @default 64 */
        maxTcpConnections: z.number().int().min(1).max(10_000).default(64),
        /** Updates being processed at once; beyond this a request is answered SERVFAIL at once. @default 1024 */
        maxInFlight: z.number().int().min(1).max(100_000).default(1024),
        /** Idle TCP connections are closed after this many milliseconds. @default 10000 */
        tcpIdleTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
        /**
         * A TCP frame must be complete this many milliseconds after its first octet arrived, else the connection is
         * closed: the idle timeout alone restarts with every octet, so a client sending one octet per interval held
         * a connection for ever. @default 10000
         */
        tcpFrameTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
        /** Updates committed together in one etcd transaction (group commit). @default 32 */
        maxBatch: z.number().int().min(1).max(100).default(32),
      })
      .prefault({}),
    /**
     * Ownership marker written into every record (`"owner"` in the JSON value). Records without it are never
     * changed or deleted. @default "h5b-ddns"
     */
    owner: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_', '-'")
      .default("h5b-ddns"),
  })
  .superRefine((c, ctx) => {
    const all = [
      ...c.zones.forward.map((z, i) => ({ z, path: ["zones", "forward", i] })),
      ...c.zones.reverse.map((z, i) => ({ z, path: ["zones", "reverse", i] })),
    ];
    for (const [i, a] of all.entries()) {
      if (a.path[1] === "forward" && /(^|\.)(in-addr|ip6)\.arpa$/.test(a.z)) {
        ctx.addIssue({ code: "custom", path: a.path, message: "a reverse zone belongs in zones.reverse" });
      }
      for (const b of all.slice(i + 1)) {
        const la = parseName(a.z);
        const lb = parseName(b.z);
        if (inZone(la, lb) || inZone(lb, la)) {
          ctx.addIssue({ code: "custom", path: b.path, message: `overlaps zone ${a.z}` });
        }
      }
    }
    const p = c.etcd.prefix;
    const m = c.etcd.metaPrefix;
    if (p.startsWith(m) || m.startsWith(p)) {
      ctx.addIssue({
        code: "custom",
        path: ["etcd", "metaPrefix"],
        message: "must not overlap etcd.prefix (CoreDNS would serve it)",
      });
    }
    if ((c.etcd.username === undefined) !== (c.etcd.passwordFile === undefined)) {
      ctx.addIssue({ code: "custom", path: ["etcd", "passwordFile"], message: "username and passwordFile go together" });
    }
  });

/** The validated config, every default filled in. */
export type DdnsConfig = z.output<typeof ddnsConfigSchema>;
/** What a config file may hold (defaults may be left out); the renderer for Porygon produces this shape. */
export type DdnsConfigInput = z.input<typeof ddnsConfigSchema>;

/** Validates a parsed config object; every problem becomes an issue with its field path. */
export function parseDdnsConfig(value: unknown, source = "ddns config"): DdnsConfig {
  const r = ddnsConfigSchema.safeParse(value);
  if (r.success) return r.data;
  const issues: Issue[] = r.error.issues.map((i) =>
    error("ddns-config", pathOf(i.path as PropertyKey[]), `${source}: ${i.message}`),
  );
  throw new H5bError("ddns config", issues);
}

/** Reads and validates a JSON config file; relative file paths inside it are resolved against its directory. */
export async function loadDdnsConfig(file: string): Promise<DdnsConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new H5bError("ddns config", [error("ddns-config-read", file, `cannot read ${file}: ${errCode(e)}`)]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new H5bError("ddns config", [
      error("ddns-config-json", file, `${file} is not valid JSON (${jsonSyntaxError(e, text)})`),
    ]);
  }
  const config = parseDdnsConfig(json, file);
  const base = dirname(resolve(file));
  const abs = (p: string) => resolve(base, p);
  return {
    ...config,
    tsig: { ...config.tsig, secretFile: abs(config.tsig.secretFile) },
    etcd: {
      ...config.etcd,
      ...(config.etcd.passwordFile === undefined ? {} : { passwordFile: abs(config.etcd.passwordFile) }),
      ...(config.etcd.tls === undefined
        ? {}
        : {
            tls: {
              ca: abs(config.etcd.tls.ca),
              ...(config.etcd.tls.cert === undefined ? {} : { cert: abs(config.etcd.tls.cert) }),
              ...(config.etcd.tls.key === undefined ? {} : { key: abs(config.etcd.tls.key) }),
            },
          }),
    },
  };
}

function errCode(e: unknown): string {
  return typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : "error";
}

/** Secrets read from the files the config names. Never logged, never put in an error message. */
export interface DdnsSecrets {
  readonly tsigSecret: Buffer;
  readonly etcdPassword?: string;
  readonly tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
}

/** Reads the secret files; a missing or malformed file is an H5bError naming the field, never the content. */
export async function loadDdnsSecrets(config: DdnsConfig): Promise<DdnsSecrets> {
  const issues: Issue[] = [];
  const read = async (path: string, field: string): Promise<Buffer | undefined> => {
    try {
      return await readFile(path);
    } catch (e) {
      issues.push(error("ddns-secret-read", field, `cannot read ${path}: ${errCode(e)}`));
      return undefined;
    }
  };
  let tsigSecret: Buffer | undefined;
  const raw = await read(config.tsig.secretFile, "tsig.secretFile");
  if (raw !== undefined) {
    const text = raw.toString("utf8").trim();
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) {
      issues.push(error("ddns-tsig-secret", "tsig.secretFile", `${config.tsig.secretFile} does not hold one base64 secret`));
    } else {
      tsigSecret = Buffer.from(text, "base64");
      if (tsigSecret.length < 16) {
        issues.push(error("ddns-tsig-secret", "tsig.secretFile", `the secret in ${config.tsig.secretFile} is shorter than 16 octets`));
      }
    }
  }
  let etcdPassword: string | undefined;
  if (config.etcd.passwordFile !== undefined) {
    const pw = await read(config.etcd.passwordFile, "etcd.passwordFile");
    if (pw !== undefined) etcdPassword = pw.toString("utf8").replace(/\r?\n$/, "");
  }
  let tls: DdnsSecrets["tls"];
  if (config.etcd.tls !== undefined) {
    const ca = await read(config.etcd.tls.ca, "etcd.tls.ca");
    const cert = config.etcd.tls.cert === undefined ? undefined : await read(config.etcd.tls.cert, "etcd.tls.cert");
    const key = config.etcd.tls.key === undefined ? undefined : await read(config.etcd.tls.key, "etcd.tls.key");
    issues.push(...pemProblems(config.etcd.tls, ca, cert, key));
    if (ca !== undefined) tls = { ca, ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  }
  if (issues.length > 0 || tsigSecret === undefined) throw new H5bError("ddns config", issues);
  return { tsigSecret, ...(etcdPassword === undefined ? {} : { etcdPassword }), ...(tls ? { tls } : {}) };
}

/**
 * The TLS files parsed now, so that a wrong or damaged file stops the start with its name rather than leave the
 * daemon answering SERVFAIL, its every connection to etcd failing. Never quotes a file's content.
 */
function pemProblems(paths: NonNullable<DdnsConfig["etcd"]["tls"]>, ca?: Buffer, cert?: Buffer, key?: Buffer): Issue[] {
  const issues: Issue[] = [];
  const parse = <T>(what: string, at: string, file: string, f: () => T): T | undefined => {
    try {
      return f();
    } catch {
      issues.push(error("ddns-tls", at, `${file} does not hold ${what} in PEM`));
      return undefined;
    }
  };
  if (ca !== undefined) parse("a certificate", "etcd.tls.ca", paths.ca, () => new X509Certificate(ca));
  const c = cert === undefined || paths.cert === undefined ? undefined : parse("a certificate", "etcd.tls.cert", paths.cert, () => new X509Certificate(cert));
  const k = key === undefined || paths.key === undefined ? undefined : parse("a private key", "etcd.tls.key", paths.key, () => createPrivateKey(key));
  if (c !== undefined && k !== undefined && !c.checkPrivateKey(k)) {
    issues.push(error("ddns-tls", "etcd.tls.key", `${paths.key} is not the key of the certificate in ${paths.cert ?? "etcd.tls.cert"}`));
  }
  return issues;
}

/** One etcd permission the ddns user needs: read and write on `key`, as a prefix range or as the exact key. */
export interface DdnsKeyPermission {
  readonly key: string;
  /** True: every key starting with `key` (`etcdctl role grant-permission --prefix=true`); false: that key only. */
  readonly prefix: boolean;
  readonly access: "readwrite";
}

/**
 * The etcd keys `h5b ddns` reads and writes, for the etcd role emitter: per zone, the zone's path (exact, for
 * records at the apex) and everything below it (`<path>/`, with the slash so that a sibling zone such as
 * `lab.test2` is not included), and the daemon's metadata prefix. Nothing else is ever touched.
 */
export function ddnsKeyPrefixes(config: {
  readonly zones: { readonly forward: readonly string[]; readonly reverse?: readonly string[] };
  readonly etcd?: { readonly prefix?: string; readonly metaPrefix?: string };
}): DdnsKeyPermission[] {
  // Takes the config before or after validation, with the schema's defaults, so the etcd role emitter can call
  // it on what it renders.
  const prefix = config.etcd?.prefix ?? "/skydns/";
  const metaPrefix = config.etcd?.metaPrefix ?? "/h5b-ddns/";
  const out: DdnsKeyPermission[] = [];
  for (const zone of [...config.zones.forward, ...(config.zones.reverse ?? [])]) {
    const path = prefix + [...parseName(zone)].reverse().join("/");
    out.push({ key: path, prefix: false, access: "readwrite" }, { key: `${path}/`, prefix: true, access: "readwrite" });
  }
  out.push({ key: metaPrefix, prefix: true, access: "readwrite" });
  return out;
}
