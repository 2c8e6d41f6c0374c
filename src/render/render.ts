// Stage 4: the view → bash, through the templates in templates/. The only place bash text is made.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Handlebars from "handlebars";
import { templatesDir } from "../paths.js";
import type { Plan } from "../model/plan.js";
import { buildView } from "./view.js";
import type { Word } from "./quote.js";
import type { HelperInfo } from "../helper/helper.js";

let compiled: Handlebars.TemplateDelegate | undefined;

/**
 * Lazy sections (issue 24): `{{#lazy "NAME"}}functions{{/lazy}}` leaves, where it stands, one
 * stub line per function, which loads the section the first time it is called; the functions
 * themselves are written by `{{lazySections}}`, below the start path, where bash reads them
 * only for the verbs that read the whole script, or when the script is not a file. A start
 * then parses the functions it calls, not the ones it might. The sections of the script being
 * rendered, in order; renderScript fills SECTIONS with where each one is. Blocks of one name
 * in several partials are one section.
 */
let sections: { name: string; body: string; spec: boolean }[] = [];
const FUNCTION = /^([a-z_][a-z0-9_]*)\(\) \{/gm;
/**
 * Where the compiler fills in what it knows only once the whole script is rendered (the
 * section table, the runtime's lines and hash), and the lines it finds by position (each
 * section's first and last, the runtime's): each a token with NUL at both ends. No spec
 * value holds a NUL (quote.ts refuses one, comments escape it), so none can forge or move
 * one, as a value with a newline and "# ---- section up" after it could forge a line.
 */
const token = (name: string): string => `\u0000${name}\u0000`;
const SECTIONS_TABLE = token("sections");
const RUNTIME_HEADER = token("runtime");
const RUNTIME_BEGINS_LINE = "# ---- tupper runtime begins ----------------------------------------------------------";
const RUNTIME_ENDS_LINE = "# ---- tupper runtime ends ------------------------------------------------------------";

function scriptTemplate(): Handlebars.TemplateDelegate {
  if (compiled) return compiled;
  const hb = Handlebars.create();
  // Lists of words, space-separated: the view holds only quoted words, so joining them is safe.
  hb.registerHelper("words", (list: Word[]) => list.join(" "));
  hb.registerHelper("lazy", function (this: unknown, name: string, options: Handlebars.HelperOptions) {
    // spec=true: a section of this project's own (a service's values), written after the
    // runtime; the others are tupper's, the same for every spec, and part of the runtime
    const spec = options.hash.spec === true;
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`lazy section ${JSON.stringify(name)}: not a name of [a-z0-9-]`);
    const body = options.fn(this).replace(/^\n+/, "").replace(/\n*$/, "\n");
    const functions = [...body.matchAll(FUNCTION)].map((m) => m[1]);
    if (functions.length === 0) throw new Error(`lazy section ${name} defines no function`);
    // blocks of one name, in several partials (each function stays with its phase), make one
    // section: loaded together, as what a start needs at one moment (teardown)
    const known = sections.find((s) => s.name === name);
    if (known) {
      const twice = functions.filter((f) => [...known.body.matchAll(FUNCTION)].some((m) => m[1] === f));
      if (twice.length) throw new Error(`lazy section ${name} defines ${twice.join(", ")} twice`);
      if (known.spec !== spec) throw new Error(`lazy section ${name}: spec=true on some of its blocks only`);
      known.body += `\n${body}`;
    } else sections.push({ name, body, spec });
    // shellcheck sees each stub redefined below before any call, hence never run (SC2317)
    const stub = (f: string) => `${f}() { section_load ${name} && ${f} "$@"; }`;
    const directive = `# shellcheck disable=SC2317 # a stub loads lazy section ${name}, which replaces it, then runs again`;
    if (functions.length === 1) return `${directive}\n${stub(functions[0])}\n`;
    return `${directive}\n{\n${functions.map((f) => `  ${stub(f)}\n`).join("")}}\n`;
  });
  // a section's name made of words and a number, e.g. (sectionName "service" @index): service-0
  hb.registerHelper("sectionName", (word: string, n: number) => `${word}-${n}`);
  // the runtime's first and last line (see runtimeOf), and the header's line that names them
  hb.registerHelper("runtimeBegins", () => token("runtime begins"));
  hb.registerHelper("runtimeEnds", () => token("runtime ends"));
  hb.registerHelper("runtimeHeader", () => RUNTIME_HEADER);
  hb.registerHelper("sectionsTable", () => SECTIONS_TABLE);
  // "runtime": tupper's sections (inside the runtime); "spec": the project's own
  hb.registerHelper("lazySections", (kind: "runtime" | "spec") => {
    if (kind !== "runtime" && kind !== "spec") throw new Error(`lazySections "${String(kind)}": say runtime or spec`);
    return sections
      .filter((s) => s.spec === (kind === "spec"))
      .map((s) => `${token(`section ${s.name}`)}\n${s.body}${token(`end of section ${s.name}`)}\n`)
      .join("");
  });
  const partials = join(templatesDir, "partials");
  for (const file of readdirSync(partials).sort()) {
    // NAME.sh.hbs holds handlebars; NAME.sh is plain bash, the same for every spec (and linted alone)
    const name = file.endsWith(".sh.hbs") ? file.slice(0, -".sh.hbs".length) : file.endsWith(".sh") ? file.slice(0, -".sh".length) : null;
    if (name !== null) hb.registerPartial(name, readFileSync(join(partials, file), "utf8"));
  }
  // noEscape: HTML escaping has no place in bash; quoting was done by the view.
  // strict: a name the view does not have is an error, never an empty string.
  compiled = hb.compile(readFileSync(join(templatesDir, "script.sh.hbs"), "utf8"), { noEscape: true, strict: true });
  return compiled;
}

export function renderScript(plan: Plan, helper: HelperInfo): string {
  const template = scriptTemplate();
  sections = [];
  const lines = template(buildView(plan, helper)).split("\n");
  /** The line number of token NAME, which must be a line of its own, once; it becomes TEXT. */
  const place = (name: string, text: string): number => {
    const at = lines.indexOf(token(name));
    if (at < 0 || lines.indexOf(token(name), at + 1) >= 0) throw new Error(`internal error: the script must hold ${name} once, as a line`);
    lines[at] = text;
    return at + 1;
  };
  const table = sections.map(({ name }) => {
    const at = place(`section ${name}`, `# ---- section ${name}`);
    const end = place(`end of section ${name}`, `# ---- end of section ${name}`);
    return `[${name}]='${at} ${end - at + 1}'`;
  });
  const begins = place("runtime begins", RUNTIME_BEGINS_LINE);
  const ends = place("runtime ends", RUNTIME_ENDS_LINE);
  const runtime = `${lines.slice(begins - 1, ends).join("\n")}\n`;
  let script = lines.join("\n");
  for (const [what, value] of [
    [SECTIONS_TABLE, table.join(" ")],
    [RUNTIME_HEADER, runtimeHeader(begins, ends, sha256Hex(runtime))],
  ]) {
    if (script.split(what).length !== 2) throw new Error("internal error: a script must hold each of its tables once");
    script = script.replace(what, value);
  }
  if (script.includes("\u0000")) throw new Error("internal error: a NUL is left in the script");
  return script;
}

/** The header's line that names the runtime: where it is, and its sha256. */
const runtimeHeader = (begins: number, ends: number, sha256: string): string =>
  `# every script of this tupper version, its lines ${begins} to ${ends} here, sha256 ${sha256}:`;
const RUNTIME_HEADER_LINE = /^# every script of this tupper version, its lines (\d+) to (\d+) here, sha256 ([0-9a-f]{64}):$/;

/**
 * The runtime of a rendered script: the lines its header names (from "tupper runtime begins"
 * to "tupper runtime ends", both included), and the sha256 the header gives. Every script of
 * one tupper version holds the same (test/unit/runtime.test.ts). The header comes before any
 * spec value, so a value that looks like a marker moves nothing.
 */
export function runtimeOf(script: string): { text: string; sha256: string } {
  const lines = script.split("\n");
  const header = lines.slice(0, 12).map((l) => RUNTIME_HEADER_LINE.exec(l)).find((m) => m !== null);
  if (!header) throw new Error("internal error: a script without its runtime's header line");
  const [begins, ends] = [Number(header[1]), Number(header[2])];
  if (lines[begins - 1] !== RUNTIME_BEGINS_LINE || lines[ends - 1] !== RUNTIME_ENDS_LINE) throw new Error("internal error: the runtime is not where the header says");
  return { text: `${lines.slice(begins - 1, ends).join("\n")}\n`, sha256: header[3] };
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
