// Stage 4: the model. A validated spec and its resolved values (src/resolve) → a Plan with every
// default applied (defaults.ts) and every value in its final type. Nothing is parsed here: what
// needs parsing was parsed, once, by its key's resolver.
import { createHash } from "node:crypto";
import { DEFAULTS } from "./defaults.js";
import { basename, dirname, relative, resolve } from "node:path";
import type { ParsedSpec, SpecPath } from "../spec/parse.js";
import type { HostEntryPlan, Origin, Plan, ServicePlan, StorageMode, VolumePlan } from "./plan.js";
import { formatSubnet, formatSubnet6 } from "./addresses.js";
import { stringList } from "./hosts.js";
import { replicasOf, type Networking } from "./network.js";
import { sharedService } from "./dependencies.js";
import { profileFor } from "./seccomp.js";
import { resolveCapabilities } from "./security.js";
import { dottedPath } from "../spec/diagnostics.js";
import { blkioSettings, cgroupSettings } from "./cgroups.js";
import type { LockedImage } from "../lock/registry.js";
import type { RuntimeVariable } from "../spec/interpolate.js";
import type { Compose, Service } from "../spec/schema-types.js";
import type { HealthValues, ServiceValues, SpecValues } from "../resolve/values.js";
import type { ShellText } from "../spec/runtime.js";
import { parseImage, type ImageSource } from "./image.js";
import { builtImageName } from "../build/service.js";

const CPU_PERIOD_US = DEFAULTS.cpuPeriodUs;

export interface NormaliseInput {
  spec: ParsedSpec;
  /** Each key's value, resolved once (src/resolve). */
  values: SpecValues;
  /** Where the script will be written: relative paths in the script are relative to its directory. */
  outputFile: string;
  tupperVersion: string;
  /** The x-tupper.runtime_env variables the values use (see spec/interpolate.ts). */
  runtime?: RuntimeVariable[];
  /** The lock file's pinned registry images, by reference. */
  locks?: Map<string, LockedImage>;
}

/** Only call after the schema and the resolvers found no errors: the document has the schema's shape. */
export function normalise({ spec, values, outputFile, tupperVersion, runtime = [], locks = new Map() }: NormaliseInput): Plan {
  const root = spec.data as Compose;
  const origin = (path: SpecPath): Origin => {
    const present = valueAt(root, path) !== undefined;
    return { key: dottedPath(path), written: present ? writtenText(spec, path) : null };
  };
  const scriptDir = dirname(resolve(outputFile));
  const specFile = resolve(spec.file);
  const xt = root["x-tupper"] ?? {};
  const project = root.name ?? defaultProjectName(specFile);
  const net = values.networking;
  const volumes = projectVolumes(root, project);
  return {
    tupperVersion,
    specFromScript: relative(scriptDir, specFile),
    specDirFromScript: relative(scriptDir, dirname(specFile)) || ".",
    specSha256: createHash("sha256").update(spec.text).digest("hex"),
    project: { ...origin(["name"]), name: project },
    storage: { ...origin(["x-tupper", "storage"]), mode: xt.storage ?? (DEFAULTS.storage satisfies StorageMode) },
    cgroupParent: { ...origin(["x-tupper", "cgroup_parent"]), path: xt.cgroup_parent ?? null },
    runtimeEnv: { ...origin(["x-tupper", "runtime_env"]), variables: [...runtime].sort((a, b) => (a.name < b.name ? -1 : 1)) },
    networks: net.networks.map((n) => ({
      ...(n.path ? origin(n.path) : { key: `networks.${n.name}`, written: null }),
      name: n.name,
      subnet: n.subnet ? formatSubnet(n.subnet) : null,
      gatewayOffset: n.gatewayOffset,
      internal: n.internal,
      firstFreeOffset: n.firstFreeOffset,
      ipv6: n.ipv6 && { subnet: n.ipv6.subnet ? formatSubnet6(n.ipv6.subnet) : null, gatewayOffset: n.ipv6.gatewayOffset, firstFreeOffset: n.ipv6.firstFreeOffset },
      bridgeName: n.bridgeName,
    })),
    volumes: volumes.map((v) => ({ ...origin(["volumes", v.declared]), ...v })),
    services: values.startOrder.map((name) =>
      normaliseService(name, root.services[name]!, values.services.get(name)!, origin, spec, net, project, volumes, containerNames(root.services), locks),
    ),
  };
}

function normaliseService(
  name: string,
  s: Service,
  v: ServiceValues,
  originOf: (p: SpecPath) => Origin,
  spec: ParsedSpec,
  net: Networking,
  project: string,
  volumes: Omit<VolumePlan, keyof Origin>[],
  containerNames: Map<string, string>,
  locks: Map<string, LockedImage>,
): ServicePlan {
  const at = (...rest: (string | number)[]): SpecPath => ["services", name, ...rest];
  const o = (...rest: (string | number)[]) => originOf(at(...rest));
  const limits = s.deploy?.resources?.limits ?? {};
  // A limit may sit at the service level or under deploy.resources.limits; the resolver made sure they agree.
  const limitOrigin = (key: "mem_limit" | "cpus" | "pids_limit", deployKey: "memory" | "cpus" | "pids") =>
    s[key] !== undefined ? o(key) : limits[deployKey] !== undefined ? o("deploy", "resources", "limits", deployKey) : o(key);
  const pidsRaw = s.pids_limit ?? limits.pids;
  // image: is required by the schema unless build: names the image built (PROJECT-SERVICE, as Compose)
  const image = v.image ?? (parseImage(builtImageName(project, name)) as { ok: true; image: ImageSource }).image;
  const envFiles = v.envFiles.map((f) => ({ ...(f.at === null ? o("env_file") : o("env_file", f.at)), path: f.path, vars: f.vars }));
  const env = environment(v.environment, envFiles.flatMap((f) => f.vars));
  const user = v.user ?? { uid: 0, gid: 0, name: null };
  const envNames = new Set([...env.set.map((e) => e.name), ...env.passThrough]);
  const cpus = v.limits.cpus;

  return {
    name,
    key: dottedPath(at()),
    attach: { ...o("attach"), enabled: s.attach !== false },
    platform: { ...o("platform"), value: typeof s.platform === "string" ? s.platform : null },
    pullPolicy: { ...o("pull_policy"), policy: s.pull_policy === "always" || s.pull_policy === "never" ? s.pull_policy : "missing" },
    image: { ...o("image"), ...image, lock: image.kind === "registry" && v.build === null ? (locks.get(image.reference) ?? null) : null },
    build: null, // compiled from its Dockerfile by compile.ts (src/build/service.ts)
    argv: { entrypoint: v.entrypoint, command: v.command, entrypointOrigin: o("entrypoint"), commandOrigin: o("command") },
    env: { ...o("environment"), ...env, files: envFiles.map(({ vars, ...f }) => ({ ...f, names: [...new Set(vars.map(([n]) => n))] })) },
    containerName: { ...o("container_name"), name: s.container_name ?? null },
    labels: { ...o("labels"), set: v.labels.map(([name, value]) => ({ name, value })) },
    profiles: { ...o("profiles"), names: s.profiles ?? [] },
    replicas: { ...(s.scale !== undefined || s.deploy?.replicas === undefined ? o("scale") : o("deploy", "replicas")), count: replicasOf(s) },
    defaultEnv: { path: !envNames.has("PATH"), hostname: !envNames.has("HOSTNAME"), home: !envNames.has("HOME") },
    workingDir: { ...o("working_dir"), path: s.working_dir ?? null },
    user: { ...o("user"), ...user },
    groupAdd: { ...o("group_add"), groups: v.groupAdd },
    hostname: { ...o("hostname"), name: s.hostname ?? null },
    init: { ...o("init"), enabled: s.init === true },
    tty: { ...o("tty"), enabled: s.tty === true },
    stdinOpen: { ...o("stdin_open"), enabled: s.stdin_open === true },
    stopSignal: { ...o("stop_signal"), signal: v.stopSignal ?? DEFAULTS.stopSignal },
    stopGracePeriod: { ...o("stop_grace_period"), ms: v.stopGraceMs ?? DEFAULTS.stopGraceMs },
    memory: { ...limitOrigin("mem_limit", "memory"), bytes: v.limits.memoryBytes },
    // cpus, or the same as cpu_quota per cpu_period (validation allows one of them)
    cpus:
      s.cpu_quota !== undefined
        ? { ...o("cpu_quota"), quotaUs: s.cpu_quota, periodUs: s.cpu_period ?? CPU_PERIOD_US }
        : { ...limitOrigin("cpus", "cpus"), quotaUs: cpus === null ? null : Math.max(1000, Math.round(cpus * CPU_PERIOD_US)), periodUs: CPU_PERIOD_US },
    cgroupSettings: cgroupSettings(s, v.limits, o),
    blkio: blkioSettings(s, v.limits, o),
    cpusetMems: { ...o("x-tupper", "cpuset_mems"), nodes: v.limits.cpusetMems },
    oomScoreAdj: { ...o("oom_score_adj"), value: s.oom_score_adj ?? null },
    egressRate: { ...o("x-tupper", "network", "egress_rate"), ...(v.egressRate ?? { rate: null, burstBytes: 0 }) },
    shm: { ...o("shm_size"), bytes: v.limits.shmBytes ?? DEFAULTS.shmBytes },
    pids: { ...limitOrigin("pids_limit", "pids"), max: pidsRaw === undefined || pidsRaw <= 0 ? null : pidsRaw },
    cpuset: { ...o("cpuset"), cpus: v.limits.cpuset },
    binds: v.volumes.map(({ at: i, bind: { volume, ...bind } }) => {
      const declared = volume && volumes.find((d) => d.declared === bind.source)!;
      if (volume?.anonymous) {
        const suffix = `anon-${createHash("sha256").update(bind.target).digest("hex").slice(0, 12)}`;
        return { ...o("volumes", i), ...bind, volume: { name: suffix, external: false, nocopy: volume.nocopy, anonymous: true } };
      }
      return { ...o("volumes", i), ...bind, volume: declared ? { name: declared.name, external: declared.external, nocopy: volume.nocopy, anonymous: false } : null };
    }).concat(v.secrets.map(({ at: i, bind }) => ({ ...o("secrets", i), ...bind, volume: null }))),
    network: {
      ...(s.network_mode !== undefined ? o("network_mode") : o("networks")),
      mode: net.services.get(name)!.mode,
      attachments: net.services.get(name)!.attachments.map((a) => ({ ...originOf(a.path), network: a.network, offset: a.offset, offset6: a.offset6 })),
      peer: net.services.get(name)!.peer ?? null,
    },
    ipc: { ...o("ipc"), ...sharing(s.ipc) },
    pid: { ...o("pid"), ...sharing(s.pid) },
    ports: v.ports.flatMap(({ at: i, ports }) => ports.map((port) => ({ ...o("ports", i), ...port }))),
    expose: { ...o("expose"), ports: (s.expose ?? []).map(String) },
    hosts: hostEntries(name, s, net, project, containerNames),
    extraHosts: v.extraHosts.map(({ key, host }) => ({ ...o("extra_hosts", key), ...host })),
    dns: { ...o("dns"), servers: stringList(s.dns) },
    dnsSearch: { ...o("dns_search"), domains: stringList(s.dns_search) },
    dnsOptions: { ...o("dns_opt"), options: stringList(s.dns_opt) },
    domainname: { ...o("domainname"), name: s.domainname ?? null },
    macAddress: { ...o("mac_address"), address: s.mac_address?.toLowerCase() ?? null },
    restart: { ...o("restart"), ...(v.restart ?? DEFAULTS.restart) },
    healthcheck: { ...o("healthcheck"), check: healthcheck(s.healthcheck, v.healthcheck), fromImage: imageHealthcheck(s.healthcheck, v.healthcheck) },
    logging: { ...o("logging"), ...logging(s.logging, v.logRotation) },
    dependsOn: {
      ...o("depends_on"),
      on: v.dependsOn,
    },
    ...security(s, v, o),
  };
}

/**
 * The security keys, each as written: privileged is applied by the renderer as one line of
 * its own, last in svc_confine (src/render/helper-flags.ts), so that switching it changes
 * that line and a reviewer sees there what it lifts.
 */
function security(s: Service, v: ServiceValues, o: (...rest: (string | number)[]) => Origin): Pick<ServicePlan, "capabilities" | "privileged" | "securityOpt" | "seccompProfile" | "readOnly" | "tmpfs" | "sysctls" | "ulimits" | "devices" | "deviceCgroupRules" | "userns"> {
  const opts = v.security.securityOpt;
  const nnp = opts.filter((x) => x.kind === "no-new-privileges").at(-1);
  const kept = resolveCapabilities(v.security.capAdd, v.security.capDrop);
  const seccomp = opts.filter((x) => x.kind === "seccomp" || x.kind === "seccomp-file").at(-1);
  const profile = v.security.seccomp;
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
    seccompProfile: seccomp?.kind === "seccomp-file" && profile !== null ? { path: profile.path, ...profileFor(profile.profile, kept) } : null,
    readOnly: { ...o("read_only"), enabled: s.read_only === true },
    tmpfs: v.security.tmpfs.map(({ at, ...t }) => ({ ...(at === null ? o("tmpfs") : o("tmpfs", at)), ...t })),
    sysctls: v.security.sysctls.map(({ at, name, value }) => ({ ...o("sysctls", at), name, value })),
    ulimits: v.security.ulimits.map((u) => ({ ...o("ulimits", u.name), ...u })),
    userns: { ...o("x-tupper", "userns"), map: usernsMap(s) },
    devices: v.security.devices.map(({ at, ...d }) => ({ ...o("devices", at), ...d })),
    deviceCgroupRules: v.security.deviceCgroupRules.map(({ at, rule }) => ({ ...o("device_cgroup_rules", at), rule })),
  };
}

function usernsMap(s: Service): ServicePlan["userns"]["map"] {
  const userns = s["x-tupper"]?.userns;
  if (userns === undefined) return null;
  return { hostUid: userns.host_uid, hostGid: userns.host_gid ?? userns.host_uid, size: userns.size ?? DEFAULTS.usernsSize };
}

/** ipc or pid as written: unset, private and shareable are a namespace of the container's own. */
function sharing(v: unknown): { mode: "private" | "host" | "service"; peer: string | null } {
  if (v === "host") return { mode: "host", peer: null };
  const peer = sharedService(v);
  return peer === null ? { mode: "private", peer: null } : { mode: "service", peer };
}

/** The services that set container_name, and the name. */
function containerNames(services: Compose["services"]): Map<string, string> {
  return new Map(Object.entries(services).flatMap(([name, s]) => (s.container_name !== undefined ? [[name, s.container_name]] : [])));
}

/** The top-level volumes with their names on the host, as Compose names them. */
function projectVolumes(root: Compose, project: string): Omit<VolumePlan, keyof Origin>[] {
  return Object.entries(root.volumes ?? {}).map(([declared, v]) => {
    const external = v?.external === true;
    const name = v?.name ?? (external ? declared : `${project}_${declared}`);
    return { declared, name, external };
  });
}

/** Docker's defaults (defaults.ts): json-file grows without limit; local rotates at 20m, keeping 5 files. ROTATION: the options, resolved. */
function logging(l: Service["logging"], rotation: ServiceValues["logRotation"]): Omit<ServicePlan["logging"], keyof Origin> {
  const driver = l?.driver ?? "json-file";
  if (driver === "none") return { driver, maxSize: null, maxFiles: DEFAULTS.logFiles.jsonFile };
  const local = driver === "local";
  return {
    driver: "json-file", // local is Docker's other file format; tupper writes one format for both
    maxSize: rotation.maxSizeBytes ?? (local ? DEFAULTS.logMaxSizeLocal : null),
    maxFiles: rotation.maxFiles ?? (local ? DEFAULTS.logFiles.local : DEFAULTS.logFiles.jsonFile),
  };
}

/** Compose's defaults (defaults.ts): every 30s, 30s timeout, 3 retries, no start period, 5s during it. */
function healthcheck(h: Service["healthcheck"], timings: HealthValues): ServicePlan["healthcheck"]["check"] {
  if (h === undefined || h.disable === true || timings.argv === null) return null;
  const d = DEFAULTS.healthcheck;
  return {
    argv: timings.argv,
    intervalMs: timings.intervalMs ?? d.intervalMs,
    timeoutMs: timings.timeoutMs ?? d.timeoutMs,
    retries: h.retries ?? d.retries,
    startPeriodMs: timings.startPeriodMs ?? d.startPeriodMs,
    startIntervalMs: timings.startIntervalMs ?? d.startIntervalMs,
  };
}

/** A healthcheck without test: the image's, with the timings given here. */
function imageHealthcheck(h: Service["healthcheck"], timings: HealthValues): ServicePlan["healthcheck"]["fromImage"] {
  if (h === undefined || h.disable === true || h.test !== undefined) return null;
  const { argv: _none, ...durations } = timings;
  return { ...durations, retries: h.retries ?? null };
}

/**
 * The /etc/hosts lines a container of service SELF gets: every service on each network it
 * joins (itself included), by service name, aliases on that network, container name, and
 * the names SELF's links give it; networks in SELF's order, services in spec order.
 */
function hostEntries(self: string, s: Service, net: Networking, project: string, containerNames: Map<string, string>): HostEntryPlan[] {
  const linkAliases = new Map<string, string[]>();
  for (const link of s.links ?? []) {
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
        out.push({ network: mine.network, offset: there.offset + k - 1, offset6: there.offset6 ? there.offset6 + k - 1 : 0, names: [...new Set(names)] });
      }
      linked.add(other);
    }
  }
  return out;
}

/**
 * environment over env_file: each variable once (a later file overrides an earlier one, and
 * environment: them all), in the spec's order for the spec's own; null passes the host's value.
 */
function environment(spec: [string, ShellText | null][], fromFiles: [string, string][]) {
  const values = new Map<string, ShellText | null>(fromFiles);
  for (const [name, value] of spec) {
    values.delete(name); // keep the spec's order for the spec's own variables
    values.set(name, value);
  }
  const set: { name: string; value: ShellText }[] = [];
  const passThrough: string[] = [];
  for (const [name, value] of values) {
    if (value === null) passThrough.push(name);
    else set.push({ name, value });
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
  let node = data;
  for (const p of path) node = node !== null && typeof node === "object" ? (node as Record<string | number, unknown>)[p] : undefined;
  return node;
}
