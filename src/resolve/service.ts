// One service's keys, each resolved once: its typed value, or a positioned diagnostic. Every
// resolver tolerates a wrongly-typed value (the schema reports it), so all problems show in one run.
import { homedir } from "node:os";
import type { SpecPath } from "../spec/parse.js";
import { parseDuration, parseGroup, parseLogSize, parseSignal, parseUser, splitShellWords, type User } from "../model/units.js";
import { parseVolume } from "../model/volumes.js";
import { envFileEntries, loadEnvFile } from "../model/envfile.js";
import { secretBind, secretUses } from "../model/secrets.js";
import { parseImage, type ImageSource } from "../model/image.js";
import { parsePlatform } from "../lock/registry.js";
import { type Obj, type Report, type Resolver, isObj, valueOr } from "./context.js";
import { resolveLimits } from "./limits.js";
import { resolveSecurity } from "./security.js";
import type { HealthTimings, ServiceValues } from "./values.js";

const HOSTNAME_MAX = 64; // the kernel's limit for sethostname

/** The parts of a service that the project's other keys decide (networking resolves ports and extra_hosts). */
export interface ServiceContext {
  declaredVolumes: Set<string>;
  /** The top-level secrets' files by name (null: declared without file:). */
  secrets: Map<string, string | null>;
}

export function resolveService(r: Resolver, at: SpecPath, s: Obj, context: ServiceContext): Omit<ServiceValues, "ports" | "extraHosts"> {
  const p = (...rest: (string | number)[]) => [...at, ...rest];
  const report = r.report;
  const image = typeof s.image === "string" ? resolveImage(report, p("image"), s.image) : null;
  const { entrypoint, command } = resolveArgv(report, at, s);

  checkEnvironment(report, p("environment"), s.environment);
  const envFiles = envFileEntries(s.env_file).flatMap((entry) => {
    const loaded = valueOr(report, entry.at === null ? p("env_file") : p("env_file", entry.at), loadEnvFile(r.file, entry));
    return loaded === null ? [] : [{ at: entry.at, path: entry.path, vars: loaded.vars }];
  });
  checkLabels(report, p("labels"), s.labels);
  const secrets = secretUses(s.secrets).flatMap((use) => {
    const file = context.secrets.get(use.source);
    const bind = secretBind(use, file);
    if (!bind.ok && file !== null) report(p("secrets", use.at), bind.why); // null: the schema says file: is missing
    return bind.ok ? [{ at: use.at, bind: bind.value }] : [];
  });
  if (typeof s.working_dir === "string" && !s.working_dir.startsWith("/")) {
    report(p("working_dir"), `${JSON.stringify(s.working_dir)} is not an absolute path; use e.g. /app`);
  }
  const user: User | null = typeof s.user === "string" || typeof s.user === "number" ? valueOr(report, p("user"), parseUser(s.user), "use e.g. www-data, 1000 or 1000:1000") : null;
  if (typeof s.hostname === "string" && (s.hostname.length === 0 || Buffer.byteLength(s.hostname) > HOSTNAME_MAX)) {
    report(p("hostname"), `must be 1 to ${HOSTNAME_MAX} bytes long; shorten it`);
  }
  if (typeof s.platform === "string") checkPlatform(report, p("platform"), s.platform);
  const stopSignal = typeof s.stop_signal === "string" ? valueOr(report, p("stop_signal"), parseSignal(s.stop_signal), "use a name such as SIGTERM or SIGINT") : null;
  const stopGraceMs =
    typeof s.stop_grace_period === "string" ? valueOr(report, p("stop_grace_period"), parseDuration(s.stop_grace_period), "use e.g. 10s, 1m30s or 500ms") : null;
  const healthcheck = isObj(s.healthcheck) ? resolveHealthcheck(report, p("healthcheck"), s.healthcheck) : NO_TIMINGS;
  const logMaxSizeBytes = isObj(s.logging) ? resolveLogging(report, p("logging"), s.logging) : null;
  const limits = resolveLimits(report, at, s);
  const volumes = Array.isArray(s.volumes) ? resolveVolumes(report, p("volumes"), s.volumes, context.declaredVolumes) : [];
  const groupAdd = Array.isArray(s.group_add)
    ? s.group_add.flatMap((g: unknown, i) => {
        if (typeof g !== "string" && typeof g !== "number") return [];
        const group = valueOr(report, p("group_add", i), parseGroup(g), "use e.g. audio or 29");
        return group === null ? [] : [group];
      })
    : [];
  const security = resolveSecurity(r, at, s, user);
  return { image, entrypoint, command, envFiles, user, groupAdd, stopSignal, stopGraceMs, healthcheck, logMaxSizeBytes, volumes, secrets, limits, security };
}

const NO_TIMINGS: HealthTimings = { intervalMs: null, timeoutMs: null, startPeriodMs: null, startIntervalMs: null };

function resolveImage(report: Report, path: SpecPath, text: string): ImageSource | null {
  const parsed = parseImage(text);
  if (!parsed.ok) report(path, parsed.why);
  return parsed.ok ? parsed.image : null;
}

function checkPlatform(report: Report, path: SpecPath, text: string): void {
  const platform = parsePlatform(text);
  if (platform === null) report(path, `${JSON.stringify(text)} is not a platform; use os/arch[/variant], e.g. linux/amd64`);
  else if (platform.os !== "linux") report(path, `${text} is not a Linux platform; tupper runs Linux images (e.g. linux/amd64)`);
}

/** entrypoint and command as argv words; a rootfs: image needs one of them, as it carries no default command. */
function resolveArgv(report: Report, at: SpecPath, s: Obj): { entrypoint: string[]; command: string[] } {
  const out = { entrypoint: [] as string[], command: [] as string[] };
  let unreadable = false;
  for (const key of ["entrypoint", "command"] as const) {
    const v = s[key];
    if (typeof v === "string") {
      const split = splitShellWords(v);
      if (!split.ok) report([...at, key], `${split.why}; close the quote or use the list form`);
      if (split.ok) out[key] = split.value;
      else unreadable = true;
    } else if (Array.isArray(v)) out[key] = v.map((w) => (typeof w === "string" ? w : String(w)));
  }
  const shapesOk = ["entrypoint", "command"].every((k) => s[k] === undefined || typeof s[k] === "string" || Array.isArray(s[k]));
  const words = out.entrypoint.length + out.command.length;
  // (a registry image or a build would bring its own command; those are reported on their own)
  if (shapesOk && !unreadable && words === 0 && typeof s.image === "string" && s.image.startsWith("rootfs:")) {
    report(at, "has no command: a rootfs: image carries no default command; add command: (e.g. command: [\"/bin/sh\", \"-c\", \"echo hello\"])", "error", "key");
  }
  return out;
}

function resolveHealthcheck(report: Report, path: SpecPath, h: Obj): HealthTimings {
  const timing = (key: string): number | null => {
    const v = h[key];
    if (typeof v !== "string") return null;
    const d = valueOr(report, [...path, key], parseDuration(v), "use e.g. 30s, 1m30s or 500ms");
    if (d === 0 && key !== "start_period") report([...path, key], "must be longer than 0; use e.g. 30s");
    return d;
  };
  const timings = { intervalMs: timing("interval"), timeoutMs: timing("timeout"), startPeriodMs: timing("start_period"), startIntervalMs: timing("start_interval") };
  const test = h.test;
  if (Array.isArray(test) && test.every((w) => typeof w === "string")) {
    const [kind, ...rest] = test as string[];
    if (kind !== "CMD" && kind !== "CMD-SHELL" && kind !== "NONE") {
      report([...path, "test"], `a test list starts with CMD, CMD-SHELL or NONE, not ${JSON.stringify(kind ?? "")}; e.g. ["CMD", "wget", "-qO-", "http://localhost/"]`);
    } else if (kind !== "NONE" && (rest.length === 0 || (kind === "CMD-SHELL" && rest.length !== 1))) {
      report([...path, "test"], kind === "CMD" ? "CMD needs a command after it" : "CMD-SHELL takes one command string after it");
    }
  } else if (typeof test === "string" && test.trim() === "") report([...path, "test"], "is empty; give a command");
  // no test: the image's HEALTHCHECK, with the timings given here (as Compose)
  return timings;
}

/** logging: what the none driver cannot take, and max-size in bytes. */
function resolveLogging(report: Report, path: SpecPath, logging: Obj): number | null {
  const options = isObj(logging.options) ? logging.options : {};
  if (logging.driver === "none" && Object.keys(options).length > 0) {
    report([...path, "options"], "the none driver keeps no log, so it takes no options; remove options or use json-file", "error", "key");
  }
  const maxSize = options["max-size"];
  let bytes: number | null = null;
  if (typeof maxSize === "string" || typeof maxSize === "number") {
    bytes = valueOr(report, [...path, "options", "max-size"], parseLogSize(maxSize), "use a number with k, m or g (e.g. 10m)");
  }
  if (options["max-file"] !== undefined && maxSize === undefined && logging.driver !== "local") {
    report([...path, "options", "max-file"], "has no effect without max-size (the log would never rotate); add max-size, e.g. 10m", "error", "key");
  }
  return bytes;
}

function checkEnvironment(report: Report, path: SpecPath, env: unknown): void {
  const seen = new Set<string>();
  const checkName = (name: string, where: SpecPath, passThrough: boolean, at: "key" | "value") => {
    if (name === "" || name.includes("=")) report(where, `${JSON.stringify(name)} is not a variable name; use NAME=value`, "error", at);
    else if (passThrough && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      report(where, `${JSON.stringify(name)} has no value and is not a shell name, so it cannot be passed through; give it a value`, "error", at);
    }
    if (seen.has(name)) report(where, `${name} is set twice; keep one`, "error", at);
    seen.add(name);
  };
  if (Array.isArray(env)) {
    env.forEach((entry, i) => {
      if (typeof entry !== "string") return;
      const eq = entry.indexOf("=");
      checkName(eq < 0 ? entry : entry.slice(0, eq), [...path, i], eq < 0, "value");
    });
  } else if (isObj(env)) {
    for (const [name, value] of Object.entries(env)) checkName(name, [...path, name], value === null, "key");
  }
}

function checkLabels(report: Report, path: SpecPath, labels: unknown): void {
  const seen = new Set<string>();
  const check = (name: string, where: SpecPath, at: "key" | "value") => {
    if (name === "" || name.includes("=") || /\s/.test(name)) report(where, `${JSON.stringify(name)} is not a label name; use e.g. com.example.team=shop`, "error", at);
    else if (seen.has(name)) report(where, `the label ${name} is set twice; keep one`, "error", at);
    seen.add(name);
  };
  if (Array.isArray(labels)) labels.forEach((e, i) => typeof e === "string" && check(e.split("=")[0]!, [...path, i], "value"));
  else if (isObj(labels)) for (const name of Object.keys(labels)) check(name, [...path, name], "key");
}

/** DECLARED: the keys of the top-level volumes, which a service's named volume must be one of. */
function resolveVolumes(report: Report, path: SpecPath, volumes: unknown[], declared: Set<string>): ServiceValues["volumes"] {
  const targets = new Map<string, number>();
  const out: ServiceValues["volumes"] = [];
  volumes.forEach((raw, i) => {
    if (typeof raw !== "string" && !isObj(raw)) return;
    if (isObj(raw) && (typeof raw.type !== "string" || typeof raw.target !== "string")) return;
    const v = parseVolume(raw, { home: homedir() });
    if (!v.ok) return report([...path, i], v.why);
    out.push({ at: i, bind: v.value });
    if (v.value.volume && !v.value.volume.anonymous && !declared.has(v.value.source)) {
      const name = JSON.stringify(v.value.source);
      report([...path, i], `volume ${name} is not declared; add it to the top-level volumes (volumes: {${v.value.source}: {}}), or use ./${v.value.source} for a directory beside the spec`);
    }
    const target = v.value.target.replace(/\/+$/, "").replace(/\/+/g, "/");
    const first = targets.get(target);
    if (first !== undefined) report([...path, i], `mounts on ${target} again (also volumes[${first}]); keep one`);
    else targets.set(target, i);
  });
  return out;
}
