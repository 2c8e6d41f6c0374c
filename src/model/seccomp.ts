// security_opt: seccomp=PATH. A Docker-format seccomp profile (JSON) is read at compile time,
// because target hosts have no JSON tool, and turned into plain rules that tupper-init builds
// its BPF filter from: "ACTION NR,NR... [ARG:OP:VALUE[:VALUE2]]... [min-kernel:X.Y]".
// Conditions on capabilities and architectures are settled here, as moby does when it loads
// a profile for a container: the capabilities are the service's, the architecture x86_64.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Parsed } from "./units.js";
import { SYSCALLS_X86_64 } from "./syscalls.js";

export interface SeccompRule {
  /** allow, errno:N, kill_process, kill_thread, trap, log or trace:N */
  action: string;
  names: string[];
  numbers: number[];
  /** index:op:value[:value2], op one of eq ne lt le gt ge masked_eq */
  conditions: string[];
  minKernel: string | null;
}

export interface SeccompProfile {
  defaultAction: string;
  rules: SeccompRule[];
  /** Names the profile allows or denies that x86_64 has no number for (skipped, as libseccomp does). */
  unknownNames: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Go's name for this architecture and the libseccomp ones that mean it (moby compares both). */
const NATIVE_ARCHES = ["amd64", "x86_64", "SCMP_ARCH_X86_64"];

const OPS: Record<string, string> = {
  SCMP_CMP_EQ: "eq", SCMP_CMP_NE: "ne", SCMP_CMP_LT: "lt", SCMP_CMP_LE: "le",
  SCMP_CMP_GT: "gt", SCMP_CMP_GE: "ge", SCMP_CMP_MASKED_EQ: "masked_eq",
};

/** A profile action (with errnoRet or the default errno) → tupper-init's word for it. */
function action(raw: unknown, errnoRet: unknown, where: string): Parsed<string> {
  const errno = errnoRet === undefined ? 1 : errnoRet; // libseccomp's default: EPERM
  if (typeof errno !== "number" || !Number.isInteger(errno) || errno < 0 || errno > 4095) {
    return { ok: false, why: `${where}: errnoRet must be a whole number from 0 to 4095` };
  }
  switch (raw) {
    case "SCMP_ACT_ALLOW": return { ok: true, value: "allow" };
    case "SCMP_ACT_ERRNO": return { ok: true, value: `errno:${errno}` };
    case "SCMP_ACT_KILL":
    case "SCMP_ACT_KILL_THREAD": return { ok: true, value: "kill_thread" };
    case "SCMP_ACT_KILL_PROCESS": return { ok: true, value: "kill_process" };
    case "SCMP_ACT_TRAP": return { ok: true, value: "trap" };
    case "SCMP_ACT_LOG": return { ok: true, value: "log" };
    case "SCMP_ACT_TRACE": return { ok: true, value: `trace:${errno}` };
    case "SCMP_ACT_NOTIFY": return { ok: false, why: `${where}: SCMP_ACT_NOTIFY needs a listener process, which tupper does not have; use SCMP_ACT_ERRNO` };
    default:
      return { ok: false, why: `${where}: ${JSON.stringify(raw)} is not a seccomp action; use SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_LOG or SCMP_ACT_TRACE` };
  }
}

function u64(v: unknown): bigint | null {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) return null;
  const b = BigInt(v);
  return b <= 0xffffffffffffffffn ? b : null;
}

function condition(arg: unknown, where: string): Parsed<string> {
  if (!isObj(arg)) return { ok: false, why: `${where}: an argument condition is an object {index, value, valueTwo, op}` };
  const index = arg.index;
  if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index > 5) return { ok: false, why: `${where}.index: must be 0 to 5` };
  const op = OPS[String(arg.op)];
  if (op === undefined) return { ok: false, why: `${where}.op: ${JSON.stringify(arg.op)} is not one of ${Object.keys(OPS).join(", ")}` };
  const value = u64(arg.value ?? 0), valueTwo = u64(arg.valueTwo ?? 0);
  if (value === null || valueTwo === null) return { ok: false, why: `${where}: value and valueTwo must be whole numbers from 0 to 2^64-1` };
  return { ok: true, value: op === "masked_eq" ? `${index}:${op}:${value}:${valueTwo}` : `${index}:${op}:${value}` };
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** Whether a rule's includes/excludes let it apply to a container with CAPS on x86_64. */
function applies(entry: Obj, caps: string[] | "ALL"): boolean {
  const has = (c: string) => caps === "ALL" || caps.includes(c.toUpperCase().replace(/^CAP_/, ""));
  const includes = isObj(entry.includes) ? entry.includes : {};
  const excludes = isObj(entry.excludes) ? entry.excludes : {};
  if (!list(includes.caps).every(has)) return false;
  if (list(excludes.caps).some(has)) return false;
  const arches = list(includes.arches);
  if (arches.length > 0 && !arches.some((a) => NATIVE_ARCHES.includes(a))) return false;
  if (list(excludes.arches).some((a) => NATIVE_ARCHES.includes(a))) return false;
  return true;
}

/** A profile rule as checked, before the service's capabilities decide whether it applies. */
interface SourceRule {
  entry: Obj;
  names: string[];
  action: string;
  conditions: string[];
  minKernel: string | null;
}

/** A Docker seccomp profile, checked: what no service's capabilities can make wrong. */
export interface SeccompSource {
  defaultAction: string;
  rules: SourceRule[];
}

/** A Docker seccomp profile (parsed JSON), checked once; profileFor compiles it for a service. */
export function checkSeccompProfile(json: unknown): Parsed<SeccompSource> {
  if (!isObj(json)) return { ok: false, why: "the profile must be a JSON object with defaultAction and syscalls" };
  const known = new Set(["defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls", "flags", "listenerPath", "listenerMetadata"]);
  const extra = Object.keys(json).find((k) => !known.has(k));
  if (extra !== undefined) return { ok: false, why: `unknown key ${JSON.stringify(extra)} in the profile` };
  if (json.listenerPath !== undefined) return { ok: false, why: "listenerPath: tupper has no seccomp notification listener; remove it" };
  const defaultAction = action(json.defaultAction, json.defaultErrnoRet, "defaultAction");
  if (!defaultAction.ok) return defaultAction;
  const rules: SourceRule[] = [];
  const syscalls = json.syscalls ?? [];
  if (!Array.isArray(syscalls)) return { ok: false, why: "syscalls must be a list" };
  for (const [i, entry] of syscalls.entries()) {
    const where = `syscalls[${i}]`;
    if (!isObj(entry)) return { ok: false, why: `${where}: must be an object with names and action` };
    const names: unknown = entry.name !== undefined ? [entry.name] : entry.names;
    if (!Array.isArray(names) || names.length === 0 || !names.every((n): n is string => typeof n === "string" && /^[a-z0-9_]+$/.test(n))) {
      return { ok: false, why: `${where}.names: must be a list of syscall names such as ["read", "write"]` };
    }
    const act = action(entry.action, entry.errnoRet, `${where}.action`);
    if (!act.ok) return act;
    const conditions: string[] = [];
    for (const [j, arg] of (Array.isArray(entry.args) ? entry.args : []).entries()) {
      const c = condition(arg, `${where}.args[${j}]`);
      if (!c.ok) return c;
      conditions.push(c.value);
    }
    const includes = isObj(entry.includes) ? entry.includes : {};
    const minKernel = includes.minKernel === undefined ? null : String(includes.minKernel);
    if (minKernel !== null && !/^[0-9]+\.[0-9]+$/.test(minKernel)) return { ok: false, why: `${where}.includes.minKernel: use MAJOR.MINOR, e.g. 4.8` };
    rules.push({ entry, names, action: act.value, conditions, minKernel });
  }
  return { ok: true, value: { defaultAction: defaultAction.value, rules } };
}

/** The checked profile SOURCE for a container that keeps CAPS on x86_64. */
export function profileFor(source: SeccompSource, caps: string[] | "ALL"): SeccompProfile {
  const rules: SeccompRule[] = [];
  const unknownNames = new Set<string>();
  for (const r of source.rules) {
    if (!applies(r.entry, caps)) continue;
    const known = r.names.filter((n) => SYSCALLS_X86_64[n] !== undefined);
    for (const n of r.names) if (SYSCALLS_X86_64[n] === undefined) unknownNames.add(n);
    if (known.length === 0 || r.action === source.defaultAction) continue; // nothing for the filter to do
    rules.push({ action: r.action, names: known, numbers: known.map((n) => SYSCALLS_X86_64[n]!), conditions: r.conditions, minKernel: r.minKernel });
  }
  return { defaultAction: source.defaultAction, rules, unknownNames: [...unknownNames].sort() };
}

/** The rule as tupper-init takes it after --seccomp-rule. */
export function ruleText(r: SeccompRule): string {
  return [r.action, r.numbers.join(","), ...r.conditions, ...(r.minKernel ? [`min-kernel:${r.minKernel}`] : [])].join(" ");
}

/** Reads and checks the profile at PATH (relative to the spec's directory). */
export function loadSeccompProfile(specFile: string, path: string): Parsed<SeccompSource> {
  const file = resolve(dirname(resolve(specFile)), path);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file; give the path of a Docker-format JSON profile, relative to the spec's directory" : (e as Error).message;
    return { ok: false, why: `seccomp profile ${file}: ${why}` };
  }
  const checked = checkSeccompProfile(json);
  return checked.ok ? checked : { ok: false, why: `seccomp profile ${file}: ${checked.why}` };
}
