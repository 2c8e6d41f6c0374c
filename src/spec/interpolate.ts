// Stage 1b: Compose variable interpolation in the spec's values, at compile time, so that the
// script holds the values that run. Variables come from the environment of `tupper compile`,
// then from the .env file beside the spec (the environment wins, as in Compose).
//
//   $VAR ${VAR}          the value; unset: empty, with a warning
//   ${VAR:-default}      default when unset or empty     ${VAR-default}  when unset
//   ${VAR:?message}      an error when unset or empty    ${VAR?message}  when unset
//   ${VAR:+other}        other when set and not empty    ${VAR+other}    when set
//   $$                   a literal $
// Defaults and messages may hold variables themselves (${A:-${B}}). Keys are not
// interpolated, nor x-* extension fields, as in Compose.
import type { Diagnostic } from "./diagnostics.js";
import { dottedPath } from "./diagnostics.js";
import type { ParsedSpec, SpecPath } from "./parse.js";

export type Variables = Readonly<Record<string, string | undefined>>;

type Report = (path: SpecPath, message: string, severity: Diagnostic["severity"]) => void;

/**
 * Replaces, in SPEC's data, every string value with its interpolation, and makes sourceTextOf
 * answer with the interpolated text for those values. Returns the problems, positioned.
 */
export function interpolateSpec(spec: ParsedSpec, vars: Variables): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report: Report = (path, message, severity) =>
    out.push({ file: spec.file, ...spec.positionOf(path, "value"), path: dottedPath(path), message, severity });
  const changed = new Map<string, string>();
  const walk = (value: unknown, path: SpecPath): unknown => {
    if (typeof value === "string") {
      if (!value.includes("$")) return value;
      const result = interpolate(value, vars, (message, severity) => report(path, message, severity));
      changed.set(JSON.stringify(path), result);
      return result;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (value !== null && typeof value === "object") {
      const o = value as Record<string, unknown>;
      for (const key of Object.keys(o)) {
        if (key.startsWith("x-") && key !== "x-tupper") continue;
        o[key] = walk(o[key], [...path, key]);
      }
    }
    return value;
  };
  spec.data = walk(spec.data, []);
  if (changed.size > 0) {
    const written = spec.sourceTextOf;
    spec.sourceTextOf = (path) => changed.get(JSON.stringify(path)) ?? written(path);
  }
  return out;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** TEXT with its variables replaced; problems go to REPORT. */
export function interpolate(text: string, vars: Variables, report: (message: string, severity: Diagnostic["severity"]) => void): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next === "{") {
      const end = closingBrace(text, i + 2);
      if (end < 0) {
        report(`${JSON.stringify(text.slice(i))} has no closing }; close it, or write $$ for a literal $`, "error");
        return out + text.slice(i);
      }
      out += expand(text.slice(i + 2, end), vars, report);
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(i + 1))?.[0];
      if (name === undefined) {
        out += "$"; // a lone $ stays, as in Compose
        i++;
      } else {
        out += lookup(name, vars, report);
        i += 1 + name.length;
      }
    }
  }
  return out;
}

/** The index of the } that closes the ${ opened before FROM (nested ${...} skipped), or -1. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "$" && text[i + 1] === "{") {
      depth++;
      i++;
    } else if (text[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

function expand(inner: string, vars: Variables, report: (message: string, severity: Diagnostic["severity"]) => void): string {
  const name = NAME.exec(inner)?.[0];
  if (name === undefined) {
    report(`\${${inner}} does not start with a variable name; use e.g. \${PORT} or \${PORT:-8080}`, "error");
    return "";
  }
  const rest = inner.slice(name.length);
  const value = vars[name];
  if (rest === "") return lookup(name, vars, report);
  const m = /^(:?)([-?+])([\s\S]*)$/.exec(rest);
  if (!m) {
    report(`\${${inner}}: ${JSON.stringify(rest)} is not a Compose modifier; use :-, -, :?, ?, :+ or +`, "error");
    return "";
  }
  const [, colon, op, word] = m as unknown as [string, string, string, string];
  const set = colon ? value !== undefined && value !== "" : value !== undefined;
  const arg = () => interpolate(word, vars, report);
  switch (op) {
    case "-":
      return set ? value! : arg();
    case "+":
      return set ? arg() : "";
    default: // "?"
      if (!set) {
        const why = arg();
        report(`${name} is ${value === undefined ? "not set" : "empty"}${why ? `: ${why}` : ""}; set it in the environment or in .env beside the spec`, "error");
        return "";
      }
      return value!;
  }
}

function lookup(name: string, vars: Variables, report: (message: string, severity: Diagnostic["severity"]) => void): string {
  const value = vars[name];
  if (value === undefined) {
    report(`the variable ${name} is not set, so it is empty here (as in Compose); set it, or give a default: \${${name}:-value}`, "warning");
    return "";
  }
  return value;
}

/**
 * A .env file, as Compose reads it: NAME=VALUE lines, # comments, `export ` allowed before
 * the name; 'single quotes' keep the text as is, "double quotes" take \n, \t, \\ and \";
 * an unquoted value ends at a space before #. Values are not interpolated further.
 */
export function parseDotEnv(text: string): { vars: Record<string, string>; problems: { line: number; message: string }[] } {
  const vars: Record<string, string> = {};
  const problems: { line: number; message: string }[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*([\s\S]*)$/.exec(line);
    if (!m) {
      problems.push({ line: index + 1, message: `${JSON.stringify(line)} is not NAME=VALUE` });
      return;
    }
    const [, name, rest] = m as unknown as [string, string, string];
    let value: string;
    if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      value = end < 0 ? rest.slice(1) : rest.slice(1, end);
    } else if (rest.startsWith('"')) {
      let end = 1;
      while (end < rest.length && !(rest[end] === '"' && rest[end - 1] !== "\\")) end++;
      value = rest.slice(1, end).replace(/\\(.)/g, (_, ch: string) => ({ n: "\n", t: "\t", r: "\r" })[ch] ?? ch);
    } else {
      value = rest.replace(/\s+#.*$/, "").trim();
    }
    vars[name] = value;
  });
  return { vars, problems };
}
