import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SecretStore } from "../../src/secrets/store.js";

/** Names of files whose write meets a full disk: the file is created, nothing gets into it, and the write fails. */
const full = { matches: (_name: string) => false };

vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  const writeFileSync: typeof real.writeFileSync = (file, data, options) => {
    if (typeof file === "string" && full.matches(basename(file))) {
      real.writeFileSync(file, "", options);
      throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: "ENOSPC", syscall: "write", errno: -28 });
    }
    real.writeFileSync(file, data, options);
  };
  return { ...real, writeFileSync, default: { ...real, writeFileSync } };
});

const GITIGNORE = "# secrets h5b generated or you supplied: never in git\n*\n";
let dir: string;
beforeEach(() => {
  dir = join(fs.mkdtempSync(join(tmpdir(), "h5b-full-disk-")), "secrets");
  full.matches = () => false;
});
afterEach(() => fs.rmSync(join(dir, ".."), { recursive: true, force: true }));

const fails = (f: () => unknown) => expect(f).toThrow(/ENOSPC/);

describe("a disk that fills up while the secrets folder is made", () => {
  it("leaves no empty .gitignore, and the next build writes it whole", () => {
    full.matches = (name) => name.startsWith(".gitignore");
    fails(() => new SecretStore(dir).core());
    expect(fs.readdirSync(dir)).toEqual([]);
    full.matches = () => false;
    new SecretStore(dir).core();
    expect(fs.readFileSync(join(dir, ".gitignore"), "utf8")).toBe(GITIGNORE);
  });

  it("has a .gitignore an earlier h5b left empty (or one edited) written again", () => {
    new SecretStore(dir).core();
    for (const spoiled of ["", "!k3s-token\n"]) {
      fs.writeFileSync(join(dir, ".gitignore"), spoiled);
      new SecretStore(dir).core();
      expect(fs.readFileSync(join(dir, ".gitignore"), "utf8")).toBe(GITIGNORE);
    }
  });

  it("leaves no half-written secret beside the ones that were written", () => {
    full.matches = (name) => name.startsWith("k3s-token");
    fails(() => new SecretStore(dir).core());
    expect(fs.readdirSync(dir)).toEqual([".gitignore"]);
    full.matches = () => false;
    expect(new SecretStore(dir).core().k3sToken.reveal()).toMatch(/^[0-9a-f]{64}$/);
  });
});
