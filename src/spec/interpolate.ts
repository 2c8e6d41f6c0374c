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
//
// The variables x-tupper.runtime_env names are the exception: they stay variables, read
// from the environment of the generated script when it runs. A value that uses one becomes a
// RuntimeText (spec/runtime.ts): its text and references, typed, which the one quoting function
// (render/quote.ts shWord) turns into bash expansions; each variable's default or requirement
// is kept once for the script's preamble.
import type { Diagnostic } from "./diagnostics.js";
import { dottedPath } from "./diagnostics.js";
import type { ParsedSpec, SpecPath } from "./parse.js";
import { RuntimeText, textOf, type RuntimeRef, type ShellText } from "./runtime.js";

export type Variables = Readonly<Record<string, string | undefined>>;

/** Where variable NAME's value was set, for messages ("in .env line 3"); undefined: not known. */
export type VariableOrigin = (name: string) => string | undefined;

/** A variable of x-tupper.runtime_env as the spec uses it: op "" (plain), "-", ":-", "?" or ":?", with its default or message. */
export interface RuntimeVariable {
  name: string;
  op: "" | "-" | ":-" | "?" | ":?";
  word: string;
}

/** Where a runtime variable may stand: values that are words of the script, not settings it must know. */
const RUNTIME_ALLOWED = [/^services\.[^.]+\.environment[.[]/, /^services\.[^.]+\.(command|entrypoint)(\[|$)/, /^services\.[^.]+\.healthcheck\.test(\[|$)/];

type Report = (path: SpecPath, message: string, severity: Diagnostic["severity"]) => void;
/** NAME: the variable the problem is about, when there is one (an unset variable's warning). */
type Problem = (message: string, severity: Diagnostic["severity"], name?: string) => void;

/** The runtime variables met so far (by name), and where the uses go. */
interface Runtime {
  names: ReadonlySet<string>;
  used: Map<string, RuntimeVariable>;
}

/**
 * SPEC with every string value interpolated (and converted to its key's type; a RuntimeText
 * where it uses a runtime variable), whose
 * sourceTextOf answers with the interpolated text for those values; SPEC itself is left as
 * parsed. With the problems, positioned.
 */
export function interpolateSpec(
  spec: ParsedSpec,
  vars: Variables,
  runtimeNames: ReadonlySet<string> = new Set(),
  originOf: VariableOrigin = () => undefined,
): { spec: ParsedSpec; diagnostics: Diagnostic[]; runtime: RuntimeVariable[] } {
  const out: Diagnostic[] = [];
  const report: Report = (path, message, severity) =>
    out.push({ file: spec.file, ...spec.positionOf(path, "value"), path: dottedPath(path), message, severity });
  const runtime: Runtime = { names: runtimeNames, used: new Map() };
  const changed = new Map<string, string>();
  const walk = (value: unknown, path: SpecPath): unknown => {
    if (typeof value === "string") {
      if (!value.includes("$")) return value;
      // one warning per variable per value, at the line that uses it (a block scalar spans many)
      const warned = new Set<string>();
      const problem: Problem = (message, severity, name) => {
        if (name === undefined) return report(path, message, severity);
        if (warned.has(name)) return;
        warned.add(name);
        out.push({ file: spec.file, ...useOf(spec, path, name), path: dottedPath(path), message, severity });
      };
      const result = interpolate(value, vars, problem, runtime);
      if (result instanceof RuntimeText) {
        changed.set(JSON.stringify(path), value);
        if (RUNTIME_ALLOWED.some((re) => re.test(dottedPath(path)))) return result;
        report(path, `uses a variable of x-tupper.runtime_env, which only environment, command, entrypoint and healthcheck.test may: this value must be known when compiling`, "error");
        return result.toString();
      }
      changed.set(JSON.stringify(path), result);
      // platform: ${DOCKER_PLATFORM:-}, hostname: "${MAIL_HOST:-}": empty is unset, as in Compose
      if (result === "" && path.length === 3 && path[0] === "services" && EMPTY_IS_UNSET.has(String(path[2]))) return UNCONVERTED;
      return typed(result, path, value);
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (value !== null && typeof value === "object") {
      // a new mapping: SPEC's data stays as parsed
      const o: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const next = key.startsWith("x-") && key !== "x-tupper" ? v : walk(v, [...path, key]);
        if (next !== UNCONVERTED) o[key] = next;
      }
      return o;
    }
    return value;
  };
  /** TEXT (WRITTEN interpolated) converted to the type of the key at PATH, as Compose's loader does; UNCONVERTED after an error. */
  const typed = (text: string, path: SpecPath, written: string): unknown => {
    const cast = castAt(path);
    if (cast === undefined) return text;
    const converted = CONVERT[cast](text);
    if (converted !== undefined) return converted;
    const names = [...new Set([...written.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))];
    const from = names.map((n) => (vars[n] === undefined ? `${n} is not set` : `${n}=${vars[n]} ${originOf(n) ?? "is set"}`));
    const what = names.length > 0 ? `${written} gives ${JSON.stringify(text)} (${from.join("; ")})` : `${JSON.stringify(text)}`;
    report(path, `${what}, which is not ${EXPECTED[cast]}; ${names.length > 0 ? `set ${names.join(", ")} to ${EXPECTED[cast]}` : `write ${EXPECTED[cast]}`}`, "error");
    return UNCONVERTED;
  };
  const data = walk(spec.data, []);
  const written = spec.sourceTextOf;
  const sourceTextOf = changed.size === 0 ? written : (path: SpecPath) => changed.get(JSON.stringify(path)) ?? written(path);
  return { spec: { ...spec, data, sourceTextOf }, diagnostics: out, runtime: [...runtime.used.values()] };
}

/** A value left out: its conversion failed (reported, so that the schema does not report it again), or it is empty where that means unset. */
const UNCONVERTED = Symbol("unconverted");

// The keys whose string values Compose converts to the key's type after interpolation
// (compose-go loader/interpolate.go, interpolateTypeCastMapping): `read_only: ${RO}` is a
// boolean. Sizes and durations are converted only from a plain integer (as there); tupper
// reads "256m" and "10s" itself. "*" is any key, LIST any list index.
type Cast = "boolean" | "integer" | "number" | "unit";
const LIST = "[]";
const CASTS: [readonly string[], Cast][] = [
  ...(["init", "oom_kill_disable", "privileged", "read_only", "stdin_open", "tty"] as const).map((k) => [["services", "*", k], "boolean"] as [string[], Cast]),
  [["services", "*", "healthcheck", "disable"], "boolean"],
  [["services", "*", "volumes", LIST, "read_only"], "boolean"],
  [["services", "*", "volumes", LIST, "volume", "nocopy"], "boolean"],
  ...(["networks", "volumes", "secrets", "configs"] as const).map((k) => [[k, "*", "external"], "boolean"] as [string[], Cast]),
  [["networks", "*", "internal"], "boolean"],
  [["networks", "*", "attachable"], "boolean"],
  ...(["cpu_count", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "oom_score_adj", "pids_limit", "scale"] as const).map(
    (k) => [["services", "*", k], "integer"] as [string[], Cast],
  ),
  [["services", "*", "deploy", "replicas"], "integer"],
  [["services", "*", "deploy", "restart_policy", "max_attempts"], "integer"],
  [["services", "*", "healthcheck", "retries"], "integer"],
  [["services", "*", "ports", LIST, "target"], "integer"],
  [["services", "*", "ports", LIST, "published"], "integer"],
  [["services", "*", "secrets", LIST, "mode"], "integer"],
  [["services", "*", "configs", LIST, "mode"], "integer"],
  [["services", "*", "ulimits", "*"], "integer"],
  [["services", "*", "ulimits", "*", "hard"], "integer"],
  [["services", "*", "ulimits", "*", "soft"], "integer"],
  [["services", "*", "cpus"], "number"],
  [["services", "*", "cpu_percent"], "number"],
  ...(["mem_limit", "mem_reservation", "memswap_limit", "mem_swappiness", "shm_size", "stop_grace_period"] as const).map((k) => [["services", "*", k], "unit"] as [string[], Cast]),
  [["services", "*", "volumes", LIST, "tmpfs", "size"], "unit"],
];

function castAt(path: SpecPath): Cast | undefined {
  return CASTS.find(([pattern]) => pattern.length === path.length && pattern.every((p, i) => (p === LIST ? typeof path[i] === "number" : p === "*" || p === path[i])))?.[1];
}

const EXPECTED: Record<Cast, string> = { boolean: "true or false", integer: "a whole number", number: "a number", unit: "a value" };
const CONVERT: Record<Cast, (text: string) => unknown> = {
  // YAML 1.1's booleans, as Compose takes them (http://yaml.org/type/bool.html)
  boolean: (t) => ({ y: true, yes: true, true: true, on: true, n: false, no: false, false: false, off: false })[t.toLowerCase()],
  integer: (t) => (/^[+-]?[0-9]+$/.test(t) ? Number(t) : undefined),
  number: (t) => (/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(t) ? Number(t) : undefined),
  unit: (t) => (/^[0-9]+$/.test(t) ? Number(t) : t),
};

/** Service keys that an interpolation leaves empty are unset (Docker takes "" as not given for them). */
const EMPTY_IS_UNSET = new Set(["platform", "hostname", "domainname"]);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Where the value at PATH first uses variable NAME ($NAME or ${NAME...}): its line and column
 * in the file, found from the value's start; the value's start when the text does not show it.
 */
function useOf(spec: ParsedSpec, path: SpecPath, name: string): { line: number; col: number } {
  const start = spec.positionOf(path, "value");
  const lines = spec.text.split("\n");
  let offset = 0;
  for (let i = 0; i < start.line - 1 && i < lines.length; i++) offset += lines[i]!.length + 1;
  offset += start.col - 1;
  const use = new RegExp(`\\$(\\{${name}(?![A-Za-z0-9_])|${name}(?![A-Za-z0-9_]))`, "g");
  use.lastIndex = offset;
  const m = use.exec(spec.text);
  if (m === null) return start;
  const before = spec.text.slice(0, m.index);
  const line = before.split("\n").length;
  return { line, col: m.index - before.lastIndexOf("\n") };
}

/** TEXT with its variables replaced (a RuntimeText where it uses a runtime variable); problems go to REPORT. */
export function interpolate(text: string, vars: Variables, report: Problem, runtime?: Runtime): ShellText {
  return textOf(pieces(text, vars, report, runtime));
}

/** TEXT with its variables replaced, where no runtime variable may stand (a default, a message). */
function interpolatePlain(text: string, vars: Variables, report: Problem): string {
  return pieces(text, vars, report).filter((p): p is string => typeof p === "string").join("");
}

type Piece = string | RuntimeRef;

function pieces(text: string, vars: Variables, report: Problem, runtime?: Runtime): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== "$") {
      out.push(c);
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out.push("$");
      i += 2;
    } else if (next === "{") {
      const end = closingBrace(text, i + 2);
      if (end < 0) {
        report(`${JSON.stringify(text.slice(i))} has no closing }; close it, or write $$ for a literal $`, "error");
        out.push(text.slice(i));
        return out;
      }
      out.push(expand(text.slice(i + 2, end), vars, report, runtime));
      i = end + 1;
    } else {
      const name = NAME.exec(text.slice(i + 1))?.[0];
      if (name === undefined) {
        out.push("$"); // a lone $ stays, as in Compose
        i++;
      } else {
        out.push(runtime?.names.has(name) ? runtimeRef(name, "", "", report, runtime) : lookup(name, vars, report));
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

function expand(inner: string, vars: Variables, report: Problem, runtime?: Runtime): Piece {
  const name = NAME.exec(inner)?.[0];
  if (name === undefined) {
    report(`\${${inner}} does not start with a variable name; use e.g. \${PORT} or \${PORT:-8080}`, "error");
    return "";
  }
  const rest = inner.slice(name.length);
  const value = vars[name];
  if (runtime?.names.has(name)) {
    const m = /^(:?[-?])([\s\S]*)$/.exec(rest);
    if (rest !== "" && !m) {
      report(`\${${inner}}: a variable of x-tupper.runtime_env takes only \${${name}}, \${${name}:-default} or \${${name}:?message}`, "error");
      return "";
    }
    const word = m ? interpolatePlain(m[2]!, vars, report) : "";
    return runtimeRef(name, (m?.[1] ?? "") as RuntimeVariable["op"], word, report, runtime);
  }
  if (rest === "") return lookup(name, vars, report);
  const m = /^(:?)([-?+])([\s\S]*)$/.exec(rest);
  if (!m) {
    report(`\${${inner}}: ${JSON.stringify(rest)} is not a Compose modifier; use :-, -, :?, ?, :+ or +`, "error");
    return "";
  }
  const [, colon, op, word] = m as unknown as [string, string, string, string];
  const set = colon ? value !== undefined && value !== "" : value !== undefined;
  const arg = () => interpolatePlain(word, vars, report);
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

/** The reference to runtime variable NAME used with OP and WORD; one variable keeps one default or requirement. */
function runtimeRef(name: string, op: RuntimeVariable["op"], word: string, report: Problem, runtime: Runtime): RuntimeRef {
  const seen = runtime.used.get(name);
  const show = (v: RuntimeVariable) => `\${${v.name}${v.op}${v.word}}`;
  if (seen === undefined || seen.op === "") runtime.used.set(name, { name, op, word });
  else if (op !== "" && (seen.op !== op || seen.word !== word)) {
    report(`${show({ name, op, word })} and ${show(seen)} ask different things of the runtime variable ${name}; give it one default or message, and write \${${name}} elsewhere`, "error");
  }
  return { runtime: name };
}

function lookup(name: string, vars: Variables, report: Problem): string {
  const value = vars[name];
  if (value === undefined) {
    report(`the variable ${name} is not set, so it is empty here (as in Compose); set it, or give a default: \${${name}:-value}`, "warning", name);
    return "";
  }
  return value;
}

/**
 * A .env file, as Compose reads it: NAME=VALUE lines, # comments, `export ` allowed before
 * the name; 'single quotes' keep the text as is, "double quotes" take \n, \t, \\ and \";
 * an unquoted value ends at a space before #. An unquoted or double-quoted value has its
 * ${VAR} expanded as in the spec (defaults, :? errors, $$), from ENVIRONMENT first, then from
 * the lines above it (compose-go's dotenv does the same: its lookup asks the environment
 * before the file); a single-quoted one never. An unset variable is empty there, silently, as
 * in Compose.
 */
export function parseDotEnv(
  text: string,
  environment: Variables = {},
): { vars: Record<string, string>; lines: Record<string, number>; problems: { line: number; message: string }[] } {
  const vars: Record<string, string> = {};
  const lines: Record<string, number> = {};
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
    } else {
      if (rest.startsWith('"')) {
        let end = 1;
        while (end < rest.length && !(rest[end] === '"' && rest[end - 1] !== "\\")) end++;
        value = rest.slice(1, end).replace(/\\(.)/g, (_, ch: string) => ({ n: "\n", t: "\t", r: "\r" })[ch] ?? ch);
      } else {
        value = rest.replace(/\s+#.*$/, "").trim();
      }
      if (value.includes("$")) value = expandDotEnvValue(value, { ...vars, ...definedOnly(environment) }, (message) => problems.push({ line: index + 1, message }));
    }
    vars[name] = value;
    lines[name] = index + 1;
  });
  return { vars, lines, problems };
}

/** VALUE of a .env line with its variables expanded from VARS; an error (a :? message, no closing brace) goes to PROBLEM. */
function expandDotEnvValue(value: string, vars: Variables, problem: (message: string) => void): string {
  const quiet: Problem = (message, severity) => {
    if (severity === "error") problem(message);
  };
  return interpolatePlain(value, vars, quiet);
}

/** The variables of ENVIRONMENT that are set (process.env's type allows undefined values). */
function definedOnly(environment: Variables): Record<string, string> {
  return Object.fromEntries(Object.entries(environment).filter((e): e is [string, string] => e[1] !== undefined));
}
