/**
 * The lines of a program's complaint that say what is wrong, with the temporary file it read renamed to the rendered
 * file's path, so that a finding points at the output (`hosts/gateway/etc/nftables.conf:12:3-9: Error: …`).
 * Falls back to all of stderr when no line matches `wanted`.
 */
export function programErrors(stderr: string, tmpFile: string, path: string, wanted: RegExp): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.split(tmpFile).join(path).trim())
    .filter((l) => l !== "");
  const picked = lines.filter((l) => wanted.test(l));
  return (picked.length > 0 ? picked : lines).join("; ");
}
