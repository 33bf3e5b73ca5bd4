import { inspect } from "node:util";

/**
 * A secret value that refuses to be printed: string conversion, JSON and `console.log` all show only its name.
 * The one way to the value is {@link Secret.reveal}, used by the emitters that must embed it (files mode 0600).
 */
export class Secret {
  readonly #value: string;
  constructor(
    readonly name: string,
    value: string,
  ) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return `[secret ${this.name}]`;
  }
  toJSON(): string {
    return this.toString();
  }
  [inspect.custom](): string {
    return this.toString();
  }
}
