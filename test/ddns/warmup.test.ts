import { describe, expect, it } from "vitest";
import { nameText, parseName, type Labels } from "../../src/ddns/_names.js";
import { warmUp } from "../../src/ddns/_warmup.js";
import type { ReadSnapshot, WriteSet } from "../../src/ddns/store.js";
import { tsigKey } from "../../src/ddns/tsig.js";
import type { DesiredRR } from "../../src/ddns/update.js";

/** A store with only the pure half the warm-up may use; it counts what reached the engine's evaluation. */
function countingStore() {
  const seen: string[] = [];
  return {
    seen,
    assumeEmpty: (names: readonly Labels[]): ReadSnapshot => ({
      revision: 0n,
      records: new Map(names.map((n) => [n.join("."), []])),
      compares: new Map(),
    }),
    diff: (_snap: ReadSnapshot, names: readonly Labels[], desired: ReadonlyMap<string, readonly DesiredRR[]>): WriteSet => {
      seen.push(...names.map(nameText));
      return { compares: [], puts: [...desired.keys()].map((key) => ({ key, value: "" })), deletes: [] };
    },
  };
}

describe("warm-up before listening", () => {
  for (const reverse of [false, true]) {
    it(`its updates pass the checks and reach the engine's evaluation (${reverse ? "reverse" : "forward"} zone only)`, async () => {
      const store = countingStore();
      const zone = { name: parseName(reverse ? "0.99.10.in-addr.arpa" : "lab.test"), reverse };
      await warmUp({ key: tsigKey("k", "hmac-sha256", Buffer.alloc(32, 1)), zones: [zone], now: () => Math.floor(Date.now() / 1000) }, store, 200);
      // Far more than a few: the warm-up is there to compile the path every accepted update takes.
      expect(store.seen.length).toBeGreaterThanOrEqual(100);
      expect(store.seen.every((n) => /^warmup-\d+\./.test(n))).toBe(true);
    });
  }
});
