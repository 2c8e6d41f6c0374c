// Parsers for the value formats Compose uses. Each returns a value or an explanation, never throws.

import { partsOf, textOf, type RuntimeRef, type ShellText } from "../spec/runtime.js";

export type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(why: string): Parsed<T> => ({ ok: false, why });

const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** Compose byte sizes: 268435456, "256m", "1g", "512kb". */
export function parseSize(raw: unknown): Parsed<number> {
  if (typeof raw === "number") {
    return Number.isSafeInteger(raw) && raw > 0 ? ok(raw) : bad(`${raw} is not a positive whole number of bytes`);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(String(raw));
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase() || "b"] : undefined;
  if (!m || unit === undefined) return bad(`${JSON.stringify(raw)} is not a size`);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) return bad(`${JSON.stringify(raw)} is not a positive size`);
  return ok(bytes);
}

/**
 * Docker's log sizes (logging.options.max-size): decimal units, as Docker's FromHumanSize
 * reads them ("10m" is 10,000,000 bytes; "10mb", "10MiB" too).
 */
export function parseLogSize(raw: unknown): Parsed<number> {
  if (typeof raw === "number") {
    return Number.isSafeInteger(raw) && raw > 0 ? ok(raw) : bad(`${raw} is not a positive whole number of bytes`);
  }
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(String(raw));
  if (!m) return bad(`${JSON.stringify(raw)} is not a size`);
  const bytes = Math.floor(Number(m[1]) * 1000 ** ("_kmgtp".indexOf((m[2] ?? "_").toLowerCase())));
  if (!Number.isSafeInteger(bytes) || bytes <= 0) return bad(`${JSON.stringify(raw)} is not a positive size`);
  return ok(bytes);
}

/** Go-style durations as Compose writes them: "10s", "1m30s", "500ms", "1h". Result in milliseconds. */
export function parseDuration(raw: string): Parsed<number> {
  const units: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(us|ms|s|m|h)/y;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(raw); m; m = re.exec(raw)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched = re.lastIndex;
  }
  if (raw.length === 0 || matched !== raw.length) return bad(`${JSON.stringify(raw)} is not a duration`);
  return ok(Math.round(total));
}

/** cpus: a positive number of CPUs, at most 1024, with at most 2 decimals as Docker accepts. */
export function parseCpus(raw: unknown): Parsed<number> {
  const n = typeof raw === "number" ? raw : Number(String(raw).trim());
  if (!Number.isFinite(n) || n <= 0 || n > 1024) return bad(`${JSON.stringify(raw)} is not a number of CPUs greater than 0`);
  return ok(n);
}

/** cpuset lists: "0", "0-3", "0,2-3". Returns the list as written, normalised (no spaces). */
export function parseCpuList(raw: string): Parsed<string> {
  const text = raw.replace(/\s+/g, "");
  const parts = text.split(",");
  for (const part of parts) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m || (m[2] !== undefined && Number(m[2]) < Number(m[1]))) return bad(`${JSON.stringify(raw)} is not a CPU list`);
  }
  return ok(text);
}

const SIGNALS = [
  "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
  "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO",
  "PWR", "SYS",
];

/** Signal names as Docker takes them (SIGTERM, TERM, 15); normalised to the bare name bash's kill -s takes. */
export function parseSignal(raw: string): Parsed<string> {
  const text = raw.trim().toUpperCase();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= 1 && n <= SIGNALS.length ? ok(SIGNALS[n - 1]!) : bad(`${raw} is not a signal number`);
  }
  const name = text.startsWith("SIG") ? text.slice(3) : text;
  if (SIGNALS.includes(name)) return ok(name);
  if (/^RTMIN(\+\d+)?$|^RTMAX(-\d+)?$/.test(name)) return ok(name);
  return bad(`${JSON.stringify(raw)} is not a signal name`);
}

/** uid[:gid], numeric. A missing gid is 0, as Docker does when the uid has no passwd entry. */
/**
 * user: uid[:gid] (numbers: the script passes them as they are) or a name in either place
 * (resolved inside the container from the image's /etc/passwd and /etc/group, as Docker does).
 */
/** user: numbers, or a name (name:group...) that tupper-init resolves in the container. */
export type User = { uid: number; gid: number; name: null } | { uid: null; gid: null; name: string };

export function parseUser(raw: string | number): Parsed<User> {
  const text = String(raw).trim();
  const m = /^(\d+)(?::(\d+))?$/.exec(text);
  const max = 0xfffffffe;
  if (m) {
    const uid = Number(m[1]);
    const gid = m[2] === undefined ? 0 : Number(m[2]);
    if (uid > max || gid > max) return bad(`${JSON.stringify(raw)} is out of range (0 to ${max})`);
    return ok({ uid, gid, name: null });
  }
  const part = "(?:[A-Za-z_][A-Za-z0-9_.-]*\\$?|\\d+)";
  if (!new RegExp(`^${part}(?::${part})?$`).test(text)) return bad(`${JSON.stringify(raw)} is not a user name, uid, name:group or uid:gid`);
  return ok({ uid: null, gid: null, name: text });
}

/** A group_add entry: a group name or a gid. */
export function parseGroup(raw: string | number): Parsed<string> {
  const text = String(raw).trim();
  if (/^(\d+|[A-Za-z_][A-Za-z0-9_.-]*\$?)$/.test(text)) return ok(text);
  return bad(`${JSON.stringify(raw)} is not a group name or gid`);
}

/**
 * Splits a command string into words the way Compose does (shell quoting rules, no expansion):
 * 'echo "a b" c\\ d' → ["echo", "a b", "c d"]. A runtime variable (x-tupper.runtime_env) is
 * part of the word it stands in, quoted or not, and never splits it: its value is one word.
 */
export function splitShellWords(text: ShellText): Parsed<ShellText[]> {
  const words: ShellText[] = [];
  let word: (string | RuntimeRef)[] = [];
  let inWord = false;
  let quote: "'" | '"' | null = null;
  for (const part of partsOf(text)) {
    if (typeof part !== "string") {
      word.push(part);
      inWord = true;
      continue;
    }
    for (let i = 0; i < part.length; i++) {
      const c = part[i]!;
      if (quote === "'") {
        if (c === "'") quote = null;
        else word.push(c);
      } else if (quote === '"') {
        if (c === '"') quote = null;
        else if (c === "\\" && i + 1 < part.length && '"\\$`\n'.includes(part[i + 1]!)) word.push(part[++i]!);
        else word.push(c);
      } else if (c === "'" || c === '"') {
        quote = c;
        inWord = true;
      } else if (c === "\\") {
        if (i + 1 >= part.length) return bad("ends with a lone backslash");
        word.push(part[++i]!);
        inWord = true;
      } else if (/\s/.test(c)) {
        if (inWord) words.push(textOf(word));
        word = [];
        inWord = false;
      } else {
        word.push(c);
        inWord = true;
      }
    }
  }
  if (quote) return bad(`has an unclosed ${quote} quote`);
  if (inWord) words.push(textOf(word));
  return ok(words);
}
