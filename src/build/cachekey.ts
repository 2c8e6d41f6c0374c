// The layer cache key of a build step, as a pure function (byte format: README.md, "Cache keys").
// A key chains the parent's key, the instruction after substitution, and for COPY/ADD a digest of
// the files copied (names, types, modes, owners, contents), so a rebuild reruns exactly the steps
// from the first one whose inputs changed. Like BuildKit's content hash, mtimes are left out:
// touching a file does not invalidate the cache, changing its bytes, mode or owner does.
// Everything is encoded as netstrings (`<byte length>:<bytes>,`), which need no escaping and are
// easy to write from bash (`LC_ALL=C; printf '%d:%s,' "${#v}" "$v"`) and from C.
import { createHash } from "node:crypto";
import type { Instruction, Mount, StageOrImage } from "./dockerfile/model.js";

export const CACHE_VERSION = "tupper-cache-v1";
export const FILES_VERSION = "tupper-files-v1";

export function netstring(value: string | Buffer): Buffer {
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  return Buffer.concat([Buffer.from(`${bytes.length}:`), bytes, Buffer.from(",")]);
}

function list(values: readonly string[]): Buffer[] {
  return [netstring(String(values.length)), ...values.map((v) => netstring(v))];
}

const sha256hex = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** One file the step copies, as the helper reports it after the walk. */
export interface FileEntry {
  /** Relative to the copy's source root, `/`-separated, no leading `./`. */
  path: string;
  type: "f" | "d" | "l";
  /** Permission bits with setuid/setgid/sticky (mode & 07777) as they will be written. */
  mode: number;
  /** The owner the copy will give it (0:0 for the context, or --chown's, or the stage's). */
  uid: number;
  gid: number;
  /** f: sha256 of the contents in hex; l: the link target; d: nothing. */
  payload: string;
}

/** The digest of a set of files: entries sorted by path bytes, each as six netstrings. */
export function filesDigest(entries: readonly FileEntry[]): string {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const parts: Buffer[] = [Buffer.from(`${FILES_VERSION}\n`)];
  for (const e of sorted)
    parts.push(netstring(e.path), netstring(e.type), netstring(e.mode.toString(8).padStart(4, "0")), netstring(String(e.uid)), netstring(String(e.gid)), netstring(e.type === "d" ? "" : e.payload));
  return sha256hex(Buffer.concat(parts));
}

export type BaseOfKey = { kind: "scratch" } | { kind: "image"; digest: string } | { kind: "stage"; key: string };

/** The key a stage starts from: its base image's manifest digest, scratch, or the parent stage's last key. */
export function baseKey(base: BaseOfKey): string {
  const what = base.kind === "scratch" ? ["scratch"] : base.kind === "image" ? ["image", base.digest] : ["stage", base.key];
  return sha256hex(Buffer.concat([Buffer.from(`${CACHE_VERSION}\n`), ...list(["FROM", ...what])]));
}

function mountWords(m: Mount, from: (s: StageOrImage) => string): string {
  const f = (k: string, v: string | number | boolean | undefined) => (v === undefined ? "" : `,${k}=${v}`);
  switch (m.type) {
    case "bind":
      return `type=bind${f("target", m.target)}${f("source", m.source)}${f("from", m.from && from(m.from))}${f("rw", m.readwrite)}`;
    case "cache":
      return `type=cache${f("target", m.target)}${f("id", m.id)}${f("sharing", m.sharing)}${f("source", m.source)}${f("from", m.from && from(m.from))}${f("ro", m.readonly)}${f("mode", m.mode.toString(8))}${f("uid", m.uid)}${f("gid", m.gid)}`;
    case "tmpfs":
      return `type=tmpfs${f("target", m.target)}${f("size", m.size)}`;
    case "secret":
      // the secret's value is never part of a key (BuildKit neither): only where it goes
      return `type=secret${f("id", m.id)}${f("target", m.target)}${f("env", m.env)}${f("required", m.required)}${f("mode", m.mode.toString(8))}${f("uid", m.uid)}${f("gid", m.gid)}`;
  }
}

/**
 * What a RUN step's container reaches besides what its instruction says: the service's
 * build.network and build.extra_hosts. BuildKit's ExecOp digest has both; without them, a
 * project that maps a mirror's name to an address of its own would make layers under every
 * other project's key for the same `RUN apt-get install`.
 */
export interface RunSurroundings {
  network: "default" | "none";
  extraHosts: ReadonlyArray<readonly [string, string]>;
}
export const DEFAULT_SURROUNDINGS: RunSurroundings = { network: "default", extraHosts: [] };

export interface StepInputs {
  /** The digest of the files copied (COPY/ADD): filesDigest of what the helper selected. */
  files?: string;
  /** How a --from stage or image is named in keys: the stage's final key, or the image's manifest digest. */
  fromKey?: (s: StageOrImage) => string;
  /** A RUN's build.network and build.extra_hosts (DEFAULT_SURROUNDINGS when not given). */
  surroundings?: RunSurroundings;
  /** A RUN's bind mounts: the files digest of each one's source, in order (the script adds them when the step runs). */
  binds?: string[];
}

/** The bytes hashed for a step: exact, so the bash/C side can rebuild them (README.md). */
export function stepRecord(parent: string, ins: Instruction, inputs: StepInputs = {}): Buffer {
  if ((ins.kind === "COPY" || ins.kind === "ADD") && inputs.files === undefined && ins.sources.some((s) => s.kind === "path")) {
    throw new Error(`${ins.kind} at line ${ins.source.line}: the key needs the digest of the copied files`);
  }
  const from = inputs.fromKey ?? ((s: StageOrImage) => (s.kind === "stage" ? `stage:${s.index}` : `image:${s.ref}`));
  const binds = ins.kind === "RUN" ? ins.mounts.filter((m) => m.type === "bind").length : 0;
  if (binds !== (inputs.binds?.length ?? 0)) throw new Error(`RUN at line ${ins.source.line}: the key needs the digest of each of its ${binds} bind mount(s)`);
  const [a, b] = stepRecordParts(ins, inputs.fromKey, inputs.surroundings);
  const fromField = ins.kind === "COPY" || ins.kind === "ADD" ? [netstring(ins.from ? from(ins.from) : ""), b, netstring(inputs.files ?? "")] : [];
  return Buffer.concat([Buffer.from(`${CACHE_VERSION}\n`), netstring(parent), a, ...fromField, ...(inputs.binds ?? []).map((d) => netstring(d))]);
}

/**
 * The fixed parts of a step's record, for the script to complete at build time: RUN's record is
 * `tupper-cache-v1\n` ns(parent) A; COPY/ADD's is `tupper-cache-v1\n` ns(parent) A ns(from key) B
 * ns(files digest), the parent, the --from stage's key and the files digest known only then.
 */
export function stepRecordParts(ins: Instruction, fromKey?: (s: StageOrImage) => string, surroundings: RunSurroundings = DEFAULT_SURROUNDINGS): [Buffer, Buffer] {
  const from = fromKey ?? ((s: StageOrImage) => (s.kind === "stage" ? `stage:${s.index}` : `image:${s.ref}`));
  const parts: Buffer[] = [netstring(ins.kind)];
  if (ins.kind === "RUN") {
    // ins.proxyEnv (undeclared proxy build args) reaches the step but stays out of the key, as in Docker
    parts.push(
      ...list(ins.command.argv),
      ...list(ins.env.map(([k, v]) => `${k}=${v}`)),
      netstring(ins.user),
      netstring(ins.workingDir),
      netstring(ins.network),
      ...list(ins.mounts.map((m) => mountWords(m, from))),
      ...list(ins.heredocs.flatMap((h) => [h.name, h.content])),
      netstring(surroundings.network),
      ...list(surroundings.extraHosts.map(([name, address]) => `${name}=${address}`)),
    );
  } else if (ins.kind === "COPY" || ins.kind === "ADD") {
    parts.push(...list(ins.sources.map((s) => (s.kind === "path" ? `path:${s.path}` : s.kind === "url" ? `url:${s.url}` : `heredoc:${s.name}:${s.content}`))), netstring(ins.dest));
    const b: Buffer[] = [
      netstring(ins.chown ?? ""),
      netstring(ins.chmod ? ("octal" in ins.chmod ? ins.chmod.octal.toString(8).padStart(4, "0") : ins.chmod.symbolic) : ""),
      netstring(ins.link ? "link" : ""),
      ...list(ins.exclude),
      netstring(ins.checksum ?? ""),
      netstring(ins.unpack === undefined ? "" : String(ins.unpack)),
      netstring(ins.workingDir),
    ];
    return [Buffer.concat(parts), Buffer.concat(b)];
  } else throw new Error(`${ins.kind} makes no layer, so it has no cache key of its own (its effect enters the keys of later RUN, COPY and ADD)`);
  return [Buffer.concat(parts), Buffer.alloc(0)];
}

/** The cache key of a RUN, COPY or ADD step: sha256 of stepRecord, in hex. */
export function stepKey(parent: string, ins: Instruction, inputs: StepInputs = {}): string {
  return sha256hex(stepRecord(parent, ins, inputs));
}
