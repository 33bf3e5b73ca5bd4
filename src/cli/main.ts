import { Command, CommanderError } from "commander";
import { z } from "zod";
import { reportError } from "./_output.js";

// A CLI run parses each schema once or twice; compiling zod's fast paths for that costs more than it saves.
z.config({ jitless: true });

/**
 * Each command's module, loaded on demand: a command pulls in what it runs (the pipeline, checkers, simulator,
 * Ansible, the daemon), and `h5b build` should not pay for the others at every start.
 */
const commands: Readonly<Record<string, () => Promise<Command>>> = {
  build: async () => (await import("./build.js")).buildCommand(),
  check: async () => (await import("./check.js")).checkCommand(),
  ddns: async () => (await import("./ddns.js")).ddnsCommand(),
  deploy: async () => (await import("./deploy.js")).deployCommand(),
  init: async () => (await import("./init.js")).initCommand(),
  schema: async () => (await import("./schema.js")).schemaCommand(),
  simulate: async () => (await import("./simulate.js")).simulateCommand(),
};

/** The CLI; with `argv`, only the command it names is loaded (all of them for help or an unknown command). */
export async function program(argv: readonly string[] = []): Promise<Command> {
  const p = new Command("h5b")
    .description("One typed spec of a homelab in; everything that stands it up out, checked by the real programs.")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride();
  const named = argv[0];
  const wanted = named !== undefined && Object.hasOwn(commands, named) ? [named] : Object.keys(commands);
  for (const name of wanted) p.addCommand(await (commands[name] as () => Promise<Command>)());
  // Flag and command mistakes are user errors: shown like every other one, exit code 2.
  const output = { outputError: (str: string, write: (s: string) => void) => write(`✖ ${str.replace(/^error: /, "")}`) };
  p.configureOutput(output);
  // Nested commands too (`h5b ddns reconcile`).
  const configure = (c: Command): void => {
    c.exitOverride().configureOutput(output).showHelpAfterError();
    c.commands.forEach(configure);
  };
  p.commands.forEach(configure);
  return p;
}

/** Runs the CLI; returns the exit code (0 done, 1 findings, 2 user error). Bugs propagate with their stack. */
export async function main(argv: readonly string[]): Promise<number> {
  // Commands report findings through process.exitCode; read it and leave the process's own value untouched.
  const outer = process.exitCode;
  process.exitCode = undefined;
  try {
    await (await program(argv)).parseAsync([...argv], { from: "user" });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are not errors; bad flags and commands are user errors.
      return e.exitCode === 0 ? 0 : 2;
    }
    return reportError(e);
  } finally {
    process.exitCode = outer;
  }
}
