// env_file: files of NAME=VALUE lines whose variables a service gets, read at compile time
// so that the script holds the values that run (as the rest of the spec does).
//
// Compose's rules: a path is relative to the spec's directory; later files override earlier
// ones, and `environment:` overrides them all; `required: false` lets a file be missing.
// The lines follow the .env format (src/spec/interpolate.ts parseDotEnv).
import { resolve, dirname } from "node:path";
import { parseDotEnv, type Variables } from "../spec/interpolate.js";
import { readTextFile } from "../spec/load.js";
import type { Parsed } from "./units.js";

type Obj = Record<string, unknown>;

/** One entry of env_file, and where it sits under the key (null: env_file is a single string). */
export interface EnvFileEntry {
  path: string;
  required: boolean;
  at: number | null;
}

/** env_file as written (a string, or a list of strings and {path, required}), as entries; wrong shapes are skipped (the schema reports them). */
export function envFileEntries(raw: unknown): EnvFileEntry[] {
  if (typeof raw === "string") return [{ path: raw, required: true, at: null }];
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((e, i): EnvFileEntry[] => {
    if (typeof e === "string") return [{ path: e, required: true, at: i }];
    const o = e as Obj | null;
    if (o && typeof o.path === "string") return [{ path: o.path, required: o.required !== false, at: i }];
    return [];
  });
}

/** The variables of one env file, in file order; null when it is missing and not required. */
export function loadEnvFile(specFile: string, entry: EnvFileEntry, variables: Variables = {}): Parsed<{ file: string; vars: [string, string][] } | null> {
  const file = resolve(dirname(resolve(specFile)), entry.path);
  const text = readTextFile(file);
  if (text === undefined) {
    if (!entry.required) return { ok: true, value: null };
    return { ok: false, why: `${file}: no such file; give a path relative to the spec's directory, or mark it required: false` };
  }
  const parsed = parseDotEnv(text, variables);
  const first = parsed.problems[0];
  if (first) return { ok: false, why: `${file}:${first.line}: ${first.message}; write NAME=VALUE` };
  return { ok: true, value: { file, vars: Object.entries(parsed.vars) } };
}
