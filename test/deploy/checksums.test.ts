import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findChecksum, readPinnedChecksums, resolveChecksums } from "../../src/deploy/checksums.js";
import type { Release } from "../../src/emit/ansible/index.js";
import { H5bError, type Issue } from "../../src/issue.js";

const A = "a".repeat(64);
const B = "b".repeat(64);
const dir = mkdtempSync(join(tmpdir(), "h5b-checksums-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("finding a file's sha256 in a checksum file", () => {
  it.each([
    ["sha256sum lines", `${B}  k3s-arm64\n${A}  k3s\n`, "k3s", "sha256sum", A],
    ["binary-mode marker", `${A} *etcd-v3.7.1-linux-amd64.tar.gz\n`, "etcd-v3.7.1-linux-amd64.tar.gz", "sha256sum", A],
    ["a path before the name", `${A}  ./dist/node-v20.20.2-linux-x64.tar.xz\n`, "node-v20.20.2-linux-x64.tar.xz", "sha256sum", A],
    ["upper-case hash", `${A.toUpperCase()}  k3s\n`, "k3s", "sha256sum", A],
    ["a lone hash", `${A}\n`, "coredns.tgz", "single", A],
    ["a lone hash with its name", `${A}  coredns_1.14.7_linux_amd64.tgz\n`, "coredns_1.14.7_linux_amd64.tgz", "single", A],
    ["a file not listed", `${B}  k3s-arm64\n`, "k3s", "sha256sum", undefined],
    ["not a hash", "<html>not found</html>\n", "k3s", "single", undefined],
  ] as const)("%s", (_name, text, file, format, want) => {
    expect(findChecksum(text, file, format)).toBe(want);
  });
});

const release = (name: string, checksums?: Release["checksums"]): Release => ({
  name,
  version: "1.0.0",
  url: `https://example.org/${name}.tgz`,
  file: `${name}.tgz`,
  ...(checksums !== undefined ? { checksums } : {}),
  binaries: [{ from: name, to: `/usr/local/bin/${name}` }],
});

describe("resolving the releases' checksums", () => {
  it("reads each from its checksum file once, then keeps it pinned", async () => {
    const pin = join(dir, "pinned.json");
    const fetched: string[] = [];
    const fetcher = (url: string) => {
      fetched.push(url);
      return Promise.resolve(`${A}  one.tgz\n`);
    };
    const one = release("one", { url: "https://example.org/SUMS", format: "sha256sum" });
    expect(await resolveChecksums([one], pin, fetcher)).toEqual({ checksums: { [one.url]: A }, missing: [] });
    expect(await resolveChecksums([one], pin, () => Promise.resolve(`${B}  one.tgz\n`))).toEqual({ checksums: { [one.url]: A }, missing: [] });
    expect(fetched).toEqual(["https://example.org/SUMS"]);
    expect(JSON.parse(readFileSync(pin, "utf8"))).toEqual({ [one.url]: A });
  });

  it("says why a checksum is missing, and takes one given by hand", async () => {
    const pin = join(dir, "by-hand.json");
    const none = release("none");
    const down = release("down", { url: "https://example.org/down.sha256", format: "single" });
    const r = await resolveChecksums([none, down], pin, () => Promise.reject(new Error("getaddrinfo ENOTFOUND example.org")));
    expect(r.checksums).toEqual({});
    expect(r.missing.map((m) => [m.release.name, m.reason])).toEqual([
      ["down", "could not read https://example.org/down.sha256: getaddrinfo ENOTFOUND example.org"],
      ["none", `none publishes no checksum file; put the sha256 of ${none.url} in ${pin}`],
    ]);
    expect(existsSync(pin)).toBe(false);
    writeFileSync(pin, JSON.stringify({ [none.url]: B }));
    expect((await resolveChecksums([none], pin)).checksums).toEqual({ [none.url]: B });
  });
});

describe("reading the checksums pinned by hand", () => {
  const URL = "https://example.org/one.tgz";
  /** The issues readPinnedChecksums throws for a file holding `text`. */
  function issuesOf(text: string): Issue[] {
    const pin = join(dir, "hand-edited.json");
    writeFileSync(pin, text);
    try {
      readPinnedChecksums(pin);
    } catch (e) {
      if (e instanceof H5bError) return [...e.issues];
      throw e;
    }
    throw new Error("no error");
  }

  it("refuses a file that is not JSON, saying where, and quoting none of it", () => {
    const [issue, ...more] = issuesOf(`{\n  "${URL}": "${A}",\n}\n`);
    expect(more).toEqual([]);
    expect(issue).toMatchObject({ code: "checksums-not-json", path: join(dir, "hand-edited.json") });
    expect(issue?.message).toMatch(/^is not valid JSON \(it does not parse at line 3, column 1: /);
    expect(issue?.message).not.toContain(A);
    // V8's own message would quote the text: `Unexpected token 'b', "{"a": b}" is not valid JSON`.
    expect(issuesOf('{"a": secret-looking-text}')[0]?.message).not.toContain("secret-looking-text");
  });

  it.each([
    ["null", "null"],
    ["[]", "an array"],
    ['"abc"', "a string"],
  ])("refuses %s where an object of URL to sha256 belongs", (text, what) => {
    const [issue] = issuesOf(text);
    expect(issue?.code).toBe("checksums-not-object");
    expect(issue?.message).toMatch(new RegExp(`^holds ${what}; it must be a JSON object of download URL to sha256`));
  });

  it("names each key whose value is not a sha256, and never the value", () => {
    const issues = issuesOf(JSON.stringify({ [URL]: `sha256:${A}`, "https://example.org/two.tgz": 12, "https://example.org/three.tgz": `${A}0` }));
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ["checksum-invalid", `${join(dir, "hand-edited.json")}: "${URL}"`],
      ["checksum-invalid", `${join(dir, "hand-edited.json")}: "https://example.org/two.tgz"`],
      ["checksum-invalid", `${join(dir, "hand-edited.json")}: "https://example.org/three.tgz"`],
    ]);
    expect(issues[0]?.message).toContain("without the sha256: prefix");
    expect(issues[1]?.message).toMatch(/^is a number, not a sha256/);
    for (const i of issues) expect(i.message).not.toContain(A);
  });

  it("takes an upper-case sha256 in lower case, and no file as no pins", async () => {
    const pin = join(dir, "upper.json");
    expect(readPinnedChecksums(pin)).toEqual({});
    writeFileSync(pin, JSON.stringify({ [URL]: A.toUpperCase() }));
    expect(readPinnedChecksums(pin)).toEqual({ [URL]: A });
    expect((await resolveChecksums([release("one")], pin)).checksums).toEqual({ [URL]: A });
  });
});
