// x-tupper.runtime_env: a value that holds variables the generated script reads when it runs,
// as a typed value: literal text and references, in order. Interpolation makes them, the
// resolvers split and check them like text, and the one quoting function (render/quote.ts
// shWord) writes each reference as a double-quoted expansion, so it stays one word and nothing
// in its value is evaluated. A plain string can never turn into a reference, whatever it holds.

/** A use of runtime variable NAME. */
export interface RuntimeRef {
  readonly runtime: string;
}

/** Text with runtime variables in it (at least one reference). */
export class RuntimeText {
  readonly parts: readonly (string | RuntimeRef)[];

  constructor(parts: readonly (string | RuntimeRef)[]) {
    // adjacent text joined, empty text dropped: one spelling per value
    const joined: (string | RuntimeRef)[] = [];
    for (const part of parts) {
      const last = joined.at(-1);
      if (typeof part === "string" && typeof last === "string") joined[joined.length - 1] = last + part;
      else if (part !== "") joined.push(part);
    }
    this.parts = joined;
  }

  /** As the spec writes it: ${NAME} for each reference (for comments, messages and `tupper config`). */
  toString(): string {
    return this.parts.map((p) => (typeof p === "string" ? p : `\${${p.runtime}}`)).join("");
  }

  toJSON(): string {
    return this.toString();
  }
}

/** A word of the script: plain text, or text with runtime variables. */
export type ShellText = string | RuntimeText;

/** TEXTS one after the other: a string when none holds a runtime variable. */
export function joinText(...texts: ShellText[]): ShellText {
  if (texts.every((t): t is string => typeof t === "string")) return texts.join("");
  return new RuntimeText(texts.flatMap((t) => (typeof t === "string" ? [t] : t.parts)));
}

/** The parts of TEXT: one string, or its parts. */
export function partsOf(text: ShellText): readonly (string | RuntimeRef)[] {
  return typeof text === "string" ? [text] : text.parts;
}

/** TEXT built from PARTS: a string when it has no reference. */
export function textOf(parts: readonly (string | RuntimeRef)[]): ShellText {
  return parts.every((p): p is string => typeof p === "string") ? parts.join("") : new RuntimeText(parts);
}

/** TEXT as the spec writes it (${NAME} for a runtime variable). */
export function showText(text: ShellText): string {
  return typeof text === "string" ? text : text.toString();
}

/** TEXT cut at its first =, which must be in its literal text: NAME=VALUE → [NAME, VALUE]; null without one. */
export function splitAtEquals(text: ShellText): [string, ShellText] | null {
  const parts = partsOf(text);
  let name = "";
  for (const [i, part] of parts.entries()) {
    if (typeof part !== "string") return null;
    const eq = part.indexOf("=");
    if (eq >= 0) return [name + part.slice(0, eq), textOf([part.slice(eq + 1), ...parts.slice(i + 1)])];
    name += part;
  }
  return null;
}
