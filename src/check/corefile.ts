import type { Checker, Finding } from "./types.js";

/**
 * No CoreDNS binary exists in Debian 12, so the Corefile is parsed back here and held against CoreDNS's
 * documented grammar: server blocks of zone keys, plugin directives from plugin.cfg (v1.14), each used at most
 * once per block, and the subdirectives of the plugins h5b uses.
 */
const PLUGINS = new Set([
  "root", "metadata", "geoip", "cancel", "tls", "timeouts", "multisocket", "reload", "nsid", "bufsize", "bind", "debug", "trace",
  "ready", "health", "pprof", "prometheus", "errors", "log", "dnstap", "local", "dns64", "acl", "any", "chaos", "loadbalance",
  "tsig", "cache", "rewrite", "header", "dnssec", "autopath", "minimal", "template", "transfer", "hosts", "route53", "azure",
  "clouddns", "k8s_external", "kubernetes", "file", "auto", "secondary", "etcd", "loop", "forward", "grpc", "erratic", "whoami",
  "on", "sign", "view", "nomad",
]);
/** Subdirectives each plugin's block accepts (plugins absent here take no block in h5b's use). */
const BLOCKS: Readonly<Record<string, ReadonlySet<string>>> = {
  etcd: new Set(["fallthrough", "path", "endpoint", "credentials", "tls", "min-lease-ttl", "max-lease-ttl", "stubzones", "upstream", "debug"]),
  forward: new Set(["except", "force_tcp", "prefer_udp", "expire", "max_fails", "tls", "tls_servername", "policy", "health_check", "max_concurrent", "next", "failfast_all_unhealthy_upstreams", "failover"]),
  log: new Set(["class"]),
  errors: new Set(["consolidate", "stacktrace"]),
  cache: new Set(["success", "denial", "prefetch", "serve_stale", "servfail", "disable", "keepttl"]),
  health: new Set(["lameduck"]),
  prometheus: new Set([]),
};
const LOG_CLASSES = new Set(["success", "denial", "error", "all"]);

export interface Directive {
  readonly name: string;
  readonly args: readonly string[];
  readonly block?: readonly Directive[];
  readonly line: number;
}

export interface ServerBlock {
  readonly keys: readonly string[];
  readonly directives: readonly Directive[];
  readonly line: number;
}

/** Tokens with their line, comments removed; `{` and `}` are tokens of their own. */
function tokenize(text: string): { t: string; line: number; eol: boolean }[] {
  const out: { t: string; line: number; eol: boolean }[] = [];
  text.split("\n").forEach((raw, i) => {
    const words = raw.replace(/#.*$/, "").match(/"[^"]*"|[{}]|[^\s{}]+/g) ?? [];
    words.forEach((w, j) => out.push({ t: w.replace(/^"(.*)"$/, "$1"), line: i + 1, eol: j === words.length - 1 }));
  });
  return out;
}

/** Parses a Corefile into server blocks; throws with the line of the first syntax error. */
export function parseCorefile(text: string): ServerBlock[] {
  const toks = tokenize(text);
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`line ${toks[Math.min(i, toks.length - 1)]?.line ?? 0}: ${msg}`);
  };
  const directives = (): Directive[] => {
    const out: Directive[] = [];
    for (;;) {
      const tok = toks[i];
      if (tok === undefined) return fail("missing }");
      if (tok.t === "}") {
        i++;
        return out;
      }
      if (tok.t === "{") fail("unexpected {");
      const args: string[] = [];
      let end = tok.eol;
      i++;
      while (!end && toks[i] !== undefined && toks[i]?.t !== "{" && toks[i]?.t !== "}") {
        const a = toks[i++] as { t: string; eol: boolean };
        args.push(a.t);
        end = a.eol;
      }
      if (!end && toks[i]?.t === "{") {
        i++;
        out.push({ name: tok.t, args, block: directives(), line: tok.line });
      } else out.push({ name: tok.t, args, line: tok.line });
    }
  };
  const blocks: ServerBlock[] = [];
  while (i < toks.length) {
    const keys: string[] = [];
    const line = toks[i]?.line ?? 0;
    while (toks[i] !== undefined && toks[i]?.t !== "{") keys.push((toks[i++] as { t: string }).t.replace(/,$/, ""));
    if (toks[i] === undefined) fail("server block without {");
    i++;
    blocks.push({ keys, directives: directives(), line });
  }
  return blocks;
}

const ZONE_KEY = /^(dns:\/\/)?(\.|([a-z0-9_]([a-z0-9_-]*[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?\.?)(:\d+)?$/i;
const inZone = (name: string, zone: string) => zone === "." || name === zone || name.endsWith(`.${zone}`);
const bare = (key: string) => key.replace(/^dns:\/\//, "").replace(/:\d+$/, "").replace(/\.$/, "") || ".";

/** Every violation of the grammar, with its line. */
export function corefileProblems(text: string): { line: number; message: string }[] {
  let blocks: ServerBlock[];
  try {
    blocks = parseCorefile(text);
  } catch (e) {
    return [{ line: Number(/line (\d+)/.exec(String(e))?.[1] ?? 0), message: `does not parse: ${(e as Error).message}` }];
  }
  const problems: { line: number; message: string }[] = [];
  const seenKeys = new Map<string, number>();
  for (const b of blocks) {
    for (const k of b.keys) {
      if (!ZONE_KEY.test(k)) problems.push({ line: b.line, message: `${k} is not a zone key` });
      const norm = `${bare(k).toLowerCase()}:${/:(\d+)$/.exec(k)?.[1] ?? "53"}`;
      if (seenKeys.has(norm)) problems.push({ line: b.line, message: `zone ${k} is served by two server blocks` });
      seenKeys.set(norm, b.line);
    }
    const used = new Set<string>();
    for (const d of b.directives) {
      if (!PLUGINS.has(d.name)) problems.push({ line: d.line, message: `${d.name} is not a CoreDNS plugin` });
      if (used.has(d.name)) problems.push({ line: d.line, message: `${d.name} is used twice in one server block` });
      used.add(d.name);
      const allowed = BLOCKS[d.name];
      for (const s of d.block ?? []) {
        if (allowed === undefined || !allowed.has(s.name)) problems.push({ line: s.line, message: `${d.name} has no ${s.name} setting` });
      }
      problems.push(...pluginProblems(b, d));
    }
  }
  return problems;
}

function pluginProblems(b: ServerBlock, d: Directive): { line: number; message: string }[] {
  const p: { line: number; message: string }[] = [];
  const sub = (n: string) => d.block?.filter((s) => s.name === n) ?? [];
  if (d.name === "etcd") {
    for (const z of d.args) {
      if (!b.keys.some((k) => inZone(bare(z), bare(k)))) p.push({ line: d.line, message: `etcd zone ${z} is outside the server block's zones` });
    }
    for (const t of sub("tls")) if (![0, 2, 3].includes(t.args.length)) p.push({ line: t.line, message: "etcd tls takes CERT KEY [CACERT]" });
    for (const e of sub("endpoint")) {
      for (const u of e.args) if (!/^https?:\/\/[^/]+$/.test(u)) p.push({ line: e.line, message: `etcd endpoint ${u} is not an http(s) URL` });
    }
    for (const path of sub("path")) if (path.args.length !== 1 || !path.args[0]?.startsWith("/")) p.push({ line: path.line, message: "etcd path takes one absolute key prefix" });
  }
  if (d.name === "forward") {
    if (d.args.length < 2) p.push({ line: d.line, message: "forward takes FROM and at least one TO" });
    if (d.args.length > 16) p.push({ line: d.line, message: "forward takes at most 15 upstreams" });
  }
  if (d.name === "log") for (const c of sub("class")) for (const a of c.args) if (!LOG_CLASSES.has(a)) p.push({ line: c.line, message: `log class ${a} is unknown` });
  if (d.name === "cache" && d.args[0] !== undefined && !/^\d+$/.test(d.args[0])) p.push({ line: d.line, message: "cache's first argument is a TTL in seconds" });
  if (d.name === "bind" && d.args.length === 0) p.push({ line: d.line, message: "bind needs at least one address" });
  return p;
}

const COREFILE = /^hosts\/[^/]+\/etc\/coredns\/Corefile$/;

export const corefileChecker: Checker = {
  name: "corefile",
  description: "each Corefile parses and uses only CoreDNS plugins and settings that exist (no CoreDNS binary in Debian 12)",
  async run(ctx) {
    const findings: Finding[] = [];
    for (const [path, text] of ctx.files) {
      if (!COREFILE.test(path)) continue;
      for (const pr of corefileProblems(text)) findings.push({ check: this.name, where: `${path}:${pr.line}`, message: pr.message });
    }
    return { findings };
  },
};
