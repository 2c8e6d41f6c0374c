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
}

const bad = (why: string): Parsed<BindSpec> => ({ ok: false, why });

export function parseVolume(raw: unknown): Parsed<BindSpec> {
  return typeof raw === "string" ? parseShort(raw) : parseLong(raw as Record<string, unknown>);
}

function parseShort(text: string): Parsed<BindSpec> {
  const parts = text.split(":");
  if (parts.length === 1) {
    // an anonymous volume: one of the container's own, as Docker makes it
    const checked = checkTarget(text);
    return checked ? bad(checked) : { ok: true, value: { source: "", target: text, readOnly: false, createHostPath: false, volume: { nocopy: false, anonymous: true } } };
  }
  if (parts.length > 3) return bad(`${JSON.stringify(text)} has more than three :-separated parts; use SOURCE:TARGET[:ro]`);
  const [source, target, mode = "rw"] = parts as [string, string, string?];
  const options = mode.split(",");
  const volume = isVolumeName(source);
  for (const o of options) {
    if (o === "z" || o === "Z") return bad("SELinux relabelling (:z, :Z) is not supported; remove it");
    if (o === "nocopy" && volume) continue;
    if (o !== "ro" && o !== "rw") return bad(`mode ${JSON.stringify(o)} is not known; use ro or rw${volume ? " (and nocopy)" : ""}`);
  }
  const checked = volume ? checkTarget(target) : checkBind(source, target);
  if (checked) return bad(checked);
  return {
    ok: true,
    value: { source, target, readOnly: options.includes("ro"), createHostPath: !volume, volume: volume ? { nocopy: options.includes("nocopy"), anonymous: false } : null },
  };
}

/** Compose's rule: a source that is not a path (no leading / or .) names a volume. */
function isVolumeName(source: string): boolean {
  return source !== "" && !source.startsWith("/") && !source.startsWith(".") && !source.startsWith("~");
}

function parseLong(v: Record<string, unknown>): Parsed<BindSpec> {
  if (v.type === "volume") {
    const anonymous = v.source === undefined;
    if (!anonymous && !isVolumeName(String(v.source))) return bad(`source ${JSON.stringify(v.source)} is a path; use type: bind for a host path, or a volume's name`);
    const target = String(v.target);
    const checked = checkTarget(target);
    if (checked) return bad(checked);
    const options = (v.volume ?? {}) as { nocopy?: boolean };
    return {
      ok: true,
      value: { source: anonymous ? "" : String(v.source), target, readOnly: v.read_only === true, createHostPath: false, volume: { nocopy: options.nocopy === true, anonymous } },
    };
  }
  if (v.type !== "bind") return bad(`type ${JSON.stringify(v.type)} is not supported yet; use type: bind or type: volume`);
  if (typeof v.source !== "string") return bad("source is missing; a bind mount needs the host path in source:");
  const target = String(v.target);
  const checked = checkBind(v.source, target);
  if (checked) return bad(checked);
  const bind = (v.bind ?? {}) as { create_host_path?: boolean };
  return {
    ok: true,
    value: { source: v.source, target, readOnly: v.read_only === true, createHostPath: bind.create_host_path === true, volume: null },
  };
}

function checkBind(source: string, target: string): string | null {
  if (source === "") return "the source is empty; use ./dir or an absolute path";
  if (source.startsWith("~")) return "~ is not expanded; use an absolute path or one starting with ./";
  if (!source.startsWith("/") && !source.startsWith(".")) {
    return `${JSON.stringify(source)} is not a path; use ./${source} for a directory beside the spec, or type: volume for a named volume`;
  }
  return checkTarget(target);
}

function checkTarget(target: string): string | null {
  if (!target.startsWith("/")) return `the target ${JSON.stringify(target)} is not an absolute path; use e.g. /data`;
  if (target.split("/").includes("..")) return `the target ${JSON.stringify(target)} contains ..; use a plain absolute path`;
  if (target.replace(/\/+/g, "/") === "/") return "the target is /; mount below the root, e.g. /data";
  return null;
}
