// Stage 4: the view → bash, through the templates in templates/. The only place bash text is made.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Handlebars from "handlebars";
import { templatesDir } from "../paths.js";
import type { Plan } from "../model/plan.js";
import { buildView } from "./view.js";
import type { Word } from "./quote.js";
import type { HelperInfo } from "../helper/helper.js";

let compiled: Handlebars.TemplateDelegate | undefined;

function scriptTemplate(): Handlebars.TemplateDelegate {
  if (compiled) return compiled;
  const hb = Handlebars.create();
  // Lists of words, space-separated: the view holds only quoted words, so joining them is safe.
  hb.registerHelper("words", (list: Word[]) => list.join(" "));
  const partials = join(templatesDir, "partials");
  for (const file of readdirSync(partials).sort()) {
    if (file.endsWith(".sh.hbs")) hb.registerPartial(file.slice(0, -".sh.hbs".length), readFileSync(join(partials, file), "utf8"));
  }
  // noEscape: HTML escaping has no place in bash; quoting was done by the view.
  // strict: a name the view does not have is an error, never an empty string.
  compiled = hb.compile(readFileSync(join(templatesDir, "script.sh.hbs"), "utf8"), { noEscape: true, strict: true });
  return compiled;
}

export function renderScript(plan: Plan, helper: HelperInfo): string {
  return scriptTemplate()(buildView(plan, helper));
}
