import type { Document } from "yaml";

/**
 * A parsed YAML document's value. The yaml package throws while resolving aliases, for one that names no anchor
 * and for one that expands past its limit (an alias bomb): that is the input's fault, so it comes back as a message.
 */
export function yamlValue(doc: Document.Parsed): { value: unknown } | { problem: string } {
  try {
    return { value: doc.toJS() };
  } catch (e) {
    if (e instanceof ReferenceError) return { problem: e.message };
    throw e;
  }
}
