import { Command } from "commander";
import { homelabJsonSchema } from "../spec/json-schema.js";

export function schemaCommand(): Command {
  return new Command("schema").description("print the JSON Schema of homelab.yaml (for editor completion)").action(() => {
    process.stdout.write(`${JSON.stringify(homelabJsonSchema(), null, 2)}\n`);
  });
}
