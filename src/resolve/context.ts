// What every resolver shares: where the spec is, and one way to report a positioned problem.
import { type Diagnostic, dottedPath } from "../spec/diagnostics.js";
import type { ParsedSpec, SpecPath } from "../spec/parse.js";
import type { Parsed } from "../model/units.js";
import type { Variables } from "../spec/interpolate.js";

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Reports a problem at PATH: at the key's position, or (default) at its value's. */
export type Report = (path: SpecPath, message: string, severity?: Diagnostic["severity"], at?: "key" | "value") => void;

export interface Resolver {
  /** The spec's file: files it names (env_file, seccomp profiles) are relative to its directory. */
  file: string;
  /** The text of the value at PATH as written (after interpolation): 1.0 stays "1.0". */
  writtenAt: (path: SpecPath) => string | undefined;
  report: Report;
  diagnostics: Diagnostic[];
  /** What ${VAR} took in the spec (the environment, then .env): env_file values expand from it. */
  variables: Variables;
}

export function resolverFor(spec: ParsedSpec, variables: Variables = {}): Resolver {
  const diagnostics: Diagnostic[] = [];
  const report: Report = (path, message, severity = "error", at = "value") =>
    diagnostics.push({ file: spec.file, ...spec.positionOf(path, at), path: dottedPath(path), message, severity });
  return { file: spec.file, writtenAt: spec.sourceTextOf, report, diagnostics, variables };
}

/**
 * The value PARSED holds, or null after reporting why it is wrong at PATH with the right form
 * (RIGHT: "use e.g. 256m"). The one way a resolver turns a parse into a typed value.
 */
export function valueOr<T>(report: Report, path: SpecPath, parsed: Parsed<T>, right?: string): T | null {
  if (parsed.ok) return parsed.value;
  report(path, right === undefined ? parsed.why : `${parsed.why}; ${right}`);
  return null;
}
