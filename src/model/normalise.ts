// Stage 3: a validated spec → a Plan with every default applied and every value in its final type.
import { createHash } from "node:crypto";
import { basename, dirname, relative, resolve } from "node:path";
import type { ParsedSpec, SpecPath } from "../spec/parse.js";
import type { Origin, Plan, ServicePlan, StorageMode } from "./plan.js";
import { parseCpuList, parseCpus, parseDuration, parseSignal, parseSize, parseUser, splitShellWords } from "./units.js";
import { parseVolume } from "./volumes.js";
import { dottedPath } from "../spec/diagnostics.js";

type Obj = Record<string, any>;

const CPU_PERIOD_US = 100_000; // the kernel's default CFS period; Docker uses it for --cpus
const DEFAULT_STOP_GRACE_MS = 10_000;

export interface NormaliseInput {
  spec: ParsedSpec;
  /** Where the script will be written: relative paths in the script are relative to its directory. */
  outputFile: string;
  tupperVersion: string;
}

/** Only call after validation found no errors: values are trusted to parse. */
export function normalise({ spec, outputFile, tupperVersion }: NormaliseInput): Plan {
  const root = spec.data as Obj;
  const origin = (path: SpecPath): Origin => {
    const present = valueAt(root, path) !== undefined;
    return { key: dottedPath(path), written: present ? writtenText(spec, path) : null };
  };
  const scriptDir = dirname(resolve(outputFile));
  const specFile = resolve(spec.file);
  const xt = (root["x-tupper"] ?? {}) as Obj;
  return {
    tupperVersion,
    specFromScript: relative(scriptDir, specFile),
    specDirFromScript: relative(scriptDir, dirname(specFile)) || ".",
    specSha256: createHash("sha256").update(spec.text).digest("hex"),
    project: { ...origin(["name"]), name: root.name ?? defaultProjectName(specFile) },
    storage: { ...origin(["x-tupper", "storage"]), mode: (xt.storage ?? "auto") as StorageMode },
    cgroupParent: { ...origin(["x-tupper", "cgroup_parent"]), path: xt.cgroup_parent ?? null },
    services: Object.entries(root.services as Obj).map(([name, s]) => normaliseService(name, s as Obj, origin, spec)),
  };
}

function normaliseService(name: string, s: Obj, originOf: (p: SpecPath) => Origin, spec: ParsedSpec): ServicePlan {
  const at = (...rest: (string | number)[]): SpecPath => ["services", name, ...rest];
  const o = (...rest: (string | number)[]) => originOf(at(...rest));
  const limits = (s.deploy?.resources?.limits ?? {}) as Obj;
  // A limit may sit at the service level or under deploy.resources.limits; validation made sure they agree.
  const limitOrigin = (key: string, deployKey: string) =>
    s[key] !== undefined ? o(key) : limits[deployKey] !== undefined ? o("deploy", "resources", "limits", deployKey) : o(key);
  const memoryRaw = s.mem_limit ?? limits.memory;
  const cpusRaw = s.cpus ?? limits.cpus;
  const pidsRaw: number | undefined = s.pids_limit ?? limits.pids;

  const image = String(s.image).slice("rootfs:".length);
  const entrypoint = words(s.entrypoint);
  const command = words(s.command);
  const env = environment(s.environment, (i) => spec.sourceTextOf(at("environment", i)));
  const user = s.user !== undefined ? must(parseUser(s.user)) : { uid: 0, gid: 0 };
  const envNames = new Set([...env.set.map((e) => e.name), ...env.passThrough]);
  const cpus = cpusRaw !== undefined ? must(parseCpus(cpusRaw)) : null;

  return {
    name,
    key: dottedPath(at()),
    image: { ...o("image"), kind: /\.tar(\.gz|\.zst|\.xz|\.bz2)?$|\.tgz$/.test(image) ? "tar" : "dir", path: image },
    argv: {
      key: dottedPath(at(s.entrypoint !== undefined ? "entrypoint" : "command")),
      written: JSON.stringify([...entrypoint, ...command]),
      entrypoint,
      command,
    },
    env: { ...o("environment"), ...env },
    defaultEnv: { path: !envNames.has("PATH"), hostname: !envNames.has("HOSTNAME"), home: !envNames.has("HOME") },
    workingDir: { ...o("working_dir"), path: s.working_dir ?? "/" },
    user: { ...o("user"), ...user },
    hostname: { ...o("hostname"), name: s.hostname ?? null },
    init: { ...o("init"), enabled: s.init === true },
    stopSignal: { ...o("stop_signal"), signal: s.stop_signal !== undefined ? must(parseSignal(s.stop_signal)) : "TERM" },
    stopGracePeriod: {
      ...o("stop_grace_period"),
      ms: s.stop_grace_period !== undefined ? must(parseDuration(s.stop_grace_period)) : DEFAULT_STOP_GRACE_MS,
    },
    memory: { ...limitOrigin("mem_limit", "memory"), bytes: memoryRaw !== undefined ? must(parseSize(memoryRaw)) : null },
    cpus: {
      ...limitOrigin("cpus", "cpus"),
      quotaUs: cpus === null ? null : Math.max(1000, Math.round(cpus * CPU_PERIOD_US)),
      periodUs: CPU_PERIOD_US,
    },
    pids: { ...limitOrigin("pids_limit", "pids"), max: pidsRaw === undefined || pidsRaw <= 0 ? null : pidsRaw },
    cpuset: { ...o("cpuset"), cpus: s.cpuset !== undefined ? must(parseCpuList(s.cpuset)) : null },
    binds: ((s.volumes ?? []) as unknown[]).map((v, i) => ({ ...o("volumes", i), ...must(parseVolume(v)) })),
    networkMode: { ...o("network_mode"), mode: "none" },
  };
}

function words(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return typeof v === "string" ? must(splitShellWords(v)) : (v as string[]);
}

/**
 * Compose environment, map or list form. Values keep the text as written (1.0 stays "1.0");
 * a name without a value passes the host's value through at run time.
 */
function environment(raw: unknown, writtenAt: (key: string | number) => string | undefined) {
  const set: { name: string; value: string }[] = [];
  const passThrough: string[] = [];
  if (Array.isArray(raw)) {
    for (const entry of raw as string[]) {
      const eq = entry.indexOf("=");
      if (eq < 0) passThrough.push(entry);
      else set.push({ name: entry.slice(0, eq), value: entry.slice(eq + 1) });
    }
  } else if (raw && typeof raw === "object") {
    for (const [name, value] of Object.entries(raw as Obj)) {
      if (value === null) passThrough.push(name);
      else if (typeof value === "string") set.push({ name, value });
      else set.push({ name, value: writtenAt(name) ?? String(value) });
    }
  }
  return { set, passThrough };
}

/** Compose's default project name: the spec directory's name, lowercased, other characters dropped. */
function defaultProjectName(specFile: string): string {
  const name = basename(dirname(specFile)).toLowerCase().replace(/[^a-z0-9_-]/g, "");
  return /^[a-z0-9]/.test(name) ? name : `tupper${name}`;
}

function writtenText(spec: ParsedSpec, path: SpecPath): string {
  return spec.sourceTextOf(path) ?? JSON.stringify(valueAt(spec.data, path));
}

function valueAt(data: unknown, path: SpecPath): unknown {
  let node = data as any;
  for (const p of path) node = node?.[p];
  return node;
}

function must<T>(parsed: { ok: true; value: T } | { ok: false; why: string }): T {
  if (!parsed.ok) throw new Error(`internal error: normalise met an unvalidated value (${parsed.why})`);
  return parsed.value;
}
