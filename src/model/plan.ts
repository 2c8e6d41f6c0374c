// The fully resolved project: what the renderer turns into bash. No optional spec keys remain;
// every field says where it came from so the script can comment each block with its spec key.

/** The spec key (dotted path) and its value as written, or a note that a default applies. */
export interface Origin {
  key: string;
  /** The value as written in the spec (JSON text), or null when tupper's default applies. */
  written: string | null;
}

import type { ExtraHost } from "./hosts.js";
import type { ImageSource } from "./image.js";
import type { BlkioSetting, CgroupSetting } from "./cgroups.js";
import type { LockedImage } from "../lock/registry.js";
import type { NetworkMode } from "./network.js";
import type { PublishedPort } from "./ports.js";
import type { SeccompProfile } from "./seccomp.js";
import type { RuntimeVariable } from "../spec/interpolate.js";
import type { ShellText } from "../spec/runtime.js";
import type { BuildPlan } from "../build/service.js";

export type StorageMode = "auto" | "btrfs" | "overlay" | "copy";

export interface Plan {
  tupperVersion: string;
  /** The spec's path relative to the generated script's directory (for the header). */
  specFromScript: string;
  /** The spec's directory relative to the generated script's directory: relative paths resolve against it at run time. */
  specDirFromScript: string;
  specSha256: string;
  project: Origin & { name: string };
  storage: Origin & { mode: StorageMode };
  cgroupParent: Origin & { path: string | null };
  /** x-tupper.runtime_env: the variables the script reads when it runs, each with its default or message. */
  runtimeEnv: Origin & { variables: RuntimeVariable[] };
  /** The networks some service joins. */
  networks: NetworkPlan[];
  /** services: in start order (each after its depends_on), otherwise in spec order. */
  /** The top-level volumes, each with its name on the host. */
  volumes: VolumePlan[];
  services: ServicePlan[];
}

export interface VolumePlan extends Origin {
  /** Its key under the top-level volumes, as services name it. */
  declared: string;
  /** Its directory's name under TUPPER_ROOT/volumes: PROJECT_KEY, or its name: / KEY when external. */
  name: string;
  /** Made outside the project: never created or removed by it. */
  external: boolean;
}

export interface NetworkPlan extends Origin {
  name: string;
  /** "172.28.0.0/16", or null: a free subnet is chosen when the network is created. */
  subnet: string | null;
  gatewayOffset: number;
  internal: boolean;
  /** One-off containers (`run`) take addresses from this offset up. */
  firstFreeOffset: number;
  /** enable_ipv6: the IPv6 side; null on an IPv4-only network. */
  ipv6: { subnet: string | null; gatewayOffset: number; firstFreeOffset: number } | null;
  /** driver_opts com.docker.network.bridge.name; null: tpb-HASH. */
  bridgeName: string | null;
}

/** A service on a network: its address is the network's subnet plus offset. */
export interface AttachmentPlan extends Origin {
  network: string;
  offset: number;
  /** Its offset in the network's IPv6 subnet (0: an IPv4-only network). */
  offset6: number;
}

/** One /etc/hosts line about a service on a network the container shares with it. */
export interface HostEntryPlan {
  network: string;
  offset: number;
  /** On an enable_ipv6 network, the offset of its IPv6 address (0: none). */
  offset6: number;
  names: string[];
}

export interface ServicePlan {
  name: string;
  key: string;
  /** lock: the lock file's pin of a registry image (null: none, or not a registry image). */
  image: Origin & ImageSource & { lock: LockedImage | null };
  /** build: the compiled Dockerfile and the build's options (null: none; the image is then pulled or imported). */
  build: BuildPlan | null;
  /** pull_policy: if_not_present is written as missing. */
  pullPolicy: Origin & { policy: "missing" | "always" | "never" };
  /** attach: false: `up` in the foreground does not print the service's output. */
  attach: Origin & { enabled: boolean };
  /** platform: the os/arch[/variant] the spec names, which the host must be (checked before a start); null: any. */
  platform: Origin & { value: string | null };
  /** Entrypoint then command, Compose semantics; `run SERVICE CMD...` replaces the command part. */
  argv: { entrypoint: ShellText[]; command: ShellText[]; entrypointOrigin: Origin; commandOrigin: Origin };
  /** environment over env_file: the variables set (each once), those passed from the host, and the env files read. */
  env: Origin & { set: { name: string; value: ShellText }[]; passThrough: string[]; files: (Origin & { path: string; names: string[] })[] };
  /** container_name: the container's name; null: Compose's PROJECT-SERVICE-1. */
  containerName: Origin & { name: string | null };
  labels: Origin & { set: { name: string; value: string }[] };
  /** scale / deploy.replicas: how many containers (PROJECT-SERVICE-1..count). */
  replicas: Origin & { count: number };
  /** profiles: up starts the service only when one of them is active (none: always). */
  profiles: Origin & { names: string[] };
  /** Docker's defaults (PATH, HOSTNAME, HOME) that the spec did not set itself. */
  defaultEnv: { path: boolean; hostname: boolean; home: boolean };
  /** null: the image's WorkingDir, else / (decided when the container starts). */
  workingDir: Origin & { path: string | null };
  /** user: numbers, or a name (name:group...) that tupper-init resolves in the container. */
  user: Origin & ({ uid: number; gid: number; name: null } | { uid: null; gid: null; name: string });
  groupAdd: Origin & { groups: string[] };
  hostname: Origin & { name: string | null };
  init: Origin & { enabled: boolean };
  /** tty: a detached container's workload gets a pty of its own, its output to the log. */
  tty: Origin & { enabled: boolean };
  /** stdin_open: a detached container's stdin stays open (a pipe) instead of /dev/null. */
  stdinOpen: Origin & { enabled: boolean };
  stopSignal: Origin & { signal: string };
  stopGracePeriod: Origin & { ms: number };
  memory: Origin & { bytes: number | null };
  cpus: Origin & { quotaUs: number | null; periodUs: number };
  pids: Origin & { max: number | null };
  cpuset: Origin & { cpus: string | null };
  /** mem_reservation, memswap_limit, mem_swappiness, oom_kill_disable, cpu_shares, cpu_rt_*. */
  cgroupSettings: CgroupSetting[];
  /** blkio_config: weights and per-device limits. */
  blkio: BlkioSetting[];
  /** x-tupper.cpuset_mems: the NUMA nodes (null: the parent's). */
  cpusetMems: Origin & { nodes: string | null };
  oomScoreAdj: Origin & { value: number | null };
  /** x-tupper.network.egress_rate, as tc writes rates (null: no limit). */
  egressRate: Origin & { rate: string | null; burstBytes: number };
  /** shm_size: /dev/shm's size in bytes (Docker's 64m by default). */
  shm: Origin & { bytes: number };
  /** volumes: binds of host paths, and named volumes (volume: its host name, external, nocopy). */
  binds: (Origin & {
    source: string;
    target: string;
    readOnly: boolean;
    createHostPath: boolean;
    /** anonymous: the container's own volume, named after it and its target when it starts (name: the suffix). */
    volume: { name: string; external: boolean; nocopy: boolean; anonymous: boolean } | null;
    /** :z or :Z as written: accepted, never applied (volumes.ts SELINUX_NOTE). */
    selinux: "z" | "Z" | null;
  })[];
  /** peer: mode service, the service whose container's network namespace this one joins. */
  network: Origin & { mode: NetworkMode; attachments: AttachmentPlan[]; peer: string | null };
  /** ipc, pid: a namespace of its own (private), the host's, or another service's container's (peer). */
  ipc: Origin & { mode: "private" | "host" | "service"; peer: string | null };
  pid: Origin & { mode: "private" | "host" | "service"; peer: string | null };
  ports: (Origin & PublishedPort)[];
  expose: Origin & { ports: string[] };
  hosts: HostEntryPlan[];
  extraHosts: (Origin & ExtraHost)[];
  dns: Origin & { servers: string[] };
  dnsSearch: Origin & { domains: string[] };
  dnsOptions: Origin & { options: string[] };
  domainname: Origin & { name: string | null };
  macAddress: Origin & { address: string | null };
  /** restart: when tupper-init starts the workload again (maxRestarts: on-failure:N). */
  restart: Origin & { policy: "no" | "always" | "on-failure"; maxRestarts: number | null };
  /** cap_add / cap_drop: the capabilities the workload keeps, in the kernel's order (privileged: all, applied by svc_confine's last line). */
  capabilities: { add: Origin; drop: Origin; kept: string[] | "ALL" };
  privileged: Origin & { enabled: boolean };
  /** security_opt as written (noNewPrivileges null: not said; on, or off when privileged). */
  securityOpt: Origin & {
    noNewPrivileges: boolean | null;
    seccomp: "default" | "unconfined" | "profile";
    maskPaths: boolean;
    /** label=disable, apparmor=unconfined: what tupper does anyway; each with why, for the script's comment. */
    accepted: string[];
  };
  /** seccomp=PATH: the profile compiled for this service's capabilities; null: none. */
  seccompProfile: (SeccompProfile & { path: string }) | null;
  readOnly: Origin & { enabled: boolean };
  tmpfs: (Origin & { target: string; options: string })[];
  sysctls: (Origin & { name: string; value: string })[];
  ulimits: (Origin & { name: string; soft: string; hard: string })[];
  /** x-tupper.userns: container ids 0..size-1 are host ids hostUid.. and hostGid..; null: the host's user namespace. */
  userns: Origin & { map: { hostUid: number; hostGid: number; size: number } | null };
  /** devices: host nodes made again in the container, and allowed in the device cgroup with these permissions. */
  devices: (Origin & { host: string; container: string; permissions: string })[];
  /** device_cgroup_rules: more v1-syntax rules ("c 1:3 mr") for the device cgroup. */
  deviceCgroupRules: (Origin & { rule: string })[];
  /** depends_on: what `up` waits for before starting this service (dependencies not in the project, required: false, left out). */
  dependsOn: Origin & { on: { service: string; condition: "service_started" | "service_healthy" | "service_completed_successfully" }[] };
  /** logging: json-file and local keep a log (rotated at maxSize bytes, maxFiles files); none: the output is discarded. */
  logging: Origin & { driver: "json-file" | "none"; maxSize: number | null; maxFiles: number };
  /** healthcheck: the command (already wrapped in /bin/sh -c for CMD-SHELL) and its timings; null: none. */
  healthcheck: Origin & {
    check: { argv: ShellText[]; intervalMs: number; timeoutMs: number; retries: number; startPeriodMs: number; startIntervalMs: number } | null;
    /** healthcheck without test: the image's HEALTHCHECK (read when the service starts), with the timings the spec gives (null: the image's, then Compose's). */
    fromImage: { intervalMs: number | null; timeoutMs: number | null; retries: number | null; startPeriodMs: number | null; startIntervalMs: number | null } | null;
  };
}
