// A service's build: key, resolved once: where the context and the Dockerfile are, the build
// args and labels, and how RUN steps run. The Dockerfile itself is read and compiled later
// (src/build/service.ts), once the spec is known to be right.
import type { SpecPath } from "../spec/parse.js";
import { parseSize } from "../model/units.js";
import { parseExtraHostEntry } from "../model/hosts.js";
import { hostPlatform, platformString } from "../build/dockerfile/resolve.js";
import { type Obj, type Report, isObj, valueOr } from "./context.js";

export interface BuildValues {
  /** The context directory as written (relative to the spec's directory). */
  context: string;
  /** The Dockerfile's path relative to the context (dockerfile_inline: null). */
  dockerfile: string | null;
  inline: string | null;
  /** Build args in order; null: NAME alone, taken from the environment of tupper compile and the .env file. */
  args: [string, string | null][];
  target: string | null;
  labels: [string, string][];
  noCache: boolean;
  pull: boolean;
  network: "default" | "none";
  shmBytes: number | null;
  extraHosts: [string, string][];
  secrets: string[];
  tags: string[];
  additionalContexts: [string, string][];
}

/** A map or a NAME=VALUE list as [name, value] pairs (list entries without = give null). */
function pairs(v: unknown): [string, string | null][] {
  if (Array.isArray(v)) {
    return v.filter((e): e is string => typeof e === "string").map((e) => {
      const eq = e.indexOf("=");
      return eq < 0 ? [e, null] : [e.slice(0, eq), e.slice(eq + 1)];
    });
  }
  if (isObj(v)) return Object.entries(v).map(([k, x]) => [k, x === null || x === undefined ? null : String(x)]);
  return [];
}

export function resolveBuild(report: Report, at: SpecPath, raw: unknown, secrets: Map<string, string | null>): BuildValues | null {
  if (typeof raw === "string") raw = { context: raw };
  if (!isObj(raw)) return null; // the schema says what is wrong
  const b: Obj = raw;
  const p = (...rest: (string | number)[]) => [...at, ...rest];
  const context = typeof b.context === "string" ? b.context : ".";
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(context) || /^git@|\.git(#.*)?$/.test(context)) {
    report(p("context"), `${JSON.stringify(context)} is a remote context; tupper builds from a local directory: clone or download it first and name the directory`);
  }
  if (typeof b.dockerfile === "string" && typeof b.dockerfile_inline === "string") {
    report(p("dockerfile_inline"), "dockerfile and dockerfile_inline are both given; keep one", "error", "key");
  }
  const labels = pairs(b.labels).map(([k, v]): [string, string] => [k, v ?? ""]);
  const shmBytes = b.shm_size !== undefined ? valueOr(report, p("shm_size"), parseSize(b.shm_size), "use e.g. 64m") : null;
  const extraHosts: [string, string][] = [];
  for (const [i, entry] of pairs(b.extra_hosts).entries()) {
    const text = Array.isArray(b.extra_hosts) ? (b.extra_hosts[i] as string) : `${entry[0]}=${entry[1] ?? ""}`;
    const parsed = valueOr(report, p("extra_hosts", Array.isArray(b.extra_hosts) ? i : entry[0]), parseExtraHostEntry(text), "use HOST=IP");
    if (parsed !== null) extraHosts.push([parsed.name, parsed.address]);
  }
  const buildSecrets = Array.isArray(b.secrets) ? b.secrets.filter((s): s is string => typeof s === "string") : [];
  for (const [i, name] of buildSecrets.entries()) {
    if (!secrets.has(name)) report(p("secrets", i), `there is no top-level secret ${JSON.stringify(name)}; declare it under secrets: with a file:`);
  }
  if (Array.isArray(b.platforms)) {
    const host = platformString(hostPlatform());
    for (const [i, platform] of b.platforms.entries()) {
      if (typeof platform === "string" && platform !== host && `${platform}/` !== `${host}/`.slice(0, platform.length + 1)) {
        report(p("platforms", i), `${platform} is not this host's platform (${host}); tupper builds for the host only (no emulation); remove it`);
      }
    }
  }
  for (const key of ["cache_from", "cache_to"] as const) {
    if (b[key] !== undefined) report(p(key), "ignored: tupper's layer cache is its own image store, with no registry cache to import or export", "warning", "key");
  }
  return {
    context,
    dockerfile: typeof b.dockerfile_inline === "string" ? null : typeof b.dockerfile === "string" ? b.dockerfile : "Dockerfile",
    inline: typeof b.dockerfile_inline === "string" ? b.dockerfile_inline : null,
    args: pairs(b.args),
    target: typeof b.target === "string" ? b.target : null,
    labels,
    noCache: b.no_cache === true,
    pull: b.pull === true,
    network: b.network === "none" ? "none" : "default",
    shmBytes,
    extraHosts,
    secrets: buildSecrets,
    tags: Array.isArray(b.tags) ? b.tags.filter((s): s is string => typeof s === "string") : [],
    additionalContexts: pairs(b.additional_contexts).map(([k, v]): [string, string] => [k, v ?? ""]),
  };
}
