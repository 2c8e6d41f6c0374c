// The helper a script is compiled for. Every script pins tupper-init by its sha256 (and
// checks it before use); `compile --embed-helper` carries the binary itself, as base64.
// How it was built comes from helper/tupper-init.buildinfo, which the Makefile writes with
// the binary, so that a reviewer can rebuild it and compare.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../paths.js";

export interface HelperInfo {
  /** Where it was read at compile time (for messages only: the script does not use it). */
  path: string;
  sha256: string;
  /** The build command and toolchain, one line each, from the .buildinfo file. */
  buildInfo: string[];
  /** The binary as base64 lines of 76 characters, when it is embedded. */
  base64?: string[];
}

export const defaultHelperPath = join(packageRoot, "helper", "tupper-init");

export class HelperError extends Error {}

/** Reads the helper at `path` (and its .buildinfo); throws HelperError saying how to get one. */
export function readHelper(path: string = defaultHelperPath, embed = false): HelperInfo {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new HelperError(
      `cannot read the helper ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)}): every script pins tupper-init by its sha256, ` +
        "so compiling needs it; build it with 'make helper' in tupper's tree, or give --helper PATH",
    );
  }
  let buildInfo: string[];
  try {
    buildInfo = readFileSync(`${path}.buildinfo`, "utf8").split("\n").filter((l) => l.trim() !== "");
  } catch {
    buildInfo = ["build: unknown (no .buildinfo beside the helper; 'make helper' writes one)"];
  }
  const info: HelperInfo = { path, sha256: createHash("sha256").update(bytes).digest("hex"), buildInfo };
  if (embed) info.base64 = bytes.toString("base64").match(/.{1,76}/g) ?? [];
  return info;
}

let packaged: HelperInfo | undefined;

/** The helper built in tupper's own tree (read once). */
export function packagedHelper(): HelperInfo {
  packaged ??= readHelper();
  return packaged;
}
