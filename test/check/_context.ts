import type { CheckContext } from "../../src/check/types.js";
import type { Rendered } from "../../src/pipeline.js";

/** What a checker reads of a build, as `h5b check` would (no output folder): its files, the one at `path` edited. */
export function editedContext(rendered: Rendered, path: string, edit: (text: string) => string = (t) => t): CheckContext {
  const files = new Map(rendered.files.map((f) => [f.path, f.content]));
  files.set(path, edit(files.get(path) as string));
  return { outDir: "/nonexistent", plan: rendered.plan, files };
}
