// Compose volume entries (short "SRC:DST[:MODE]" and long form) → one mount description:
// a bind of a host path, or a named volume (a key of the top-level volumes).
import type { Parsed } from "./units.js";

export interface BindSpec {
  /** Host path as written: absolute, or relative to the spec's directory. */
  source: string;
  target: string;
  readOnly: boolean;
  /** Create a missing host directory (short syntax does, as Docker does; long syntax when bind.create_host_path). */
  createHostPath: boolean;
  /** A volume: source is its key in the top-level volumes ('' for an anonymous one); nocopy: not filled from the image. */
  volume: { nocopy: boolean; anonymous: boolean } | null;
  /** :z or :Z (bind.selinux): accepted, never applied (see SELINUX_NOTE). */
  selinux: "z" | "Z" | null;
}

/**
 * What tupper does with SELinux labels (:z, :Z, bind.selinux, security_opt label=disable).
 * Docker relabels a bind's source so that a container confined as container_t may read it;
 * it skips that when SELinux is off (as it is on Debian). tupper never confines a container
 * with an SELinux label: its processes run in the domain of whoever runs the script, which
 * the file's current label already admits. So a relabel would only change the host's files
 * (and :Z on a shared directory breaks its other users: Docker refuses to relabel /, /usr,
 * /etc and the like for that reason); tupper relabels nothing, on any host, and says so in
 * the script.
 */
export const SELINUX_NOTE = "SELinux label not applied: tupper gives containers no SELinux label (they run in the domain of whoever runs this script), so the host's files keep theirs";

const bad = (why: string): Parsed<BindSpec> => ({ ok: false, why });

/** HOME for ~ in a bind source (Compose expands it to the home directory of whoever runs it; tupper, of whoever compiles). */
export interface VolumeContext {
  home: string;
}

export function parseVolume(raw: unknown, context: VolumeContext): Parsed<BindSpec> {
  return typeof raw === "string" ? parseShort(raw, context) : parseLong(raw as Record<string, unknown>, context);
}

/**
 * ~ and ~/PATH → HOME and HOME/PATH, as Compose's loader does (ExpandUser: only a leading ~
 * alone or before /; ~user is not expanded there either, and is refused below).
 */
function expandHome(source: string, context: VolumeContext): string {
  return source === "~" || source.startsWith("~/") ? context.home + source.slice(1) : source;
}

function parseShort(text: string, context: VolumeContext): Parsed<BindSpec> {
  const parts = text.split(":");
  if (parts.length === 1) {
    // an anonymous volume: one of the container's own, as Docker makes it
    const checked = checkTarget(text);
    return checked ? bad(checked) : { ok: true, value: { source: "", target: text, readOnly: false, createHostPath: false, volume: { nocopy: false, anonymous: true }, selinux: null } };
  }
  if (parts.length > 3) return bad(`${JSON.stringify(text)} has more than three :-separated parts; use SOURCE:TARGET[:ro]`);
  const [written, target, mode = "rw"] = parts as [string, string, string?];
  const source = expandHome(written, context);
  const options = mode.split(",");
  const volume = isVolumeName(source);
  let selinux: BindSpec["selinux"] = null;
  const unknown: string[] = [];
  for (const o of options) {
    if (o === "z" || o === "Z") selinux = o;
    else if (!(o === "ro" || o === "rw" || (o === "nocopy" && volume))) unknown.push(o);
  }
  // every problem of the entry at once: its source, its target, its modes
  const problems = volume ? [checkTarget(target)].filter((p): p is string => p !== null) : checkBind(source, target);
  if (unknown.length > 0) {
    problems.push(`mode ${unknown.map((o) => JSON.stringify(o)).join(", ")} ${unknown.length === 1 ? "is" : "are"} not known; use ro or rw${volume ? " (and nocopy)" : ""}, and z or Z`);
  }
  if (problems.length > 0) return bad(problems.join("; and "));
  return {
    ok: true,
    value: { source, target, readOnly: options.includes("ro"), createHostPath: !volume, volume: volume ? { nocopy: options.includes("nocopy"), anonymous: false } : null, selinux },
  };
}

/** Compose's rule: a source that is not a path (no leading / or .) names a volume. */
function isVolumeName(source: string): boolean {
  return source !== "" && !source.startsWith("/") && !source.startsWith(".") && !source.startsWith("~");
}

function parseLong(v: Record<string, unknown>, context: VolumeContext): Parsed<BindSpec> {
  if (v.type === "volume") {
    const anonymous = v.source === undefined;
    if (!anonymous && !isVolumeName(String(v.source))) return bad(`source ${JSON.stringify(v.source)} is a path; use type: bind for a host path, or a volume's name`);
    const target = String(v.target);
    const checked = checkTarget(target);
    if (checked) return bad(checked);
    const options = (v.volume ?? {}) as { nocopy?: boolean };
    return {
      ok: true,
      value: { source: anonymous ? "" : String(v.source), target, readOnly: v.read_only === true, createHostPath: false, volume: { nocopy: options.nocopy === true, anonymous }, selinux: null },
    };
  }
  if (v.type !== "bind") return bad(`type ${JSON.stringify(v.type)} is not supported yet; use type: bind or type: volume`);
  if (typeof v.source !== "string") return bad("source is missing; a bind mount needs the host path in source:");
  const source = expandHome(v.source, context);
  const target = String(v.target);
  const problems = checkBind(source, target);
  if (problems.length > 0) return bad(problems.join("; and "));
  const bind = (v.bind ?? {}) as { create_host_path?: boolean; selinux?: "z" | "Z" };
  return {
    ok: true,
    value: { source, target, readOnly: v.read_only === true, createHostPath: bind.create_host_path === true, volume: null, selinux: bind.selinux ?? null },
  };
}

/** Every problem of a bind's source and target. */
function checkBind(source: string, target: string): string[] {
  const problems: string[] = [];
  if (source === "") problems.push("the source is empty; use ./dir or an absolute path");
  else if (source.startsWith("~")) problems.push(`${JSON.stringify(source.split("/")[0])}: only ~ (the home directory of whoever compiles) is expanded, as in Compose; use ~/, an absolute path or one starting with ./`);
  else if (!source.startsWith("/") && !source.startsWith(".")) {
    problems.push(`${JSON.stringify(source)} is not a path; use ./${source} for a directory beside the spec, or type: volume for a named volume`);
  }
  const checked = checkTarget(target);
  if (checked) problems.push(checked);
  return problems;
}

function checkTarget(target: string): string | null {
  if (!target.startsWith("/")) return `the target ${JSON.stringify(target)} is not an absolute path; use e.g. /data`;
  if (target.split("/").includes("..")) return `the target ${JSON.stringify(target)} contains ..; use a plain absolute path`;
  if (target.replace(/\/+/g, "/") === "/") return "the target is /; mount below the root, e.g. /data";
  return null;
}
