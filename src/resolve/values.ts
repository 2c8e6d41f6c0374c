// What the resolvers give the model: each key's value parsed once, in its final type. A key
// whose value is wrong has been reported (the compile stops there) and holds null or nothing.
import type { ImageSource } from "../model/image.js";
import type { BuildValues } from "./build.js";
import type { BindSpec } from "../model/volumes.js";
import type { PublishedPort } from "../model/ports.js";
import type { ExtraHost } from "../model/hosts.js";
import type { SecurityOpt } from "../model/security.js";
import type { SeccompSource } from "../model/seccomp.js";
import type { Networking } from "../model/network.js";
import type { User } from "../model/units.js";
import type { ShellText } from "../spec/runtime.js";
import type { Condition } from "../model/dependencies.js";

/** healthcheck: the command as argv (CMD-SHELL and a string wrapped in /bin/sh -c; null: no test, or NONE), and durations in ms (null: not given). */
export interface HealthValues {
  argv: ShellText[] | null;
  intervalMs: number | null;
  timeoutMs: number | null;
  startPeriodMs: number | null;
  startIntervalMs: number | null;
}

export interface LimitValues {
  /** mem_limit or deploy.resources.limits.memory. */
  memoryBytes: number | null;
  /** cpus or deploy.resources.limits.cpus. */
  cpus: number | null;
  memReservationBytes: number | null;
  /** memswap_limit: -1 is unlimited swap. */
  memswapBytes: number | null;
  shmBytes: number | null;
  cpuset: string | null;
  cpusetMems: string | null;
  /** x-tupper.hugetlb, by page size as written. */
  hugetlbBytes: Map<string, number>;
  /** blkio_config device_read_bps and device_write_bps, each entry's rate in bytes per second. */
  blkioRates: { key: "device_read_bps" | "device_write_bps"; at: number; path: string; bytes: number }[];
}

export interface SecurityValues {
  capAdd: string[];
  capDrop: string[];
  securityOpt: SecurityOpt[];
  /** security_opt seccomp=PATH: the profile read and checked; compiled for the service's capabilities in the model. */
  seccomp: { path: string; profile: SeccompSource } | null;
  tmpfs: { at: number | null; target: string; options: string }[];
  sysctls: { at: string | number; name: string; value: string }[];
  ulimits: { name: string; soft: string; hard: string }[];
  devices: { at: number; host: string; container: string; permissions: string }[];
  deviceCgroupRules: { at: number; rule: string }[];
}

export interface ServiceValues {
  image: ImageSource | null;
  /** build: where the context and Dockerfile are, and the build's options (null: no build:). */
  build: BuildValues | null;
  entrypoint: ShellText[];
  command: ShellText[];
  /** environment, in the spec's order: NAME and its value (null: passed from the host). */
  environment: [string, ShellText | null][];
  labels: [string, string][];
  /** env_file entries that were read (a missing required: false file is left out). */
  envFiles: { at: number | null; path: string; vars: [string, string][] }[];
  user: User | null;
  groupAdd: string[];
  stopSignal: string | null;
  stopGraceMs: number | null;
  healthcheck: HealthValues;
  /** logging.options: max-size in bytes, max-file a count (null: not given). */
  logRotation: { maxSizeBytes: number | null; maxFiles: number | null };
  /** volumes, by index. */
  volumes: { at: number; bind: BindSpec }[];
  /** secrets, by index: the bind each becomes. */
  secrets: { at: number; bind: BindSpec }[];
  ports: { at: number; ports: PublishedPort[] }[];
  extraHosts: { key: string | number; host: ExtraHost }[];
  limits: LimitValues;
  security: SecurityValues;
  /** restart: when tupper-init starts the workload again (null: not given). */
  restart: RestartPolicy | null;
  /** x-tupper.network.egress_rate: the rate as tc takes it, and its burst (null: not given). */
  egressRate: { rate: string; burstBytes: number } | null;
  /** depends_on (and the dependencies service:NAME namespaces imply) on services of the project. */
  dependsOn: { service: string; condition: Condition }[];
}

export interface RestartPolicy {
  policy: "no" | "always" | "on-failure";
  maxRestarts: number | null;
}

export interface SpecValues {
  networking: Networking;
  services: Map<string, ServiceValues>;
  /** The services in start order: each after its dependencies, otherwise in spec order. */
  startOrder: string[];
}
