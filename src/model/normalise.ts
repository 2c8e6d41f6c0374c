// Stage 3: a validated spec → a Plan with every default applied and every value in its final type.
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { DEFAULTS } from "./defaults.js";
import { basename, dirname, relative, resolve } from "node:path";
import type { ParsedSpec, SpecPath } from "../spec/parse.js";
import type { HostEntryPlan, Origin, Plan, ServicePlan, StorageMode, VolumePlan } from "./plan.js";
import { formatSubnet } from "./addresses.js";
import { extraHost, parseExtraHostEntry, stringList, type ExtraHost } from "./hosts.js";
import { replicasOf, resolveNetworking, type Networking } from "./network.js";
import { parsePort } from "./ports.js";
import { parseCpuList, parseCpus, parseDuration, parseGroup, parseLogSize, parseSignal, parseSize, parseUser, splitShellWords } from "./units.js";
import { parseVolume } from "./volumes.js";
import { dependenciesOf, sharedService, startOrder } from "./dependencies.js";
import { loadSeccompProfile } from "./seccomp.js";
import { envFileEntries, loadEnvFile } from "./envfile.js";
import { secretBind, secretFiles, secretUses } from "./secrets.js";
import { parseCapability, parseDevice, parseDeviceCgroupRule, parseSecurityOpt, parseTmpfs, parseUlimit, resolveCapabilities, sysctlEntries } from "./security.js";
import { dottedPath } from "../spec/diagnostics.js";
import { parseImage } from "./image.js";
import { blkioSettings, cgroupSettings } from "./cgroups.js";
import type { LockedImage } from "../lock/registry.js";
import type { RuntimeVariable } from "../spec/interpolate.js";

type Obj = Record<string, any>;

const CPU_PERIOD_US = DEFAULTS.cpuPeriodUs;

export interface NormaliseInput {
  spec: ParsedSpec;
  /** Where the script will be written: relative paths in the script are relative to its directory. */
  outputFile: string;
  tupperVersion: string;
  /** The x-tupper.runtime_env variables the values use (see spec/interpolate.ts). */
  runtime?: RuntimeVariable[];
  /** The lock file's pinned registry images, by reference. */
  locks?: Map<string, LockedImage>;
}

/** Only call after validation found no errors: values are trusted to parse. */
export function normalise({ spec, outputFile, tupperVersion, runtime = [], locks = new Map() }: NormaliseInput): Plan {
  const root = spec.data as Obj;
  const origin = (path: SpecPath): Origin => {
    const present = valueAt(root, path) !== undefined;
    return { key: dottedPath(path), written: present ? writtenText(spec, path) : null };
  };
  const scriptDir = dirname(resolve(outputFile));
  const specFile = resolve(spec.file);
  const xt = (root["x-tupper"] ?? {}) as Obj;
  const project = root.name ?? defaultProjectName(specFile);
  const net = resolveNetworking(root);
  const volumes = projectVolumes(root, project);
  return {
    tupperVersion,
    specFromScript: relative(scriptDir, specFile),
    specDirFromScript: relative(scriptDir, dirname(specFile)) || ".",
    specSha256: createHash("sha256").update(spec.text).digest("hex"),
    project: { ...origin(["name"]), name: project },
    storage: { ...origin(["x-tupper", "storage"]), mode: (xt.storage ?? DEFAULTS.storage) as StorageMode },
    cgroupParent: { ...origin(["x-tupper", "cgroup_parent"]), path: xt.cgroup_parent ?? null },
    runtimeEnv: { ...origin(["x-tupper", "runtime_env"]), variables: [...runtime].sort((a, b) => (a.name < b.name ? -1 : 1)) },
    networks: net.networks.map((n) => ({
      ...(n.path ? origin(n.path) : { key: `networks.${n.name}`, written: null }),
      name: n.name,
      subnet: n.subnet ? formatSubnet(n.subnet) : null,
      gatewayOffset: n.gatewayOffset,
      internal: n.internal,
      firstFreeOffset: n.firstFreeOffset,
    })),
    volumes: volumes.map((v) => ({ ...origin(["volumes", v.declared]), ...v })),
    services: inStartOrder(root.services as Obj).map((name) =>
      normaliseService(name, root.services[name] as Obj, origin, spec, net, project, volumes, containerNames(root.services as Obj), secretFiles(root), locks),
    ),
  };
}

/** x-tupper.network.egress_rate: the rate as tc takes it, and a burst of 10 ms of it (at least 32 KiB, tbf's need at HZ 250). */
function egressRate(rate: string | undefined): { rate: string | null; burstBytes: number } {
  if (rate === undefined) return { rate: null, burstBytes: 0 };
  const m = /^([0-9.]+)(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$/.exec(rate) as RegExpExecArray;
  const unit = { bit: 1 / 8, kbit: 125, mbit: 125_000, gbit: 125_000_000, bps: 1, kbps: 1000, mbps: 1_000_000, gbps: 1_000_000_000 }[m[2] as "bit"];
  return { rate, burstBytes: Math.max(32 * 1024, Math.ceil((Number(m[1]) * unit) / 100)) };
}

function normaliseService(
  name: string,
  s: Obj,
  originOf: (p: SpecPath) => Origin,
  spec: ParsedSpec,
  net: Networking,
  project: string,
  volumes: Omit<VolumePlan, keyof Origin>[],
  containerNames: Map<string, string>,
  secrets: Map<string, string | null>,
  locks: Map<string, LockedImage>,
): ServicePlan {
  const at = (...rest: (string | number)[]): SpecPath => ["services", name, ...rest];
  const o = (...rest: (string | number)[]) => originOf(at(...rest));
  const limits = (s.deploy?.resources?.limits ?? {}) as Obj;
  // A limit may sit at the service level or under deploy.resources.limits; validation made sure they agree.
  const limitOrigin = (key: string, deployKey: string) =>
    s[key] !== undefined ? o(key) : limits[deployKey] !== undefined ? o("deploy", "resources", "limits", deployKey) : o(key);
  const memoryRaw = s.mem_limit ?? limits.memory;
  const cpusRaw = s.cpus ?? limits.cpus;
  const pidsRaw: number | undefined = s.pids_limit ?? limits.pids;

  const parsedImage = parseImage(String(s.image));
  if (!parsedImage.ok) throw new Error(`unvalidated image: ${parsedImage.why}`);
  const entrypoint = words(s.entrypoint);
  const command = words(s.command);
  const envFiles = envFileEntries(s.env_file).flatMap((entry) => {
    const loaded = must(loadEnvFile(spec.file, entry));
    const key = entry.at === null ? o("env_file") : o("env_file", entry.at);
    return loaded === null ? [] : [{ ...key, path: entry.path, vars: loaded.vars }];
  });
  const env = environment(s.environment, (i) => spec.sourceTextOf(at("environment", i)), envFiles.flatMap((f) => f.vars));
  const user = s.user !== undefined ? must(parseUser(s.user)) : { uid: 0, gid: 0, name: null };
  const envNames = new Set([...env.set.map((e) => e.name), ...env.passThrough]);
  const cpus = cpusRaw !== undefined ? must(parseCpus(cpusRaw)) : null;

  return {
    name,
    key: dottedPath(at()),
    attach: { ...o("attach"), enabled: s.attach !== false },
    platform: { ...o("platform"), value: typeof s.platform === "string" ? s.platform : null },
    pullPolicy: { ...o("pull_policy"), policy: s.pull_policy === "always" || s.pull_policy === "never" ? s.pull_policy : "missing" },
    image: { ...o("image"), ...parsedImage.image, lock: parsedImage.image.kind === "registry" ? (locks.get(parsedImage.image.reference) ?? null) : null },
    argv: { entrypoint, command, entrypointOrigin: o("entrypoint"), commandOrigin: o("command") },
    env: { ...o("environment"), ...env, files: envFiles.map(({ vars, ...f }) => ({ ...f, names: [...new Set(vars.map(([n]) => n))] })) },
    containerName: { ...o("container_name"), name: (s.container_name as string | undefined) ?? null },
    labels: { ...o("labels"), set: labels(s.labels, (i) => spec.sourceTextOf(at("labels", i))) },
    profiles: { ...o("profiles"), names: (s.profiles ?? []) as string[] },
    replicas: { ...(s.scale !== undefined || s.deploy?.replicas === undefined ? o("scale") : o("deploy", "replicas")), count: replicasOf(s) },
    defaultEnv: { path: !envNames.has("PATH"), hostname: !envNames.has("HOSTNAME"), home: !envNames.has("HOME") },
    workingDir: { ...o("working_dir"), path: s.working_dir ?? null },
    user: { ...o("user"), ...user },
    groupAdd: { ...o("group_add"), groups: ((s.group_add ?? []) as (string | number)[]).map((g) => must(parseGroup(g))) },
    hostname: { ...o("hostname"), name: s.hostname ?? null },
    init: { ...o("init"), enabled: s.init === true },
    tty: { ...o("tty"), enabled: s.tty === true },
    stdinOpen: { ...o("stdin_open"), enabled: s.stdin_open === true },
    stopSignal: { ...o("stop_signal"), signal: s.stop_signal !== undefined ? must(parseSignal(s.stop_signal)) : "TERM" },
    stopGracePeriod: {
      ...o("stop_grace_period"),
      ms: s.stop_grace_period !== undefined ? must(parseDuration(s.stop_grace_period)) : DEFAULTS.stopGraceMs,
    },
    memory: { ...limitOrigin("mem_limit", "memory"), bytes: memoryRaw !== undefined ? must(parseSize(memoryRaw)) : null },
    // cpus, or the same as cpu_quota per cpu_period (validation allows one of them)
    cpus:
      s.cpu_quota !== undefined
        ? { ...o("cpu_quota"), quotaUs: s.cpu_quota as number, periodUs: (s.cpu_period as number | undefined) ?? CPU_PERIOD_US }
        : { ...limitOrigin("cpus", "cpus"), quotaUs: cpus === null ? null : Math.max(1000, Math.round(cpus * CPU_PERIOD_US)), periodUs: CPU_PERIOD_US },
    cgroupSettings: cgroupSettings(s, o, memoryRaw !== undefined ? must(parseSize(memoryRaw)) : null),
    blkio: blkioSettings(s, o),
    cpusetMems: { ...o("x-tupper", "cpuset_mems"), nodes: s["x-tupper"]?.cpuset_mems !== undefined ? must(parseCpuList(s["x-tupper"].cpuset_mems)) : null },
    oomScoreAdj: { ...o("oom_score_adj"), value: (s.oom_score_adj as number | undefined) ?? null },
    egressRate: { ...o("x-tupper", "network", "egress_rate"), ...egressRate(s["x-tupper"]?.network?.egress_rate as string | undefined) },
    shm: { ...o("shm_size"), bytes: s.shm_size !== undefined ? must(parseSize(s.shm_size)) : DEFAULTS.shmBytes },
    pids: { ...limitOrigin("pids_limit", "pids"), max: pidsRaw === undefined || pidsRaw <= 0 ? null : pidsRaw },
    cpuset: { ...o("cpuset"), cpus: s.cpuset !== undefined ? must(parseCpuList(s.cpuset)) : null },
    binds: ((s.volumes ?? []) as unknown[]).map((v, i) => {
      const { volume, ...bind } = must(parseVolume(v, { home: homedir() }));
      const declared = volume && volumes.find((d) => d.declared === bind.source)!;
      if (volume?.anonymous) {
        const suffix = `anon-${createHash("sha256").update(bind.target).digest("hex").slice(0, 12)}`;
        return { ...o("volumes", i), ...bind, volume: { name: suffix, external: false, nocopy: volume.nocopy, anonymous: true } };
      }
      return { ...o("volumes", i), ...bind, volume: declared ? { name: declared.name, external: declared.external, nocopy: volume.nocopy, anonymous: false } : null };
    }).concat(secretUses(s.secrets).map((use) => ({ ...o("secrets", use.at), ...must(secretBind(use, secrets.get(use.source))), volume: null }))),
    network: {
      ...(s.network_mode !== undefined ? o("network_mode") : o("networks")),
      mode: net.services.get(name)!.mode,
      attachments: net.services.get(name)!.attachments.map((a) => ({ ...originOf(a.path), network: a.network, offset: a.offset })),
      peer: net.services.get(name)!.peer ?? null,
    },
    ipc: { ...o("ipc"), ...sharing(s.ipc) },
    pid: { ...o("pid"), ...sharing(s.pid) },
    ports: ((s.ports ?? []) as unknown[]).flatMap((p, i) => must(parsePort(p)).map((port) => ({ ...o("ports", i), ...port }))),
    expose: { ...o("expose"), ports: ((s.expose ?? []) as unknown[]).map(String) },
    hosts: hostEntries(name, s, net, project, containerNames),
    extraHosts: extraHosts(s.extra_hosts).map(({ key, host }) => ({ ...o("extra_hosts", key), ...host })),
    dns: { ...o("dns"), servers: stringList(s.dns) },
    dnsSearch: { ...o("dns_search"), domains: stringList(s.dns_search) },
    dnsOptions: { ...o("dns_opt"), options: stringList(s.dns_opt) },
    domainname: { ...o("domainname"), name: (s.domainname as string | undefined) ?? null },
    macAddress: { ...o("mac_address"), address: (s.mac_address as string | undefined)?.toLowerCase() ?? null },
    restart: { ...o("restart"), ...restartPolicy(s.restart as string | undefined) },
    healthcheck: { ...o("healthcheck"), check: healthcheck(s.healthcheck as Obj | undefined), fromImage: imageHealthcheck(s.healthcheck as Obj | undefined) },
    logging: { ...o("logging"), ...logging(s.logging as Obj | undefined) },
    dependsOn: {
      ...o("depends_on"),
      on: dependenciesOf(name, s).filter((d) => d.service in ((spec.data as Obj).services as Obj)).map(({ service, condition }) => ({ service, condition })),
    },
    ...security(s, o, spec.file),
  };
}

/**
 * The security keys, each as written: privileged is applied by the script (security_args), so
 * that switching it changes one line of the script and a reviewer sees what it lifts there.
 */
function security(s: Obj, o: (...rest: (string | number)[]) => Origin, specFile: string): Pick<ServicePlan, "capabilities" | "privileged" | "securityOpt" | "seccompProfile" | "readOnly" | "tmpfs" | "sysctls" | "ulimits" | "devices" | "deviceCgroupRules" | "userns"> {
  const caps = (key: string) => ((s[key] ?? []) as string[]).map((c) => must(parseCapability(c)));
  const opts = ((s.security_opt ?? []) as string[]).map((x) => must(parseSecurityOpt(x)));
  const nnp = opts.filter((x) => x.kind === "no-new-privileges").at(-1);
  const tmpfs = typeof s.tmpfs === "string" ? [s.tmpfs] : ((s.tmpfs ?? []) as string[]);
  const kept = resolveCapabilities(caps("cap_add"), caps("cap_drop"));
  const seccomp = opts.filter((x) => x.kind === "seccomp" || x.kind === "seccomp-file").at(-1);
  return {
    capabilities: { add: o("cap_add"), drop: o("cap_drop"), kept },
    privileged: { ...o("privileged"), enabled: s.privileged === true },
    securityOpt: {
      ...o("security_opt"),
      noNewPrivileges: nnp ? nnp.enabled : null,
      seccomp: seccomp === undefined ? "default" : seccomp.kind === "seccomp" ? "unconfined" : "profile",
      maskPaths: !opts.some((x) => x.kind === "systempaths"),
      accepted: opts.flatMap((x) => (x.kind === "accepted" ? [x.note] : [])),
    },
    seccompProfile: seccomp?.kind === "seccomp-file" ? { path: seccomp.path, ...must(loadSeccompProfile(specFile, seccomp.path, kept)) } : null,
    readOnly: { ...o("read_only"), enabled: s.read_only === true },
    tmpfs: tmpfs.map((t, i) => ({ ...(typeof s.tmpfs === "string" ? o("tmpfs") : o("tmpfs", i)), ...must(parseTmpfs(t)) })),
    sysctls: sysctlEntries(s.sysctls).map(({ key, value, at }) => ({ ...o("sysctls", at), name: key, value })),
    ulimits: Object.entries((s.ulimits ?? {}) as Obj).map(([name, v]) => ({ ...o("ulimits", name), ...must(parseUlimit(name, v)) })),
    userns: { ...o("x-tupper", "userns"), map: usernsMap(s) },
    devices: ((s.devices ?? []) as string[]).map((d, i) => ({ ...o("devices", i), ...must(parseDevice(d)) })),
    deviceCgroupRules: ((s.device_cgroup_rules ?? []) as string[]).map((r, i) => ({ ...o("device_cgroup_rules", i), rule: must(parseDeviceCgroupRule(r)) })),
  };
}

function usernsMap(s: Obj): ServicePlan["userns"]["map"] {
  const userns = ((s["x-tupper"] ?? {}) as Obj).userns as { host_uid: number; host_gid?: number; size?: number } | undefined;
  if (userns === undefined) return null;
  return { hostUid: userns.host_uid, hostGid: userns.host_gid ?? userns.host_uid, size: userns.size ?? DEFAULTS.usernsSize };
}

/** "on-failure:3" → on-failure, at most 3 restarts; unless-stopped is always (no daemon to restart). */
function restartPolicy(raw: string | undefined): { policy: "no" | "always" | "on-failure"; maxRestarts: number | null } {
  if (raw === undefined || raw === "no") return { policy: "no", maxRestarts: null };
  if (raw === "always" || raw === "unless-stopped") return { policy: "always", maxRestarts: null };
  const n = raw.split(":")[1];
  return { policy: "on-failure", maxRestarts: n === undefined ? null : Number(n) };
}

/** ipc or pid as written: unset, private and shareable are a namespace of the container's own. */
function sharing(v: unknown): { mode: "private" | "host" | "service"; peer: string | null } {
  if (v === "host") return { mode: "host", peer: null };
  const peer = sharedService(v);
  return peer === null ? { mode: "private", peer: null } : { mode: "service", peer };
}

/** The services that set container_name, and the name. */
function containerNames(services: Obj): Map<string, string> {
  return new Map(Object.entries(services).flatMap(([name, s]) => (typeof (s as Obj).container_name === "string" ? [[name, (s as Obj).container_name as string]] : [])));
}

/** Validation found no cycle: every service comes after its dependencies. */
function inStartOrder(services: Obj): string[] {
  const order = startOrder(services);
  if ("cycle" in order) throw new Error(`depends_on cycle ${order.cycle.join(" → ")} passed validation`);
  return order.order;
}

/** The top-level volumes with their names on the host, as Compose names them. */
function projectVolumes(root: Obj, project: string): Omit<VolumePlan, keyof Origin>[] {
  return Object.entries((root.volumes ?? {}) as Obj).map(([declared, v]) => {
    const external = (v as Obj | null)?.external === true;
    const name = ((v as Obj | null)?.name as string | undefined) ?? (external ? declared : `${project}_${declared}`);
    return { declared, name, external };
  });
}

/** Docker's defaults: json-file grows without limit; local rotates at 20m, keeping 5 files. */
function logging(l: Obj | undefined): Omit<ServicePlan["logging"], keyof Origin> {
  const driver = (l?.driver ?? "json-file") as "json-file" | "local" | "none";
  if (driver === "none") return { driver, maxSize: null, maxFiles: DEFAULTS.logFiles.jsonFile };
  const options = (l?.options ?? {}) as Obj;
  const local = driver === "local";
  const maxSize = options["max-size"] ?? (local ? "20m" : undefined);
  return {
    driver: "json-file", // local is Docker's other file format; tupper writes one format for both
    maxSize: maxSize === undefined ? null : must(parseLogSize(maxSize)),
    maxFiles: Number(options["max-file"] ?? (local ? DEFAULTS.logFiles.local : DEFAULTS.logFiles.jsonFile)),
  };
}

/** Compose's defaults: every 30s, 30s timeout, 3 retries, no start period, 5s during it. */
function healthcheck(h: Obj | undefined): ServicePlan["healthcheck"]["check"] {
  if (h === undefined || h.disable === true || h.test === undefined) return null;
  const test = h.test as string | string[];
  let argv: string[];
  if (typeof test === "string") argv = ["/bin/sh", "-c", test];
  else if (test[0] === "NONE") return null;
  else if (test[0] === "CMD-SHELL") argv = ["/bin/sh", "-c", test[1]!];
  else argv = test.slice(1);
  const ms = (key: string, fallback: number) => (typeof h[key] === "string" ? must(parseDuration(h[key])) : fallback);
  return {
    argv,
    intervalMs: ms("interval", DEFAULTS.healthcheck.intervalMs),
    timeoutMs: ms("timeout", DEFAULTS.healthcheck.timeoutMs),
    retries: typeof h.retries === "number" ? h.retries : DEFAULTS.healthcheck.retries,
    startPeriodMs: ms("start_period", DEFAULTS.healthcheck.startPeriodMs),
    startIntervalMs: ms("start_interval", DEFAULTS.healthcheck.startIntervalMs),
  };
}

/** A healthcheck without test: the image's, with the timings given here. */
function imageHealthcheck(h: Obj | undefined): ServicePlan["healthcheck"]["fromImage"] {
  if (h === undefined || h.disable === true || h.test !== undefined) return null;
  const ms = (key: string) => (typeof h[key] === "string" ? must(parseDuration(h[key])) : null);
  return {
    intervalMs: ms("interval"),
    timeoutMs: ms("timeout"),
    retries: typeof h.retries === "number" ? h.retries : null,
    startPeriodMs: ms("start_period"),
    startIntervalMs: ms("start_interval"),
  };
}

/**
 * The /etc/hosts lines a container of service SELF gets: every service on each network it
 * joins (itself included), by service name, aliases on that network, container name, and
 * the names SELF's links give it; networks in SELF's order, services in spec order.
 */
function hostEntries(self: string, s: Obj, net: Networking, project: string, containerNames: Map<string, string>): HostEntryPlan[] {
  const linkAliases = new Map<string, string[]>();
  for (const link of (s.links ?? []) as string[]) {
    const [target, alias] = link.split(":") as [string, string?];
    if (alias !== undefined && alias !== target) linkAliases.set(target, [...(linkAliases.get(target) ?? []), alias]);
  }
  const linked = new Set<string>();
  const out: HostEntryPlan[] = [];
  for (const mine of net.services.get(self)!.attachments) {
    for (const [other, theirs] of net.services) {
      const there = theirs.attachments.find((a) => a.network === mine.network);
      if (!there) continue;
      // scale: every replica by the service's name (and aliases), each by its own container name
      for (let k = 1; k <= there.replicas; k++) {
        const names = [other, ...there.aliases, containerNames.get(other) ?? `${project}-${other}-${k}`];
        if (!linked.has(other)) names.push(...(linkAliases.get(other) ?? []));
        out.push({ network: mine.network, offset: there.offset + k - 1, names: [...new Set(names)] });
      }
      linked.add(other);
    }
  }
  return out;
}

function extraHosts(raw: unknown): { key: string | number; host: ExtraHost }[] {
  if (Array.isArray(raw)) return raw.map((e, i) => ({ key: i, host: must(parseExtraHostEntry(e as string)) }));
  if (raw && typeof raw === "object") {
    return Object.entries(raw as Obj).flatMap(([name, v]) => stringList(v).map((a) => ({ key: name, host: must(extraHost(name, a)) })));
  }
  return [];
}

function words(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return typeof v === "string" ? must(splitShellWords(v)) : (v as string[]);
}

/**
 * Compose environment, map or list form. Values keep the text as written (1.0 stays "1.0");
 * a name without a value passes the host's value through at run time.
 */
function environment(raw: unknown, writtenAt: (key: string | number) => string | undefined, fromFiles: [string, string][] = []) {
  const values = new Map<string, string | null>(fromFiles); // a later file overrides; environment: overrides the files
  for (const [name, value] of keyValues(raw, writtenAt)) {
    values.delete(name); // keep the spec's order for the spec's own variables
    values.set(name, value);
  }
  const set: { name: string; value: string }[] = [];
  const passThrough: string[] = [];
  for (const [name, value] of values) {
    if (value === null) passThrough.push(name);
    else set.push({ name, value });
  }
  return { set, passThrough };
}

/** labels, map or list form, in the spec's order (a label without value is empty, as in Docker). */
function labels(raw: unknown, writtenAt: (key: string | number) => string | undefined) {
  return keyValues(raw, writtenAt).map(([name, value]) => ({ name, value: value ?? "" }));
}

/** NAME=VALUE list or NAME: VALUE map → [name, value], value null where none is given. */
function keyValues(raw: unknown, writtenAt: (key: string | number) => string | undefined): [string, string | null][] {
  if (Array.isArray(raw)) {
    return (raw as string[]).map((entry) => {
      const eq = entry.indexOf("=");
      return eq < 0 ? [entry, null] : [entry.slice(0, eq), entry.slice(eq + 1)];
    });
  }
  if (raw && typeof raw === "object") {
    return Object.entries(raw as Obj).map(([name, value]) => [
      name,
      value === null ? null : typeof value === "string" ? value : (writtenAt(name) ?? String(value)),
    ]);
  }
  return [];
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
