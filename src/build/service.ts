// A service's build, compiled: its Dockerfile read (relative to the context) and compiled with
// the front end, its .dockerignore read, and the image it makes named. Problems come back as
// diagnostics at Dockerfile:LINE:COL, like the spec's. The renderer writes the result into the
// script's build verb (templates/partials/build.sh.hbs), one commented block per instruction.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { Diagnostic } from "../spec/diagnostics.js";
import type { BuildValues } from "../resolve/build.js";
import { parseImage, type ImageSource } from "../model/image.js";
import { compileDockerfile } from "./dockerfile/resolve.js";
import { emptyConfig, type Build, type ImageConfig } from "./dockerfile/model.js";
import type { LockedImage } from "../lock/registry.js";
import { compileIgnoreList, ignoreFileCandidates, parseDockerignore } from "./dockerignore.js";

/** What the build takes as the spec resolved it (src/resolve/build.ts), unchanged. */
type BuildSettings = Pick<BuildValues, "labels" | "noCache" | "pull" | "network" | "shmBytes" | "extraHosts">;

export interface BuildPlan extends BuildSettings {
  /** The context, relative to the spec's directory (the script resolves it from there). */
  context: string;
  /** The Dockerfile as the script names it (relative to the spec's directory), or services.NAME.build.dockerfile_inline; messages name it as given. */
  dockerfile: string;
  /** sha256 of the Dockerfile and of the ignore file read (null: none), for `tupper check`. */
  dockerfileSha256: string;
  ignoreFile: { path: string; sha256: string; list: string } | null;
  build: Build;
  /** Each FROM image and COPY --from image by its reference: where it comes from. */
  images: Map<string, ImageSource>;
  /** The registry ones the lock file pins, by the same reference: the build pulls exactly those. */
  locked: Map<string, LockedImage>;
  /**
   * The ones that are a plain directory of additional_contexts: a local context, whose files
   * are root's when copied or bound, as in Docker (a stage's or an image's keep their owners).
   */
  directoryContexts: Set<string>;
  /** The image's name (image:, else PROJECT-SERVICE) and the build's tags, normalised. */
  reference: string;
  tags: string[];
  /** build.secrets: their files (relative to the spec's directory), by id. */
  secrets: [string, string][];
}

const sha256 = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");

/** PATH as the script names it: relative to the spec's directory (./ when below it). */
function relativeToSpec(specDir: string, path: string): string {
  const rel = relative(resolve(specDir), resolve(path));
  return rel.startsWith("..") || isAbsolute(rel) ? rel : `./${rel}`;
}

/** Compose's name for a built image without image: PROJECT-SERVICE (as a reference: lower-case). */
export function builtImageName(project: string, service: string): string {
  return `${project}-${service}`.toLowerCase().replace(/[^a-z0-9._-]/g, "-");
}

/**
 * Where a Dockerfile's image REF comes from: an additional context of that name (a local image:
 * rootfs:, oci:, docker-archive:, oci-archive:, or a directory taken as a root filesystem;
 * docker-image://REF another registry image), else the registry.
 */
function sourceOfImage(ref: string, named: Map<string, string>): string {
  const local = named.get(ref);
  if (local === undefined) return ref;
  if (/^docker-image:\/\//.test(local)) return local.slice("docker-image://".length);
  // a path in it is relative to the spec's directory, as in image:
  if (/^(rootfs|oci|oci-archive|docker-archive):/.test(local)) return local;
  return `rootfs:${local}`;
}

/** The lock file's entry for image REF, when it comes from a registry and the lock pins it. */
function lockOf(ref: string, named: Map<string, string>, locks: Map<string, LockedImage> | null): LockedImage | undefined {
  const parsed = parseImage(sourceOfImage(ref, named));
  return parsed.ok && parsed.image.kind === "registry" ? locks?.get(parsed.image.reference) : undefined;
}

/** A pinned image's config as the Dockerfile front end takes a base's (Docker: no WorkingDir is /). */
function configOfLock(lock: LockedImage): ImageConfig {
  const c = lock.imageConfig;
  return {
    ...emptyConfig(),
    env: c.Env.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
    cmd: c.Cmd,
    entrypoint: c.Entrypoint,
    user: c.User,
    workingDir: c.WorkingDir === "" ? "/" : c.WorkingDir,
    exposedPorts: c.ExposedPorts,
    onBuild: c.OnBuild ?? [],
  };
}

export function compileServiceBuild(
  specFile: string,
  service: string,
  project: string,
  b: BuildValues,
  image: ImageSource | null,
  secretFiles: Map<string, string | null>,
  position: { line: number; col: number } = { line: 1, col: 1 },
  environment: Record<string, string | undefined> = process.env,
  /** The spec's lock file's images (null: it has none): a pinned base's config is known now. */
  locks: Map<string, LockedImage> | null = null,
): { plan: BuildPlan | null; diagnostics: Diagnostic[] } {
  const specDir = dirname(specFile);
  const diagnostics: Diagnostic[] = [];
  const at = `services.${service}.build`;
  const problem = (message: string, severity: Diagnostic["severity"] = "error") => diagnostics.push({ file: specFile, ...position, path: at, message, severity });
  const contextDir = join(specDir, b.context);
  if (!existsSync(contextDir) || !statSync(contextDir).isDirectory()) {
    problem(`the context ${JSON.stringify(b.context)} is not a directory (${contextDir}); make it, or fix build.context`);
    return { plan: null, diagnostics };
  }
  let text: string;
  let dockerfile: string;
  // the script names files relative to the spec's directory, so that the same spec compiles to
  // the same bytes wherever tupper compile runs (messages name them as given, as the spec is)
  let shownInScript: string;
  if (b.inline !== null) {
    text = b.inline;
    dockerfile = `${specFile}:services.${service}.build.dockerfile_inline`;
    shownInScript = `services.${service}.build.dockerfile_inline`;
  } else {
    const path = join(contextDir, b.dockerfile ?? "Dockerfile");
    // named as the spec is (its path as given, then the context and the file): the same text
    // in messages and in the script's comments, wherever tupper compile runs
    dockerfile = path;
    shownInScript = relativeToSpec(specDir, path);
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      problem(`cannot read the Dockerfile ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)}); write it, or fix build.dockerfile`);
      return { plan: null, diagnostics };
    }
  }
  const buildArgs: Record<string, string | undefined> = {};
  // NAME alone takes its value from the project's environment, .env included, as compose-go's
  // normalize does (Build.Args.Resolve over project.Environment)
  for (const [name, value] of b.args) buildArgs[name] = value ?? environment[name];
  const named = new Map(b.additionalContexts);
  // a base the lock file pins: its Env, WorkingDir and User are known now, so ENV PATH=/x:$PATH,
  // a relative WORKDIR and a RUN see what Docker's build would; the build pulls that very image
  const baseConfig = (ref: string) => {
    const lock = lockOf(ref, named, locks);
    return lock === undefined ? undefined : configOfLock(lock);
  };
  const compiled = compileDockerfile(text, dockerfile, { buildArgs, target: b.target ?? undefined, baseConfig });
  diagnostics.push(...compiled.diagnostics);
  // BuildKit warns of a build arg that no ARG of the built stages declares ("one or more
  // build-args [...] were not consumed"): most often a typo, or an arg an older Dockerfile had
  for (const name of compiled.build?.unusedBuildArgs ?? []) {
    const message = `the Dockerfile declares no ARG ${name} in the stages it builds, so the build does not use it (Docker warns too); remove it, or declare it with ARG`;
    diagnostics.push({ file: specFile, ...position, path: `${at}.args.${name}`, message, severity: "warning" });
  }

  // the ignore file: <Dockerfile>.dockerignore, else the context's .dockerignore
  let ignoreFile: BuildPlan["ignoreFile"] = null;
  const candidates = b.inline !== null ? [join(contextDir, ".dockerignore")] : ignoreFileCandidates(join(contextDir, b.dockerfile ?? "Dockerfile"), contextDir);
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const ignoreText = readFileSync(path, "utf8");
    const parsed = parseDockerignore(ignoreText, path);
    diagnostics.push(...parsed.diagnostics);
    ignoreFile = { path: relativeToSpec(specDir, path), sha256: sha256(ignoreText), list: compileIgnoreList(parsed.patterns) };
    break;
  }

  // FROM and COPY --from images: an additional context of that name (a local image: rootfs:,
  // oci:, docker-archive:, oci-archive:, or a directory taken as a root filesystem), else a registry
  const images = new Map<string, ImageSource>();
  const locked = new Map<string, LockedImage>();
  const directoryContexts = new Set<string>();
  const build = compiled.build;
  if (build !== undefined) {
    const refs = new Set<string>();
    for (const i of build.needed) {
      const st = build.stages[i];
      if (st.base.kind === "image") refs.add(st.base.ref);
      for (const ins of st.instructions) {
        if ((ins.kind === "COPY" || ins.kind === "ADD") && ins.from?.kind === "image") refs.add(ins.from.ref);
        if (ins.kind === "RUN") for (const m of ins.mounts) if (m.type === "bind" && m.from?.kind === "image") refs.add(m.from.ref);
      }
    }
    for (const ref of refs) {
      const parsed = parseImage(sourceOfImage(ref, named));
      if (!parsed.ok) {
        problem(`the image ${JSON.stringify(ref)} of the Dockerfile: ${parsed.why}`);
        continue;
      }
      images.set(ref, parsed.image);
      const local = named.get(ref);
      if (local !== undefined && !/^(docker-image:\/\/|rootfs:|oci:|oci-archive:|docker-archive:)/.test(local)) directoryContexts.add(ref);
      if (parsed.image.kind !== "registry" || locks === null) continue;
      const lock = locks.get(parsed.image.reference);
      if (lock !== undefined) locked.set(ref, lock);
      else problem(`${parsed.image.reference}, an image of the Dockerfile, is not pinned by the lock file, so the build resolves its tag when it pulls, and its Env is unknown here; run tupper lock ${specFile} to pin it`, "warning");
    }
  }
  const name = image?.kind === "registry" ? image.reference : (parseImage(builtImageName(project, service)) as { ok: true; image: ImageSource & { reference: string } }).image.reference;
  const tags: string[] = [];
  for (const tag of b.tags) {
    const parsed = parseImage(tag);
    if (!parsed.ok || parsed.image.kind !== "registry") problem(`build.tags: ${JSON.stringify(tag)} is not an image reference (e.g. app:1.2)`);
    else tags.push(parsed.image.reference);
  }
  const secrets: [string, string][] = b.secrets.flatMap((id) => {
    const file = secretFiles.get(id);
    return file === undefined || file === null ? [] : [[id, file] as [string, string]];
  });
  if (build === undefined) return { plan: null, diagnostics };
  return {
    plan: {
      context: b.context,
      dockerfile: shownInScript,
      dockerfileSha256: sha256(text),
      ignoreFile,
      build,
      images,
      locked,
      directoryContexts,
      reference: name,
      tags,
      labels: b.labels,
      noCache: b.noCache,
      pull: b.pull,
      network: b.network,
      shmBytes: b.shmBytes,
      extraHosts: b.extraHosts,
      secrets,
    },
    diagnostics,
  };
}
