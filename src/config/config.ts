// `tupper config SPEC`: the project as tupper understood it, in Compose's own format, as
// `docker compose config` prints it: variables interpolated, env_file read into environment,
// lists written as maps, depends_on in its long form, the project name resolved, keys sorted. Only the services `up` starts with the given profiles are shown.
import { stringify } from "yaml";
import type { Plan, ServicePlan } from "../model/plan.js";
import { dependenciesOf } from "../model/dependencies.js";
import { RUNTIME_TOKEN } from "../spec/interpolate.js";

type Obj = Record<string, unknown>;

/** DATA: the spec after interpolation; PLAN: what it compiled to; PROFILES: the active ones ('*': all). */
export function projectConfig(data: Obj, plan: Plan, profiles: string[]): string {
  const written = (data.services ?? {}) as Obj;
  const services: Obj = {};
  for (const s of [...plan.services].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!isActive(s, profiles)) continue;
    services[s.name] = serviceConfig(s, structuredClone(written[s.name]) as Obj);
  }
  const out: Obj = { name: plan.project.name, services };
  for (const key of ["networks", "volumes"]) {
    if (data[key] !== undefined) out[key] = sorted(data[key] as Obj);
  }
  for (const key of Object.keys(data).sort()) {
    if (key.startsWith("x-")) out[key] = data[key];
  }
  const runtime = new Map(plan.runtimeEnv.variables.map((v) => [v.name, `\${${v.name}${v.op}${v.word.replaceAll("$", "$$$$")}}`]));
  return stringify(showRuntimeVariables(escapeDollars(out), runtime), { lineWidth: 0 });
}

/** x-tupper.runtime_env variables as the spec writes them, each with its one default or message. */
function showRuntimeVariables(v: unknown, runtime: Map<string, string>): unknown {
  if (typeof v === "string") return v.replace(RUNTIME_TOKEN, (_, name: string) => runtime.get(name) ?? `\${${name}}`);
  if (Array.isArray(v)) return v.map((x) => showRuntimeVariables(x, runtime));
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, showRuntimeVariables(x, runtime)]));
  return v;
}

/** A literal $ is written $$, as docker compose config does, so that the output compiles to the same project. */
function escapeDollars(v: unknown): unknown {
  if (typeof v === "string") return v.replaceAll("$", "$$$$");
  if (Array.isArray(v)) return v.map(escapeDollars);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeDollars(x)]));
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
