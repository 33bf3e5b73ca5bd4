import { z } from "zod";
import { homelabSchema } from "./homelab.js";

/** JSON Schema (draft 2020-12) of what a user may write, for editors completing `homelab.yaml`. */
export function homelabJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(homelabSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  return { ...schema, title: "h5b homelab spec", $id: "https://h5b.invalid/homelab.schema.json" };
}
