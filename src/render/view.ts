// Plan → the view the templates see. Every string in it is a Word (a quoted bash word) or a
// Comment: templates place them and can forget nothing, because there is nothing raw to place.
import type { NetworkPlan, Plan, ServicePlan } from "../model/plan.js";
import { hexSubnet6, parseSubnet6 } from "../model/addresses.js";
import type { HelperInfo } from "../helper/helper.js";
import { comment, type Comment, shNumber, shSpecPath, shWord, type Word } from "./quote.js";
import { joinText } from "../spec/runtime.js";
import { layerKeys } from "../lock/lock.js";
import { SELINUX_NOTE } from "../model/volumes.js";
import { DEFAULTS } from "../model/defaults.js";
import { buildView as serviceBuildView } from "./build-view.js";
import { DOCKER_DEFAULT_CAPS } from "../model/security.js";
import { describe, describeWith } from "./describe.js";
import { confineFlags, settledFlags } from "./helper-flags.js";
import { preflightNeeds } from "./preflight-needs.js";
import { cgroupLimits } from "./cgroup-limits.js";

interface Setting {
  comment: Comment;
  value: Word;
}

const flag = (on: boolean): Word => shNumber(on ? 1 : 0);
const optionalNumber = (n: number | null): Word => (n === null ? shWord("") : shNumber(n));

export function buildView(plan: Plan, helper: HelperInfo) {
  // the host's values taken first: the spec's pass-through variables and x-tupper.runtime_env's
  const passThrough = [...new Set([...plan.services.flatMap((s) => s.env.passThrough), ...plan.runtimeEnv.variables.map((v) => v.name)])].sort();
  const builds = plan.services.flatMap((s) => serviceBuildView(s) ?? []);
  return {
    version: comment(plan.tupperVersion),
    specPath: comment(plan.specFromScript),
    specSha256: comment(plan.specSha256),
    specDir: shWord(plan.specDirFromScript),
    // a registry image or an archive: the script carries the code that pulls and unpacks them
    layeredImages: plan.services.some((s) => (s.image.kind !== "dir" && s.image.kind !== "tar") || s.build !== null),
    // build: the services that build their image, each Dockerfile as one block per instruction
    builds,
    // load_network has a case per network: the spec's, and .build when a service builds
    loadsNetworks: plan.networks.length > 0 || builds.length > 0,
    buildCaps: shWord(DOCKER_DEFAULT_CAPS.join(",")),
    anyPlatform: plan.services.some((s) => s.platform.value !== null),
    // a healthcheck without test: image_config_apply takes the image's
    anyImageHealthcheck: plan.services.some((s) => s.healthcheck.fromImage !== null),
    healthDefaults: [DEFAULTS.healthcheck.intervalMs, DEFAULTS.healthcheck.timeoutMs, DEFAULTS.healthcheck.retries, DEFAULTS.healthcheck.startPeriodMs, DEFAULTS.healthcheck.startIntervalMs].map(shNumber),
    // attach: false
    notAttached: plan.services.filter((s) => !s.attach.enabled).map((s) => shWord(s.name)),
    project: { comment: describe(plan.project, "the spec directory's name"), value: shWord(plan.project.name) } as Setting,
    storage: { comment: describe(plan.storage, "auto: btrfs, else overlay, else copy"), value: shWord(plan.storage.mode) } as Setting,
    cgroupParent: {
      comment: describe(plan.cgroupParent, "…/tupper under the cgroup of whoever runs this script"),
      value: shWord(plan.cgroupParent.path ?? ""),
    } as Setting,
    runtimeEnv: {
      comment: describe(plan.runtimeEnv, "none"),
      variables: plan.runtimeEnv.variables.map((v) => ({
        name: shWord(v.name),
        op: shWord(v.op),
        word: shWord(v.word),
        comment: comment(`\${${v.name}${v.op}${v.word}}`),
      })),
    },
    serviceNames: plan.services.map((s) => shWord(s.name)),
    // scale: the containers of each service, PROJECT-SERVICE-1..N
    serviceScale: plan.services.map((s) => ({ name: shWord(s.name), count: shNumber(s.replicas.count), comment: describe(s.replicas, "1") })),
    // container_name: the services whose container is not named PROJECT-SERVICE-1
    containerNames: plan.services.flatMap((s) =>
      s.containerName.name === null ? [] : [{ service: shWord(s.name), comment: describe(s.containerName, ""), value: shWord(s.containerName.name) }],
    ),
    orderedStop: flag(plan.services.some((s) => s.dependsOn.on.length > 0)),
    // the volumes `down -v` removes: the project's own, not external ones
    projectVolumes: plan.volumes.filter((v) => !v.external).map((v) => shWord(v.name)),
    volumes: plan.volumes.map((v) => comment(`${v.key}: ${v.written ?? "{}"} → ${v.external ? "external" : "the project's"} volume ${v.name}`)),
    networks: plan.networks.map((n) => ({
      name: shWord(n.name),
      comment: describe(n, n.name === "default" ? "the project's default network" : "a bridge with NAT"),
      subnet: { comment: comment(`subnet: ${n.subnet ?? "chosen when the network is created (172.17-31.0.0/16, then 192.168.N.0/20)"}`), value: shWord(n.subnet ?? "") },
      gatewayOffset: shNumber(n.gatewayOffset),
      internal: flag(n.internal),
      firstFreeOffset: shNumber(n.firstFreeOffset),
      ipv6: ipv6View(n),
      bridgeName: { comment: n.bridgeName === null ? null : comment(`driver_opts: com.docker.network.bridge.name: ${n.bridgeName}`), value: shWord(n.bridgeName ?? "") },
    })),
    passThroughNames: passThrough.map(shWord),
    helper: {
      sha256: shWord(helper.sha256),
      buildComments: helper.buildInfo.map(comment),
      // base64 has only [A-Za-z0-9+/=]: nothing in it is special to bash, after the exit.
      base64: helper.base64 === undefined ? null : helper.base64.map(base64Line),
    },
    services: plan.services.map(serviceView),
  };
}

/** The image's source: a path (relative to the spec) or a registry reference, split. */
function imageView(s: ServicePlan) {
  // (the lock's layer keys are computed here so that the script needs no sha256 for them)
  const image = s.image;
  const base = { comment: describe(image, ""), kind: shWord(s.build !== null ? "build" : image.kind), layered: image.kind !== "dir" && image.kind !== "tar" };
  if (image.kind === "registry") {
    const lock = image.lock;
    const keys = lock ? layerKeys(lock.layers.map((l) => l.digest)) : [];
    return {
      ...base,
      path: shWord(image.reference),
      registry: { host: shWord(image.registry), repository: shWord(image.repository), tag: shWord(image.tag), digest: shWord(image.digest ?? "") },
      lock: lock && {
        comment: comment(`the lock file pins it for ${lock.platform}: manifest ${lock.manifest}`),
        // what the image's config sets, as the lock read it: the script applies it at each start
        config: [
          `Entrypoint ${JSON.stringify(lock.imageConfig.Entrypoint)}, Cmd ${JSON.stringify(lock.imageConfig.Cmd)}`,
          `WorkingDir ${JSON.stringify(lock.imageConfig.WorkingDir)}, User ${JSON.stringify(lock.imageConfig.User)}, ExposedPorts ${JSON.stringify(lock.imageConfig.ExposedPorts)}`,
          `Env ${JSON.stringify(lock.imageConfig.Env)}`,
        ].map((line) => comment(`image config: ${line}`)),
        manifest: shWord(lock.manifest),
        config_digest: shWord(lock.config),
        // digest, media type, size, key (where the layer is stored), bottom first
        layers: lock.layers.map((l, i) => [shWord(l.digest), shWord(l.mediaType), shNumber(l.size), shWord(keys[i])].join(" ")),
      },
    };
  }
  return { ...base, path: shSpecPath(image.path), name: image.kind === "oci" && image.name !== "" ? shWord(image.name) : null };
}

function serviceView(s: ServicePlan) {
  return {
    name: shWord(s.name),
    image: imageView(s),
    pullPolicy: { comment: describe(s.pullPolicy, "missing: pull when the store lacks the image"), value: shWord(s.pullPolicy.policy) },
    platform: s.platform.value === null ? null : { comment: describe(s.platform, ""), value: shWord(s.platform.value) },
    argv: {
      entrypointComment: describe(s.argv.entrypointOrigin, "none: the command is the whole command line"),
      commandComment: describe(s.argv.commandOrigin, "none"),
      entrypoint: s.argv.entrypoint.map(shWord),
      command: s.argv.command.map(shWord),
      // set in the spec: the image's Entrypoint (and Cmd) or Cmd give way
      entrypointSet: flag(s.argv.entrypointOrigin.written !== null),
      commandSet: flag(s.argv.commandOrigin.written !== null),
    },
    env: {
      // The names; their values, exactly as written, are on the lines below.
      comment:
        s.env.written === null
          ? describe(s.env, "none")
          : comment(`${s.env.key}: ${[...s.env.set.map((e) => e.name), ...s.env.passThrough.map((n) => `${n} (from the host)`)].join(", ")}`),
      // env_file: read when compiling; environment: overrides what they set
      files: s.env.files.map((f) => comment(`${f.key}: ${f.written} → ${f.names.length ? f.names.join(", ") : "no variables"}`)),
      set: s.env.set.map((e) => shWord(joinText(`${e.name}=`, e.value))),
      passThrough: s.env.passThrough.map(shWord),
    },
    containerName: s.containerName.name === null ? null : { comment: describe(s.containerName, ""), value: shWord(s.containerName.name) },
    labels: { comment: describe(s.labels, "none"), set: s.labels.set.map((l) => shWord(`${l.name}=${l.value}`)) },
    profiles: { comment: describe(s.profiles, "none: up always starts it"), names: s.profiles.names.map(shWord) },
    defaultEnv: { path: flag(s.defaultEnv.path), hostname: flag(s.defaultEnv.hostname), home: flag(s.defaultEnv.home) },
    workingDir: { comment: describe(s.workingDir, "the image's WorkingDir, else /"), value: shWord(s.workingDir.path ?? "") },
    user: {
      comment: describe(s.user, "the image's User, else root, 0:0"),
      set: flag(s.user.written !== null),
      uid: s.user.uid === null ? shWord("") : shNumber(s.user.uid),
      gid: s.user.gid === null ? shWord("") : shNumber(s.user.gid),
      name: shWord(s.user.name ?? ""),
    },
    groupAdd: { comment: describe(s.groupAdd, "none"), value: s.groupAdd.groups.map(shWord) },
    hostname: { comment: describe(s.hostname, "the container's name"), value: shWord(s.hostname.name ?? "") },
    init: { comment: describe(s.init, "false: the workload is PID 1"), value: flag(s.init.enabled) },
    tty: { comment: describe(s.tty, "false: detached, no pty; run and exec decide by -t/-T and the terminal"), value: flag(s.tty.enabled) },
    stdinOpen: { comment: describe(s.stdinOpen, "false: detached, stdin is /dev/null"), value: flag(s.stdinOpen.enabled) },
    stopSignal: { comment: describe(s.stopSignal, "SIGTERM"), value: shWord(s.stopSignal.signal) },
    stopGracePeriod: { comment: describe(s.stopGracePeriod, "10s"), value: shNumber(s.stopGracePeriod.ms) },
    memory: { comment: describe(s.memory, "no limit"), value: optionalNumber(s.memory.bytes) },
    cpus: {
      comment: describe(s.cpus, "no limit"),
      quota: optionalNumber(s.cpus.quotaUs),
      period: shNumber(s.cpus.periodUs),
    },
    pids: { comment: describe(s.pids, "no limit"), value: optionalNumber(s.pids.max) },
    cpuset: { comment: describe(s.cpuset, "all CPUs"), value: shWord(s.cpuset.cpus ?? "") },
    cpusetMems: { comment: describe(s.cpusetMems, "the memory nodes of the parent cgroup"), value: shWord(s.cpusetMems.nodes ?? "") },
    // key, controller, v1 file, v1 value, v2 file, v2 value ('-': that version has no such file)
    cgroupSettings: s.cgroupSettings.map((c) => ({
      comment: describe(c, ""),
      line: [c.key.replace(/^services\.[^.]+\./, ""), c.controller, c.v1?.file ?? "-", c.v1?.value ?? "-", c.v2?.file ?? "-", c.v2?.value ?? "-"].map(shWord).join(" "),
    })),
    // kind, device path ('': the default weight), value
    blkio: s.blkio.map((b) => ({ comment: describe(b, ""), line: [shWord(b.kind), shWord(b.path ?? ""), shNumber(b.value)].join(" ") })),
    egressRate: { comment: describe(s.egressRate, "no limit"), value: shWord(s.egressRate.rate ?? ""), burst: shNumber(s.egressRate.burstBytes) },
    network: {
      comment: describe(s.network, "the project's default network"),
      mode: shWord(s.network.mode),
      attachments: s.network.attachments.map((a) => ({
        comment: describe(a, `network ${a.network}`),
        network: shWord(a.network),
        offset: shNumber(a.offset),
        offset6: shNumber(a.offset6),
      })),
      peer: shWord(s.network.peer ?? ""),
    },
    ipc: { comment: describe(s.ipc, "private: the container's own"), mode: shWord(s.ipc.mode), peer: shWord(s.ipc.peer ?? "") },
    pid: { comment: describe(s.pid, "the container's own"), mode: shWord(s.pid.mode), peer: shWord(s.pid.peer ?? "") },
    ports: s.ports.map((p) => ({
      comment: describe(p, ""),
      protocol: shWord(p.protocol),
      hostIp: shWord(p.hostIp ?? ""),
      min: shNumber(p.hostPortMin),
      max: shNumber(p.hostPortMax),
      container: shNumber(p.containerPort),
    })),
    expose: s.expose.written === null ? null : comment(`${s.expose.key}: ${s.expose.written} (documentation only: every port is reachable on the container's networks, as in Docker)`),
    hosts: s.hosts.map((h) => ({ network: shWord(h.network), offset: shNumber(h.offset), offset6: shNumber(h.offset6), names: shWord(h.names.join(" ")) })),
    extraHosts: s.extraHosts.map((h) => ({ comment: describe(h, ""), name: shWord(h.name), address: shWord(h.address) })),
    dns: { comment: describe(s.dns, "the host's nameservers, without loopback ones"), value: s.dns.servers.map(shWord) },
    dnsSearch: { comment: describe(s.dnsSearch, "the host's"), value: s.dnsSearch.domains.map(shWord) },
    dnsOptions: { comment: describe(s.dnsOptions, "the host's"), value: s.dnsOptions.options.map(shWord) },
    domainname: { comment: describe(s.domainname, "none"), value: shWord(s.domainname.name ?? "") },
    macAddress: { comment: describe(s.macAddress, "a random one"), value: shWord(s.macAddress.address ?? "") },
    restart: {
      comment: describe(s.restart, "no"),
      policy: shWord(s.restart.policy),
      max: s.restart.maxRestarts === null ? shWord("") : shNumber(s.restart.maxRestarts),
    },
    healthcheck: {
      comment: describe(s.healthcheck, "none"),
      argv: (s.healthcheck.check?.argv ?? []).map(shWord),
      interval: shNumber(s.healthcheck.check?.intervalMs ?? 0),
      timeout: shNumber(s.healthcheck.check?.timeoutMs ?? 0),
      retries: shNumber(s.healthcheck.check?.retries ?? 0),
      startPeriod: shNumber(s.healthcheck.check?.startPeriodMs ?? 0),
      startInterval: shNumber(s.healthcheck.check?.startIntervalMs ?? 0),
      // no test: the image's (image_config_apply), these timings over its own ('': not given)
      fromImage:
        s.healthcheck.fromImage === null
          ? null
          : [s.healthcheck.fromImage.intervalMs, s.healthcheck.fromImage.timeoutMs, s.healthcheck.fromImage.retries, s.healthcheck.fromImage.startPeriodMs, s.healthcheck.fromImage.startIntervalMs].map(optionalNumber),
    },
    dependsOn: {
      comment: describe(s.dependsOn, "none"),
      pairs: s.dependsOn.on.flatMap((d) => [shWord(d.service), shWord(d.condition)]),
    },
    logging: {
      comment: describe(s.logging, "json-file, no rotation"),
      driver: shWord(s.logging.driver),
      maxSize: optionalNumber(s.logging.maxSize),
      maxFiles: shNumber(s.logging.maxFiles),
    },
    privileged: { value: flag(s.privileged.enabled) },
    // tupper-init's flags that the spec settles (helper-flags.ts): svc_settled and svc_confine
    settled: settledFlags(s),
    confine: confineFlags(s),
    // what a start of it needs of the host (preflight-needs.ts): preflight_service_N
    preflight: preflightNeeds(s),
    // what a start of it writes into its cgroups (cgroup-limits.ts): cgroup_limits_service_N
    limits: cgroupLimits(s),
    devices: s.devices.map((d) => ({ comment: describe(d, ""), host: shWord(d.host), container: shWord(d.container), permissions: shWord(d.permissions) })),
    deviceCgroupRules: s.deviceCgroupRules.map((r) => ({ comment: describe(r, ""), rule: shWord(r.rule) })),
    binds: s.binds.map((b) => ({
      comment: describeWith(b, "", b.selinux === null ? [] : [SELINUX_NOTE]),
      source: shSpecPath(b.source),
      target: shWord(b.target),
      mode: shWord(b.readOnly ? "ro" : "rw"),
      create: shWord(b.createHostPath ? "create-host-path" : "must-exist"),
      volume: b.volume && {
        name: shWord(b.volume.name),
        kind: shWord(b.volume.anonymous ? "anonymous" : b.volume.external ? "external" : "project"),
        copy: shWord(b.volume.nocopy ? "nocopy" : "copy"),
      },
    })),
  };
}

export type ScriptView = ReturnType<typeof buildView>;

/** A line of base64: checked, because it goes into the script as it is. */
function base64Line(line: string): string {
  if (!/^[A-Za-z0-9+/=]+$/.test(line)) throw new Error("internal error: an embedded helper line is not base64");
  return line;
}

/** enable_ipv6: the IPv6 subnet as the script takes it (32 hex digits/prefix; empty: derived when the network is made) and its offsets. */
function ipv6View(n: NetworkPlan) {
  if (!n.ipv6) return { enabled: flag(false), comment: null, subnet: shWord(""), gatewayOffset: shNumber(0), firstFreeOffset: shNumber(0) };
  const parsed = n.ipv6.subnet === null ? null : parseSubnet6(n.ipv6.subnet);
  if (parsed && !parsed.ok) throw new Error(`${n.key}: ${parsed.why}`); // the resolver checked it
  return {
    enabled: flag(true),
    comment: comment(`enable_ipv6: true, IPv6 subnet ${n.ipv6.subnet ?? "fdXX:XXXX:XXXX::/64, derived from the project and network names when the network is made"}`),
    subnet: shWord(parsed ? hexSubnet6(parsed.value) : ""),
    gatewayOffset: shNumber(n.ipv6.gatewayOffset),
    firstFreeOffset: shNumber(n.ipv6.firstFreeOffset),
  };
}
