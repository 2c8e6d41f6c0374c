// The fully resolved project: what the renderer turns into bash. No optional spec keys remain;
// every field says where it came from so the script can comment each block with its spec key.

/** The spec key (dotted path) and its value as written, or a note that a default applies. */
export interface Origin {
  key: string;
  /** The value as written in the spec (JSON text), or null when tupper's default applies. */
  written: string | null;
}

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
  services: ServicePlan[];
}

export interface ServicePlan {
  name: string;
  key: string;
  image: Origin & { kind: "dir" | "tar"; path: string };
  /** Entrypoint then command, Compose semantics; `run SERVICE CMD...` replaces the command part. */
  argv: Origin & { entrypoint: string[]; command: string[] };
  env: Origin & { set: { name: string; value: string }[]; passThrough: string[] };
  /** Docker's defaults (PATH, HOSTNAME, HOME) that the spec did not set itself. */
  defaultEnv: { path: boolean; hostname: boolean; home: boolean };
  workingDir: Origin & { path: string };
  user: Origin & { uid: number; gid: number };
  hostname: Origin & { name: string | null };
  init: Origin & { enabled: boolean };
  stopSignal: Origin & { signal: string };
  stopGracePeriod: Origin & { ms: number };
  memory: Origin & { bytes: number | null };
  cpus: Origin & { quotaUs: number | null; periodUs: number };
  pids: Origin & { max: number | null };
  cpuset: Origin & { cpus: string | null };
  binds: (Origin & { source: string; target: string; readOnly: boolean; createHostPath: boolean })[];
  networkMode: Origin & { mode: "none" };
}
