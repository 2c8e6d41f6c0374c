// Stage 2b: checks the schema cannot express: value formats, combinations, and safety.
// Every check tolerates wrongly-typed values (the schema reports those), so all problems show in one run.
import type { Diagnostic } from "./diagnostics.js";
import { dottedPath } from "./diagnostics.js";
import type { ParsedSpec, SpecPath } from "./parse.js";
import { dependenciesOf, sharedService, startOrder } from "../model/dependencies.js";
import { parseCpuList, parseCpus, parseDuration, parseGroup, parseLogSize, parseSignal, parseSize, parseUser, splitShellWords } from "../model/units.js";
import { homedir } from "node:os";
import { parseVolume } from "../model/volumes.js";
import { loadSeccompProfile } from "../model/seccomp.js";
import { envFileEntries, loadEnvFile } from "../model/envfile.js";
import { secretBind, secretFiles, secretUses } from "../model/secrets.js";
import { checkNetworking } from "./networking.js";
import { replicasOf } from "../model/network.js";
import { parsePort } from "../model/ports.js";
import { closest } from "./suggest.js";
import { CAPABILITIES, ULIMITS, checkSysctl, parseCapability, parseDevice, parseDeviceCgroupRule, parseSecurityOpt, parseTmpfs, parseUlimit, sysctlEntries } from "../model/security.js";
import { parseImage } from "../model/image.js";
import { parsePlatform } from "../lock/registry.js";

const MIN_MEMORY = 6 * 1024 * 1024; // Docker's floor: below it a container cannot start reliably
const HOSTNAME_MAX = 64; // the kernel's limit for sethostname

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export function meaningDiagnostics(spec: ParsedSpec): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (path: SpecPath, message: string, severity: Diagnostic["severity"] = "error", at: "key" | "value" = "value") =>
    out.push({ file: spec.file, ...spec.positionOf(path, at), path: dottedPath(path), message, severity });
  const root = spec.data;
  if (!isObj(root)) return out;

  findNulBytes(root, [], report);
  if (root.version !== undefined) {
    report(["version"], "the version key is obsolete in Compose and ignored; remove it", "warning", "key");
  }
  const xt = root["x-tupper"];
  if (isObj(xt) && typeof xt.cgroup_parent === "string") {
    const p = xt.cgroup_parent;
    if (!p.startsWith("/") || p.split("/").includes("..") || /[\n\r]/.test(p)) {
      report(["x-tupper", "cgroup_parent"], `${JSON.stringify(p)} is not an absolute cgroup path; use e.g. /tupper.slice`);
    }
  }
  checkNetworking(root, report);
  const declaredVolumes = new Set(isObj(root.volumes) ? Object.keys(root.volumes) : []);
  const services = root.services;
  if (!isObj(services)) return out;
  checkDependencies(services, report);
  checkContainerNames(services, typeof root.name === "string" ? root.name : undefined, report);
  for (const [name, svc] of Object.entries(services)) if (isObj(svc)) checkSharing(["services", name], svc, services, report);
  for (const [name, svc] of Object.entries(services)) if (isObj(svc)) checkReplicas(["services", name], svc, report);
  for (const [name, svc] of Object.entries(services)) {
    if (isObj(svc)) checkService(["services", name], svc, report, spec.file, declaredVolumes, secretFiles(root));
  }
  return out;
}

type Report = (path: SpecPath, message: string, severity?: Diagnostic["severity"], at?: "key" | "value") => void;

/** FILE: the spec's path, which files the spec names (a seccomp profile) are relative to. */
function checkService(at: SpecPath, s: Obj, report: Report, file: string, declaredVolumes: Set<string>, secrets: Map<string, string | null>): void {
  const p = (...rest: (string | number)[]) => [...at, ...rest];
  if (typeof s.image === "string") checkImage(p("image"), s.image, report);

  let words = 0;
  let unreadable = false;
  for (const key of ["entrypoint", "command"] as const) {
    const v = s[key];
    if (typeof v === "string") {
      const split = splitShellWords(v);
      if (!split.ok) report(p(key), `${split.why}; close the quote or use the list form`);
      if (split.ok) words += split.value.length;
      else unreadable = true;
    } else if (Array.isArray(v)) words += v.length;
  }
  const shapesOk = ["entrypoint", "command"].every((k) => s[k] === undefined || typeof s[k] === "string" || Array.isArray(s[k]));
  // (a registry image or a build would bring its own command; those are reported on their own)
  if (shapesOk && !unreadable && words === 0 && typeof s.image === "string" && s.image.startsWith("rootfs:")) {
    report(at, "has no command: a rootfs: image carries no default command; add command: (e.g. command: [\"/bin/sh\", \"-c\", \"echo hello\"])", "error", "key");
  }

  checkEnvironment(p("environment"), s.environment, report);
  for (const entry of envFileEntries(s.env_file)) {
    const loaded = loadEnvFile(file, entry);
    if (!loaded.ok) report(entry.at === null ? p("env_file") : p("env_file", entry.at), loaded.why);
  }
  checkLabels(p("labels"), s.labels, report);
  for (const use of secretUses(s.secrets)) {
    const file = secrets.get(use.source);
    const bind = secretBind(use, file);
    if (!bind.ok && file !== null) report(p("secrets", use.at), bind.why); // null: the schema says file: is missing
  }
  if (typeof s.working_dir === "string" && !s.working_dir.startsWith("/")) {
    report(p("working_dir"), `${JSON.stringify(s.working_dir)} is not an absolute path; use e.g. /app`);
  }
  if (typeof s.user === "string" || typeof s.user === "number") {
    const u = parseUser(s.user);
    if (!u.ok) report(p("user"), `${u.why}; use e.g. www-data, 1000 or 1000:1000`);
  }
  if (typeof s.hostname === "string" && (s.hostname.length === 0 || Buffer.byteLength(s.hostname) > HOSTNAME_MAX)) {
    report(p("hostname"), `must be 1 to ${HOSTNAME_MAX} bytes long; shorten it`);
  }
  if (typeof s.platform === "string") {
    const platform = parsePlatform(s.platform);
    if (platform === null) report(p("platform"), `${JSON.stringify(s.platform)} is not a platform; use os/arch[/variant], e.g. linux/amd64`);
    else if (platform.os !== "linux") report(p("platform"), `${s.platform} is not a Linux platform; tupper runs Linux images (e.g. linux/amd64)`);
  }
  if (typeof s.stop_signal === "string") {
    const sig = parseSignal(s.stop_signal);
    if (!sig.ok) report(p("stop_signal"), `${sig.why}; use a name such as SIGTERM or SIGINT`);
  }
  if (typeof s.stop_grace_period === "string") {
    const d = parseDuration(s.stop_grace_period);
    if (!d.ok) report(p("stop_grace_period"), `${d.why}; use e.g. 10s, 1m30s or 500ms`);
  }
  if (s.healthcheck !== null && typeof s.healthcheck === "object") checkHealthcheck(p("healthcheck"), s.healthcheck as Obj, report);
  if (isObj(s.logging)) checkLogging(p("logging"), s.logging, report);
  checkLimits(at, s, report);
  if (Array.isArray(s.volumes)) checkVolumes(p("volumes"), s.volumes, report, declaredVolumes);
  checkSecurity(at, s, report, file);
}

function checkSecurity(at: SpecPath, s: Obj, report: Report, file: string): void {
  const p = (...rest: (string | number)[]) => [...at, ...rest];
  for (const key of ["cap_add", "cap_drop"]) {
    const list = s[key];
    if (!Array.isArray(list)) continue;
    list.forEach((c, i) => {
      if (typeof c !== "string") return;
      const cap = parseCapability(c);
      if (!cap.ok) {
        const near = closest(c.toUpperCase().replace(/^CAP_/, ""), [...CAPABILITIES]);
        report(p(key, i), `${cap.why}; ${near ? `did you mean ${near}? ` : ""}use a name such as NET_ADMIN, or ALL`);
      }
    });
  }
  if (Array.isArray(s.group_add)) {
    s.group_add.forEach((g, i) => {
      if (typeof g !== "string" && typeof g !== "number") return;
      const parsed = parseGroup(g);
      if (!parsed.ok) report(p("group_add", i), `${parsed.why}; use e.g. audio or 29`);
    });
  }
  if (Array.isArray(s.security_opt)) {
    s.security_opt.forEach((o, i) => {
      if (typeof o !== "string") return;
      const opt = parseSecurityOpt(o);
      if (!opt.ok) report(p("security_opt", i), opt.why);
      else if (opt.value.kind === "seccomp-file") {
        const profile = loadSeccompProfile(file, opt.value.path, "ALL");
        if (!profile.ok) report(p("security_opt", i), profile.why);
      }
    });
  }
  const tmpfs = typeof s.tmpfs === "string" ? [s.tmpfs] : Array.isArray(s.tmpfs) ? s.tmpfs : [];
  tmpfs.forEach((t, i) => {
    if (typeof t !== "string") return;
    const parsed = parseTmpfs(t);
    if (!parsed.ok) report(typeof s.tmpfs === "string" ? p("tmpfs") : p("tmpfs", i), parsed.why);
  });
  for (const { key, value, at: where } of sysctlEntries(s.sysctls)) {
    const why = checkSysctl(key, s.network_mode === "host");
    if (why !== null) report(p("sysctls", where), why, "error", typeof where === "string" ? "key" : "value");
    else if (/[\n\r\0]/.test(value) || value === "") report(p("sysctls", where), `give ${key} a value on one line, e.g. ${key}=1`);
  }
  for (const [key, parse] of [["devices", parseDevice], ["device_cgroup_rules", parseDeviceCgroupRule]] as const) {
    if (!Array.isArray(s[key])) continue;
    (s[key] as unknown[]).forEach((d, i) => {
      if (typeof d !== "string") return;
      const parsed = parse(d);
      if (!parsed.ok) report(p(key, i), parsed.why);
    });
  }
  const tupper = isObj(s["x-tupper"]) ? s["x-tupper"] : {};
  if (isObj(tupper.userns)) checkUserns(at, s, tupper.userns, report);
  if (isObj(s.ulimits)) {
    for (const [name, v] of Object.entries(s.ulimits)) {
      const u = parseUlimit(name, v);
      if (!u.ok) report(p("ulimits", name), u.why, "error", ULIMITS.includes(name) ? "value" : "key");
    }
  }
}

/** x-tupper.userns: what it cannot go with, and ids that the range must hold. */
function checkUserns(at: SpecPath, s: Obj, userns: Obj, report: Report): void {
  const where = [...at, "x-tupper", "userns"];
  if (s.privileged === true) report(where, "privileged needs the host's user namespace, as in Docker; remove privileged or x-tupper.userns", "error", "key");
  if (s.network_mode === "host") {
    report(where, "network_mode: host shares the host's network, which root in a user namespace of its own could not use as root; remove network_mode: host or x-tupper.userns", "error", "key");
  }
  const size = typeof userns.size === "number" ? userns.size : 65536;
  for (const key of ["host_uid", "host_gid"]) {
    const first = userns[key];
    if (typeof first === "number" && first + size - 1 > 0xfffffffe) {
      report([...where, key], `${key} ${first} with size ${size} goes past the last id, 4294967294; use a lower ${key} or a smaller size`);
    }
  }
  if (typeof s.user === "string" || typeof s.user === "number") {
    const u = parseUser(s.user);
    if (u.ok && u.value.name === null && Math.max(u.value.uid, u.value.gid) >= size) {
      report([...at, "user"], `${JSON.stringify(s.user)} is outside x-tupper.userns, which maps ids 0 to ${size - 1}; use a lower id or a larger size`);
    }
  }
}

function checkHealthcheck(path: SpecPath, h: Obj, report: Report): void {
  for (const key of ["interval", "timeout", "start_period", "start_interval"]) {
    if (typeof h[key] !== "string") continue;
    const d = parseDuration(h[key]);
    if (!d.ok) report([...path, key], `${d.why}; use e.g. 30s, 1m30s or 500ms`);
    else if (d.value === 0 && key !== "start_period") report([...path, key], "must be longer than 0; use e.g. 30s");
  }
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
}

/** depends_on: known services, not itself, a healthcheck to wait for, and no cycle. */
function checkDependencies(services: Obj, report: Report): void {
  const names = Object.keys(services);
  for (const [name, s] of Object.entries(services)) {
    if (!isObj(s)) continue;
    for (const d of dependenciesOf(name, s)) {
      if (d.service === name) {
        report(d.path, "a service cannot depend on itself; remove this entry");
      } else if (!(d.service in services)) {
        const near = closest(d.service, names);
        const what = `${JSON.stringify(d.service)} is not a service of this project; ${near ? `did you mean ${near}? ` : ""}services: ${names.join(", ")}`;
        if (d.required) report(d.path, what, "error", "key");
        else report(d.path, `${what} (required: false: ${name} starts without it)`, "warning", "key");
      } else if (d.condition === "service_healthy" && !hasHealthcheck(services[d.service])) {
        report(d.path, `${d.service} has no healthcheck, so it never becomes healthy; give it a healthcheck, or use condition: service_started`);
      }
    }
  }
  const order = startOrder(Object.fromEntries(Object.entries(services).filter(([, s]) => isObj(s))) as Record<string, Obj>);
  if ("cycle" in order) {
    const [first, second] = order.cycle;
    // at the entry that makes it: depends_on, or network_mode, ipc or pid: service:NAME
    const entry = dependenciesOf(first!, services[first!] as Obj).find((d) => d.service === second);
    const at: SpecPath = entry && entry.path.length === 3 ? entry.path : ["services", first!, "depends_on"];
    report(at, `makes a cycle: ${order.cycle.join(" → ")}; no service can start first, so remove one of these dependencies (e.g. ${first} on ${second})`, "error", "key");
  }
}

/**
 * network_mode, ipc, pid: service:NAME (that NAME exists, and is not this one, is checked with
 * depends_on, which these imply). What the shared namespace already decides cannot be set
 * again here, as Docker refuses it too.
 */
function checkSharing(at: SpecPath, s: Obj, services: Obj, report: Report): void {
  const network = sharedService(s.network_mode);
  if (network !== null) {
    const peer = services[network];
    if (isObj(peer) && sharedService(peer.network_mode) !== null) {
      report([...at, "network_mode"], `${network} shares the network of ${sharedService(peer.network_mode)} itself; use network_mode: ${String(peer.network_mode)}`);
    }
    for (const key of ["hostname", "domainname", "dns", "dns_search", "dns_opt", "extra_hosts", "mac_address", "links"]) {
      if (s[key] !== undefined) report([...at, key], `conflicts with network_mode: service:${network}, whose container's network, names and /etc files this one shares; remove it`, "error", "key");
    }
  }
  const sysctls = isObj(s.sysctls) ? Object.keys(s.sysctls) : Array.isArray(s.sysctls) ? s.sysctls.filter((x): x is string => typeof x === "string").map((x) => x.split("=")[0]!) : [];
  for (const key of sysctls) {
    const ipcShared = typeof s.ipc === "string" && (s.ipc === "host" || s.ipc.startsWith("service:"));
    if (network !== null && key.startsWith("net.")) report([...at, "sysctls"], `${key} would change the network of ${network}, which this service shares (network_mode); set it there`, "error", "key");
    if (ipcShared && /^(kernel\.(msg|sem|shm)|fs\.mqueue\.)/.test(key)) report([...at, "sysctls"], `${key} would change the IPC namespace this service shares (ipc: ${String(s.ipc)}); set it where it is made`, "error", "key");
  }
}

/** scale / deploy.replicas: what each container must have for itself cannot be one value for N of them. */
function checkReplicas(at: SpecPath, s: Obj, report: Report): void {
  const deploy = isObj(s.deploy) ? s.deploy : {};
  if (typeof s.scale === "number" && typeof deploy.replicas === "number" && s.scale !== deploy.replicas) {
    report([...at, "scale"], `is ${s.scale} but deploy.replicas is ${deploy.replicas}; give one of them`);
  }
  const n = replicasOf(s);
  if (n <= 1) return;
  const key = typeof s.scale === "number" ? "scale" : "deploy.replicas";
  if (s.container_name !== undefined) report([...at, "container_name"], `names one container, but ${key} makes ${n}; remove container_name`, "error", "key");
  if (s.mac_address !== undefined) report([...at, "mac_address"], `is one address, but ${key} makes ${n} containers; remove mac_address`, "error", "key");
  if (Array.isArray(s.ports)) {
    s.ports.forEach((raw, i) => {
      const parsed = typeof raw === "string" || typeof raw === "number" || isObj(raw) ? parsePort(raw) : null;
      if (parsed?.ok && parsed.value.some((p) => p.hostPortMin === p.hostPortMax)) {
        report([...at, "ports", i], `publishes one host port, which only one of the ${n} containers (${key}) could take; give a range (e.g. "8000-${8000 + n - 1}:80") or no host port`);
      }
    });
  }
  if (isObj(s.networks)) {
    for (const [net, options] of Object.entries(s.networks)) {
      if (isObj(options) && options.ipv4_address !== undefined) {
        report([...at, "networks", net, "ipv4_address"], `is one address, but ${key} makes ${n} containers; remove ipv4_address`, "error", "key");
      }
    }
  }
}

function hasHealthcheck(s: unknown): boolean {
  if (!isObj(s) || !isObj(s.healthcheck) || s.healthcheck.disable === true) return false;
  const test = s.healthcheck.test;
  // no test: the image's, which only the image knows; the wait says so when it has none
  return !(Array.isArray(test) && test[0] === "NONE");
}

function checkLogging(path: SpecPath, logging: Obj, report: Report): void {
  const options = isObj(logging.options) ? logging.options : {};
  if (logging.driver === "none" && Object.keys(options).length > 0) {
    report([...path, "options"], "the none driver keeps no log, so it takes no options; remove options or use json-file", "error", "key");
  }
  const maxSize = options["max-size"];
  if (typeof maxSize === "string" || typeof maxSize === "number") {
    const size = parseLogSize(maxSize);
    if (!size.ok) report([...path, "options", "max-size"], `${size.why}; use a number with k, m or g (e.g. 10m)`);
  }
  if (options["max-file"] !== undefined && maxSize === undefined && logging.driver !== "local") {
    report([...path, "options", "max-file"], "has no effect without max-size (the log would never rotate); add max-size, e.g. 10m", "error", "key");
  }
}

function checkImage(path: SpecPath, image: string, report: Report): void {
  const parsed = parseImage(image);
  if (!parsed.ok) report(path, parsed.why);
}

function checkEnvironment(path: SpecPath, env: unknown, report: Report): void {
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

function checkLabels(path: SpecPath, labels: unknown, report: Report): void {
  const seen = new Set<string>();
  const check = (name: string, where: SpecPath, at: "key" | "value") => {
    if (name === "" || name.includes("=") || /\s/.test(name)) report(where, `${JSON.stringify(name)} is not a label name; use e.g. com.example.team=shop`, "error", at);
    else if (seen.has(name)) report(where, `the label ${name} is set twice; keep one`, "error", at);
    seen.add(name);
  };
  if (Array.isArray(labels)) labels.forEach((e, i) => typeof e === "string" && check(e.split("=")[0]!, [...path, i], "value"));
  else if (isObj(labels)) for (const name of Object.keys(labels)) check(name, [...path, name], "key");
}

/** Container names are one namespace per project: a container_name may not repeat, nor take another service's default name. */
function checkContainerNames(services: Obj, project: string | undefined, report: Report): void {
  const taken = new Map<string, string>();
  for (const [name, s] of Object.entries(services)) {
    if (!isObj(s) || typeof s.container_name !== "string") continue;
    const other = taken.get(s.container_name);
    if (other !== undefined) report(["services", name, "container_name"], `${JSON.stringify(s.container_name)} is already the container_name of ${other}; give each its own`);
    taken.set(s.container_name, name);
    const clash = project !== undefined && Object.keys(services).find((o) => o !== name && `${project}-${o}-1` === s.container_name);
    if (clash) report(["services", name, "container_name"], `${JSON.stringify(s.container_name)} is the name of service ${clash}'s container; choose another`);
  }
}

function checkLimits(at: SpecPath, s: Obj, report: Report): void {
  const deploy = isObj(s.deploy) && isObj(s.deploy.resources) && isObj(s.deploy.resources.limits) ? s.deploy.resources.limits : {};
  const limitsPath = [...at, "deploy", "resources", "limits"];
  const pairs: [string, string, (v: unknown, p: SpecPath) => unknown][] = [
    ["mem_limit", "memory", (v, p) => checkMemory(v, p, report)],
    ["cpus", "cpus", (v, p) => checkCpus(v, p, report)],
    ["pids_limit", "pids", (v, p) => checkPids(v, p, report)],
  ];
  for (const [key, deployKey, check] of pairs) {
    const a = s[key] !== undefined ? check(s[key], [...at, key]) : undefined;
    const b = deploy[deployKey] !== undefined ? check(deploy[deployKey], [...limitsPath, deployKey]) : undefined;
    if (a !== undefined && b !== undefined && a !== b) {
      report([...limitsPath, deployKey], `differs from ${key}; set the limit in one place`);
    }
  }
  if (typeof s.cpuset === "string") {
    const c = parseCpuList(s.cpuset);
    if (!c.ok) report([...at, "cpuset"], `${c.why}; use e.g. 0, 0-1 or 0,2-3`);
  }
  checkCgroupSettings(at, s, report, s.mem_limit ?? deploy.memory);
}

// The rest of the cgroup surface: sizes, and the combinations Docker refuses too.
function checkCgroupSettings(at: SpecPath, s: Obj, report: Report, memLimit: unknown): void {
  const limit = memLimit !== undefined ? parseSize(memLimit) : null;
  const limitBytes = limit?.ok ? limit.value : null;
  for (const key of ["mem_reservation", "shm_size"]) {
    if (typeof s[key] !== "string" && typeof s[key] !== "number") continue;
    const v = parseSize(s[key]);
    if (!v.ok) report([...at, key], `${v.why}; use a number with b, k, m or g (e.g. 64m)`);
    else if (key === "mem_reservation" && limitBytes !== null && v.value > limitBytes) {
      report([...at, key], `is above mem_limit, which it cannot exceed; lower it, or raise mem_limit`);
    }
  }
  if (s.memswap_limit !== undefined && s.memswap_limit !== -1 && s.memswap_limit !== "-1") {
    const v = parseSize(s.memswap_limit);
    if (!v.ok) report([...at, "memswap_limit"], `${v.why}; use a size (e.g. 512m), or -1 for unlimited swap`);
    else if (limitBytes === null) report([...at, "memswap_limit"], "limits memory plus swap, so it needs mem_limit; add mem_limit (e.g. mem_limit: 256m)");
    else if (v.value < limitBytes) report([...at, "memswap_limit"], "is memory plus swap, so it cannot be below mem_limit; make it at least mem_limit");
  }
  if (s.oom_kill_disable === true && limitBytes === null) {
    report([...at, "oom_kill_disable"], "without mem_limit the host's OOM killer, not the container's limit, acts; add mem_limit", "warning");
  }
  const deployLimits = (s.deploy as { resources?: { limits?: Obj } } | undefined)?.resources?.limits;
  if (s.cpu_quota !== undefined && (s.cpus !== undefined || (isObj(deployLimits) && deployLimits.cpus !== undefined))) {
    report([...at, "cpu_quota"], "says what cpus says (cpus is cpu_quota / cpu_period); keep one");
  }
  if (s.cpu_period !== undefined && s.cpu_quota === undefined) {
    report([...at, "cpu_period"], "has no effect without cpu_quota; add cpu_quota, or use cpus");
  }
  const egress = isObj(s["x-tupper"]) && isObj(s["x-tupper"].network) ? s["x-tupper"].network.egress_rate : undefined;
  if (egress !== undefined && typeof s.network_mode === "string" && s.network_mode !== "bridge" && !s.network_mode.startsWith("bridge")) {
    const peer = s.network_mode.startsWith("service:") ? "; set it on the service whose network this one shares" : "";
    report([...at, "x-tupper", "network", "egress_rate"], `limits the container's end of a veth, and network_mode ${s.network_mode} gives it none${peer}`);
  }
  const hugetlb = isObj(s["x-tupper"]) && isObj(s["x-tupper"].hugetlb) ? s["x-tupper"].hugetlb : {};
  for (const [page, limit] of Object.entries(hugetlb)) {
    const v = parseSize(limit);
    const pageBytes = parseSize(page.toLowerCase());
    if (!v.ok) report([...at, "x-tupper", "hugetlb", page], `${v.why}; use a size that is a whole number of ${page} pages (e.g. 4m)`);
    else if (pageBytes.ok && v.value % pageBytes.value !== 0) report([...at, "x-tupper", "hugetlb", page], `is not a whole number of ${page} pages; the kernel rounds it down`);
  }
  const mems = isObj(s["x-tupper"]) ? s["x-tupper"].cpuset_mems : undefined;
  if (typeof mems === "string") {
    const c = parseCpuList(mems);
    if (!c.ok) report([...at, "x-tupper", "cpuset_mems"], `${c.why.replace("CPU", "memory node")}; use e.g. 0 or 0-1`);
  }
}

function checkMemory(v: unknown, path: SpecPath, report: Report): number | undefined {
  if (typeof v !== "string" && typeof v !== "number") return undefined;
  const size = parseSize(v);
  if (!size.ok) report(path, `${size.why}; use a number with b, k, m or g (e.g. 256m)`);
  else if (size.value < MIN_MEMORY) report(path, `${JSON.stringify(v)} is below the 6m minimum; use at least 6m`);
  return size.ok ? size.value : undefined;
}

function checkCpus(v: unknown, path: SpecPath, report: Report): number | undefined {
  if (typeof v !== "string" && typeof v !== "number") return undefined;
  const c = parseCpus(v);
  if (!c.ok) report(path, `${c.why}; use e.g. 0.5 or 2`);
  return c.ok ? c.value : undefined;
}

function checkPids(v: unknown, path: SpecPath, report: Report): number | undefined {
  if (typeof v !== "number") return undefined;
  if (v < -1) report(path, `${v} is not a process count; use a positive number, or -1 for no limit`);
  return v;
}

/** DECLARED: the keys of the top-level volumes, which a service's named volume must be one of. */
function checkVolumes(path: SpecPath, volumes: unknown[], report: Report, declared: Set<string>): void {
  const targets = new Map<string, number>();
  volumes.forEach((raw, i) => {
    if (typeof raw !== "string" && !isObj(raw)) return;
    if (isObj(raw) && (typeof raw.type !== "string" || typeof raw.target !== "string")) return;
    const v = parseVolume(raw, { home: homedir() });
    if (!v.ok) return report([...path, i], v.why);
    if (v.value.volume && !v.value.volume.anonymous && !declared.has(v.value.source)) {
      const name = JSON.stringify(v.value.source);
      report([...path, i], `volume ${name} is not declared; add it to the top-level volumes (volumes: {${v.value.source}: {}}), or use ./${v.value.source} for a directory beside the spec`);
    }
    const target = v.value.target.replace(/\/+$/, "").replace(/\/+/g, "/");
    const first = targets.get(target);
    if (first !== undefined) report([...path, i], `mounts on ${target} again (also volumes[${first}]); keep one`);
    else targets.set(target, i);
  });
}

/** Values reach the workload through argv and environ, which cannot carry a NUL byte. */
function findNulBytes(value: unknown, path: (string | number)[], report: Report): void {
  if (typeof value === "string") {
    if (value.includes("\0")) report(path, "contains a NUL byte, which no command line can carry; remove it");
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => findNulBytes(v, [...path, i], report));
  } else if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes("\0")) report([...path, k], "the key contains a NUL byte; remove it", "error", "key");
      findNulBytes(v, [...path, k], report);
    }
  }
}
