import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { mkdirs } from "../_mkdirs.js";
import type { Release } from "../emit/ansible/index.js";
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
 * The sha256 of every release, each read once from the project's published checksum file and then pinned in
 * `pinFile` (so a later deploy does not trust a changed upstream file), or given there by hand.
 */
export async function resolveChecksums(
  releases: readonly Release[],
  pinFile: string,
  fetcher: Fetcher = fetchText,
  fetchBytes: BytesFetcher = fetchBuffer,
): Promise<ChecksumResult> {
  const pinned: Record<string, string> = existsSync(pinFile) ? (JSON.parse(readFileSync(pinFile, "utf8")) as Record<string, string>) : {};
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
