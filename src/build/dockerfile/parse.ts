// Dockerfile text → instructions with positions, following BuildKit's
// frontend/dockerfile/parser (parser.go, directives.go, split_command.go, line_parsers.go):
// parser directives only at the top, the escape token, line continuations (comment lines and
// empty lines inside a continuation are dropped, as BuildKit does), heredocs, and the
// per-instruction argument forms (JSON or shell, whitespace lists, name=value pairs).
// Nothing is substituted here; resolve.ts does that with the stage's variables.
import type { Diagnostic } from "../../spec/diagnostics.js";
import { lex, LexError } from "./shell.js";

export interface Pos {
  line: number;
  col: number;
}

/** One logical line: physical lines joined, and where each of its characters came from. */
export class LogicalLine {
  constructor(
    readonly text: string,
    private readonly lines: number[],
    private readonly cols: number[],
    private readonly end: Pos,
  ) {}
  /** Position of the character at OFFSET (the end of the line when past it). */
  at(offset: number): Pos {
    if (offset < this.text.length && offset >= 0) return { line: this.lines[offset], col: this.cols[offset] };
    return this.end;
  }
}

/** A word of an instruction as written (quotes and escapes kept) and where it starts. */
export interface Word {
  raw: string;
  pos: Pos;
}

export interface Flag {
  name: string;
  /** undefined for a bare `--name` */
  value: string | undefined;
  pos: Pos;
  valuePos: Pos;
}

export interface Heredoc {
  /** The delimiter, quotes removed: also the file name in COPY/ADD. */
  name: string;
  /** No part of the delimiter was quoted: COPY/ADD substitute variables in the body. */
  expand: boolean;
  /** `<<-`: leading tabs stripped from the body and the delimiter line. */
  chomp: boolean;
  fd: number | undefined;
  /** The body, every line with its newline; tabs already stripped for `<<-`. */
  content: string;
  pos: Pos;
}

export type Args =
  | { form: "exec"; words: Word[] } // a JSON array of strings
  | { form: "shell"; text: string; pos: Pos }
  | { form: "list"; words: Word[] } // whitespace-separated (or a JSON list for COPY/ADD/VOLUME)
  | { form: "pairs"; pairs: { key: Word; value: Word | undefined }[]; legacy: boolean }
  | { form: "string"; text: string; pos: Pos }
  | { form: "none" };

export interface Node {
  /** The instruction as written (case kept), and upper-cased. */
  written: string;
  keyword: string;
  pos: Pos;
  flags: Flag[];
  args: Args;
  /** For ONBUILD: the trigger, parsed like a line of its own. */
  sub?: Node;
  heredocs: Heredoc[];
  startLine: number;
  endLine: number;
  /** The physical lines of the instruction, heredoc bodies included, as written. */
  original: string;
  line: LogicalLine;
}

export interface Directives {
  escape: string;
  syntax?: { value: string; pos: Pos };
  check?: { value: string; pos: Pos };
}

export interface ParsedDockerfile {
  file: string;
  directives: Directives;
  nodes: Node[];
  diagnostics: Diagnostic[];
}

const reDirective = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const reHeredoc = /^(\d*)<<(-?)([^<]*)$/;
const KNOWN_DIRECTIVES = new Set(["syntax", "escape", "check"]);
/** The instructions BuildKit's dispatch table knows (line_parsers.go). */
export const INSTRUCTIONS = [
  "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
  "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
] as const;

interface Physical {
  text: string; // without the line ending
  ending: string; // "\n", "\r\n" or "" at the end of the file
  line: number;
}

function physicalLines(source: string): Physical[] {
  const out: Physical[] = [];
  let start = 0;
  let line = 1;
  while (start < source.length) {
    const nl = source.indexOf("\n", start);
    const end = nl < 0 ? source.length : nl;
    let text = source.slice(start, end);
    let ending = nl < 0 ? "" : "\n";
    if (text.endsWith("\r")) {
      text = text.slice(0, -1);
      ending = "\r" + ending;
    }
    out.push({ text, ending, line });
    start = end + 1;
    line++;
  }
  if (out.length > 0 && out[0].text.startsWith("\uFEFF")) out[0].text = out[0].text.slice(1);
  return out;
}

const isBlank = (s: string) => /^\s*$/u.test(s);
const isComment = (s: string) => /^\s*#/u.test(s);
const leadingSpace = (s: string) => /^\s*/u.exec(s)![0].length;

export function parseDockerfile(source: string, file = "Dockerfile"): ParsedDockerfile {
  const diagnostics: Diagnostic[] = [];
  const report = (pos: Pos, path: string, message: string, severity: "error" | "warning" = "error") =>
    diagnostics.push({ file, line: pos.line, col: pos.col, path, message, severity });
  const directives: Directives = { escape: "\\" };
  const lines = physicalLines(source);
  let continuation = continuationRegExp("\\");

  // Parser directives: comments of the form `# key=value` before anything else (directives.go).
  let i = 0;
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const trimmed = lines[i].text.slice(leadingSpace(lines[i].text));
    const m = reDirective.exec(trimmed);
    if (!m || !KNOWN_DIRECTIVES.has(m[1].toLowerCase())) break;
    const key = m[1].toLowerCase();
    const pos = { line: lines[i].line, col: leadingSpace(lines[i].text) + 1 };
    const valuePos = { line: pos.line, col: pos.col + trimmed.indexOf(m[2], m[0].indexOf("=")) };
    if (seen.has(key)) {
      report(pos, `# ${key}`, `only one ${key} parser directive can be used; remove this one`);
      continue;
    }
    seen.add(key);
    if (key === "escape") {
      if (m[2] !== "\\" && m[2] !== "`") report(valuePos, "# escape", `invalid escape token '${m[2]}' does not match \` or \\; write # escape=\\ or # escape=\``);
      else {
        directives.escape = m[2];
        continuation = continuationRegExp(m[2]);
      }
    } else if (key === "syntax") {
      directives.syntax = { value: m[2], pos: valuePos };
      checkSyntax(m[2], valuePos, report);
    } else {
      directives.check = { value: m[2], pos: valuePos };
      checkCheck(m[2], valuePos, report);
    }
  }

  const nodes: Node[] = [];
  for (; i < lines.length; i++) {
    const first = lines[i];
    const text0 = first.text;
    if (isComment(text0)) {
      const m = reDirective.exec(text0.slice(leadingSpace(text0)));
      if (m && KNOWN_DIRECTIVES.has(m[1].toLowerCase()))
        report({ line: first.line, col: leadingSpace(text0) + 1 }, `# ${m[1].toLowerCase()}`, "a parser directive after the first instruction, comment or blank line is only a comment; move it to the top of the file", "warning");
      continue;
    }
    // The logical line, with the position of every character kept.
    let text = "";
    const lineOf: number[] = [];
    const colOf: number[] = [];
    const append = (s: string, line: number, col0: number) => {
      text += s;
      for (let k = 0; k < s.length; k++) {
        lineOf.push(line);
        colOf.push(col0 + k);
      }
    };
    const lead = leadingSpace(text0);
    let [part, more] = trimContinuation(text0.slice(lead), continuation);
    append(part, first.line, lead + 1);
    if (!more && part === "") continue;
    const startLine = first.line;
    let endIndex = i;
    let emptyContinuation: number | undefined;
    while (more && endIndex + 1 < lines.length) {
      endIndex++;
      const next = lines[endIndex];
      if (isComment(next.text)) continue;
      if (isBlank(next.text)) {
        emptyContinuation ??= next.line;
        continue;
      }
      [part, more] = trimContinuation(next.text, continuation);
      append(part, next.line, 1);
    }
    const lastLine = lines[endIndex];
    const logical = new LogicalLine(text, lineOf, colOf, { line: lastLine.line, col: lastLine.text.length + 1 });
    const node = nodeFromLine(logical, 0, directives.escape, report);
    if (emptyContinuation !== undefined)
      report({ line: emptyContinuation, col: 1 }, node.keyword, "an empty line inside a continuation is skipped (Docker warns: it will become an error); remove it or end the instruction before it", "warning");

    // Heredocs: bodies follow the instruction's last line, one after another (parser.go).
    const target = node.keyword === "ONBUILD" ? node.sub : node;
    if (target && ["RUN", "COPY", "ADD"].includes(target.keyword) && target.args.form !== "exec") {
      for (const doc of heredocsIn(text)) {
        const pos = logical.at(doc.offset);
        let content = "";
        let terminated = false;
        while (endIndex + 1 < lines.length) {
          endIndex++;
          const body = lines[endIndex];
          const candidate = doc.chomp ? body.text.replace(/^\t+/, "") : body.text;
          if (candidate === doc.name) {
            terminated = true;
            break;
          }
          content += body.text + body.ending;
        }
        if (!terminated) {
          report(pos, node.keyword, `unterminated heredoc: no line "${doc.name}" ends it; end the body with a line holding only ${doc.name}`);
          break;
        }
        if (doc.chomp) content = content.replace(/^\t+/gm, "");
        target.heredocs.push({ name: doc.name, expand: doc.expand, chomp: doc.chomp, fd: doc.fd, content, pos });
      }
    }
    node.startLine = startLine;
    node.endLine = lines[endIndex].line;
    node.original = lines.slice(i, endIndex + 1).map((l) => l.text + l.ending).join("").replace(/\r?\n$/, "");
    nodes.push(node);
    i = endIndex;
  }
  if (nodes.length === 0) report({ line: Math.max(lines.length, 1), col: 1 }, "", "the Dockerfile has no instructions; it needs at least a FROM");
  return { file, directives, nodes, diagnostics };
}

// BuildKit: `([^E])E[ \t]*$|^E[ \t]*$`: the escape token ends a line unless it is escaped itself.
function continuationRegExp(escape: string): RegExp {
  const e = escape === "\\" ? "\\\\" : escape;
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

function trimContinuation(line: string, re: RegExp): [string, boolean] {
  if (!re.test(line)) return [line, false];
  return [line.replace(re, "$1"), true];
}

type Report = (pos: Pos, path: string, message: string, severity?: "error" | "warning") => void;

function checkSyntax(value: string, pos: Pos, report: Report): void {
  // tupper runs no frontend images: it implements the stable docker/dockerfile:1 syntax itself.
  if (!/^(docker\.io\/)?docker\/dockerfile(-upstream)?(:1(\.\d+){0,2}(-labs)?)?(@sha256:[0-9a-f]{64})?$/.test(value))
    report(pos, "# syntax", `tupper implements the docker/dockerfile:1 syntax itself and runs no frontend image such as ${JSON.stringify(value)}; use # syntax=docker/dockerfile:1 or remove the line`);
}

function checkCheck(value: string, pos: Pos, report: Report): void {
  for (const part of value.split(";")) {
    const [key, val] = part.trim().split("=", 2);
    if (!["skip", "error", "experimental"].includes(key.trim().toLowerCase()) || val === undefined)
      report(pos, "# check", `invalid check option ${JSON.stringify(part.trim())}; use skip=RULES, error=true|false or experimental=RULES, separated by ;`);
  }
}

/** Splits a logical line into instruction, flags and arguments (split_command.go). */
function nodeFromLine(line: LogicalLine, from: number, escape: string, report: Report): Node {
  const text = line.text;
  let start = from;
  while (start < text.length && /[\t\v\f\r ]/.test(text[start])) start++;
  let cmdEnd = start;
  while (cmdEnd < text.length && !/[\t\v\f\r ]/.test(text[cmdEnd])) cmdEnd++;
  const written = text.slice(start, cmdEnd);
  const keyword = written.toUpperCase();
  let restStart = cmdEnd;
  while (restStart < text.length && /[\t\v\f\r ]/.test(text[restStart])) restStart++;
  const { flags, argsOffset } = extractFlags(line, restStart);
  let argsEnd = text.length;
  while (argsEnd > argsOffset && /\s/u.test(text[argsEnd - 1])) argsEnd--;
  const argsText = text.slice(argsOffset, argsEnd);
  const node: Node = {
    written, keyword, pos: line.at(start), flags, args: { form: "none" }, heredocs: [],
    startLine: 0, endLine: 0, original: "", line,
  };
  const where = (k: number) => line.at(argsOffset + k);
  switch (keyword) {
    case "RUN": case "CMD": case "ENTRYPOINT": case "SHELL":
      node.args = maybeJSON(argsText, where, keyword, report) ?? { form: "shell", text: argsText, pos: where(0) };
      break;
    case "COPY": case "ADD": case "VOLUME":
      node.args = maybeJSON(argsText, where, keyword, report) ?? { form: "list", words: whitespaceWords(argsText, where) };
      break;
    case "FROM": case "EXPOSE":
      node.args = { form: "list", words: whitespaceWords(argsText, where) };
      break;
    case "USER": case "WORKDIR": case "STOPSIGNAL": case "MAINTAINER":
      node.args = { form: "string", text: argsText, pos: where(0) };
      break;
    case "ENV": case "LABEL":
      node.args = nameValues(argsText, where, escape, keyword, report);
      break;
    case "ARG":
      node.args = { form: "pairs", legacy: false, pairs: quotedWords(argsText, escape).map((w) => splitPair(w, where)) };
      break;
    case "HEALTHCHECK": {
      // HEALTHCHECK [flags] NONE | CMD <command>: the type word, then the command (line_parsers.go)
      const m = /^(\S+)(\s+)?/u.exec(argsText);
      if (m) {
        node.args = { form: "string", text: m[1], pos: where(0) };
        const rest = argsText.slice(m[0].length);
        const restAt = (k: number) => where(m[0].length + k);
        const cmd = rest === "" ? undefined : (maybeJSON(rest, restAt, keyword, report) ?? { form: "shell" as const, text: rest, pos: restAt(0) });
        if (cmd) node.sub = { ...node, written: m[1], keyword: "CMD", pos: restAt(0), flags: [], args: cmd, sub: undefined, heredocs: [] };
      }
      break;
    }
    case "ONBUILD":
      if (argsText !== "") node.sub = nodeFromLine(line, argsOffset, escape, report);
      break;
    default:
      node.args = { form: "string", text: argsText, pos: where(0) };
  }
  return node;
}

/** `--name=value` words before the arguments, quotes allowed, `\` escaping (extractBuilderFlags). */
function extractFlags(line: LogicalLine, from: number): { flags: Flag[]; argsOffset: number } {
  const text = line.text;
  const flags: Flag[] = [];
  let pos = from;
  for (;;) {
    while (pos < text.length && /\s/u.test(text[pos])) pos++;
    if (!(text[pos] === "-" && text[pos + 1] === "-")) return { flags, argsOffset: pos };
    const wordStart = pos;
    let word = "";
    let quote = "";
    let valueStart = -1;
    for (; pos < text.length; pos++) {
      const ch = text[pos];
      if (quote === "" && /\s/u.test(ch)) break;
      if (quote === "" && (ch === "'" || ch === '"')) {
        quote = ch;
        continue;
      }
      if (quote !== "" && ch === quote) {
        quote = "";
        continue;
      }
      if (ch === "\\") {
        if (pos + 1 === text.length) continue;
        pos++;
        word += text[pos];
        continue;
      }
      if (ch === "=" && valueStart < 0) valueStart = pos + 1;
      word += ch;
    }
    if (word === "--") return { flags, argsOffset: pos };
    const eq = word.indexOf("=");
    flags.push({
      name: eq < 0 ? word.slice(2) : word.slice(2, eq),
      value: eq < 0 ? undefined : word.slice(eq + 1),
      pos: line.at(wordStart),
      valuePos: line.at(valueStart < 0 ? wordStart : valueStart),
    });
  }
}

/** JSON form when the text is a JSON array of strings (parseMaybeJSON); undefined otherwise. */
function maybeJSON(text: string, where: (k: number) => Pos, keyword: string, report: Report): Args | undefined {
  if (!text.startsWith("[")) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined; // not JSON: BuildKit silently takes it as shell form
  }
  if (!Array.isArray(parsed)) return undefined;
  const offsets = jsonStringOffsets(text);
  if (parsed.some((v) => typeof v !== "string") || offsets.length !== parsed.length) {
    report(where(0), keyword, "when using JSON array syntax, arrays must be comprised of strings only; quote every element");
    return { form: "exec", words: [] };
  }
  return { form: "exec", words: (parsed as string[]).map((raw, k) => ({ raw, pos: where(offsets[k]) })) };
}

/** Offsets of the top-level string elements of a JSON array. */
function jsonStringOffsets(text: string): number[] {
  const out: number[] = [];
  let depth = 0;
  for (let k = 0; k < text.length; k++) {
    const ch = text[k];
    if (ch === '"') {
      if (depth === 1) out.push(k);
      for (k++; k < text.length && text[k] !== '"'; k++) if (text[k] === "\\") k++;
    } else if (ch === "[" || ch === "{") depth++;
    else if (ch === "]" || ch === "}") depth--;
  }
  return out;
}

/** Whitespace-separated words (parseStringsWhitespaceDelimited). */
function whitespaceWords(text: string, where: (k: number) => Pos): Word[] {
  const out: Word[] = [];
  const re = /[^\t\v\f\r ]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ raw: m[0], pos: where(m.index) });
  return out;
}

/** Words split on blanks outside quotes, quotes and escapes kept (parseWords). */
function quotedWords(text: string, escape: string): { raw: string; offset: number }[] {
  const out: { raw: string; offset: number }[] = [];
  let word = "";
  let start = -1;
  let quote = "";
  let blankOK = false;
  const flush = () => {
    if (blankOK || word.length > 0) out.push({ raw: word, offset: start });
    word = "";
    start = -1;
    blankOK = false;
  };
  const chars = [...text];
  let offset = 0;
  for (let k = 0; k < chars.length; offset += chars[k].length, k++) {
    const ch = chars[k];
    if (quote === "") {
      if (/\s/u.test(ch)) {
        if (start >= 0) flush();
        continue;
      }
      if (start < 0) start = offset;
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
      }
      if (ch === escape) {
        if (k + 1 === chars.length) continue;
        word += ch;
        k++;
        offset += ch.length;
        word += chars[k];
        continue;
      }
      word += ch;
    } else {
      if (ch === quote) quote = "";
      else if (ch === escape && quote !== "'") {
        if (k + 1 === chars.length) {
          quote = "";
          continue;
        }
        word += ch;
        k++;
        offset += ch.length;
        word += chars[k];
        continue;
      }
      word += ch;
    }
  }
  if (start >= 0) flush();
  return out;
}

function splitPair(w: { raw: string; offset: number }, where: (k: number) => Pos): { key: Word; value: Word | undefined } {
  const eq = w.raw.indexOf("=");
  if (eq < 0) return { key: { raw: w.raw, pos: where(w.offset) }, value: undefined };
  return { key: { raw: w.raw.slice(0, eq), pos: where(w.offset) }, value: { raw: w.raw.slice(eq + 1), pos: where(w.offset + eq + 1) } };
}

/** ENV and LABEL: `name value` (legacy) or `name=value ...` (parseNameVal). */
function nameValues(text: string, where: (k: number) => Pos, escape: string, keyword: string, report: Report): Args {
  const words = quotedWords(text, escape);
  if (words.length === 0) {
    report(where(0), keyword, `${keyword} must have two arguments; write ${keyword} name=value`);
    return { form: "pairs", legacy: false, pairs: [] };
  }
  if (!words[0].raw.includes("=")) {
    const m = /^(\S+)[\t\v\f\r ]+/u.exec(text);
    if (!m) {
      report(where(0), keyword, `${keyword} must have two arguments; write ${keyword} ${words[0].raw}=VALUE`);
      return { form: "pairs", legacy: true, pairs: [] };
    }
    return { form: "pairs", legacy: true, pairs: [{ key: { raw: m[1], pos: where(0) }, value: { raw: text.slice(m[0].length), pos: where(m[0].length) } }] };
  }
  const pairs: { key: Word; value: Word | undefined }[] = [];
  for (const w of words) {
    if (!w.raw.includes("=")) {
      report(where(w.offset), keyword, `Syntax error - can't find = in ${JSON.stringify(w.raw)}; must be of the form: name=value`);
      continue;
    }
    pairs.push(splitPair(w, where));
  }
  return { form: "pairs", legacy: false, pairs };
}

/** Heredoc markers on a line: words like `<<EOF`, `<<-'EOF'`, `3<<EOF` (heredocsFromLine). */
function heredocsIn(text: string): { name: string; expand: boolean; chomp: boolean; fd: number | undefined; offset: number }[] {
  let words: string[];
  try {
    words = lex(text, () => undefined, { escape: "\\", rawQuotes: true, rawEscapes: true, skipUnsetEnv: true }).words;
  } catch (e) {
    if (e instanceof LexError) return [];
    throw e;
  }
  const out: { name: string; expand: boolean; chomp: boolean; fd: number | undefined; offset: number }[] = [];
  let searchFrom = 0;
  for (let w = 0; w < words.length; w++) {
    const word = words[w];
    let m = reHeredoc.exec(word);
    const offset = text.indexOf(word, searchFrom);
    if (offset >= 0) searchFrom = offset + word.length;
    // `<<  EOF` and `<<- EOF`: blanks between the operator and the delimiter (BuildKit accepts them)
    if (m && m[3] === "" && w + 1 < words.length && !words[w + 1].includes("<<")) {
      m = reHeredoc.exec(word + words[++w]);
      const next = text.indexOf(words[w], searchFrom);
      if (next >= 0) searchFrom = next + words[w].length;
    }
    if (!m || m[3] === "") continue;
    let plain: string[];
    let raw: string[];
    try {
      plain = lex(m[3], () => undefined, { escape: "\\", skipUnsetEnv: true }).words;
      raw = lex(m[3], () => undefined, { escape: "\\", skipUnsetEnv: true, rawQuotes: true }).words;
    } catch (e) {
      if (e instanceof LexError) continue;
      throw e;
    }
    if (plain.length !== 1 || raw.length !== 1) continue;
    const quotes = (s: string) => (s.match(/['"]/g) ?? []).length;
    out.push({ name: plain[0], expand: quotes(plain[0]) === quotes(raw[0]), chomp: m[2] === "-", fd: m[1] === "" ? undefined : Number(m[1]), offset: Math.max(offset, 0) });
  }
  return out;
}
