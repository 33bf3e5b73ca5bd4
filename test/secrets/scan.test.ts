import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { H5bError } from "../../src/issue.js";
import { buildPlan } from "../../src/plan/build.js";
import { prepareSecrets } from "../../src/secrets/prepare.js";
import { SecretStore } from "../../src/secrets/store.js";
import { defaultHomelabInput, parseHomelab } from "../../src/spec/load.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "h5b-scan-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const plan = buildPlan(parseHomelab(defaultHomelabInput()).spec);

async function refusal(): Promise<H5bError> {
  const e = await prepareSecrets(plan, new SecretStore(dir)).then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(H5bError);
  return e as H5bError;
}

describe("a secrets folder with several problems", () => {
  it("has them all told in one run, before anything missing is generated, and no content shown", async () => {
    await prepareSecrets(plan, new SecretStore(dir));
    writeFileSync(join(dir, "b2-key-id"), "0045f0aa1b2c3d40000000001\n", { mode: 0o600 });
    writeFileSync(join(dir, "b2-application-key"), "K004 pasted with a space\n", { mode: 0o600 });
    writeFileSync(join(dir, "workload-wireguard-wg0.conf"), "[Interface]\n", { mode: 0o600 });
    writeFileSync(join(dir, "ddns-tsig-key"), "not base64 at all!\n");
    writeFileSync(join(dir, "k3s-token"), " padded\n");
    rmSync(join(dir, "restic-password"));
    // A write a killed build left is not a secret yet, and the folder's .gitignore is h5b's own.
    writeFileSync(join(dir, "restic-password.tmp-999999999"), "half", { mode: 0o644 });
    const names = readdirSync(dir).filter((n) => !n.startsWith(".") && !n.includes(".tmp-"));
    for (const n of names) chmodSync(join(dir, n), 0o644);
    chmodSync(join(dir, ".gitignore"), 0o644);

    const e = await refusal();
    const byFile = (code: string) => e.issues.filter((i) => i.code === code).map((i) => i.path).sort();
    expect(byFile("secret-mode")).toEqual(names.map((n) => join(dir, n)).sort());
    expect(byFile("secret-malformed")).toEqual(["b2-application-key", "ddns-tsig-key", "k3s-token"].map((n) => join(dir, n)));
    expect(e.issues).toHaveLength(names.length + 3);
    expect(existsSync(join(dir, "restic-password"))).toBe(false);
    for (const shown of ["pasted", "base64 at all", "padded", "[Interface]"]) expect(JSON.stringify(e.issues)).not.toContain(shown);
  });

  it("is a file where the folder should be: said once, and the file left as it is", async () => {
    const file = join(dir, "secrets");
    writeFileSync(file, "x\n", { mode: 0o644 });
    const e = await prepareSecrets(plan, new SecretStore(file)).catch((x: unknown) => x);
    expect((e as H5bError).issues.map((i) => [i.code, i.path])).toEqual([["not-a-folder", file]]);
  });
});
