import { renameSync, rmSync, writeFileSync } from "node:fs";

/**
 * Writes `file` (mode 0600) through a temporary file and a rename: a full disk or a crash leaves the previous file
 * or none, never a truncated one that later builds would trust. A failed write takes its temporary file with it.
 */
export function writeAtomically(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, content, { mode: 0o600 });
    renameSync(tmp, file);
  } catch (e) {
    // The write's failure is the one to report: a removal that fails as well would only hide it.
    try {
      rmSync(tmp, { force: true });
    } catch {}
    throw e;
  }
}
