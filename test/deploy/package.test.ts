import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { ROOT } from "../_harness/golden.js";

describe("the package h5b deploy installs on Porygon", () => {
  it("carries the lockfile as npm-shrinkwrap.json, so that Porygon installs the dependency tree the tests ran", async () => {
    const { stdout } = await execa("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT });
    const [pack] = JSON.parse(stdout) as { files: { path: string }[] }[];
    expect(pack?.files.map((f) => f.path)).toContain("npm-shrinkwrap.json");
  });
});
