import { existsSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { Document } from "yaml";
import { packageRoot } from "../_package.js";
import { asUserError, error, H5bError } from "../issue.js";
import { homelabJsonSchema } from "../spec/json-schema.js";
import { configFileNames, defaultHomelabInput } from "../spec/load.js";
import { dim } from "./_output.js";

/** The embedded default spec's own source (shipped in the package): it is written as a user's h5b.config.ts would be. */
export function starterTypeScript(): string {
  const root = packageRoot();
  if (root === undefined) throw new Error("h5b's package.json not found above the running module");
  return readFileSync(join(root, "src", "spec", "default.ts"), "utf8").replace(/from "\.\/homelab\.js";/, 'from "h5b";');
}

export function starterYaml(): string {
  const doc = new Document(defaultHomelabInput());
  doc.commentBefore = [
    " yaml-language-server: $schema=./homelab.schema.json",
    " The seed homelab as h5b ships it: edit addresses, MACs, disks and workloads to match yours.",
    " Every field with a default may be left out; `h5b schema` prints them all.",
  ].join("\n");
  return doc.toString({ lineWidth: 0 });
}

/** What a build writes beside the spec that must stay out of git: the secrets and the output, which holds keys. */
const GENERATED = [".h5b/", "out/"];

/** The folder's .gitignore with the generated folders added (made if missing), or undefined when it has them. */
function ignoreGenerated(file: string): string | undefined {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const have = new Set(text.split("\n").map((l) => l.trim()));
  const missing = GENERATED.filter((p) => !have.has(p) && !have.has(`/${p}`));
  if (missing.length === 0) return undefined;
  const sep = text === "" || text.endsWith("\n") ? "" : "\n";
  return `${text}${sep}# written by h5b: secrets and rendered files (private keys among them)\n${missing.join("\n")}\n`;
}

/**
 * Writes the files all or none: each to a temporary name first, then renamed over its own. A full disk part-way left
 * the spec written beside an empty schema, with an error saying the spec was not, and a retry refused to replace it.
 */
function writeAll(given: readonly (readonly [string, string])[]): void {
  // A file that is a link (a dotfiles repository's .gitignore) is written where it leads, and stays a link.
  const files = given.map(([f, content]) => [existsSync(f) ? realpathSync(f) : f, content] as const);
  const tmp = (f: string) => `${f}.h5b-tmp-${process.pid}`;
  try {
    for (const [f, content] of files) writeFileSync(tmp(f), content);
  } catch (e) {
    for (const [f] of files) rmSync(tmp(f), { force: true });
    throw e;
  }
  for (const [f] of files) renameSync(tmp(f), f);
}

export function initCommand(): Command {
  return new Command("init")
    .description("write a starter spec equal to the default (h5b.config.ts, or homelab.yaml with --yaml)")
    .option("--yaml", "write homelab.yaml and its JSON Schema instead of h5b.config.ts")
    .option("--force", "replace an existing file")
    .action(async (o: { yaml?: boolean; force?: boolean }) => {
      const files: [string, string][] = o.yaml
        ? [
            ["homelab.yaml", starterYaml()],
            ["homelab.schema.json", `${JSON.stringify(homelabJsonSchema(), null, 2)}\n`],
          ]
        : [["h5b.config.ts", starterTypeScript()]];
      const existing = files.map(([f]) => f).filter((f) => existsSync(resolve(f)));
      if (existing.length > 0 && o.force !== true) {
        throw new H5bError("init", existing.map((f) => error("file-exists", f, "already exists; pass --force to replace it")));
      }
      // h5b reads one spec from a folder; a second one beside it would be ignored, or stop every build.
      const other = configFileNames.filter((f) => f !== files[0]?.[0] && existsSync(resolve(f)));
      if (other.length > 0) {
        throw new H5bError("init", other.map((f) => error("spec-exists", f, `is already the spec here; remove it first to start over with ${files[0]?.[0] ?? "a new one"}`)));
      }
      // Checked first so that a .gitignore that cannot take the lines does not leave the spec written without them.
      const gitignore = resolve(".gitignore");
      if (existsSync(gitignore) && !statSync(gitignore).isFile()) {
        throw new H5bError("init", [error("not-a-file", gitignore, "is not a file: init adds the folders of secrets and output to it")]);
      }
      const ignore = await asUserError("init", "read-failed", gitignore, "cannot read it", () => ignoreGenerated(gitignore));
      const all = [...files, ...(ignore !== undefined ? [[".gitignore", ignore] as const] : [])];
      await asUserError("init", "write-failed", process.cwd(), "cannot write the starter spec here (nothing was written)", () =>
        writeAll(all.map(([f, content]) => [resolve(f), content] as const)),
      );
      const wrote = all.map(([f]) => f);
      process.stdout.write(`wrote ${wrote.join(", ")} ${dim("(then: h5b build)")}\n`);
    });
}
