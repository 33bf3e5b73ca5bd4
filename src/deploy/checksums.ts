import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { mkdirs } from "../_mkdirs.js";
import { jsonSyntaxError } from "../_text.js";
import type { Release } from "../emit/ansible/index.js";
import { asUserErrorSync, error, H5bError, type Issue } from "../issue.js";
import { verifyMinisign } from "./minisign.js";

export type Fetcher = (url: string) => Promise<string>;
export type BytesFetcher = (url: string) => Promise<Uint8Array>;

export interface ChecksumResult {
  /** sha256 by download URL, for `h5b_checksums`. */
  readonly checksums: Readonly<Record<string, string>>;
  /** Releases whose checksum could not be had, and why (the playbook stops before downloading them). */
  readonly missing: readonly { readonly release: Release; readonly reason: string }[];
}

const SHA256 = /^[0-9a-f]{64}$/;

/** The sha256 of `file` in a checksum file: `sha256sum` lines (`<hash>  <name>`), or a lone hash. */
export function findChecksum(text: string, file: string, format: "sha256sum" | "single"): string | undefined {
  for (const line of text.split("\n")) {
    const [hash, name] = line.trim().split(/\s+\*?/, 2);
    if (hash === undefined || !SHA256.test(hash.toLowerCase())) continue;
    if (format === "single" || name === file || name?.endsWith(`/${file}`)) return hash.toLowerCase();
  }
  return undefined;
}

/**
 * The pinned checksums, by download URL (none if the file is missing). Users edit the file by hand, so every value is
 * checked here, before the playbook hands it to a host that would download first and fail after; upper-case hashes
 * are taken in lower case. The issues name the file and the key, never what the file holds: whatever was pasted
 * there is not echoed to a terminal or a CI log.
 */
export function readPinnedChecksums(pinFile: string): Record<string, string> {
  if (!existsSync(pinFile)) return {};
  const text = asUserErrorSync("deploy", "checksums-unreadable", pinFile, "read the pinned checksums", () => readFileSync(pinFile, "utf8"));
  const shape = 'a JSON object of download URL to sha256, e.g. {"https://…/coredns_1.14.7_linux_amd64.tgz": "<64 hex digits>"}';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new H5bError("deploy", [error("checksums-not-json", pinFile, `is not valid JSON (${jsonSyntaxError(e, text)}: a trailing comma, or a missing quote?); it must be ${shape}`)]);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const what = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    throw new H5bError("deploy", [error("checksums-not-object", pinFile, `holds ${what}; it must be ${shape}`)]);
  }
  const issues: Issue[] = [];
  const pinned: Record<string, string> = {};
  for (const [url, hash] of Object.entries(value)) {
    const lower = typeof hash === "string" ? hash.toLowerCase() : undefined;
    if (lower !== undefined && SHA256.test(lower)) {
      pinned[url] = lower;
      continue;
    }
    const hint = lower?.startsWith("sha256:") === true ? " (without the sha256: prefix)" : "";
    const what = typeof hash === "string" ? "is not a sha256" : `is ${hash === null ? "null" : Array.isArray(hash) ? "an array" : `a ${typeof hash}`}, not a sha256`;
    issues.push(error("checksum-invalid", `${pinFile}: "${url}"`, `${what}: give the 64 hex digits of the download's sha256${hint}, or delete the line to have \`h5b deploy\` read it again from the release's checksum file`));
  }
  if (issues.length > 0) throw new H5bError("deploy", issues);
  return pinned;
}

/**
 * The sha256 of every release, each read once from the project's published checksum file and then pinned in
 * `pinFile` (so a later deploy does not trust a changed upstream file), or given there by hand. `pins` is what
 * {@link readPinnedChecksums} read from `pinFile`, when the caller checked it earlier.
 */
export async function resolveChecksums(
  releases: readonly Release[],
  pinFile: string,
  fetcher: Fetcher = fetchText,
  fetchBytes: BytesFetcher = fetchBuffer,
  pins: Readonly<Record<string, string>> = readPinnedChecksums(pinFile),
): Promise<ChecksumResult> {
  const pinned = { ...pins };
  const missing: { release: Release; reason: string }[] = [];
  let added = false;
  await Promise.all(
    releases.map(async (r) => {
      if (pinned[r.url] !== undefined) return;
      if (r.checksums === undefined && r.signature !== undefined) {
        // Signed but not summed: verify the archive against the project's key, then pin what was verified.
        const sig = r.signature;
        let data: Uint8Array;
        let sigFile: string;
        try {
          [data, sigFile] = await Promise.all([fetchBytes(r.url), fetcher(sig.url)]);
        } catch (e) {
          const err = e as Error & { cause?: Error };
          missing.push({ release: r, reason: `could not download ${r.url} or its signature to verify it: ${err.cause?.message ?? err.message}` });
          return;
        }
        try {
          verifyMinisign(data, sigFile, sig.publicKey);
          pinned[r.url] = createHash("sha256").update(data).digest("hex");
          added = true;
        } catch (e) {
          missing.push({ release: r, reason: `${r.name}'s signature (${sig.url}) did not verify: ${(e as Error).message}` });
        }
        return;
      }
      if (r.checksums === undefined) {
        missing.push({ release: r, reason: `${r.name} publishes no checksum file; put the sha256 of ${r.url} in ${pinFile}` });
        return;
      }
      try {
        const hash = findChecksum(await fetcher(r.checksums.url), r.file, r.checksums.format);
        if (hash === undefined) missing.push({ release: r, reason: `${r.checksums.url} lists no sha256 for ${r.file}` });
        else {
          pinned[r.url] = hash;
          added = true;
        }
      } catch (e) {
        const err = e as Error & { cause?: Error };
        missing.push({ release: r, reason: `could not read ${r.checksums.url}: ${err.cause?.message ?? err.message}` });
      }
    }),
  );
  if (added) {
    mkdirs(dirname(pinFile));
    const sorted = Object.fromEntries(Object.entries(pinned).sort(([a], [b]) => (a < b ? -1 : 1)));
    writeFileSync(`${pinFile}.tmp`, `${JSON.stringify(sorted, null, 2)}\n`);
    renameSync(`${pinFile}.tmp`, pinFile);
  }
  const wanted = new Set(releases.map((r) => r.url));
  return { checksums: Object.fromEntries(Object.entries(pinned).filter(([u]) => wanted.has(u))), missing: missing.sort((a, b) => (a.release.url < b.release.url ? -1 : 1)) };
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(20_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.text();
}

async function fetchBuffer(url: string): Promise<Uint8Array> {
  const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}
