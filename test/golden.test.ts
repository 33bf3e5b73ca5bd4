import { describe, expect, it } from "vitest";
import { compareGolden, renderWithTestSecrets } from "./_harness/golden.js";

const cases: readonly { name: string; config?: string }[] = [
  { name: "default" },
  { name: "pis-on-k3os", config: "test/specs/pis-on-k3os.yaml" },
  { name: "ipv4-only", config: "test/specs/ipv4-only.yaml" },
];

describe("golden output (regenerate with UPDATE_GOLDEN=1, review the diff)", () => {
  it.each(cases)("$name", async ({ name, config }) => {
    const r = await renderWithTestSecrets(config);
    expect(compareGolden(name, r.files), "rendered files differ from test/golden; rerun with UPDATE_GOLDEN=1 and review the diff").toEqual([]);
  });
});
