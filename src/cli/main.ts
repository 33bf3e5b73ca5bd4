import { Command, CommanderError } from "commander";
import { buildCommand } from "./build.js";
import { checkCommand } from "./check.js";
import { ddnsCommand } from "./ddns.js";
import { deployCommand } from "./deploy.js";
import { initCommand } from "./init.js";
import { schemaCommand } from "./schema.js";
import { simulateCommand } from "./simulate.js";
import { reportError } from "./_output.js";

export function program(): Command {
  const p = new Command("h5b")
    .description("One typed spec of a homelab in; everything that stands it up out, checked by the real programs.")
    .version("0.1.0")
    .showHelpAfterError()
    .exitOverride();
  p.addCommand(buildCommand());
  p.addCommand(checkCommand());
  p.addCommand(ddnsCommand());
  p.addCommand(deployCommand());
  p.addCommand(initCommand());
  p.addCommand(schemaCommand());
  p.addCommand(simulateCommand());
  // Flag and command mistakes are user errors: shown like every other one, exit code 2.
  const output = { outputError: (str: string, write: (s: string) => void) => write(`✖ ${str.replace(/^error: /, "")}`) };
  p.configureOutput(output);
  for (const c of p.commands) c.exitOverride().configureOutput(output).showHelpAfterError();
  return p;
}

/** Runs the CLI; returns the exit code (0 done, 1 findings, 2 user error). Bugs propagate with their stack. */
export async function main(argv: readonly string[]): Promise<number> {
  // Commands report findings through process.exitCode; read it and leave the process's own value untouched.
  const outer = process.exitCode;
  process.exitCode = undefined;
  try {
    await program().parseAsync([...argv], { from: "user" });
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
