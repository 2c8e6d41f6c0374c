// The lock file: SPEC.lock.json beside SPEC pins each registry image of the spec to the
// manifest, config and layers it resolved to, for one platform. `tupper lock` writes it
// (resolving at compile time, where JSON is easy); the compiler reads it, and the script
// then downloads exactly those blobs, with nothing to resolve or parse on the target host.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Diagnostic } from "../spec/diagnostics.js";
import type { ParsedSpec } from "../spec/parse.js";
import type { SpecPath } from "../spec/parse.js";
import { parseImage } from "../model/image.js";
import type { LockedImage } from "./registry.js";

export const LOCK_VERSION = 1;

export interface LockFile {
  file: string;
  images: Map<string, LockedImage>;
}

/** specs/web.yaml → specs/web.lock.json */
export function lockFileOf(spec: string): string {
  return join(dirname(spec), `${basename(spec).replace(/\.(ya?ml|json)$/, "")}.lock.json`);
}

/**
 * What the script will trust in a lock entry, checked as the script checks a registry's
 * answer (templates/partials/layers.sh): each digest names a file in the image store, so
 * it must be sha256: and 64 lowercase hex digits; media types as RFC 6838 writes them, one of
 * the filesystem layer types; sizes whole numbers; at most MAX_LAYERS layers. Returns the
 * first value that is wrong, with its key path in the entry, or null.
 */
export const DIGEST = /^sha256:[0-9a-f]{64}$/;
export const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;
export const LAYER_TYPES = /(\.tar|\.tar\+gzip|\.tar\.gzip|\.tar\+zstd)$/;
/** Docker's layer store takes at most 125 layers (maxLayerDepth in moby's layer/layer_store.go). */
export const MAX_LAYERS = 125;
const DIGEST_WHY = "is not a sha256 digest (sha256: and 64 lowercase hex digits)";

export function lockEntryProblem(entry: any): { key: string; value: unknown; why: string } | null {
  if (typeof entry !== "object" || entry === null) return { key: "", value: entry, why: "is not an object" };
  for (const key of ["manifest", "config"] as const) {
    if (typeof entry[key] !== "string" || !DIGEST.test(entry[key])) return { key, value: entry[key], why: DIGEST_WHY };
  }
  if (!Array.isArray(entry.layers) || entry.layers.length === 0) return { key: "layers", value: entry.layers, why: "is not a list of layers" };
  if (entry.layers.length > MAX_LAYERS) return { key: "layers", value: entry.layers.length, why: `layers are more than the ${MAX_LAYERS} tupper takes, as Docker does` };
  for (const [i, layer] of (entry.layers as any[]).entries()) {
    if (typeof layer?.digest !== "string" || !DIGEST.test(layer.digest)) return { key: `layers[${i}].digest`, value: layer?.digest, why: DIGEST_WHY };
    if (typeof layer.mediaType !== "string" || !MEDIA_TYPE.test(layer.mediaType) || !LAYER_TYPES.test(layer.mediaType)) {
      return { key: `layers[${i}].mediaType`, value: layer.mediaType, why: "is not the media type of a filesystem layer tupper can apply" };
    }
    if (!Number.isSafeInteger(layer.size) || layer.size < 0) return { key: `layers[${i}].size`, value: layer.size, why: "is not a size in bytes (a whole number, 0 or more)" };
  }
  return null;
}

/**
 * What compile takes from a lock entry's imageConfig: the script's comments show it, and a
 * build FROM the image substitutes its Env (ENV PATH=/x:$PATH), WorkingDir and User at
 * compile time. It came from a registry, so its shape is checked before anything reads it:
 * strings where strings go, Env entries NAME=VALUE. Returns the first value that is wrong, or null.
 */
export function imageConfigProblem(value: unknown): { key: string; value: unknown; why: string } | null {
  const at = (key: string) => `imageConfig${key === "" ? "" : `.${key}`}`;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { key: at(""), value, why: "is not an object" };
  const config = value as Record<string, unknown>;
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === "string");
  for (const key of ["Entrypoint", "Cmd"]) {
    if (config[key] !== null && !strings(config[key])) return { key: at(key), value: config[key], why: "is neither null nor a list of strings" };
  }
  for (const key of ["WorkingDir", "User"]) {
    if (typeof config[key] !== "string") return { key: at(key), value: config[key], why: "is not a string" };
  }
  for (const key of ["ExposedPorts", ...(config.OnBuild === undefined ? [] : ["OnBuild"])]) {
    if (!strings(config[key])) return { key: at(key), value: config[key], why: "is not a list of strings" };
  }
  if (!strings(config.Env)) return { key: at("Env"), value: config.Env, why: "is not a list of strings" };
  for (const [i, pair] of (config.Env as string[]).entries()) {
    if (!/^[^=]+=/.test(pair)) return { key: at(`Env[${i}]`), value: pair, why: "is not NAME=VALUE" };
  }
  // a NUL can be in no argument, file or environment the script makes of these
  for (const key of ["Entrypoint", "Cmd", "Env", "WorkingDir", "User"]) {
    const values = config[key] === null ? [] : typeof config[key] === "string" ? [config[key] as string] : (config[key] as string[]);
    if (values.some((v) => v.includes("\0"))) return { key: at(key), value: config[key], why: "holds a NUL byte" };
  }
  return null;
}

/**
 * Line and column (1-based) of VALUE in the entry for REFERENCE in lock file TEXT: the first
 * place it is written after the entry's key, else the key, else the file's start. (JSON.parse
 * keeps no positions; the lock file is tupper's own pretty-printed JSON, where this is exact.)
 */
function positionIn(text: string, reference: string, value: unknown): { line: number; col: number } {
  const entryAt = text.indexOf(`${JSON.stringify(reference)}:`);
  const needle = value === undefined ? null : JSON.stringify(value);
  let at = entryAt;
  if (entryAt >= 0 && needle !== null) {
    const found = text.indexOf(needle, entryAt + reference.length);
    if (found >= 0) at = found;
  }
  if (at < 0) return { line: 1, col: 1 };
  const before = text.slice(0, at).split("\n");
  return { line: before.length, col: before[before.length - 1].length + 1 };
}

/** The lock file beside SPEC, if there is one; a malformed one is an error that names it. */
export function readLock(spec: string): { lock: LockFile | null; problems: Diagnostic[] } {
  const file = lockFileOf(spec);
  if (!existsSync(file)) return { lock: null, problems: [] };
  const problem = (message: string): Diagnostic => ({ file, line: 1, col: 1, path: "", message, severity: "error" });
  let data: any;
  const text = readFileSync(file, "utf8");
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { lock: null, problems: [problem(`is not JSON (${(e as Error).message}); run tupper lock ${spec} to write it again`)] };
  }
  if (data?.lockVersion !== LOCK_VERSION || typeof data.images !== "object" || data.images === null) {
    return { lock: null, problems: [problem(`is not a tupper lock file of version ${LOCK_VERSION}; run tupper lock ${spec} to write it again`)] };
  }
  const images = new Map<string, LockedImage>();
  for (const [reference, entry] of Object.entries(data.images as Record<string, any>)) {
    const wrong = lockEntryProblem(entry) ?? imageConfigProblem(entry.imageConfig);
    if (wrong !== null) {
      const path = `images[${JSON.stringify(reference)}]${wrong.key ? `.${wrong.key}` : ""}`;
      const shown = JSON.stringify(wrong.value) ?? "nothing";
      return {
        lock: null,
        problems: [
          {
            file,
            ...positionIn(text, reference, wrong.value),
            path,
            message: `${shown.length > 100 ? `${shown.slice(0, 100)}...` : shown} ${wrong.why}: the lock file is malformed or was tampered with, and the script would use it to name files; run tupper lock ${spec} to write it again`,
            severity: "error",
          },
        ],
      };
    }
    images.set(reference, entry as LockedImage);
  }
  return { lock: { file, images }, problems: [] };
}

/** Warnings for the registry images of SPEC that its lock file does not pin. */
export function unlockedImages(spec: ParsedSpec, lock: LockFile | null): Diagnostic[] {
  const services = (spec.data as { services?: Record<string, { image?: unknown; build?: unknown }> })?.services ?? {};
  if (lock === null) return [];
  const out: Diagnostic[] = [];
  for (const [name, service] of Object.entries(services)) {
    // next to build:, image: names what the build makes, not something to pull (the build's
    // own images are checked where its Dockerfile is compiled, src/build/service.ts)
    if (typeof service?.image !== "string" || (service.build !== undefined && service.build !== null)) continue;
    const image = parseImage(service.image);
    if (!image.ok || image.image.kind !== "registry" || lock.images.has(image.image.reference)) continue;
    const path: SpecPath = ["services", name, "image"];
    out.push({
      file: spec.file,
      ...spec.positionOf(path, "value"),
      path: `services.${name}.image`,
      message: `${image.image.reference} is not pinned by ${basename(lock.file)}, so the script resolves the tag when it pulls; run tupper lock ${spec.file} to pin it`,
      severity: "warning",
    });
  }
  return out;
}

export function writeLock(spec: string, images: Map<string, LockedImage>): string {
  const file = lockFileOf(spec);
  const sorted = Object.fromEntries([...images].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const data = {
    "//": `Written by tupper lock from ${basename(spec)}: its registry images, pinned. Commit it with the spec; run tupper lock again to move to what the tags name now.`,
    lockVersion: LOCK_VERSION,
    images: sorted,
  };
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

/**
 * The keys under which the script stores the layers (layer_key in layers.sh): OCI's
 * ChainID formula over blob digests. The bottom layer's key is its digest's hex; each
 * next one the sha256 of "sha256:PARENT_KEY DIGEST".
 */
export function layerKeys(digests: readonly string[]): string[] {
  const keys: string[] = [];
  for (const digest of digests) {
    const parent = keys.at(-1);
    keys.push(parent === undefined ? digest.slice("sha256:".length) : createHash("sha256").update(`sha256:${parent} ${digest}`).digest("hex"));
  }
  return keys;
}
