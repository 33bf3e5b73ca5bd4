import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { PATHS } from "../../src/emit/porygon/index.js";
import { ETCD_USERS, type EtcdUser } from "../../src/secrets/dns.js";
import type { Namespace } from "../_harness/netns.js";
import { until } from "./_kea.js";
import type { RenderedPorygon } from "./_render.js";

export interface RenderedEtcd {
  /** The namespace etcd runs in. */
  readonly ns: Namespace;
  /** Folder with ca.crt and `<user>.crt`/`<user>.key` for every etcd user. */
  readonly pki: string;
  readonly log: string;
  /** etcdctl in the namespace as `user` (no certificate when undefined). */
  ctl(user: EtcdUser | undefined, args: readonly string[], endpoint?: string): Promise<string>;
}

/**
 * etcd from the rendered configuration in `ns` (which must own Porygon's addresses), then the rendered auth script
 * (twice: a second run must work on an etcd that already has auth on). Only the data folder and the key files'
 * paths move into `dir`. (test/_harness/etcd.ts starts etcd from flags with its own CA, so it cannot show the
 * rendered configuration at work.)
 */
export async function startRenderedEtcd(ns: Namespace, r: RenderedPorygon, dir: string): Promise<RenderedEtcd> {
  const pki = join(dir, "pki");
  mkdirSync(pki, { mode: 0o700 });
  const d = r.secrets.dns;
  writeFileSync(join(pki, "ca.crt"), d.etcdCa);
  writeFileSync(join(pki, "server.crt"), d.etcdServer.cert);
  writeFileSync(join(pki, "server.key"), d.etcdServer.key.reveal(), { mode: 0o600 });
  for (const [user, pair] of Object.entries(d.etcdClients)) {
    writeFileSync(join(pki, `${user}.crt`), pair.cert);
    writeFileSync(join(pki, `${user}.key`), pair.key.reveal(), { mode: 0o600 });
  }
  const log = join(dir, "etcd.log");
  const config = parse(r.file(PATHS.etcdConfig)) as Record<string, unknown>;
  config["data-dir"] = join(dir, "data");
  config["client-transport-security"] = {
    ...(config["client-transport-security"] as object),
    "cert-file": join(pki, "server.crt"),
    "key-file": join(pki, "server.key"),
    "trusted-ca-file": join(pki, "ca.crt"),
  };
  config["log-outputs"] = [log];
  writeFileSync(join(dir, "etcd.conf.yml"), JSON.stringify(config));
  writeFileSync(join(dir, "h5b-etcd-auth"), r.file(PATHS.etcdAuthScript), { mode: 0o755 });

  const ctl = (user: EtcdUser | undefined, args: readonly string[], endpoint = `https://127.0.0.1:${r.plan.dns.etcdPort}`) => {
    const cert = user === undefined ? [] : ["--cert", join(pki, `${user}.crt`), "--key", join(pki, `${user}.key`)];
    return ns.run("etcdctl", ["--endpoints", endpoint, "--command-timeout", "3s", "--cacert", join(pki, "ca.crt"), ...cert, ...args], {
      env: { ETCDCTL_API: "3" },
    });
  };
  // As Debian's unit does: ETCD_NAME and ETCD_DATA_DIR set, the rendered drop-in's ETCD_CONFIG_FILE winning.
  ns.spawn("etcd", [], { env: { ETCD_NAME: "wrong", ETCD_DATA_DIR: join(dir, "wrong"), ETCD_CONFIG_FILE: join(dir, "etcd.conf.yml") } });
  await until("etcd healthy", () => ctl(ETCD_USERS.root, ["endpoint", "health"]).then(() => true, () => false), 20_000);
  for (let i = 0; i < 2; i++) await ns.run("sh", [join(dir, "h5b-etcd-auth")], { env: { H5B_ETCD_PKI: pki } });
  return { ns, pki, log, ctl };
}

/** CoreDNS's key path of a zone (no trailing slash). */
export const zonePath = (r: RenderedPorygon, zone: string) => `${r.plan.dns.prefix}${zone.split(".").reverse().join("/")}`;
