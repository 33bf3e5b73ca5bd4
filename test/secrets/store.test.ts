import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { H5bError } from "../../src/issue.js";
import { backupSecrets } from "../../src/secrets/backups.js";
import { SecretStore } from "../../src/secrets/store.js";
import { buildPlan } from "../../src/plan/build.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "h5b-store-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const issuesOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof H5bError) return e.issues.map((i) => [i.code, i.path, i.message]);
    throw e;
  }
  return [];
};

describe("the secrets folder", () => {
  it("refuses a file where the folder should be, and leaves the file's mode alone", () => {
    const file = join(dir, "secrets");
    writeFileSync(file, "not a folder\n", { mode: 0o644 });
    expect(issuesOf(() => new SecretStore(file).core())).toEqual([["not-a-folder", file, "is not a folder: the secrets are kept in one, a file each"]]);
    expect(statSync(file).mode & 0o777).toBe(0o644);
  });

  it("closes a folder opened up by hand again (its listing names every secret)", () => {
    new SecretStore(dir).core();
    chmodSync(dir, 0o755);
    new SecretStore(dir).core();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("refuses a k3s token or restic password emptied or padded by hand, without showing it", () => {
    const plan = buildPlan(parseHomelab(defaultHomelabInput()).spec);
    expect(plan.backups).toBeDefined();
    for (const [name, read] of [
      ["k3s-token", (s: SecretStore) => s.core()],
      ["restic-password", (s: SecretStore) => backupSecrets(plan, s)],
    ] as const) {
      for (const text of ["\n", "", " hunter2\n", "two\nlines\n"]) {
        writeFileSync(join(dir, name), text, { mode: 0o600 });
        const issues = issuesOf(() => read(new SecretStore(dir)));
        expect(issues).toEqual([["secret-malformed", join(dir, name), "does not hold one line of text, without spaces at either end; delete it to have a new one generated"]]);
        expect(JSON.stringify(issues)).not.toContain("hunter2");
      }
      writeFileSync(join(dir, name), "a password of the user's own\n", { mode: 0o600 });
      expect(issuesOf(() => read(new SecretStore(dir)))).toEqual([]);
    }
  });
});
