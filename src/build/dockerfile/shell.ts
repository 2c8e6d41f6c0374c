// Docker's word lexer: quote removal, escapes and variable substitution, the way BuildKit's
// frontend/dockerfile/shell/lex.go does it (its processStopOn/processDollar/processName), so a
// value tupper computes at compile time is the value `docker build` would have used.
//
// Supported forms (all of BuildKit's): $V ${V} ${V:-w} ${V-w} ${V:+w} ${V+w} ${V:?m} ${V?m}
// ${V#p} ${V##p} ${V%p} ${V%%p} ${V/p/r} ${V//p/r}. Patterns know `*` and `?` and `\` escapes,
// no bracket expressions (as in BuildKit). Anything else is an error, never a silent literal.

export interface LexOptions {
  /** The escape token: `\` or a backtick (the `# escape=` directive). */
  escape: string;
  /** Keep quote characters in the output (used to find heredoc delimiters). */
  rawQuotes?: boolean;
  /** Keep escape tokens in the output. */
  rawEscapes?: boolean;
  /** Quotes are ordinary characters (COPY heredoc bodies). */
  skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written. */
  skipUnsetEnv?: boolean;
}

/** Looks a variable up: its value, or undefined when it is unset. */
export type EnvLookup = (name: string) => string | undefined;

export class LexError extends Error {}

export interface LexResult {
  /** The processed text, spaces between words kept (BuildKit's ProcessWord). */
  word: string;
  /** The processed text split into words after substitution (BuildKit's ProcessWords). */
  words: string[];
  /** Variables referenced but unset: a base image's Env the compiler could not see, or a typo. */
  unset: Set<string>;
}

const EOF = "";

class Words {
  words: string[] = [];
  buf = "";
  inWord = false;
  addChar(ch: string): void {
    if (isSpace(ch) && this.inWord) {
      if (this.buf.length !== 0) {
        this.words.push(this.buf);
        this.buf = "";
        this.inWord = false;
      }
    } else if (!isSpace(ch)) this.addRawChar(ch);
  }
  addRawChar(ch: string): void {
    this.buf += ch;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }
  addRawString(s: string): void {
    this.buf += s;
    this.inWord = true;
  }
  get(): string[] {
    if (this.buf.length > 0) {
      this.words.push(this.buf);
      this.buf = "";
      this.inWord = false;
    }
    return this.words;
  }
}

function isSpace(ch: string): boolean {
  return /^\s$/u.test(ch);
}

class Scanner {
  private i = 0;
  private readonly chars: string[];
  constructor(text: string) {
    this.chars = [...text];
  }
  peek(): string {
    return this.i < this.chars.length ? this.chars[this.i] : EOF;
  }
  next(): string {
    return this.i < this.chars.length ? this.chars[this.i++] : EOF;
  }
}

class ShellWord {
  private readonly sc: Scanner;
  private rawEscapes: boolean;
  readonly unset = new Set<string>();
  constructor(
    text: string,
    private readonly env: EnvLookup,
    private readonly opts: LexOptions,
  ) {
    this.sc = new Scanner(text);
    this.rawEscapes = opts.rawEscapes ?? false;
  }

  run(): { word: string; words: string[] } {
    return this.processStopOn(EOF, this.rawEscapes);
  }

  private processStopOn(stop: string, rawEscapes: boolean): { word: string; words: string[] } {
    let result = "";
    const words = new Words();
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      while (this.sc.peek() !== EOF) {
        let ch = this.sc.peek();
        if (stop !== EOF && ch === stop) {
          this.sc.next();
          return { word: result, words: words.get() };
        }
        if (ch === "$") {
          const value = this.processDollar();
          result += value;
          words.addString(value);
        } else if (!this.opts.skipProcessQuotes && (ch === "'" || ch === '"')) {
          const value = ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
          result += value;
          words.addRawString(value);
        } else {
          ch = this.sc.next();
          if (ch === this.opts.escape) {
            if (this.rawEscapes) {
              words.addRawChar(ch);
              result += ch;
            }
            // the escape token escapes the next character, and vanishes at the end of the text
            ch = this.sc.next();
            if (ch === EOF) break;
            words.addRawChar(ch);
          } else {
            words.addChar(ch);
          }
          result += ch;
        }
      }
      if (stop !== EOF) throw new LexError(`unexpected end of statement while looking for matching ${stop}`);
      return { word: result, words: words.get() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  private processSingleQuote(): string {
    let result = "";
    let ch = this.sc.next();
    if (this.opts.rawQuotes) result += ch;
    for (;;) {
      ch = this.sc.next();
      if (ch === EOF) throw new LexError("unexpected end of statement while looking for matching single-quote");
      if (ch === "'") {
        if (this.opts.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    let result = "";
    const open = this.sc.next();
    if (this.opts.rawQuotes) result += open;
    for (;;) {
      const peek = this.sc.peek();
      if (peek === EOF) throw new LexError("unexpected end of statement while looking for matching double-quote");
      if (peek === '"') {
        const ch = this.sc.next();
        if (this.opts.rawQuotes) result += ch;
        return result;
      }
      if (peek === "$") {
        result += this.processDollar();
        continue;
      }
      let ch = this.sc.next();
      if (ch === this.opts.escape) {
        if (this.rawEscapes) result += ch;
        const after = this.sc.peek();
        if (after === EOF) continue;
        // inside double quotes the escape token only escapes ", $ and itself
        if (after === '"' || after === "$" || after === this.opts.escape) ch = this.sc.next();
      }
      result += ch;
    }
  }

  private lookup(name: string): string | undefined {
    const value = this.env(name);
    if (value === undefined) this.unset.add(name);
    return value;
  }

  private processDollar(): string {
    this.sc.next();
    if (this.sc.peek() !== "{") {
      const name = this.processName();
      if (name === "") return "$";
      const value = this.lookup(name);
      if (value === undefined && this.opts.skipUnsetEnv) return `$${name}`;
      return value ?? "";
    }
    this.sc.next();
    const first = this.sc.peek();
    if (first === EOF) throw new LexError("syntax error: missing '}'");
    if (first === "{" || first === "}" || first === ":") throw new LexError("syntax error: bad substitution");
    const name = this.processName();
    let ch = this.sc.next();
    // BuildKit says "unsupported modifier (\uFFFD)" here; the cause is the missing brace
    if (ch === EOF) throw new LexError("syntax error: missing '}'");
    let chs = ch;
    let nullIsUnset = false;
    if (ch === ":") {
      nullIsUnset = true;
      ch = this.sc.next();
      chs += ch;
      if (!"+-?#%".includes(ch) || ch === "") throw new LexError(`unsupported modifier (${chs}) in substitution`);
    }
    switch (ch) {
      case "}": {
        const value = this.lookup(name);
        if (value === undefined && this.opts.skipUnsetEnv) return `\${${name}}`;
        return value ?? "";
      }
      case "+":
      case "-":
      case "?":
      case "#":
      case "%": {
        const rawEscapes = ch === "#" || ch === "%";
        if (nullIsUnset && rawEscapes) throw new LexError(`unsupported modifier (${chs}) in substitution`);
        let word: string;
        try {
          word = this.processStopOn("}", rawEscapes).word;
        } catch (e) {
          if (this.sc.peek() === EOF) throw new LexError("syntax error: missing '}'");
          throw e;
        }
        const value = this.lookup(name);
        if (this.opts.skipUnsetEnv && value === undefined) return `\${${name}${chs}${word}}`;
        const empty = value === undefined || (nullIsUnset && value === "");
        switch (ch) {
          case "-":
            return empty ? word : (value ?? "");
          case "+":
            return empty ? "" : word;
          case "?":
            if (value === undefined) throw new LexError(`${name}: ${word || "is not allowed to be unset"}`);
            if (nullIsUnset && value === "") throw new LexError(`${name}: ${word || "is not allowed to be empty"}`);
            return value;
          case "%":
          case "#": {
            let greedy = false;
            if (word.length > 0 && word[0] === ch) {
              greedy = true;
              word = word.slice(1);
            }
            return ch === "%" ? trimSuffix(word, value ?? "", greedy) : trimPrefix(word, value ?? "", greedy);
          }
          default:
            throw new LexError(`unsupported modifier (${chs}) in substitution`);
        }
      }
      case "/": {
        const all = this.sc.peek() === "/";
        if (all) this.sc.next();
        let pattern: string;
        let replacement: string;
        try {
          pattern = this.processStopOn("/", true).word;
        } catch (e) {
          if (this.sc.peek() === EOF) throw new LexError("syntax error: missing '/' in ${}");
          throw e;
        }
        try {
          replacement = this.processStopOn("}", true).word;
        } catch (e) {
          if (this.sc.peek() === EOF) throw new LexError("syntax error: missing '}'");
          throw e;
        }
        const value = this.lookup(name);
        if (this.opts.skipUnsetEnv && value === undefined) return `\${${name}/${pattern}/${replacement}}`;
        const re = shellPatternToRegExp(pattern, true, false, all);
        return (value ?? "").replace(re, () => replacement);
      }
      default:
        throw new LexError(`unsupported modifier (${chs}) in substitution`);
    }
  }

  private processName(): string {
    let name = "";
    while (this.sc.peek() !== EOF) {
      const ch = this.sc.peek();
      if (name.length === 0 && /^\p{Nd}$/u.test(ch)) {
        while (this.sc.peek() !== EOF && /^\p{Nd}$/u.test(this.sc.peek())) name += this.sc.next();
        return name;
      }
      if (name.length === 0 && "@*#?-$!0".includes(ch)) return this.sc.next();
      if (!/^[\p{L}\p{Nd}_]$/u.test(ch)) break;
      name += this.sc.next();
    }
    return name;
  }
}

/** BuildKit's convertShellPatternToRegex: `*` and `?`, `\` escapes, everything else literal. */
function shellPatternToRegExp(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  let out = anchored ? "^" : "";
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === "*") out += greedy ? "[\\s\\S]*" : "[\\s\\S]*?";
    else if (ch === "?") out += "[\\s\\S]";
    else if (ch === "\\") {
      const next = chars[i + 1];
      // `\}` and `\/` are escapes of the ${} syntax, not part of the pattern
      if (next === "}" || next === "/") continue;
      if (next !== "*" && next !== "?" && next !== "\\") throw new LexError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${next ?? ""}'`);
      out += `\\${next}`;
      i++;
    } else out += ch.replace(/[[\]{}.+()|^$*?\\/]/g, "\\$&");
  }
  return new RegExp(out, global ? "gu" : "u");
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = shellPatternToRegExp(pattern, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

// A regular expression cannot find the shortest rightmost match: reverse both, as BuildKit does.
function reversePattern(pattern: string): string {
  const chars = [...pattern];
  const out: string[] = new Array<string>(chars.length);
  const last = chars.length - 1;
  for (let i = 0; i <= last; ) {
    const at = last - i;
    if (chars[i] === "\\" && i !== last) {
      out[at - 1] = chars[i];
      out[at] = chars[i + 1];
      i += 2;
    } else {
      out[at] = chars[i];
      i++;
    }
  }
  return out.join("");
}

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  const reversed = [...value].reverse().join("");
  return [...trimPrefix(reversePattern(pattern), reversed, greedy)].reverse().join("");
}

/** Processes TEXT like BuildKit's Lex.ProcessWord/ProcessWords; throws LexError. */
export function lex(text: string, env: EnvLookup, opts: LexOptions): LexResult {
  const sw = new ShellWord(text, env, opts);
  const { word, words } = sw.run();
  return { word, words, unset: sw.unset };
}
