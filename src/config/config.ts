// `tupper config SPEC`: the project as tupper understood it, in Compose's own format, as
// `docker compose config` prints it: variables interpolated, env_file read into environment,
// lists written as maps, depends_on in its long form, the project name resolved, keys sorted. Only the services `up` starts with the given profiles are shown.
import { stringify } from "yaml";
import type { Plan, ServicePlan } from "../model/plan.js";
import { dependenciesOf } from "../model/dependencies.js";
import { RuntimeText, partsOf } from "../spec/runtime.js";

type Obj = Record<string, unknown>;

/** DATA: the spec after interpolation; PLAN: what it compiled to; PROFILES: the active ones ('*': all). */
export function projectConfig(data: Obj, plan: Plan, profiles: string[]): string {
  const written = (data.services ?? {}) as Obj;
  const services: Obj = {};
  for (const s of [...plan.services].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!isActive(s, profiles)) continue;
    services[s.name] = serviceConfig(s, copy(written[s.name]) as Obj);
  }
  const out: Obj = { name: plan.project.name, services };
  for (const key of ["networks", "volumes"]) {
    if (data[key] !== undefined) out[key] = sorted(data[key] as Obj);
  }
  for (const key of Object.keys(data).sort()) {
    if (key.startsWith("x-")) out[key] = data[key];
  }
  const runtime = new Map(plan.runtimeEnv.variables.map((v) => [v.name, `\${${v.name}${v.op}${v.word.replaceAll("$", "$$$$")}}`]));
  return stringify(asConfig(out, runtime), { lineWidth: 0 });
}

/** V copied, down to its mappings and lists (a RuntimeText is a value: kept as it is). */
function copy(v: unknown): unknown {
  if (v instanceof RuntimeText) return v;
  if (Array.isArray(v)) return v.map(copy);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
  return v;
}

/**
 * V as docker compose config writes it: a literal $ is $$, so that the output compiles to the
 * same project; an x-tupper.runtime_env variable is written as the spec writes it, with its
 * one default or message (RUNTIME).
 */
function asConfig(v: unknown, runtime: Map<string, string>): unknown {
  if (typeof v === "string") return v.replaceAll("$", "$$$$");
  if (v instanceof RuntimeText) {
    return partsOf(v).map((p) => (typeof p === "string" ? p.replaceAll("$", "$$$$") : (runtime.get(p.runtime) ?? `\${${p.runtime}}`))).join("");
  }
  if (Array.isArray(v)) return v.map((x) => asConfig(x, runtime));
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asConfig(x, runtime)]));
  return v;
}

function isActive(s: ServicePlan, profiles: string[]): boolean {
  return s.profiles.names.length === 0 || profiles.includes("*") || s.profiles.names.some((p) => profiles.includes(p));
}

function serviceConfig(s: ServicePlan, raw: Obj): Obj {
  delete raw.env_file;
  delete raw.environment;
  if (s.env.set.length > 0 || s.env.passThrough.length > 0) {
    raw.environment = sorted(Object.fromEntries([...s.env.set.map((e) => [e.name, e.value]), ...s.env.passThrough.map((n) => [n, null])]));
  }
  if (raw.labels !== undefined) raw.labels = sorted(Object.fromEntries(s.labels.set.map((l) => [l.name, l.value])));
  if (raw.depends_on !== undefined) {
    raw.depends_on = Object.fromEntries(dependenciesOf(s.name, raw).map((d) => [d.service, { condition: d.condition, required: d.required }]));
  }
  return sorted(raw);
}

function sorted(o: Obj): Obj {
  if (o === null || typeof o !== "object" || Array.isArray(o)) return o;
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}
