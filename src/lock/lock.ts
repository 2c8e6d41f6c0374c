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

/** The lock file beside SPEC, if there is one; a malformed one is an error that names it. */
export function readLock(spec: string): { lock: LockFile | null; problems: Diagnostic[] } {
  const file = lockFileOf(spec);
  if (!existsSync(file)) return { lock: null, problems: [] };
  const problem = (message: string): Diagnostic => ({ file, line: 1, col: 1, path: "", message, severity: "error" });
  let data: any;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    return { lock: null, problems: [problem(`is not JSON (${(e as Error).message}); run tupper lock ${spec} to write it again`)] };
  }
  if (data?.lockVersion !== LOCK_VERSION || typeof data.images !== "object" || data.images === null) {
    return { lock: null, problems: [problem(`is not a tupper lock file of version ${LOCK_VERSION}; run tupper lock ${spec} to write it again`)] };
  }
  const images = new Map<string, LockedImage>();
  for (const [reference, entry] of Object.entries(data.images as Record<string, any>)) {
    const digest = /^sha256:[0-9a-f]{64}$/;
    const ok =
      digest.test(entry?.manifest) &&
      digest.test(entry?.config) &&
      Array.isArray(entry?.layers) &&
      entry.layers.length > 0 &&
      entry.layers.every((l: any) => digest.test(l?.digest) && typeof l.mediaType === "string" && Number.isInteger(l.size));
    if (!ok) return { lock: null, problems: [problem(`its entry for ${reference} is malformed; run tupper lock ${spec} to write it again`)] };
    images.set(reference, entry as LockedImage);
  }
  return { lock: { file, images }, problems: [] };
}

/** Warnings for the registry images of SPEC that its lock file does not pin. */
export function unlockedImages(spec: ParsedSpec, lock: LockFile | null): Diagnostic[] {
  const services = (spec.data as { services?: Record<string, { image?: unknown }> })?.services ?? {};
  if (lock === null) return [];
  const out: Diagnostic[] = [];
  for (const [name, service] of Object.entries(services)) {
    if (typeof service?.image !== "string") continue;
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
 * The keys under which the script stores the layers (layer_key in layers.sh.hbs): OCI's
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
