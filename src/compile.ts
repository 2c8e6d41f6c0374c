// The pipeline: parse → interpolate → validate (schema) and resolve (each key's value, once) →
// model (normalise) → render. Spec problems come back as diagnostics; `check` reads a script back.
import { parseSpec } from "./spec/parse.js";
import { interpolateSpec, parseDotEnv, type VariableOrigin, type Variables as Values } from "./spec/interpolate.js";
import { readDotEnv } from "./spec/load.js";
import { validateSpec } from "./spec/validate.js";
import { resolveSpec } from "./resolve/resolve.js";
import { type Diagnostic, hasErrors, sortDiagnostics } from "./spec/diagnostics.js";
import { normalise } from "./model/normalise.js";
import { renderScript, runtimeOf } from "./render/render.js";
import { compileServiceBuild } from "./build/service.js";
import { secretFiles } from "./model/secrets.js";
import { isObj } from "./resolve/context.js";
import { readLock, unlockedImages } from "./lock/lock.js";
import type { Plan } from "./model/plan.js";
import { tupperVersion } from "./paths.js";
import { type HelperInfo, packagedHelper } from "./helper/helper.js";

export interface Variables {
  values: Values;
  /** Problems found reading them (a malformed .env line). */
  problems: Diagnostic[];
  /** Where each was set, for messages. */
  origin?: VariableOrigin;
}

/** The environment of this process, then the .env file beside SPEC for what it lacks, as Compose reads them. */
export function specVariables(spec: string): Variables {
  const dotEnv = readDotEnv(spec);
  const fromEnvironment = "in the environment of tupper compile";
  if (dotEnv === undefined) return { values: process.env, problems: [], origin: (name) => (process.env[name] === undefined ? undefined : fromEnvironment) };
  const parsed = parseDotEnv(dotEnv.text, process.env);
  const problems: Diagnostic[] = parsed.problems.map((p) => ({ file: dotEnv.file, line: p.line, col: 1, path: "", message: `${p.message}; write NAME=VALUE`, severity: "error" }));
  const origin: VariableOrigin = (name) =>
    process.env[name] !== undefined ? fromEnvironment : parsed.lines[name] !== undefined ? `in ${dotEnv.file} line ${parsed.lines[name]}` : undefined;
  return { values: { ...parsed.vars, ...process.env }, problems, origin };
}

const sameDiagnostic = (a: Diagnostic, b: Diagnostic): boolean =>
  a.file === b.file && a.line === b.line && a.col === b.col && a.path === b.path && a.message === b.message && a.severity === b.severity;

/** x-tupper.runtime_env as written (the schema checks its shape). */
function runtimeNames(data: unknown): Set<string> {
  const names = (data as { "x-tupper"?: { runtime_env?: unknown } } | null)?.["x-tupper"]?.runtime_env;
  return new Set(Array.isArray(names) ? names.filter((n): n is string => typeof n === "string") : []);
}

export interface CompileResult {
  diagnostics: Diagnostic[];
  plan?: Plan;
  script?: string;
  /** The spec's data after interpolation (for `tupper config`). */
  data?: unknown;
}

/**
 * `helper`: the tupper-init the script pins (default: the one built in tupper's tree).
 * `variables`: what ${VAR} in the spec takes (default: the environment, then .env beside the spec).
 */
export function compileSpec(file: string, text: string, outputFile: string, helper?: HelperInfo, variables?: Variables, ignoreLock = false): CompileResult {
  const parsed = parseSpec(file, text);
  const vars = variables ?? specVariables(file);
  const interpolated =
    parsed.spec.data === undefined ? { spec: parsed.spec, diagnostics: [], runtime: [] } : interpolateSpec(parsed.spec, vars.values, runtimeNames(parsed.spec.data), vars.origin);
  const spec = interpolated.spec;
  // tupper lock compiles without the lock file it is about to write again (it may be malformed)
  const locked = ignoreLock ? { lock: null, problems: [] } : readLock(file);
  const resolved = spec.data === undefined ? undefined : resolveSpec(spec, vars.values);
  const diagnostics = sortDiagnostics([
    ...parsed.diagnostics,
    ...vars.problems,
    ...interpolated.diagnostics,
    ...validateSpec(spec),
    ...(resolved?.diagnostics ?? []),
    ...locked.problems,
    ...unlockedImages(spec, locked.lock),
  ]);
  if (hasErrors(diagnostics) || resolved === undefined) return { diagnostics };
  const plan = normalise({ spec, values: resolved.values, outputFile, tupperVersion, runtime: interpolated.runtime, locks: locked.lock?.images });
  // build: each service's Dockerfile, read and compiled now (its problems at Dockerfile:LINE:COL)
  const buildProblems: Diagnostic[] = [];
  for (const service of plan.services) {
    const values = resolved.values.services.get(service.name);
    if (values?.build == null) continue;
    const compiled = compileServiceBuild(file, service.name, plan.project.name, values.build, values.image, secretFiles(isObj(spec.data) ? spec.data : {}), spec.positionOf(["services", service.name, "build"], "value"), vars.values, locked.lock?.images ?? null);
    // services that share a Dockerfile (getsentry's 24 on ./sentry) share its problems: say each once
    for (const d of compiled.diagnostics) if (!buildProblems.some((b) => sameDiagnostic(b, d))) buildProblems.push(d);
    service.build = compiled.plan;
  }
  const all = sortDiagnostics([...diagnostics, ...buildProblems]);
  if (hasErrors(all)) return { diagnostics: all };
  return { diagnostics: all, plan, script: renderScript(plan, helper ?? packagedHelper()), data: spec.data };
}

/**
 * The runtime that every script of this tupper version holds (render.ts, runtimeOf): the same
 * for every spec, so any spec gives it; this one has a single service. `tupper runtime`.
 */
export function compileRuntime(): string {
  const spec = "name: runtime\nservices:\n  app:\n    image: rootfs:/\n    command: [/bin/true]\n";
  // (no helper needed: the runtime names none; the header's pin is a placeholder here)
  const helper = { path: "(none)", sha256: "0".repeat(64), buildInfo: [] };
  const result = compileSpec("/nonexistent/runtime.yaml", spec, "/nonexistent/runtime.sh", helper, { values: {}, problems: [] });
  if (result.script === undefined) throw new Error(`internal error: the runtime's spec did not compile: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  return runtimeOf(result.script).text;
}
