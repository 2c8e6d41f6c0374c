// The one door through which any value reaches the generated bash.
//
// A Word is a complete bash word that expands to exactly the given bytes: single quotes,
// inside which bash expands nothing. A Comment is text safe to put after a '#': it can
// never end the comment line. The renderer gives templates nothing else (see view.ts).

import { partsOf, type ShellText } from "../spec/runtime.js";

declare const wordBrand: unique symbol;
declare const commentBrand: unique symbol;
export type Word = string & { readonly [wordBrand]: true };
export type Comment = string & { readonly [commentBrand]: true };

export function shWord(value: ShellText): Word {
  if (typeof value === "string") return singleQuoted(value);
  // x-tupper.runtime_env variables: their value, read when the script runs, is expanded in
  // double quotes, so it is one word and nothing in it is evaluated. The name is one the
  // interpolation matched as [A-Za-z_][A-Za-z0-9_]*, checked again here: it is written unquoted.
  return partsOf(value)
    .map((part) => {
      if (typeof part === "string") return singleQuoted(part);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(part.runtime)) throw new Error(`internal error: ${JSON.stringify(part.runtime)} is not a variable name`);
      return `"\${RUNTIME_ENV[${part.runtime}]}"`;
    })
    .join("") as Word;
}

function singleQuoted(value: string): Word {
  if (value.includes("\0")) throw new Error("internal error: a NUL byte cannot be passed to bash");
  return `'${value.replaceAll("'", `'\\''`)}'` as Word;
}

/** Whole numbers only: digits need no quoting, and nothing else is let through. */
export function shNumber(value: number): Word {
  if (!Number.isSafeInteger(value)) throw new Error(`internal error: ${value} is not a whole number`);
  return String(value) as Word;
}

/**
 * A path from the spec: absolute paths stay as they are; relative ones resolve against the
 * spec's directory, which the script finds from its own location at run time ($SPEC_DIR).
 */
export function shSpecPath(path: string): Word {
  return (path.startsWith("/") ? shWord(path) : `"$SPEC_DIR"/${shWord(path)}`) as Word;
}

/** Comment text: control characters (newlines above all) are shown escaped, never emitted. */
export function comment(text: string): Comment {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) as Comment;
}

/** A command-line option of tupper-init's, such as --read-only: letters, digits and dashes
 *  after two dashes, nothing bash would expand, so it is written as it is. */
export function shOption(name: string): Word {
  if (!/^--[a-z][a-z0-9-]*$/.test(name)) throw new Error(`internal error: ${JSON.stringify(name)} is not an option name`);
  return name as Word;
}
