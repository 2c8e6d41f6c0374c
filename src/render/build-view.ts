// A service's compiled build → the view of templates/partials/build.sh.hbs: one block per
// Dockerfile instruction, its comment lines (where it is and its text) and the calls it makes,
// every argument a quoted Word. The calls are the build partial's functions (a closed set).
import type { ServicePlan } from "../model/plan.js";
import type { Instruction, Stage } from "../build/dockerfile/model.js";
import type { ImageSource } from "../model/image.js";
import { stepRecordParts, type RunSurroundings } from "../build/cachekey.js";
import { comment, type Comment, shNumber, shSpecPath, shWord, type Word } from "./quote.js";
import { DEFAULTS } from "../model/defaults.js";
import { layerKeys } from "../lock/lock.js";
import type { LockedImage } from "../lock/registry.js";

type Fn = "build_from" | "build_step_env" | "build_step_mount" | "build_run" | "build_copy" | "build_config" | "build_stage_end";
interface Call {
  fn: Fn;
  args: Word[];
}
interface Block {
  comments: Comment[];
  calls: Call[];
}

const w = (s: string) => shWord(s);

// build_from's words for an image (build.sh.hbs, build_base_image): kind, source, registry,
// repository, tag, digest, oci name; then, when the lock file pins it, its manifest, config
// and layers (digest, media type, size, key where it is stored: bottom first), as a
// service's pinned image has them
function imageWords(ref: string, source: ImageSource | undefined, lock: LockedImage | undefined): Word[] {
  if (source === undefined) return [w("registry"), w(ref), w(""), w(""), w(""), w(""), w("")];
  if (source.kind === "registry") {
    const pinned = lock === undefined ? [] : [w(lock.manifest), w(lock.config), ...lockedLayerWords(lock)];
    return [w("registry"), w(source.reference), w(source.registry), w(source.repository), w(source.tag), w(source.digest ?? ""), w(""), ...pinned];
  }
  return [w(source.kind), shSpecPath(source.path), w(""), w(""), w(""), w(""), w(source.kind === "oci" ? source.name : "")];
}

function lockedLayerWords(lock: LockedImage): Word[] {
  const keys = layerKeys(lock.layers.map((l) => l.digest));
  return lock.layers.flatMap((l, i) => [w(l.digest), w(l.mediaType), shNumber(l.size), w(keys[i])]);
}

/** The comment under a FROM of an image the lock file pins: which manifest, and the Env the compiler substituted. */
function lockComments(lock: LockedImage | undefined): Comment[] {
  if (lock === undefined) return [];
  return [
    comment(`the lock file pins it for ${lock.platform}: manifest ${lock.manifest}`),
    comment(`image config: Env ${JSON.stringify(lock.imageConfig.Env)}, WorkingDir ${JSON.stringify(lock.imageConfig.WorkingDir)}, User ${JSON.stringify(lock.imageConfig.User)}`),
  ];
}

function where(file: string, line: number): Word {
  return w(`${file}:${line}`);
}

function originalComments(file: string, line: number, original: string): Comment[] {
  const lines = original.split("\n");
  return [comment(`${file}:${line}: ${lines[0]}`), ...lines.slice(1).map((l) => comment(`  ${l}`))];
}

/** What every instruction of a build may need besides itself. */
interface BuildContext {
  surroundings: RunSurroundings;
  /** The images that COPY --from and RUN --mount from= name, each built as a stage of its own (imageStages). */
  imageStages: Map<string, number>;
  /** The Dockerfile's registry images that the lock file pins, by reference. */
  locked: Map<string, LockedImage>;
  /** The --from names that are a directory of additional_contexts (their files are root's). */
  directoryContexts: Set<string>;
}

/**
 * The owner a COPY --from or a bind mount from= gives what it takes: "" keeps each file's
 * own (a stage's or an image's, as Docker does), 0:0 for a directory context (a local
 * context, as Docker's are), whatever owns its files on this host.
 */
function fromOwner(from: { kind: "stage"; index: number } | { kind: "image"; ref: string } | undefined, bc: BuildContext): string {
  return from?.kind === "image" && bc.directoryContexts.has(from.ref) ? "0:0" : "";
}

/** Where --from or from= takes files: a stage's index, or the index of the stage made of an image. */
function fromIndex(from: { kind: "stage"; index: number } | { kind: "image"; ref: string } | undefined, bc: BuildContext): string {
  if (from === undefined) return "";
  return String(from.kind === "stage" ? from.index : bc.imageStages.get(from.ref));
}

function instructionCalls(ins: Instruction, at: Word, label: Word, bc: BuildContext): Call[] {
  const surroundings = bc.surroundings;
  switch (ins.kind) {
    case "RUN": {
      const [a] = stepRecordParts(ins, (s) => (s.kind === "stage" ? `stage:${s.index}` : `image:${s.ref}`), surroundings);
      const calls: Call[] = [{ fn: "build_step_env", args: [at, ...[...ins.env, ...ins.proxyEnv].map(([k, v]) => w(`${k}=${v}`))] }];
      // build_step_mount KIND TARGET ID ACCESS UID GID MODE EXTRA (build.sh.hbs, build_mounts)
      const mount = (kind: string, target: string, id: string, access: string, owner?: { uid: number; gid: number; mode: number }, extra = "") =>
        calls.push({ fn: "build_step_mount", args: [w(kind), w(target), w(id), w(access), w(owner ? String(owner.uid) : ""), w(owner ? String(owner.gid) : ""), w(owner ? owner.mode.toString(8).padStart(4, "0") : ""), w(extra)] });
      for (const m of ins.mounts) {
        if (m.type === "cache") mount("cache", m.target, m.id, m.readonly ? "ro" : "rw", m);
        else if (m.type === "tmpfs") mount("tmpfs", m.target, "", "rw", undefined, m.size === undefined ? "" : String(m.size));
        else if (m.type === "secret") mount("secret", m.target ?? "", m.id, m.required ? "required" : "optional", m, m.env ?? "");
        else {
          // from a directory context: copied as root's (UID and GID 0); else each file keeps its owner
          const owner = fromOwner(m.from, bc);
          const ids = owner === "" ? [w(""), w("")] : [w("0"), w("0")];
          calls.push({ fn: "build_step_mount", args: [w("bind"), w(m.target), w(m.source), w(m.readwrite ? "rw" : "ro"), ...ids, w(""), w(fromIndex(m.from, bc))] });
        }
      }
      // a RUN that is one heredoc whose body starts with #! runs the body as the file /dev/pipes/NAME (run.ts)
      const script = ins.command.form === "shell" ? ins.command.script : undefined;
      for (const h of ins.heredocs) {
        if (script === `/dev/pipes/${h.name}`) mount("heredoc", script, h.content, "ro");
      }
      calls.push({ fn: "build_run", args: [at, label, w(ins.user), w(ins.workingDir), w(ins.network), w(a.toString("utf8")), ...ins.command.argv.map(w)] });
      return calls;
    }
    case "COPY":
    case "ADD": {
      const [a, b] = stepRecordParts(ins, (s) => (s.kind === "stage" ? `stage:${s.index}` : `image:${s.ref}`));
      const chmod = ins.chmod ? ("octal" in ins.chmod ? ins.chmod.octal.toString(8).padStart(4, "0") : ins.chmod.symbolic) : "";
      // an https URL (ADD) goes with its --checksum: url:CHECKSUM:URL (build_download)
      const sources = ins.sources.map((s) => (s.kind === "path" ? w(`path:${s.path}`) : s.kind === "heredoc" ? w(`heredoc:${s.name}:${s.content}`) : w(`url:${ins.checksum ?? ""}:${s.url}`)));
      return [
        {
          fn: "build_copy",
          args: [at, label, w(ins.kind), w(fromIndex(ins.from, bc)), w(ins.chown ?? fromOwner(ins.from, bc)), w(chmod), shNumber(ins.kind === "ADD" && ins.unpack !== false ? 1 : 0), w(ins.dest), w(a.toString("utf8")), w(b.toString("utf8")), shNumber(ins.exclude.length), ...ins.exclude.map(w), ...sources],
        },
      ];
    }
    case "ENV":
      return [{ fn: "build_config", args: [at, w("env"), ...ins.pairs.map(([k, v]) => w(`${k}=${v}`))] }];
    case "LABEL":
      return [{ fn: "build_config", args: [at, w("label"), ...ins.pairs.map(([k, v]) => w(`${k}=${v}`))] }];
    case "WORKDIR":
      return [{ fn: "build_config", args: [at, w("workdir"), w(ins.path)] }];
    case "USER":
      return [{ fn: "build_config", args: [at, w("user"), w(ins.user)] }];
    case "EXPOSE":
      return [{ fn: "build_config", args: [at, w("expose"), ...ins.ports.map(w)] }];
    case "ENTRYPOINT":
      return [{ fn: "build_config", args: [at, w(ins.cmdReset ? "entrypoint-reset" : "entrypoint"), ...ins.command.argv.map(w)] }];
    case "CMD":
      return [{ fn: "build_config", args: [at, w("cmd"), ...ins.command.argv.map(w)] }];
    case "VOLUME":
      return [{ fn: "build_config", args: [at, w("volume"), ...ins.paths.map(w)] }];
    case "STOPSIGNAL":
      return [{ fn: "build_config", args: [at, w("stopsignal"), w(ins.signal)] }];
    case "HEALTHCHECK": {
      const h = ins.healthcheck;
      const ms = (ns: number) => (ns === 0 ? "-" : String(Math.floor(ns / 1e6)));
      const timing = [ms(h.interval), ms(h.timeout), h.retries === 0 ? "-" : String(h.retries), ms(h.startPeriod), ms(h.startInterval)].join(" ");
      return [{ fn: "build_config", args: [at, w("healthcheck"), w(timing), ...h.test.map(w)] }];
    }
    case "SHELL":
    case "ARG":
    case "ONBUILD":
      return []; // SHELL and ARG were applied by the compiler to the instructions below; ONBUILD: kept nowhere yet
  }
}

function stageBlocks(st: Stage, file: string, images: Map<string, ImageSource>, labelOf: (i: number) => string, bc: BuildContext): Block[] {
  const label = labelOf(st.index);
  const base = st.base;
  const from: Word[] =
    base.kind === "scratch" ? [w("scratch")] : base.kind === "stage" ? [w("stage"), shNumber(base.index)] : [w("image"), ...imageWords(base.ref, images.get(base.ref), bc.locked.get(base.ref))];
  const lock = base.kind === "image" ? bc.locked.get(base.ref) : undefined;
  const blocks: Block[] = [
    { comments: [...originalComments(file, st.from.line, st.from.original), ...lockComments(lock)], calls: [{ fn: "build_from", args: [where(file, st.from.line), w(label), shNumber(st.index), ...from] }] },
  ];
  const layered = st.instructions.filter((i) => i.kind === "RUN" || i.kind === "COPY" || i.kind === "ADD").length;
  let k = 0;
  for (const ins of st.instructions) {
    if (ins.kind === "RUN" || ins.kind === "COPY" || ins.kind === "ADD") k++;
    const stepLabel = w(`${label} ${k}/${layered}`);
    const calls = instructionCalls(ins, where(file, ins.source.line), stepLabel, bc);
    blocks.push({ comments: originalComments(file, ins.source.line, ins.source.original), calls });
  }
  blocks.push({ comments: [comment(`the end of stage ${label}: its layers and config, for the stages that read it`)], calls: [{ fn: "build_stage_end", args: [shNumber(st.index)] }] });
  return blocks;
}

export function buildView(s: ServicePlan) {
  const b = s.build;
  if (b === null) return null;
  const build = b.build;
  const labelOf = (i: number) => build.stages[i].name ?? `stage-${i}`;
  // An image that COPY --from (or RUN --mount from=) names is built first as a stage of its own,
  // numbered after the Dockerfile's stages: its FROM pulls or imports it as a base's would be.
  const imageStages = new Map<string, number>();
  const imageBlocks: Block[] = [];
  for (const i of build.needed) {
    for (const ins of build.stages[i].instructions) {
      const froms = ins.kind === "COPY" || ins.kind === "ADD" ? [ins.from] : ins.kind === "RUN" ? ins.mounts.map((m) => (m.type === "bind" ? m.from : undefined)) : [];
      for (const from of froms) {
        if (from?.kind !== "image" || imageStages.has(from.ref)) continue;
        const index = build.stages.length + imageStages.size;
        imageStages.set(from.ref, index);
        imageBlocks.push({
          comments: [comment(`${b.dockerfile}:${ins.source.line}: the image ${from.ref}, which it takes files from, as a stage of its own (${index})`), ...lockComments(b.locked.get(from.ref))],
          calls: [
            { fn: "build_from", args: [where(b.dockerfile, ins.source.line), w(`image-${imageStages.size}`), shNumber(index), w("image"), ...imageWords(from.ref, b.images.get(from.ref), b.locked.get(from.ref))] },
            { fn: "build_stage_end", args: [shNumber(index)] },
          ],
        });
      }
    }
  }
  const bc: BuildContext = { surroundings: { network: b.network, extraHosts: b.extraHosts }, imageStages, locked: b.locked, directoryContexts: b.directoryContexts };
  const blocks = [...imageBlocks, ...build.needed.flatMap((i) => stageBlocks(build.stages[i], b.dockerfile, b.images, labelOf, bc))];
  return {
    name: w(s.name),
    comment: comment(`services.${s.name}.build: ${b.dockerfile}, context ${b.context}${build.target !== build.stages.length - 1 ? `, target ${labelOf(build.target)}` : ""}`),
    dockerfile: w(b.dockerfile),
    dockerfileComment: comment(`${b.dockerfile} (sha256 ${b.dockerfileSha256})`),
    ignoreComment: comment(b.ignoreFile === null ? "no .dockerignore: the whole context" : `${b.ignoreFile.path} (sha256 ${b.ignoreFile.sha256})`),
    context: shSpecPath(b.context),
    ignore: w(b.ignoreFile?.list ?? ""),
    reference: w(b.reference),
    tags: b.tags.map(w),
    labels: b.labels.map(([k, v]) => w(`${k}=${v}`)),
    target: shNumber(build.target),
    noCache: shNumber(b.noCache ? 1 : 0),
    pull: shNumber(b.pull ? 1 : 0),
    network: w(b.network),
    shm: shNumber(b.shmBytes ?? DEFAULTS.shmBytes),
    extraHosts: b.extraHosts.flatMap(([n, a]) => [w(n), w(a)]),
    secrets: b.secrets.flatMap(([id, file]) => [w(id), shSpecPath(file)]),
    blocks,
  };
}
