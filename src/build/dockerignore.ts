// .dockerignore with Docker's semantics (moby/patternmatcher and its ignorefile reader, the code
// BuildKit, the docker CLI and buildx all vendor), compiled into a plain list the C helper
// evaluates while it walks the context (format: src/build/README.md, "The ignore list").
//
// Reading (ignorefile.ReadAll): a UTF-8 BOM is dropped; a line whose FIRST character is `#` is a
// comment (`  # x` is the pattern `# x`); every line is trimmed; a leading `!` makes an exception;
// the rest is cleaned like Go's filepath.Clean (`./a//b/` → `a/b`) and one leading `/` dropped,
// so every pattern is relative to the context root. A bare `!` is an error.
//
// Matching (PatternMatcher.MatchesOrParentMatches): patterns are tried in order, the last one
// that matches decides; a pattern matches a path when it matches the path itself or any of its
// parent directories (`foo` excludes `foo/bar`, not `a/foo`). `*` is any run of characters
// except `/`, `?` one character except `/`, `**` any number of directories (also none), `[...]`
// a character class, `\` escapes the next character.
import type { Diagnostic } from "../spec/diagnostics.js";

type Token =
  | { t: "lit"; ch: string }
  | { t: "star" } // [^/]*
  | { t: "any" } // [^/]
  | { t: "dirs" } // (.*/)?   `**` or `**/` inside a pattern
  | { t: "rest" } // .*       `**` at the end
  | { t: "class"; neg: boolean; ranges: [string, string][] };

export interface IgnorePattern {
  /** true: an exception (`!pattern`), which takes a path back into the context. */
  exception: boolean;
  /** The cleaned pattern, relative to the context root. */
  pattern: string;
  /** The same pattern as an anchored POSIX extended regular expression (regcomp REG_EXTENDED). */
  ere: string;
  line: number;
  regex: RegExp;
}

export interface IgnoreFile {
  patterns: IgnorePattern[];
  diagnostics: Diagnostic[];
}

/** filepath.Clean for `/`-separated paths. */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out.at(-1) !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  return rooted ? "/" + joined : joined || ".";
}

class PatternError extends Error {}

function tokenize(pattern: string): Token[] {
  const chars = [...pattern];
  const out: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === "*") {
      if (chars[i + 1] === "*") {
        i++;
        if (chars[i + 1] === "/") i++; // `**/` is `**`
        out.push(i + 1 >= chars.length ? { t: "rest" } : { t: "dirs" });
      } else out.push({ t: "star" });
    } else if (ch === "?") out.push({ t: "any" });
    else if (ch === "\\") {
      // filepath.Match: `\x` is a literal x; a trailing `\` is a literal backslash
      i++;
      out.push({ t: "lit", ch: i < chars.length ? chars[i] : "\\" });
    } else if (ch === "[") {
      let j = i + 1;
      let neg = false;
      if (chars[j] === "^") {
        neg = true;
        j++;
      }
      const ranges: [string, string][] = [];
      const member = (): string => {
        if (j >= chars.length) throw new PatternError("syntax error in pattern: [ without ]");
        let c = chars[j++];
        if (c === "\\") {
          if (j >= chars.length) throw new PatternError("syntax error in pattern: \\ at the end of a class");
          c = chars[j++];
        }
        return c;
      };
      for (;;) {
        if (j >= chars.length) throw new PatternError("syntax error in pattern: [ without ]");
        if (chars[j] === "]" && ranges.length > 0) break;
        if (chars[j] === "]") throw new PatternError("syntax error in pattern: empty character class");
        const lo = member();
        let hi = lo;
        if (chars[j] === "-" && chars[j + 1] !== "]" && j + 1 < chars.length) {
          j++;
          hi = member();
          if (hi < lo) throw new PatternError(`syntax error in pattern: range ${lo}-${hi} is reversed`);
        }
        ranges.push([lo, hi]);
      }
      out.push({ t: "class", neg, ranges });
      i = j;
    } else if (ch === "]") throw new PatternError("syntax error in pattern: ] without [");
    else out.push({ t: "lit", ch });
  }
  return out;
}

const ERE_SPECIAL = new Set([..."\\.[]()*+?{}|^$"]);
const JS_SPECIAL = new Set([..."\\.[]()*+?{}|^$/"]);

function ereClass(neg: boolean, ranges: [string, string][]): string {
  // POSIX brackets have no escapes: `]` must come first, `-` last, `^` not first, and `[` must
  // not be followed by `.`, `=` or `:`. Order the members so that all of that holds.
  const singles = ranges.filter(([a, b]) => a === b).map(([a]) => a);
  const spans = ranges.filter(([a, b]) => a !== b).map(([a, b]) => `${a}-${b}`);
  const has = (c: string) => singles.includes(c);
  const plain = singles.filter((c) => !"]-^[".includes(c));
  let body = (has("]") ? "]" : "") + plain.join("") + spans.join("") + (has("[") ? "[" : "") + (has("^") ? "^" : "") + (has("-") ? "-" : "");
  if (!neg && body.startsWith("^")) {
    if (body === "^") return "\\^";
    body = body.slice(1) + "^";
    if (body.endsWith("-^")) body = body.slice(0, -2) + "^-";
  }
  return `[${neg ? "^" : ""}${body}]`;
}

function emit(tokens: Token[], flavour: "ere" | "js"): string {
  const special = flavour === "ere" ? ERE_SPECIAL : JS_SPECIAL;
  let out = "^";
  for (const tok of tokens) {
    switch (tok.t) {
      case "lit":
        out += special.has(tok.ch) ? `\\${tok.ch}` : tok.ch;
        break;
      case "star":
        out += "[^/]*";
        break;
      case "any":
        out += "[^/]";
        break;
      case "dirs":
        out += "(.*/)?";
        break;
      case "rest":
        out += ".*";
        break;
      case "class":
        if (flavour === "ere") out += ereClass(tok.neg, tok.ranges);
        else {
          const esc = (c: string) => ("\\]-^[".includes(c) ? `\\${c}` : c);
          out += `[${tok.neg ? "^" : ""}${tok.ranges.map(([a, b]) => (a === b ? esc(a) : `${esc(a)}-${esc(b)}`)).join("")}]`;
        }
    }
  }
  return out + "$";
}

/** Why PATTERN is not a valid pattern (COPY --exclude takes the same ones), or undefined. */
export function patternError(pattern: string): string | undefined {
  try {
    tokenize(cleanPath(pattern));
    return undefined;
  } catch (e) {
    if (e instanceof PatternError) return e.message;
    throw e;
  }
}

/** Reads a .dockerignore file; FILE names it in diagnostics. */
export function parseDockerignore(text: string, file = ".dockerignore"): IgnoreFile {
  const patterns: IgnorePattern[] = [];
  const diagnostics: Diagnostic[] = [];
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  lines.forEach((raw, k) => {
    const line = k + 1;
    if (raw.startsWith("#")) return;
    let p = raw.trim();
    if (p === "") return;
    const col = raw.indexOf(p) + 1;
    const exception = p.startsWith("!");
    if (exception) {
      p = p.slice(1).trim();
      if (p === "") {
        diagnostics.push({ file, line, col, path: "", message: `illegal exclusion pattern: "!"; write !PATTERN to take PATTERN back into the context`, severity: "error" });
        return;
      }
    }
    p = cleanPath(p);
    if (p.length > 1 && p.startsWith("/")) p = p.slice(1);
    let tokens: Token[];
    try {
      tokens = tokenize(p);
    } catch (e) {
      if (!(e instanceof PatternError)) throw e;
      diagnostics.push({ file, line, col, path: "", message: `${e.message} in ${JSON.stringify(raw.trim())}; close every [ with ], or escape it as \\[`, severity: "error" });
      return;
    }
    patterns.push({ exception, pattern: p, ere: emit(tokens, "ere"), line, regex: new RegExp(emit(tokens, "js"), "su") });
  });
  return { patterns, diagnostics };
}

/**
 * Whether the context path REL (relative, `/`-separated, no leading `./`) is left out of the
 * context: the last pattern that matches it or one of its parent directories decides.
 */
export function isIgnored(rel: string, patterns: readonly IgnorePattern[]): boolean {
  const parts = rel.split("/");
  const parents: string[] = [];
  for (let i = 1; i < parts.length; i++) parents.push(parts.slice(0, i).join("/"));
  let ignored = false;
  for (const p of patterns) {
    // an exclusion only matters while the path is kept, an exception only while it is left out
    if (p.exception !== ignored) continue;
    if (p.regex.test(rel) || parents.some((d) => p.regex.test(d))) ignored = !p.exception;
  }
  return ignored;
}

/**
 * The file tupper-init's --ignore-file reads (helper/CONTEXT.md): what moby's ignorefile.ReadAll
 * returns, one cleaned pattern a line in the file's order, `!` before an exception. The helper
 * matches them itself, with Docker's rules; the EREs above serve `plan` and the tests.
 */
export function compileIgnoreList(patterns: readonly IgnorePattern[]): string {
  return patterns.map((p) => `${p.exception ? "!" : ""}${p.pattern}\n`).join("");
}

/**
 * Where the ignore file is: `<Dockerfile>.dockerignore` next to the Dockerfile wins over the
 * context's `.dockerignore` (BuildKit); the first of these that exists applies.
 */
export function ignoreFileCandidates(dockerfile: string, context: string): string[] {
  return [`${dockerfile}.dockerignore`, `${context.replace(/\/+$/, "")}/.dockerignore`];
}
