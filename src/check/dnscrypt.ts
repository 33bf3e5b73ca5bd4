import ipaddr from "ipaddr.js";
import { parse } from "smol-toml";
import { ODOH_OPERATORS } from "../plan/odoh.js";
import type { Checker, Finding } from "./types.js";

/**
 * No dnscrypt-proxy in Debian 12, so its TOML is parsed back and held against the keys of dnscrypt-proxy 2.1
 * (its Config struct; the program refuses a file with any other key: "Unsupported key in configuration file"),
 * and against what an ODoH-only, loopback-only setup needs.
 */
const TOP = new Set([
  "listen_addresses", "max_clients", "user_name", "ipv4_servers", "ipv6_servers", "dnscrypt_servers", "doh_servers", "odoh_servers",
  "require_dnssec", "require_nolog", "require_nofilter", "disabled_server_names", "server_names", "force_tcp", "http3", "http3_probe",
  "proxy", "http_proxy", "timeout", "keepalive", "edns_client_subnet", "blocked_query_response", "lb_strategy", "lb_estimator",
  "log_level", "log_file", "log_file_latest", "use_syslog", "cert_refresh_delay", "cert_refresh_concurrency", "dnscrypt_ephemeral_keys",
  "tls_disable_session_tickets", "tls_cipher_suite", "tls_key_log_file", "bootstrap_resolvers", "fallback_resolvers", "ignore_system_dns",
  "netprobe_timeout", "netprobe_address", "offline_mode", "query_meta", "log_files_max_size", "log_files_max_age", "log_files_max_backups",
  "block_ipv6", "block_unqualified", "block_undelegated", "reject_ttl", "forwarding_rules", "cloaking_rules", "cloak_ttl", "cloak_ptr",
  "cache", "cache_size", "cache_min_ttl", "cache_max_ttl", "cache_neg_min_ttl", "cache_neg_max_ttl", "cache_neg_ttl", "enable_hot_reload",
  "refused_code_in_responses",
  // tables
  "local_doh", "query_log", "nx_log", "blocked_names", "blocked_ips", "allowed_names", "allowed_ips", "schedules", "sources",
  "broken_implementations", "doh_client_x509_auth", "tls_client_auth", "anonymized_dns", "dns64", "static", "captive_portals",
  "monitoring_ui", "blacklist", "whitelist", "ip_blacklist",
]);
const SOURCE = new Set(["url", "urls", "minisign_key", "cache_file", "format", "refresh_delay", "prefix", "cache_ttl"]);
const ANONYMIZED = new Set(["routes", "skip_incompatible", "direct_cert_fallback"]);
const ROUTE = new Set(["server_name", "via"]);

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === "object" && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

export function dnscryptProblems(text: string): string[] {
  return configProblems(parseToml(text));
}

/** The parsed TOML, or what is wrong with it. */
function parseToml(text: string): Table | string {
  try {
    return parse(text) as Table;
  } catch (e) {
    return `is not TOML: ${(e as Error).message.split("\n")[0]}`;
  }
}

function configProblems(cfg: Table | string): string[] {
  if (typeof cfg === "string") return [cfg];
  const p: string[] = [];
  const unknown = (where: string, t: Table, known: ReadonlySet<string>) => {
    for (const k of Object.keys(t)) if (!known.has(k)) p.push(`${where}${k} is not a dnscrypt-proxy setting; it refuses to start`);
  };
  unknown("", cfg, TOP);
  for (const a of strings(cfg.listen_addresses)) {
    if (!/^(127\.\d+\.\d+\.\d+|\[::1\]):\d+$/.test(a)) p.push(`listen_addresses: ${a} is not loopback; only CoreDNS may ask`);
  }
  const names = strings(cfg.server_names);
  if (names.length === 0) p.push("server_names is empty: dnscrypt-proxy would pick any resolver");
  const sources = isTable(cfg.sources) ? cfg.sources : {};
  for (const [name, s] of Object.entries(sources)) {
    if (!isTable(s)) continue;
    unknown(`sources.${name}.`, s, SOURCE);
    for (const k of ["minisign_key", "cache_file"]) if (typeof s[k] !== "string") p.push(`sources.${name} has no ${k}`);
    if (strings(s.urls).length === 0 && typeof s.url !== "string") p.push(`sources.${name} has no urls`);
  }
  const odoh = names.filter((n) => n.startsWith("odoh-"));
  if (odoh.length > 0) {
    if (cfg.odoh_servers !== true) p.push("odoh_servers is not true (its default is false), so the odoh- servers are never used");
    for (const s of ["odoh-servers", "odoh-relays"]) if (!(s in sources)) p.push(`sources.${s} is missing: ODoH targets and relays come from it`);
  }
  const anon = isTable(cfg.anonymized_dns) ? cfg.anonymized_dns : undefined;
  if (anon !== undefined) {
    unknown("anonymized_dns.", anon, ANONYMIZED);
    const routes = Array.isArray(anon.routes) ? anon.routes.filter(isTable) : [];
    for (const r of routes) {
      unknown("anonymized_dns.routes[].", r, ROUTE);
      const target = String(r.server_name);
      if (target !== "*" && !names.includes(target)) p.push(`anonymized_dns: route for ${target}, which is not in server_names`);
      for (const v of strings(r.via)) {
        if (target.startsWith("odoh-") && v !== "*" && !v.startsWith("odohrelay-")) p.push(`anonymized_dns: ${target} via ${v}: ODoH targets take ODoH relays only`);
        const operator = ODOH_OPERATORS[target];
        if (operator !== undefined && ODOH_OPERATORS[v] === operator) p.push(`anonymized_dns: ${target} via ${v}: both run by ${operator}, who would see both who asks and what`);
      }
    }
    for (const n of odoh) {
      if (!routes.some((r) => r.server_name === n || r.server_name === "*")) p.push(`${n} has no relay route: it would be asked directly`);
    }
  } else if (odoh.length > 0) p.push("anonymized_dns is missing: ODoH targets would be asked without a relay");
  return p;
}

/** A forwarding rules file as dnscrypt-proxy 2.1.18 reads it: `<domain> <server>[,<server>…]` a line. */
export function forwardingRuleProblems(text: string): string[] {
  const p: string[] = [];
  const server = (s: string) => {
    if (s === "$BOOTSTRAP" || s === "$DHCP" || /^\$RESOLVCONF:\/\S+$/.test(s)) return true;
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
    return m !== null && ipaddr.isValid(m[1] ?? "") && (m[2] === undefined || Number(m[2]) < 65536);
  };
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") return;
    const [domain = "", ...rest] = line.split(/\s+/);
    const servers = rest.join(" ");
    if (servers === "") p.push(`line ${i + 1}: not "<domain> <server>[,<server>...]"`);
    else if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(domain.replace(/^\*\./, ""))) p.push(`line ${i + 1}: ${domain} is not a domain name`);
    else for (const s of servers.split(",").map((x) => x.trim())) if (!server(s)) p.push(`line ${i + 1}: ${s} is neither an address nor one of $BOOTSTRAP, $DHCP, $RESOLVCONF:<file>`);
  });
  return p;
}

const TOML_FILE = /^(hosts\/[^/]+)\/etc\/dnscrypt-proxy\/dnscrypt-proxy\.toml$/;

export const dnscryptChecker: Checker = {
  name: "dnscrypt-proxy",
  description: "dnscrypt-proxy's TOML uses only its keys, listens on loopback and routes every ODoH target through a relay",
  async run(ctx) {
    const findings: Finding[] = [];
    for (const [path, text] of ctx.files) {
      const host = TOML_FILE.exec(path)?.[1];
      if (host === undefined) continue;
      const cfg = parseToml(text);
      for (const message of configProblems(cfg)) findings.push({ check: this.name, where: path, message });
      // The rules file is the host's own, rendered beside the TOML that names it.
      const rules = typeof cfg === "string" ? undefined : cfg.forwarding_rules;
      if (typeof rules !== "string") continue;
      const rulesPath = `${host}${rules}`;
      const rulesText = ctx.files.get(rulesPath);
      if (rulesText === undefined) findings.push({ check: this.name, where: path, message: `forwarding_rules names ${rules}, which h5b did not render; dnscrypt-proxy refuses to start` });
      else for (const message of forwardingRuleProblems(rulesText)) findings.push({ check: this.name, where: rulesPath, message });
    }
    return { findings };
  },
};
