import { describe, expect, it } from "vitest";
import { renderPorygon, variants } from "./_render.js";

describe("Porygon variants render", () => {
  for (const [name, mutate] of Object.entries(variants)) {
    it(name, async () => {
      const r = await renderPorygon(mutate);
      expect(r.files.size).toBeGreaterThan(10);
    });
  }
});
