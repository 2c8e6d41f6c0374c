// Parsed instructions → stages of resolved instructions, the way BuildKit's dockerfile2llb
// dispatches them: variable substitution in the instructions Docker substitutes in (FROM with
// global ARGs only; ENV, LABEL, ARG defaults, WORKDIR, USER, VOLUME, STOPSIGNAL, EXPOSE, COPY/ADD
// paths and --chown/--chmod/--checksum, RUN --mount values), ARG scoping, ENV, SHELL, the
// ENTRYPOINT/CMD rules, and the stage graph pruned to what the target needs.
// Every problem becomes a positioned diagnostic; nothing throws.
import path from "node:path";
import { sortDiagnostics, type Diagnostic } from "../../spec/diagnostics.js";
import { closest } from "../../spec/suggest.js";
import { INSTRUCTIONS, parseDockerfile, type Node, type ParsedDockerfile, type Pos, type Word } from "./parse.js";
import { lex, LexError, type LexOptions } from "./shell.js";
import {
  DEFAULT_PATH, emptyConfig, type Base, type Build, type HealthcheckConfig, type ImageConfig, type Instruction,
  type Platform, type SourceRef, type Stage, type StageOrImage,
} from "./model.js";
import { commandOf, PROXY_ARGS, readFlags, type DispatchContext, type Done, type FlagValues, type Report, type StageState } from "./support.js";
import { csvFields, run } from "./run.js";
import { copy } from "./copy.js";

export { PROXY_ARGS } from "./support.js";

export interface ResolveOptions {
  /** --build-arg / compose build.args; a value of undefined counts as not given. */
  buildArgs?: Record<string, string | undefined>;
  /** --target / compose build.target: a stage name; default the last stage. */
  target?: string;
  /** The platform builds run on and for; default this host's. */
  platform?: Platform;
  /** The config of a base image (after pull), for its Env, Cmd, Shell...; undefined if not known yet. */
  baseConfig?: (ref: string) => ImageConfig | undefined;
}

export interface CompileResult {
  build: Build | undefined;
  diagnostics: Diagnostic[];
}


export function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };
  return { os: "linux", arch: arch[process.arch] ?? process.arch, ...(process.arch === "arm" ? { variant: "v7" } : {}) };
}

export function platformString(p: Platform): string {
  return `${p.os}/${p.arch}${p.variant ? `/${p.variant}` : ""}`;
}

export function compileDockerfile(source: string, file = "Dockerfile", opts: ResolveOptions = {}): CompileResult {
  const parsed = parseDockerfile(source, file);
  const resolved = resolveDockerfile(parsed, opts);
  return { build: resolved.build, diagnostics: sortDiagnostics([...parsed.diagnostics, ...resolved.diagnostics]) };
}

// ---- stages ---------------------------------------------------------------------------------

interface StageHeader {
  index: number;
  node: Node;
  name?: string;
  base: Base;
  body: Node[];
  deps: Set<number>;
}

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;
// distribution/reference: [domain[:port]/]path[:tag][@digest], lower-case path components
const IMAGE_REF = /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$/;

export function resolveDockerfile(parsed: ParsedDockerfile, opts: ResolveOptions = {}): CompileResult {
  const diagnostics: Diagnostic[] = [];
  const report: Report = (pos, p, message, severity = "error") =>
    diagnostics.push({ file: parsed.file, line: pos.line, col: pos.col, path: p, message, severity });
  const escape = parsed.directives.escape;
  const platform = opts.platform ?? hostPlatform();
  const buildArgs = new Map<string, string>();
  for (const [k, v] of Object.entries(opts.buildArgs ?? {})) if (v !== undefined) buildArgs.set(k, v);
  const consumed = new Set<string>();

  // Known instructions only; before the first FROM, only ARG.
  const globals: Node[] = [];
  const headers: StageHeader[] = [];
  for (const node of parsed.nodes) {
    if (!(INSTRUCTIONS as readonly string[]).includes(node.keyword)) {
      const hint = closest(node.keyword, INSTRUCTIONS);
      report(node.pos, node.written, `unknown instruction: ${node.written}; ${hint ? `did you mean ${hint}?` : `use one of ${INSTRUCTIONS.join(", ")}`}`);
      continue;
    }
    if (node.keyword === "FROM") {
      headers.push({ index: headers.length, node, base: { kind: "scratch" }, body: [], deps: new Set() });
    } else if (headers.length === 0) {
      if (node.keyword === "ARG") globals.push(node);
      else report(node.pos, node.keyword, `no build stage in current context; only ARG may come before the first FROM`);
    } else headers.at(-1)!.body.push(node);
  }
  if (headers.length === 0) {
    if (parsed.nodes.length > 0) report(parsed.nodes.at(-1)!.pos, "FROM", "the Dockerfile has no FROM, so no stage to build; start a stage with FROM IMAGE");
    return { build: undefined, diagnostics };
  }

  // Global ARGs: visible to FROM lines, and to a stage only after it declares them again.
  const automatic = automaticArgs(platform);
  const globalValues = new Map<string, string>(automatic);
  const globalArgs: { name: string; value: string | undefined }[] = [];
  for (const node of globals) {
    for (const a of argDeclarations(node, report)) {
      consumed.add(a.name);
      let value = buildArgs.get(a.name);
      if (value === undefined && a.value) value = expand(a.value, (n) => globalValues.get(n), escape, report, node.keyword, a.valuePos)?.word;
      if (value !== undefined) globalValues.set(a.name, value);
      globalArgs.push({ name: a.name, value });
    }
  }
  const globalLookup = (n: string) => globalValues.get(n);

  // Stage headers: FROM [--platform=P] image [AS name].
  for (const h of headers) {
    const node = h.node;
    const flags = readFlags(node, report);
    const words = node.args.form === "list" ? node.args.words : [];
    if (words.length !== 1 && !(words.length === 3 && words[1].raw.toLowerCase() === "as")) {
      report(words[1]?.pos ?? node.pos, "FROM", "FROM requires either one or three arguments; write FROM IMAGE or FROM IMAGE AS NAME");
      continue;
    }
    if (words.length === 3) {
      const name = words[2].raw.toLowerCase();
      if (!STAGE_NAME.test(name)) report(words[2].pos, "FROM", `invalid name for build stage: ${JSON.stringify(words[2].raw)}, name can't start with a number or contain symbols; use letters, digits, -, _ and .`);
      else h.name = name;
    }
    const image = expand(words[0].raw, globalLookup, escape, report, "FROM", words[0].pos);
    if (image === undefined) continue;
    const ref = image.word;
    if (ref === "") {
      report(words[0].pos, "FROM", `base name (${words[0].raw}) should not be blank; give an image, or a value to the ARG it names`);
      continue;
    }
    // the latest earlier stage of that name (a later one cannot be a base)
    const stage = headers.slice(0, h.index).reverse().find((o) => o.name === ref.toLowerCase());
    const platformFlag = flags.one.get("platform");
    if (platformFlag) {
      const p = expand(platformFlag.value, globalLookup, escape, report, "FROM", platformFlag.pos);
      if (p && !samePlatform(p.word, platform))
        report(platformFlag.pos, "FROM", `--platform=${p.word} is not this host's platform ${platformString(platform)}; tupper builds only for the host (drop --platform, or use $BUILDPLATFORM / $TARGETPLATFORM)`);
    }
    if (stage) h.base = { kind: "stage", index: stage.index };
    else if (ref.toLowerCase() === "scratch") h.base = { kind: "scratch" };
    else if (!IMAGE_REF.test(ref)) report(words[0].pos, "FROM", `${JSON.stringify(ref)} is not an image reference, nor the name of an earlier stage; write [REGISTRY/]NAME[:TAG][@DIGEST] or name a stage defined above`);
    else h.base = { kind: "image", ref, ...(platformFlag ? { platform: platformString(platform) } : {}) };
    if (h.base.kind === "stage") h.deps.add(h.base.index);
  }

  // The stage graph: --from of COPY and RUN --mount name a stage (by name or index) or an image.
  const refs = new Map<Node, Map<string, StageOrImage>>();
  for (const h of headers) {
    for (const node of h.body) {
      const n = node.keyword === "ONBUILD" ? undefined : node;
      if (!n) continue;
      const froms: { value: string; pos: Pos }[] = [];
      for (const f of n.flags) if (n.keyword === "COPY" && f.name === "from" && f.value !== undefined) froms.push({ value: f.value, pos: f.valuePos });
      if (n.keyword === "RUN")
        for (const f of n.flags)
          if (f.name === "mount" && f.value !== undefined)
            for (const [k, v] of csvFields(f.value)) if (k === "from" && v !== undefined) froms.push({ value: v, pos: f.valuePos });
      for (const from of froms) {
        const target = stageRef(from.value, from.pos, h, headers, report, n.keyword);
        if (!target) continue;
        const map = refs.get(n) ?? new Map<string, StageOrImage>();
        map.set(from.value, target);
        refs.set(n, map);
        if (target.kind === "stage") h.deps.add(target.index);
      }
    }
  }

  // The target and what it needs.
  let target = headers.length - 1;
  if (opts.target !== undefined) {
    const want = opts.target.toLowerCase();
    const found = [...headers].reverse().find((h) => h.name === want);
    if (!found) {
      const names = headers.flatMap((h) => (h.name ? [h.name] : []));
      const hint = closest(want, names);
      report({ line: headers[0].node.pos.line, col: 1 }, "target", `target stage ${JSON.stringify(opts.target)} could not be found; ${hint ? `did you mean ${hint}?` : names.length ? `the stages are ${names.join(", ")}` : "no stage has a name (FROM IMAGE AS NAME)"}`);
      return { build: undefined, diagnostics };
    }
    target = found.index;
  }
  const needed = new Set<number>();
  const visit = (i: number) => {
    if (needed.has(i)) return;
    needed.add(i);
    for (const d of headers[i].deps) visit(d);
  };
  visit(target);

  // Dispatch the needed stages in file order.
  const stages: Stage[] = headers.map((h) => ({
    index: h.index, ...(h.name ? { name: h.name } : {}), base: h.base, baseConfigKnown: true, from: sourceRef(h.node),
    instructions: [], config: emptyConfig(), dependsOn: [...h.deps].sort((a, b) => a - b),
  }));
  const finals = new Map<number, StageState>();
  for (const h of headers) {
    if (!needed.has(h.index)) continue;
    const state = initialState(h, finals, opts, report, stages);
    stages[h.index].baseConfigKnown = state.baseConfigKnown;
    for (const node of h.body) {
      const ins = dispatch(node, state, { escape, globalValues, buildArgs, consumed, refs: refs.get(node) ?? new Map(), report, platform });
      if (ins) stages[h.index].instructions.push(ins);
      if (ins && !state.baseConfigKnown && ins.unset.length > 0) reportUnknownBaseEnv(ins, h, report);
    }
    stages[h.index].config = state.config;
    finals.set(h.index, state);
  }
  const unusedBuildArgs = [...buildArgs.keys()].filter((k) => !consumed.has(k) && !PROXY_ARGS.includes(k.toUpperCase())).sort();
  return {
    build: { stages, target, needed: [...needed].sort((a, b) => a - b), globalArgs, unusedBuildArgs },
    diagnostics,
  };
}

// The config of a base image (its Env: PATH, GOPATH...) is known when the script is compiled
// only if the lock file pins the image (tupper lock records its config; the build then pulls
// exactly that image). Otherwise it is read when the build runs, and a variable it would set
// is taken as unset in the script: `ENV PATH=/x:$PATH` becomes "/x:", which drops the base's
// directories and adds the working directory to PATH. Docker expands it with the base's
// value; tupper says so where it happens.
function reportUnknownBaseEnv(ins: Instruction, h: StageHeader, report: Report) {
  const names = ins.unset.map((n) => `$${n}`).join(", ");
  const base = h.base.kind === "image" ? `the base image ${h.base.ref}` : "the stage's base image";
  const fix = ins.unset.includes("PATH") ? "write the value in full, e.g. ENV PATH=/x:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : "if the base image sets it, write its value in full";
  const pin = h.base.kind === "image" ? "; or pin the base with tupper lock, which makes its Env known here" : "";
  report({ line: ins.source.line, col: ins.source.col }, ins.kind, `${names} may be set by the environment of ${base}, which tupper does not know when it compiles: here ${ins.unset.length === 1 ? "it is" : "they are"} taken as unset; ${fix}${pin}`, "warning");
}

function samePlatform(written: string, p: Platform): boolean {
  const [os, arch, variant] = written.toLowerCase().split("/");
  const norm = (a: string | undefined) => (a === "x86_64" || a === "x86-64" ? "amd64" : a === "aarch64" ? "arm64" : a);
  return os === p.os && norm(arch) === p.arch && (variant === undefined || variant === (p.variant ?? "") || (p.arch === "arm64" && variant === "v8"));
}

function automaticArgs(p: Platform): Map<string, string> {
  const s = platformString(p);
  return new Map([
    ["BUILDPLATFORM", s], ["BUILDOS", p.os], ["BUILDARCH", p.arch], ["BUILDVARIANT", p.variant ?? ""],
    ["TARGETPLATFORM", s], ["TARGETOS", p.os], ["TARGETARCH", p.arch], ["TARGETVARIANT", p.variant ?? ""],
  ]);
}

function stageRef(value: string, pos: Pos, h: StageHeader, headers: StageHeader[], report: Report, keyword: string): StageOrImage | undefined {
  if (value.includes("$")) {
    report(pos, keyword, `variable expansion is not supported for --from (${value}); define a new stage with FROM using ARG from global scope, and name that stage`);
    return undefined;
  }
  const lower = value.toLowerCase();
  const named = [...headers].reverse().find((o) => o.name === lower);
  if (named) {
    if (named.index >= h.index) {
      report(pos, keyword, `cannot copy from stage ${JSON.stringify(value)}, it needs to be defined before current stage ${JSON.stringify(h.name ?? String(h.index))}; move that stage above this one`);
      return undefined;
    }
    return { kind: "stage", index: named.index };
  }
  if (/^[0-9]+$/.test(value)) {
    const i = Number(value);
    if (i >= h.index) {
      report(pos, keyword, `--from=${value} names stage ${i}, which is not defined before this stage (${h.index}); use the index of an earlier stage`);
      return undefined;
    }
    return { kind: "stage", index: i };
  }
  if (!IMAGE_REF.test(value)) {
    report(pos, keyword, `--from=${value} is neither a stage defined above nor an image reference; name an earlier stage or write [REGISTRY/]NAME[:TAG]`);
    return undefined;
  }
  return { kind: "image", ref: value };
}

// ---- per-stage state ------------------------------------------------------------------------

function cloneConfig(c: ImageConfig): ImageConfig {
  return structuredClone(c);
}

function initialState(h: StageHeader, finals: Map<number, StageState>, opts: ResolveOptions, report: Report, stages: Stage[]): StageState {
  const name = h.name ?? String(h.index);
  if (h.base.kind === "stage") {
    const parent = finals.get(h.base.index)!;
    if (parent.config.onBuild.length > 0)
      report(h.node.pos, "FROM", `stage ${JSON.stringify(stages[h.base.index].name ?? h.base.index)} has ONBUILD triggers, which tupper does not run; move the triggers' instructions into this stage`);
    const config = cloneConfig(parent.config);
    config.onBuild = [];
    return { config, vars: new Map(parent.vars), args: new Set(parent.args), cmdSet: false, name, baseConfigKnown: parent.baseConfigKnown };
  }
  let config = emptyConfig();
  let baseConfigKnown = true;
  if (h.base.kind === "image") {
    const known = opts.baseConfig?.(h.base.ref);
    if (known) config = cloneConfig(known);
    else baseConfigKnown = false;
    if (config.onBuild.length > 0)
      report(h.node.pos, "FROM", `image ${h.base.ref} has ONBUILD triggers, which tupper does not run; use a base image without them, or copy its triggers into the Dockerfile`);
    config.onBuild = [];
  }
  // Docker gives a stage whose base has no PATH the default one; with the base's config unknown,
  // PATH stays unset here and instructions that use it list it in `unset`.
  if (baseConfigKnown && !config.env.some(([k]) => k === "PATH")) config.env.push(["PATH", DEFAULT_PATH]);
  return { config, vars: new Map(config.env), args: new Set(), cmdSet: false, name, baseConfigKnown };
}

function sourceRef(node: Node): SourceRef {
  return { line: node.startLine, endLine: node.endLine, col: node.pos.col, original: node.original };
}

function expand(text: string, lookup: (n: string) => string | undefined, escape: string, report: Report, keyword: string, pos: Pos, extra: Partial<LexOptions> = {}, unset?: Set<string>) {
  try {
    const r = lex(text, lookup, { escape, ...extra });
    if (unset) for (const u of r.unset) unset.add(u);
    return r;
  } catch (e) {
    if (!(e instanceof LexError)) throw e;
    report(pos, keyword, `${e.message} in ${JSON.stringify(text)}; ${hintFor(e.message)}`);
    return undefined;
  }
}

function hintFor(message: string): string {
  if (message.includes("is not allowed to be") || /^[\w]+: /.test(message)) return "give the variable a value (ARG NAME=VALUE, ENV or a build arg)";
  if (message.includes("matching")) return "close the quote";
  return "write $NAME, ${NAME}, ${NAME:-default}, ${NAME:+alt}, ${NAME:?message}, ${NAME#pattern}, ${NAME%pattern} or ${NAME/pattern/replacement}";
}

function argDeclarations(node: Node, report: Report): { name: string; value: string | undefined; pos: Pos; valuePos: Pos }[] {
  if (node.args.form !== "pairs" || node.args.pairs.length === 0) {
    report(node.pos, "ARG", "ARG requires at least one argument; write ARG NAME or ARG NAME=DEFAULT");
    return [];
  }
  const out: { name: string; value: string | undefined; pos: Pos; valuePos: Pos }[] = [];
  for (const p of node.args.pairs) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.key.raw)) {
      report(p.key.pos, "ARG", `${JSON.stringify(p.key.raw)} is not a variable name; use letters, digits and _, not starting with a digit`);
      continue;
    }
    out.push({ name: p.key.raw, value: p.value?.raw, pos: p.key.pos, valuePos: p.value?.pos ?? p.key.pos });
  }
  return out;
}

// ---- instructions ---------------------------------------------------------------------------

function dispatch(node: Node, st: StageState, ctx: DispatchContext): Instruction | undefined {
  const { report, escape } = ctx;
  const unset = new Set<string>();
  const lookup = (n: string) => st.vars.get(n);
  const ex = (w: Word | { raw: string; pos: Pos }, extra: Partial<LexOptions> = {}) => expand(w.raw, lookup, escape, report, node.keyword, w.pos, extra, unset);
  const source = sourceRef(node);
  const done: Done = (i) => ({ ...i, source, unset: [...unset].sort() }) as Instruction;
  const flags = readFlags(node, report);
  switch (node.keyword) {
    case "ARG": {
      const args: { name: string; value: string | undefined }[] = [];
      for (const a of argDeclarations(node, report)) {
        ctx.consumed.add(a.name);
        st.args.add(a.name);
        // A build arg wins, and then the default is not even evaluated (BuildKit).
        let value = ctx.buildArgs.get(a.name);
        if (value === undefined && a.value !== undefined) value = ex({ raw: a.value, pos: a.valuePos })?.word;
        if (value === undefined) value = ctx.globalValues.get(a.name);
        if (value !== undefined) {
          st.vars.delete(a.name);
          st.vars.set(a.name, value);
        }
        args.push({ name: a.name, value });
      }
      return done({ kind: "ARG", args });
    }
    case "ENV":
    case "LABEL": {
      if (node.args.form !== "pairs") return undefined;
      const pairs: [string, string][] = [];
      for (const p of node.args.pairs) {
        // One value for the whole instruction: ENV a=1 b=$a sees the old a.
        const key = ex(p.key)?.word;
        const value = p.value ? ex(p.value)?.word : "";
        if (key === undefined || value === undefined) continue;
        if (key === "") {
          report(p.key.pos, node.keyword, `${node.keyword} names can not be blank; write ${node.keyword} NAME=VALUE`);
          continue;
        }
        if (node.keyword === "ENV" && key.includes("=")) {
          report(p.key.pos, "ENV", `the name ${JSON.stringify(key)} contains =, which no environment variable can; use letters, digits and _`);
          continue;
        }
        pairs.push([key, value]);
      }
      for (const [k, v] of pairs) {
        if (node.keyword === "LABEL") st.config.labels[k] = v;
        else {
          const i = st.config.env.findIndex(([ek]) => ek === k);
          if (i >= 0) st.config.env[i] = [k, v];
          else st.config.env.push([k, v]);
          st.vars.delete(k);
          st.vars.set(k, v);
        }
      }
      return node.keyword === "ENV" ? done({ kind: "ENV", pairs }) : done({ kind: "LABEL", pairs });
    }
    case "MAINTAINER": {
      // Deprecated; Docker records it as the author. tupper keeps it the way Docker suggests: a label.
      const text = node.args.form === "string" ? node.args.text : "";
      if (text === "") {
        report(node.pos, "MAINTAINER", "MAINTAINER requires exactly one argument; better: LABEL org.opencontainers.image.authors=NAME");
        return undefined;
      }
      report(node.pos, "MAINTAINER", "MAINTAINER is deprecated; it is kept as LABEL maintainer=..., write that instead", "warning");
      st.config.labels.maintainer = text;
      return done({ kind: "LABEL", pairs: [["maintainer", text]] });
    }
    case "WORKDIR":
    case "USER":
    case "STOPSIGNAL": {
      if (node.args.form !== "string" || node.args.text === "") {
        report(node.pos, node.keyword, `${node.keyword} requires exactly one argument; write ${node.keyword} ${node.keyword === "WORKDIR" ? "/PATH" : node.keyword === "USER" ? "USER[:GROUP]" : "SIGTERM"}`);
        return undefined;
      }
      const value = ex({ raw: node.args.text, pos: node.args.pos })?.word;
      if (value === undefined) return undefined;
      if (node.keyword === "WORKDIR") {
        if (value === "") {
          report(node.args.pos, "WORKDIR", `WORKDIR ${node.args.text} is empty after substitution; give a path`);
          return undefined;
        }
        const p = value.startsWith("/") ? value : path.posix.join("/", st.config.workingDir || "/", value);
        st.config.workingDir = p;
        return done({ kind: "WORKDIR", path: p });
      }
      if (node.keyword === "USER") {
        if (!/^[^:\s]+(:[^:\s]+)?$/.test(value)) {
          report(node.args.pos, "USER", `${JSON.stringify(value)} is not a user; write USER NAME|UID[:GROUP|GID]`);
          return undefined;
        }
        st.config.user = value;
        return done({ kind: "USER", user: value });
      }
      if (!validSignal(value)) {
        report(node.args.pos, "STOPSIGNAL", `invalid signal: ${value}; write a name such as SIGTERM or SIGQUIT, or a number from 1 to 64`);
        return undefined;
      }
      st.config.stopSignal = value;
      return done({ kind: "STOPSIGNAL", signal: value });
    }
    case "EXPOSE": {
      const words = node.args.form === "list" ? node.args.words : [];
      if (words.length === 0) report(node.pos, "EXPOSE", "EXPOSE requires at least one argument; write EXPOSE PORT[/PROTOCOL]");
      const ports: string[] = [];
      for (const w of words) {
        const r = ex(w, {});
        if (!r) continue;
        for (const spec of r.words) {
          const keys = exposedPorts(spec);
          if (!keys) report(w.pos, "EXPOSE", `invalid port ${JSON.stringify(spec)}; write PORT, PORT/tcp, PORT/udp, PORT/sctp or a range such as 8000-8010/tcp`);
          else for (const k of keys) if (!ports.includes(k)) ports.push(k);
        }
      }
      for (const p of ports) if (!st.config.exposedPorts.includes(p)) st.config.exposedPorts.push(p);
      return done({ kind: "EXPOSE", ports });
    }
    case "VOLUME": {
      const words = node.args.form === "list" || node.args.form === "exec" ? node.args.words : [];
      if (words.length === 0) report(node.pos, "VOLUME", "VOLUME requires at least one argument; write VOLUME /PATH");
      const paths: string[] = [];
      for (const w of words) {
        const v = ex(w)?.word;
        if (v === undefined) continue;
        if (v.trim() === "") report(w.pos, "VOLUME", "VOLUME specified can not be an empty string; give a path");
        else paths.push(v);
      }
      for (const p of paths) if (!st.config.volumes.includes(p)) st.config.volumes.push(p);
      return done({ kind: "VOLUME", paths });
    }
    case "SHELL": {
      if (node.args.form !== "exec") {
        report(node.pos, "SHELL", `SHELL requires the arguments to be in JSON form; write SHELL ["/bin/bash", "-c"]`);
        return undefined;
      }
      if (node.args.words.length === 0) {
        report(node.pos, "SHELL", `SHELL requires at least one argument; write SHELL ["/bin/bash", "-c"]`);
        return undefined;
      }
      st.config.shell = node.args.words.map((w) => w.raw);
      return done({ kind: "SHELL", shell: st.config.shell });
    }
    case "CMD":
    case "ENTRYPOINT": {
      const command = commandOf(node.args, st);
      if (node.keyword === "CMD") {
        st.config.cmd = command.argv;
        st.cmdSet = true;
        return done({ kind: "CMD", command });
      }
      st.config.entrypoint = command.argv;
      // An ENTRYPOINT drops a CMD inherited from the base or the parent stage, not one set in this stage.
      const cmdReset = !st.cmdSet && st.config.cmd !== null;
      if (!st.cmdSet) st.config.cmd = null;
      return done({ kind: "ENTRYPOINT", command, cmdReset });
    }
    case "HEALTHCHECK":
      return healthcheck(node, st, flags, report, done);
    case "RUN":
      return run(node, st, flags, ctx, ex, done);
    case "COPY":
    case "ADD":
      return copy(node, st, flags, ctx, ex, done);
    case "ONBUILD": {
      const sub = node.sub;
      if (!sub) {
        report(node.pos, "ONBUILD", "ONBUILD requires at least one argument; write ONBUILD INSTRUCTION ...");
        return undefined;
      }
      if (sub.keyword === "ONBUILD") {
        report(sub.pos, "ONBUILD", "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed; give one trigger per ONBUILD");
        return undefined;
      }
      if (["FROM", "MAINTAINER"].includes(sub.keyword)) {
        report(sub.pos, "ONBUILD", `${sub.keyword} isn't allowed as an ONBUILD trigger; use another instruction`);
        return undefined;
      }
      if (!(INSTRUCTIONS as readonly string[]).includes(sub.keyword)) {
        report(sub.pos, "ONBUILD", `unknown instruction: ${sub.written}; ${closest(sub.keyword, INSTRUCTIONS) ? `did you mean ${closest(sub.keyword, INSTRUCTIONS)}?` : "use a Dockerfile instruction"}`);
        return undefined;
      }
      // Kept as a trigger in the image's config, as Docker does; tupper never runs triggers (FROM refuses them).
      const trigger = sub.line.text.slice(sub.line.text.indexOf(sub.written)).trim();
      st.config.onBuild.push(trigger);
      return done({ kind: "ONBUILD", trigger });
    }
    default:
      return undefined;
  }
}

const SIGNALS = ["ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL", "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ"];

function validSignal(s: string): boolean {
  if (/^[0-9]+$/.test(s)) return Number(s) >= 1 && Number(s) <= 64;
  const name = s.toUpperCase().replace(/^SIG/, "");
  return SIGNALS.includes(name) || /^RTMIN(\+([1-9]|1[0-5]))?$/.test(name) || /^RTMAX(-([1-9]|1[0-4]))?$/.test(name);
}

/** `[ip:][hostport:]port[-end][/proto]` → container port keys such as 80/tcp (Docker's nat.ParsePortSpecs). */
function exposedPorts(spec: string): string[] | undefined {
  const m = /^(?:(?:\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(?:[0-9]*(?:-[0-9]+)?:)?([0-9]+)(?:-([0-9]+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > 65535 || end > 65535 || end < start) return undefined;
  const proto = (m[3] ?? "tcp").toLowerCase();
  const out: string[] = [];
  for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  return out;
}

/** Go's time.ParseDuration, in nanoseconds. */
export function parseGoDuration(s: string): number | undefined {
  const units: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  if (s === "0") return 0;
  const re = /([0-9]*\.?[0-9]+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  const body = s.replace(/^[+]/, "");
  for (let m = re.exec(body); m; m = re.exec(body)) {
    total += Number(m[1]) * units[m[2]];
    matched = re.lastIndex;
  }
  return matched === body.length && body.length > 0 ? Math.round(total) : undefined;
}

function healthcheck(node: Node, st: StageState, flags: FlagValues, report: Report, done: Done): Instruction | undefined {
  const type = node.args.form === "string" ? node.args.text.toUpperCase() : "";
  if (type === "NONE") {
    if (node.sub) report(node.sub.pos, "HEALTHCHECK", "HEALTHCHECK NONE takes no arguments; remove them");
    if (node.flags.length > 0) report(node.flags[0].pos, "HEALTHCHECK", "HEALTHCHECK NONE takes no options; remove them");
    const hc: HealthcheckConfig = { test: ["NONE"], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
    st.config.healthcheck = hc;
    return done({ kind: "HEALTHCHECK", healthcheck: hc });
  }
  if (type === "") {
    report(node.pos, "HEALTHCHECK", "HEALTHCHECK requires an argument; write HEALTHCHECK CMD COMMAND or HEALTHCHECK NONE");
    return undefined;
  }
  if (type !== "CMD") {
    report(node.args.form === "string" ? node.args.pos : node.pos, "HEALTHCHECK", `Unknown type ${JSON.stringify(type)} in HEALTHCHECK; write HEALTHCHECK CMD COMMAND or HEALTHCHECK NONE`);
    return undefined;
  }
  if (!node.sub || (node.sub.args.form === "exec" && node.sub.args.words.length === 0)) {
    report(node.pos, "HEALTHCHECK", "Missing command after HEALTHCHECK CMD; write HEALTHCHECK CMD COMMAND");
    return undefined;
  }
  const args = node.sub.args;
  const test = args.form === "exec" ? ["CMD", ...args.words.map((w) => w.raw)] : ["CMD-SHELL", args.form === "shell" ? args.text : ""];
  const duration = (name: string): number => {
    const f = flags.one.get(name);
    if (!f) return 0;
    const ns = parseGoDuration(f.value);
    if (ns === undefined) {
      report(f.pos, "HEALTHCHECK", `--${name}=${f.value} is not a duration; write a number with a unit: 500ms, 30s, 1m30s`);
      return 0;
    }
    if (ns !== 0 && ns < 1e6) report(f.pos, "HEALTHCHECK", `--${name} cannot be less than 1ms; use 1ms or more (or 0 for the default)`);
    return ns;
  };
  let retries = 0;
  const r = flags.one.get("retries");
  if (r) {
    if (!/^[0-9]+$/.test(r.value)) report(r.pos, "HEALTHCHECK", `--retries=${r.value} is not a number; write --retries=3`);
    else retries = Number(r.value);
  }
  const hc: HealthcheckConfig = { test, interval: duration("interval"), timeout: duration("timeout"), startPeriod: duration("start-period"), startInterval: duration("start-interval"), retries };
  st.config.healthcheck = hc;
  return done({ kind: "HEALTHCHECK", healthcheck: hc });
}
