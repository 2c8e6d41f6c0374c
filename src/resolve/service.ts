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
import { RuntimeText, showText, splitAtEquals, type ShellText } from "../spec/runtime.js";
import { resolveLimits } from "./limits.js";
import { resolveSecurity } from "./security.js";
import type { HealthValues, RestartPolicy, ServiceValues } from "./values.js";
import { resolveBuild } from "./build.js";

const HOSTNAME_MAX = 64; // the kernel's limit for sethostname

/** The parts of a service that the project's other keys decide (networking resolves ports and extra_hosts). */
export interface ServiceContext {
  declaredVolumes: Set<string>;
  /** The top-level secrets' files by name (null: declared without file:). */
  secrets: Map<string, string | null>;
}

export function resolveService(r: Resolver, at: SpecPath, s: Obj, context: ServiceContext): Omit<ServiceValues, "ports" | "extraHosts" | "dependsOn"> {
  const p = (...rest: (string | number)[]) => [...at, ...rest];
  const report = r.report;
  const build = s.build !== undefined ? resolveBuild(report, p("build"), s.build, context.secrets) : null;
  const image = typeof s.image === "string" ? resolveImage(report, p("image"), s.image) : null;
  if (build !== null && image !== null && image.kind !== "registry") {
    report(p("image"), "next to build: image: names the image built, as a reference (e.g. app:1.2); a path (rootfs:, oci:...) cannot be one");
  }
  const { entrypoint, command } = resolveArgv(report, at, s);

  const environment = resolveEnvironment(r, p("environment"), s.environment);
  const envFiles = envFileEntries(s.env_file).flatMap((entry) => {
    const loaded = valueOr(report, entry.at === null ? p("env_file") : p("env_file", entry.at), loadEnvFile(r.file, entry, r.variables));
    return loaded === null ? [] : [{ at: entry.at, path: entry.path, vars: loaded.vars }];
  });
  const labels = resolveLabels(r, p("labels"), s.labels);
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
  const healthcheck = isObj(s.healthcheck) ? resolveHealthcheck(report, p("healthcheck"), s.healthcheck) : NO_HEALTHCHECK;
  const logRotation = isObj(s.logging) ? resolveLogging(report, p("logging"), s.logging, [...labels, ...(build?.labels ?? [])]) : { maxSizeBytes: null, maxFiles: null };
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
  const restart = typeof s.restart === "string" ? restartPolicy(s.restart) : null;
  const tupper = isObj(s["x-tupper"]) ? s["x-tupper"] : {};
  const egress = isObj(tupper.network) && typeof tupper.network.egress_rate === "string" ? egressRate(tupper.network.egress_rate) : null;
  return { image, build, entrypoint, command, environment, labels, envFiles, user, groupAdd, stopSignal, stopGraceMs, healthcheck, logRotation, volumes, secrets, limits, security, restart, egressRate: egress };
}

/** "on-failure:3" → on-failure, at most 3 restarts; unless-stopped is always (no daemon to restart). Null: not a policy (the schema says so). */
function restartPolicy(raw: string): RestartPolicy | null {
  if (raw === "no") return { policy: "no", maxRestarts: null };
  if (raw === "always" || raw === "unless-stopped") return { policy: "always", maxRestarts: null };
  const m = /^on-failure(?::([0-9]+))?$/.exec(raw);
  if (m === null) return null;
  return { policy: "on-failure", maxRestarts: m[1] === undefined ? null : Number(m[1]) };
}

const RATE_UNITS = { bit: 1 / 8, kbit: 125, mbit: 125_000, gbit: 125_000_000, bps: 1, kbps: 1000, mbps: 1_000_000, gbps: 1_000_000_000 } as const;

/** x-tupper.network.egress_rate: the rate as tc takes it, and a burst of 10 ms of it (at least 32 KiB, tbf's need at HZ 250). Null: not a rate (the schema says so). */
function egressRate(rate: string): { rate: string; burstBytes: number } | null {
  const m = /^([0-9]+(?:\.[0-9]+)?)(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$/.exec(rate);
  if (m === null) return null;
  const unit = RATE_UNITS[m[2] as keyof typeof RATE_UNITS];
  return { rate, burstBytes: Math.max(32 * 1024, Math.ceil((Number(m[1]) * unit) / 100)) };
}

const NO_HEALTHCHECK: HealthValues = { argv: null, intervalMs: null, timeoutMs: null, startPeriodMs: null, startIntervalMs: null };

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
function resolveArgv(report: Report, at: SpecPath, s: Obj): { entrypoint: ShellText[]; command: ShellText[] } {
  const out = { entrypoint: [] as ShellText[], command: [] as ShellText[] };
  let unreadable = false;
  for (const key of ["entrypoint", "command"] as const) {
    const v = s[key];
    if (typeof v === "string" || v instanceof RuntimeText) {
      const split = splitShellWords(v);
      if (!split.ok) report([...at, key], `${split.why}; close the quote or use the list form`);
      if (split.ok) out[key] = split.value;
      else unreadable = true;
    } else if (Array.isArray(v)) out[key] = v.map(asText);
  }
  const isText = (v: unknown) => typeof v === "string" || v instanceof RuntimeText;
  const shapesOk = ["entrypoint", "command"].every((k) => s[k] === undefined || isText(s[k]) || Array.isArray(s[k]));
  const words = out.entrypoint.length + out.command.length;
  // (a registry image or a build would bring its own command; those are reported on their own)
  if (shapesOk && !unreadable && words === 0 && typeof s.image === "string" && s.image.startsWith("rootfs:")) {
    report(at, "has no command: a rootfs: image carries no default command; add command: (e.g. command: [\"/bin/sh\", \"-c\", \"echo hello\"])", "error", "key");
  }
  return out;
}

/** A list item the schema takes for a string (it reports anything else). */
const asText = (w: unknown): ShellText => (typeof w === "string" || w instanceof RuntimeText ? w : String(w));

function resolveHealthcheck(report: Report, path: SpecPath, h: Obj): HealthValues {
  const timing = (key: string): number | null => {
    const v = h[key];
    if (typeof v !== "string") return null;
    const d = valueOr(report, [...path, key], parseDuration(v), "use e.g. 30s, 1m30s or 500ms");
    if (d === 0 && key !== "start_period") report([...path, key], "must be longer than 0; use e.g. 30s");
    return d;
  };
  const timings = { intervalMs: timing("interval"), timeoutMs: timing("timeout"), startPeriodMs: timing("start_period"), startIntervalMs: timing("start_interval") };
  const test = h.test;
  let argv: ShellText[] | null = null;
  if (Array.isArray(test) && test.every((w) => typeof w === "string" || w instanceof RuntimeText)) {
    const [kind, ...rest] = test.map(asText);
    if (kind !== "CMD" && kind !== "CMD-SHELL" && kind !== "NONE") {
      report([...path, "test"], `a test list starts with CMD, CMD-SHELL or NONE, not ${JSON.stringify(showText(kind ?? ""))}; e.g. ["CMD", "wget", "-qO-", "http://localhost/"]`);
    } else if (kind !== "NONE" && (rest.length === 0 || (kind === "CMD-SHELL" && rest.length !== 1))) {
      report([...path, "test"], kind === "CMD" ? "CMD needs a command after it" : "CMD-SHELL takes one command string after it");
    } else if (kind === "CMD") argv = rest;
    else if (kind === "CMD-SHELL") argv = ["/bin/sh", "-c", rest[0]!];
  } else if (typeof test === "string" && test.trim() === "") report([...path, "test"], "is empty; give a command");
  else if (typeof test === "string" || test instanceof RuntimeText) argv = ["/bin/sh", "-c", test];
  // no test: the image's HEALTHCHECK, with the timings given here (as Compose)
  return { argv, ...timings };
}

/** logging: what the none driver cannot take; max-size in bytes, max-file as a count. */
function resolveLogging(report: Report, path: SpecPath, logging: Obj, labels: [string, string][]): ServiceValues["logRotation"] {
  const options = isObj(logging.options) ? logging.options : {};
  if (logging.driver === "none" && Object.keys(options).length > 0) {
    report([...path, "options"], "the none driver keeps no log, so it takes no options; remove options or use json-file", "error", "key");
  }
  // labels: Docker adds the named labels' values to each record; tupper's records have no
  // attributes, so only names that no label of the container has (Docker adds nothing) pass:
  // not the service's labels, its build's, nor the com.docker.compose.* ones Compose gives
  // every container (an image's own LABEL is not known here: Docker would add it)
  if (typeof options.labels === "string") {
    const named = options.labels
      .split(",")
      .map((n) => n.trim())
      .filter((n) => n.startsWith("com.docker.compose.") || labels.some(([label]) => label === n));
    if (named.length > 0) {
      const one = named.length === 1;
      report(
        [...path, "options", "labels"],
        `names ${named.join(", ")}, ${one ? "a label" : "labels"} the container has (the service's, its build's or Compose's own com.docker.compose.*), whose ${one ? "value" : "values"} Docker's json-file adds to each log record; tupper's log records (CRI format) carry no attributes: remove ${one ? "it" : "them"} from labels`,
      );
    }
  }
  const maxSize = options["max-size"];
  let bytes: number | null = null;
  if (typeof maxSize === "string" || typeof maxSize === "number") {
    bytes = valueOr(report, [...path, "options", "max-size"], parseLogSize(maxSize), "use a number with k, m or g (e.g. 10m)");
  }
  if (options["max-file"] !== undefined && maxSize === undefined && logging.driver !== "local") {
    report([...path, "options", "max-file"], "has no effect without max-size (the log would never rotate); add max-size, e.g. 10m", "error", "key");
  }
  // max-file: the schema's pattern holds it to a whole number of 1 or more, string or integer
  const files = options["max-file"];
  const maxFiles = typeof files === "number" ? files : typeof files === "string" && /^[1-9][0-9]*$/.test(files) ? Number(files) : null;
  return { maxSizeBytes: bytes, maxFiles };
}

/**
 * environment, map or list form, in the spec's order: [NAME, VALUE], VALUE null where none is
 * given (the host's value passes through at run time). Values keep the text as written (1.0
 * stays "1.0").
 */
function resolveEnvironment(r: Resolver, path: SpecPath, env: unknown): [string, ShellText | null][] {
  const report = r.report;
  const out: [string, ShellText | null][] = [];
  const seen = new Set<string>();
  const add = (name: string, value: ShellText | null, where: SpecPath, at: "key" | "value") => {
    if (name === "" || name.includes("=")) report(where, `${JSON.stringify(name)} is not a variable name; use NAME=value`, "error", at);
    else if (value === null && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      report(where, `${JSON.stringify(name)} has no value and is not a shell name, so it cannot be passed through; give it a value`, "error", at);
    }
    // Compose reads the list as a map: a name given again replaces the earlier value
    const earlier = seen.has(name) ? out.findIndex(([n]) => n === name) : -1;
    if (earlier >= 0) {
      report(where, `${name} is set twice; the last value counts, as in Compose; keep one`, "warning", at);
      out.splice(earlier, 1);
    }
    seen.add(name);
    out.push([name, value]);
  };
  if (Array.isArray(env)) {
    env.forEach((entry: unknown, i) => {
      if (entry instanceof RuntimeText) {
        const split = splitAtEquals(entry);
        if (split === null) report([...path, i], `${JSON.stringify(entry.toString())}: a variable's name cannot come from x-tupper.runtime_env; write NAME=\${VAR}`);
        else add(split[0], split[1], [...path, i], "value");
      } else if (typeof entry === "string") {
        const eq = entry.indexOf("=");
        add(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? null : entry.slice(eq + 1), [...path, i], "value");
      }
    });
  } else if (isObj(env)) {
    for (const [name, value] of Object.entries(env)) {
      const text = value === null ? null : typeof value === "string" || value instanceof RuntimeText ? value : (r.writtenAt([...path, name]) ?? String(value));
      add(name, text, [...path, name], "key");
    }
  }
  return out;
}

/** labels, map or list form, in the spec's order (a label without value is empty, as in Docker). */
function resolveLabels(r: Resolver, path: SpecPath, labels: unknown): [string, string][] {
  const out: [string, string][] = [];
  const seen = new Set<string>();
  const add = (name: string, value: string, where: SpecPath, at: "key" | "value") => {
    if (name === "" || name.includes("=") || /\s/.test(name)) r.report(where, `${JSON.stringify(name)} is not a label name; use e.g. com.example.team=shop`, "error", at);
    else if (seen.has(name)) {
      // Compose reads the list as a map: a label given again replaces the earlier value
      r.report(where, `the label ${name} is set twice; the last value counts, as in Compose; keep one`, "warning", at);
      out.splice(
        out.findIndex(([n]) => n === name),
        1,
      );
    }
    seen.add(name);
    out.push([name, value]);
  };
  if (Array.isArray(labels)) {
    labels.forEach((e: unknown, i) => {
      if (typeof e !== "string") return;
      const eq = e.indexOf("=");
      add(eq < 0 ? e : e.slice(0, eq), eq < 0 ? "" : e.slice(eq + 1), [...path, i], "value");
    });
  } else if (isObj(labels)) {
    for (const [name, value] of Object.entries(labels)) {
      const text = value === null ? "" : typeof value === "string" ? value : (r.writtenAt([...path, name]) ?? String(value));
      add(name, text, [...path, name], "key");
    }
  }
  return out;
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
    // Two entries on one target: Compose mounts the last one only (docker/compose
    // pkg/compose/create.go fillBindMounts keeps one mount per target, the later replacing the
    // earlier; compose-go checks nothing), so the file runs there. tupper does the same, and
    // says which entry is left out.
    const target = v.value.target.replace(/\/+$/, "").replace(/\/+/g, "/") || "/";
    const earlier = targets.get(target);
    if (earlier !== undefined) {
      report([...path, i], `mounts on ${target} as volumes[${earlier}] does: as in Compose, the last entry for a target is the one mounted, so volumes[${earlier}] is left out; remove one of them`, "warning");
      out.splice(out.findIndex((e) => e.at === earlier), 1);
    }
    targets.set(target, i);
  });
  return out;
}
