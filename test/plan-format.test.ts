import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readOutput } from "../src/check/run.js";
import { H5bError } from "../src/issue.js";
import { buildPlan } from "../src/plan/build.js";
import { PLAN_FORMAT } from "../src/plan/format.js";
import { defaultHomelabInput, parseHomelab } from "../src/spec/load.js";
import { MARKER } from "../src/write/writer.js";
import { ROOT, update } from "./_harness/golden.js";

// plan.json is read back by `h5b check` and `h5b simulate --out`, which refuse a format other than their own. This
// keeps the format honest: the default plan's shape (its key paths, array items merged) is recorded with the format
// it was recorded under, and a new shape under the same format fails.
const RECORD = join(ROOT, "test/golden/plan-format.json");

function keyPaths(value: unknown, at = "", out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keyPaths(v, `${at}[]`, out);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) keyPaths(v, at === "" ? k : `${at}.${k}`, out);
  } else out.add(at);
  return out;
}

describe("plan.json's format", () => {
  it("is raised whenever the plan's shape changes", () => {
    const paths = [...keyPaths(buildPlan(parseHomelab(defaultHomelabInput()).spec))].sort();
    const recorded = existsSync(RECORD) ? (JSON.parse(readFileSync(RECORD, "utf8")) as { format: number; paths: string[] }) : undefined;
    if (update && recorded?.format !== PLAN_FORMAT) writeFileSync(RECORD, `${JSON.stringify({ format: PLAN_FORMAT, paths }, null, 2)}\n`);
    else {
      const same = JSON.stringify(recorded?.paths) === JSON.stringify(paths);
      expect(
        { format: recorded?.format, same },
        `the plan's shape changed: raise PLAN_FORMAT in src/plan/format.ts, then rerun with UPDATE_GOLDEN=1 (${RECORD})`,
      ).toEqual({ format: PLAN_FORMAT, same: true });
    }
  });

  it("of another h5b is refused by check and simulate with a plain error at the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "h5b-plan-format-"));
    try {
      writeFileSync(join(dir, MARKER), "");
      const plan = buildPlan(parseHomelab(defaultHomelabInput()).spec);
      for (const [format, found] of [[undefined, "no format"], [PLAN_FORMAT - 1, `format ${PLAN_FORMAT - 1}`]] as const) {
        writeFileSync(join(dir, "plan.json"), JSON.stringify({ ...(format !== undefined ? { format } : {}), ...plan }));
        let thrown: unknown;
        try {
          readOutput(dir);
        } catch (e) {
          thrown = e;
        }
        expect(thrown).toBeInstanceOf(H5bError);
        expect((thrown as H5bError).issues.map((i) => [i.code, i.path, i.message])).toEqual([
          ["plan-format", join(dir, "plan.json"), `was written by another version of h5b (${found}, this one reads ${PLAN_FORMAT}); run \`h5b build\` again`],
        ]);
      }
      // Cut short (a full disk): an error at the file, named for the command that read it, not a stack.
      writeFileSync(join(dir, "plan.json"), JSON.stringify({ format: PLAN_FORMAT, ...plan }).slice(0, 100));
      expect(() => readOutput(dir, "simulate")).toThrow(
        expect.objectContaining({ message: "simulate: 1 error", issues: [expect.objectContaining({ code: "plan-unreadable", path: join(dir, "plan.json"), message: "is not JSON; rebuild the output" })] }),
      );
      writeFileSync(join(dir, "plan.json"), JSON.stringify({ format: PLAN_FORMAT, ...plan }));
      // A link left in the folder by hand (dangling here) is not one of h5b's files: skipped, not followed.
      symlinkSync("/nonexistent/h5b", join(dir, "notes"));
      expect(readOutput(dir).plan).toEqual(JSON.parse(JSON.stringify(plan)));
      expect([...readOutput(dir).files.keys()]).not.toContain("notes");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
