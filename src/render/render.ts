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
const SECTIONS_PLACEHOLDER = "@@SECTIONS@@";

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
  // "runtime": tupper's sections (inside the runtime); "spec": the project's own
  hb.registerHelper("lazySections", (kind: "runtime" | "spec") => {
    if (kind !== "runtime" && kind !== "spec") throw new Error(`lazySections "${String(kind)}": say runtime or spec`);
    return sections
      .filter((s) => s.spec === (kind === "spec"))
      .map((s) => `# ---- section ${s.name}\n${s.body}# ---- end of section ${s.name}\n`)
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
  const script = template(buildView(plan, helper));
  return withRuntimeHash(withSectionTable(script, sections));
}

const RUNTIME_BEGINS = /^# ---- tupper runtime begins -+$/m;
const RUNTIME_ENDS = /^# ---- tupper runtime ends -+$/m;
const RUNTIME_HASH_PLACEHOLDER = "@@RUNTIME_SHA256@@";

/**
 * The runtime of a rendered script: its lines from "tupper runtime begins" to "tupper runtime
 * ends", both included. Every script of one tupper version holds the same (test/unit/runtime.test.ts).
 */
export function runtimeOf(script: string): string {
  const begins = RUNTIME_BEGINS.exec(script);
  const ends = RUNTIME_ENDS.exec(script);
  if (!begins || !ends || ends.index < begins.index) throw new Error("internal error: a script without its runtime markers");
  return script.slice(begins.index, ends.index + ends[0].length + 1);
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** The script with the runtime's sha256 in its header. */
function withRuntimeHash(script: string): string {
  if (script.split(RUNTIME_HASH_PLACEHOLDER).length !== 2) throw new Error("internal error: the script must name its runtime's sha256 once");
  return script.replace(RUNTIME_HASH_PLACEHOLDER, sha256Hex(runtimeOf(script)));
}

/** The script with SECTIONS filled: each lazy section's first line and length, as section_load reads them. */
function withSectionTable(script: string, done: { name: string }[]): string {
  const lines = script.split("\n");
  const table = done.map(({ name }) => {
    const at = lines.indexOf(`# ---- section ${name}`) + 1;
    const end = lines.indexOf(`# ---- end of section ${name}`) + 1;
    if (at === 0 || end <= at) throw new Error(`internal error: lazy section ${name} was not written`);
    return `[${name}]='${at} ${end - at + 1}'`;
  });
  if (script.split(SECTIONS_PLACEHOLDER).length !== 2) throw new Error("internal error: the script must hold SECTIONS once");
  return script.replace(SECTIONS_PLACEHOLDER, table.join(" "));
}
