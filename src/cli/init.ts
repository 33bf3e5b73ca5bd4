import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
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

/** Adds the generated folders to the folder's .gitignore (made if missing); true when it changed. */
function ignoreGenerated(file: string): boolean {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const have = new Set(text.split("\n").map((l) => l.trim()));
  const missing = GENERATED.filter((p) => !have.has(p) && !have.has(`/${p}`));
  if (missing.length === 0) return false;
  const sep = text === "" || text.endsWith("\n") ? "" : "\n";
  writeFileSync(file, `${text}${sep}# written by h5b: secrets and rendered files (private keys among them)\n${missing.join("\n")}\n`);
  return true;
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
      await asUserError("init", "write-failed", process.cwd(), "cannot write the starter spec here", () => {
        for (const [f, content] of files) writeFileSync(resolve(f), content);
      });
      const ignored = await asUserError("init", "write-failed", gitignore, "cannot update it", () => ignoreGenerated(gitignore));
      const wrote = [...files.map(([f]) => f), ...(ignored ? [".gitignore"] : [])];
      process.stdout.write(`wrote ${wrote.join(", ")} ${dim("(then: h5b build)")}\n`);
    });
}
