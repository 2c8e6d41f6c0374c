// The typed result of compiling a Dockerfile: stages of resolved instructions, every value
// already substituted, each instruction with its source line and original text, so a renderer
// can write one commented bash block per instruction without parsing anything again.

export interface Pos {
  line: number;
  col: number;
}

export interface SourceRef {
  /** First and last physical line (heredoc bodies included). */
  line: number;
  endLine: number;
  col: number;
  /** The instruction exactly as written, continuation lines and heredoc bodies included. */
  original: string;
}

/** What a command runs: JSON (exec) form as written, or shell form wrapped in the stage's SHELL. */
export type Command =
  | { form: "exec"; argv: string[] }
  | { form: "shell"; script: string; shell: string[]; argv: string[] };

export interface HealthcheckConfig {
  /** ["NONE"], ["CMD", ...argv] or ["CMD-SHELL", script], as in an image config. */
  test: string[];
  /** Nanoseconds; 0 = the runtime's default (Docker: 30 s, 30 s, 0 s, 5 s). */
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  /** 0 = the runtime's default (3). */
  retries: number;
}

/** The image config a stage builds up (the fields of an OCI/Docker image config). */
export interface ImageConfig {
  env: [string, string][];
  cmd: string[] | null;
  entrypoint: string[] | null;
  user: string;
  workingDir: string;
  exposedPorts: string[];
  labels: Record<string, string>;
  healthcheck: HealthcheckConfig | null;
  stopSignal: string;
  volumes: string[];
  shell: string[] | null;
  onBuild: string[];
}

export type Base =
  | { kind: "scratch" }
  | { kind: "image"; ref: string; platform?: string }
  | { kind: "stage"; index: number };

export type Mount =
  | { type: "bind"; target: string; source: string; from?: StageOrImage; readwrite: boolean }
  // cache id: any text the Dockerfile chose (default: the target); hash it before it names a directory
  | { type: "cache"; target: string; id: string; sharing: "shared" | "private" | "locked"; source?: string; from?: StageOrImage; readonly: boolean; mode: number; uid: number; gid: number }
  | { type: "tmpfs"; target: string; size?: number }
  | { type: "secret"; id: string; target?: string; env?: string; required: boolean; mode: number; uid: number; gid: number };

export type StageOrImage = { kind: "stage"; index: number } | { kind: "image"; ref: string };

export type CopySource =
  | { kind: "path"; path: string } // in the context, or in the --from stage or image: cleaned, relative to its root ("." = the root); may hold wildcards
  | { kind: "url"; url: string }
  | { kind: "heredoc"; name: string; content: string };

export type Chmod = { octal: number } | { symbolic: string };

export interface CopyFields {
  sources: CopySource[];
  /** Absolute; a trailing / when it names a directory. */
  dest: string;
  from?: StageOrImage;
  chown?: string;
  chmod?: Chmod;
  link: boolean;
  exclude: string[];
  checksum?: string;
  unpack?: boolean;
  workingDir: string;
}

interface Common {
  source: SourceRef;
  /** Variables this instruction referenced that were unset (a base image's Env not given, or a typo). */
  unset: string[];
}

export type Instruction = Common &
  (
    | { kind: "RUN"; command: Command; mounts: Mount[]; network: "default" | "none"; env: [string, string][]; proxyEnv: [string, string][]; user: string; workingDir: string; heredocs: { name: string; content: string; fd?: number }[] }
    | ({ kind: "COPY" } & CopyFields)
    | ({ kind: "ADD" } & CopyFields)
    | { kind: "ENV"; pairs: [string, string][] }
    | { kind: "ARG"; args: { name: string; value: string | undefined }[] }
    | { kind: "LABEL"; pairs: [string, string][] }
    | { kind: "WORKDIR"; path: string }
    | { kind: "USER"; user: string }
    | { kind: "EXPOSE"; ports: string[] }
    | { kind: "ENTRYPOINT"; command: Command; cmdReset: boolean }
    | { kind: "CMD"; command: Command }
    | { kind: "VOLUME"; paths: string[] }
    | { kind: "STOPSIGNAL"; signal: string }
    | { kind: "HEALTHCHECK"; healthcheck: HealthcheckConfig }
    | { kind: "SHELL"; shell: string[] }
    | { kind: "ONBUILD"; trigger: string }
  );

export interface Stage {
  index: number;
  /** Lower-cased, as Docker keeps stage names. */
  name?: string;
  base: Base;
  /** False when the base image's config was not given: its Env (PATH...) is then unknown to substitution. */
  baseConfigKnown: boolean;
  from: SourceRef;
  instructions: Instruction[];
  /** The image config when the stage ends. */
  config: ImageConfig;
  /** Stages this one reads: its base, COPY --from, RUN --mount from=. */
  dependsOn: number[];
}

export interface Platform {
  os: string;
  arch: string;
  variant?: string;
}

export interface Build {
  /** Every stage of the file, in order; only those in `needed` were resolved (others have no instructions). */
  stages: Stage[];
  target: number;
  /** The stages the target needs, in build order. */
  needed: number[];
  /** Global ARGs and their values (those before the first FROM). */
  globalArgs: { name: string; value: string | undefined }[];
  /** Build args given that no ARG declares (Docker ignores them, except the proxy variables). */
  unusedBuildArgs: string[];
}

export function emptyConfig(): ImageConfig {
  return {
    env: [], cmd: null, entrypoint: null, user: "", workingDir: "/", exposedPorts: [], labels: {},
    healthcheck: null, stopSignal: "", volumes: [], shell: null, onBuild: [],
  };
}

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
export const DEFAULT_SHELL = ["/bin/sh", "-c"];
