// The pipeline: parse → validate → normalise → render. Spec problems come back as diagnostics.
import { parseSpec } from "./spec/parse.js";
import { validateSpec } from "./spec/validate.js";
import { type Diagnostic, hasErrors, sortDiagnostics } from "./spec/diagnostics.js";
import { normalise } from "./model/normalise.js";
import { renderScript } from "./render/render.js";
import type { Plan } from "./model/plan.js";
import { tupperVersion } from "./paths.js";
import { type HelperInfo, packagedHelper } from "./helper/helper.js";

export interface CompileResult {
  diagnostics: Diagnostic[];
  plan?: Plan;
  script?: string;
}

/** `helper`: the tupper-init the script pins (default: the one built in tupper's tree). */
export function compileSpec(file: string, text: string, outputFile: string, helper?: HelperInfo): CompileResult {
  const parsed = parseSpec(file, text);
  const diagnostics = sortDiagnostics([...parsed.diagnostics, ...validateSpec(parsed.spec)]);
  if (hasErrors(diagnostics) || parsed.spec.data === undefined) return { diagnostics };
  const plan = normalise({ spec: parsed.spec, outputFile, tupperVersion });
  return { diagnostics, plan, script: renderScript(plan, helper ?? packagedHelper()) };
}
