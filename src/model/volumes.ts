// Compose volume entries (short "SRC:DST[:MODE]" and long form) → one bind description.
import type { Parsed } from "./units.js";

export interface BindSpec {
  /** Host path as written: absolute, or relative to the spec's directory. */
  source: string;
  target: string;
  readOnly: boolean;
  /** Create a missing host directory (short syntax does, as Docker does; long syntax when bind.create_host_path). */
  createHostPath: boolean;
}

const bad = (why: string): Parsed<BindSpec> => ({ ok: false, why });

export function parseVolume(raw: unknown): Parsed<BindSpec> {
  return typeof raw === "string" ? parseShort(raw) : parseLong(raw as Record<string, unknown>);
}

function parseShort(text: string): Parsed<BindSpec> {
  const parts = text.split(":");
  if (parts.length === 1) return bad("anonymous volumes are not supported yet (they come with named volumes); use ./host:/container");
  if (parts.length > 3) return bad(`${JSON.stringify(text)} has more than three :-separated parts; use SOURCE:TARGET[:ro]`);
  const [source, target, mode = "rw"] = parts as [string, string, string?];
  const options = mode.split(",");
  for (const o of options) {
    if (o === "z" || o === "Z") return bad("SELinux relabelling (:z, :Z) is not supported; remove it");
    if (o !== "ro" && o !== "rw") return bad(`mode ${JSON.stringify(o)} is not known; use ro or rw`);
  }
  const checked = checkBind(source, target);
  if (checked) return bad(checked);
  return { ok: true, value: { source, target, readOnly: options.includes("ro"), createHostPath: true } };
}

function parseLong(v: Record<string, unknown>): Parsed<BindSpec> {
  if (v.type !== "bind") return bad(`type ${JSON.stringify(v.type)} is not supported yet; use type: bind`);
  if (typeof v.source !== "string") return bad("source is missing; a bind mount needs the host path in source:");
  const target = String(v.target);
  const checked = checkBind(v.source, target);
  if (checked) return bad(checked);
  const bind = (v.bind ?? {}) as { create_host_path?: boolean };
  return {
    ok: true,
    value: { source: v.source, target, readOnly: v.read_only === true, createHostPath: bind.create_host_path === true },
  };
}

function checkBind(source: string, target: string): string | null {
  if (source === "") return "the source is empty; use ./dir or an absolute path";
  if (source.startsWith("~")) return "~ is not expanded; use an absolute path or one starting with ./";
  if (!source.startsWith("/") && !source.startsWith(".")) {
    return `${JSON.stringify(source)} would be a named volume, and those are not supported yet; use ./${source} for a directory beside the spec`;
  }
  if (!target.startsWith("/")) return `the target ${JSON.stringify(target)} is not an absolute path; use e.g. /data`;
  if (target.split("/").includes("..")) return `the target ${JSON.stringify(target)} contains ..; use a plain absolute path`;
  if (target.replace(/\/+/g, "/") === "/") return "the target is /; mount below the root, e.g. /data";
  return null;
}
