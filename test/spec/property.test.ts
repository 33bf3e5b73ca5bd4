import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emitAll } from "../../src/emit/index.js";
import { H5bError } from "../../src/issue.js";
import { buildPlan } from "../../src/plan/build.js";
import { prepareSecrets } from "../../src/secrets/prepare.js";
import { type Secrets, SecretStore } from "../../src/secrets/store.js";
import { parseHomelab } from "../../src/spec/load.js";
import { defaultSpec } from "./_helpers.js";

/** Every path of the default spec, objects and leaves alike, as key lists. */
function paths(o: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (o === null || typeof o !== "object") return [prefix];
  const entries = Array.isArray(o) ? o.map((v, i) => [i, v] as const) : Object.entries(o);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

const allPaths = paths(defaultSpec()).filter((p) => p.length > 0);

/** Values that look like what a spec holds, so mutations reach the semantic rules and not only the schema. */
const plausible = fc.oneof(
  fc.anything(),
  fc.ipV4().map((a) => a),
  fc.ipV6(),
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 33 })).map(([a, n]) => `${a}/${n}`),
  fc.constantFrom("10.0.0.0/16", "10.0.32.0/20", "10.0.65.0/28", "2001:db8:10::/64", "2001:db8:10::65:0/124", "fd00:42::/56"),
  fc.constantFrom("10.0.0.10", "10.0.0.53", "2001:db8:10::11", "10.0.65.3"),
  fc.constantFrom("amd64", "arm64", "k3os", "debian", "public", "internal", "none", "nfs", "stateless"),
  fc.constantFrom(["k3s-agent"], ["k3s-server"], ["dns", "dhcp"], ["gateway"], []),
  fc.constantFrom("4Gi", "64Gi", "100m", "16", "1T", "v1.22.2+k3s2", "v1.37.1+k3s1", "1.12.19"),
  fc.integer({ min: -2, max: 100_000 }),
  fc.constant(undefined),
);

// Secrets are made once for the default plan and reused: certificates are slow to make and no rule depends on them.
let secrets: Secrets;
const dir = mkdtempSync(join(tmpdir(), "h5b-prop-"));
beforeAll(async () => {
  secrets = await prepareSecrets(buildPlan(parseHomelab(defaultSpec()).spec), new SecretStore(join(dir, "secrets")));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setAt(root: unknown, path: readonly (string | number)[], value: unknown): void {
  let cur = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined && !Array.isArray(cur)) delete cur[last];
  else cur[last] = value;
}

/** Runs the pipeline; returns "invalid" for user errors. Anything thrown that is not an H5bError fails the property. */
function pipeline(raw: unknown): "invalid" | "ok" {
  let spec;
  try {
    spec = parseHomelab(raw).spec;
  } catch (e) {
    if (e instanceof H5bError) return "invalid";
    throw e;
  }
  const files = emitAll(buildPlan(spec), secrets);
  expect(files.length).toBeGreaterThan(0);
  return "ok";
}

describe("property: a spec gives issues or output, never a crash", () => {
  it("arbitrary values", () => {
    fc.assert(fc.property(fc.anything(), (raw) => void pipeline(raw)), { numRuns: 300 });
  });

  it("the default spec with one to three mutations", () => {
    const outcomes = { ok: 0, invalid: 0 };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...allPaths), plausible), { minLength: 1, maxLength: 3 }), (edits) => {
        const spec = defaultSpec();
        for (const [p, v] of edits) {
          try {
            setAt(spec, p, v);
          } catch {
            // An earlier edit removed this path's parent; the remaining edits still apply.
          }
        }
        outcomes[pipeline(spec)]++;
      }),
      { numRuns: 600 },
    );
    // Both outcomes must occur, or the mutations are not exercising the rules.
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.invalid).toBeGreaterThan(0);
  });
});
