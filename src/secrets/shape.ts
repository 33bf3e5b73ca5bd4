/**
 * What an existing secret's file must hold, and what to tell the user when it does not. One object serves both the
 * read of a secret and the scan of the whole folder before a build (src/secrets/scan.ts), so the two never
 * disagree; the message never shows the file's content.
 */
export interface Shape {
  /** Whether the file's text (without its final newline) is acceptable. */
  readonly test: (value: string) => boolean;
  readonly message: string;
}

/** A secret h5b generates: a spoiled one can be deleted and is made anew. */
export function generated(pattern: RegExp, what: string): Shape {
  return { test: (v) => pattern.test(v), message: `does not hold ${what}; delete it to have a new one generated` };
}

/** A secret only the user can give (a cloud provider's key): h5b cannot make another. */
export function given(pattern: RegExp, what: string): Shape {
  return { test: (v) => pattern.test(v), message: `does not hold ${what} (one line, nothing else)` };
}
