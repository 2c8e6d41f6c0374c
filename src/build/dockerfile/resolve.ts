// Parsed instructions → stages of resolved instructions, the way BuildKit's dockerfile2llb
// dispatches them: variable substitution in the instructions Docker substitutes in (FROM with
// global ARGs only; ENV, LABEL, ARG defaults, WORKDIR, USER, VOLUME, STOPSIGNAL, EXPOSE, COPY/ADD
// paths and --chown/--chmod/--checksum, RUN --mount values), ARG scoping, ENV, SHELL, the
// ENTRYPOINT/CMD rules, and the stage graph pruned to what the target needs.
// Every problem becomes a positioned diagnostic; nothing throws.
import path from "node:path";
import { sortDiagnostics, type Diagnostic } from "../../spec/diagnostics.js";
import { closest } from "../../spec/suggest.js";
import { patternError } from "../dockerignore.js";
import { INSTRUCTIONS, parseDockerfile, type Args, type Node, type ParsedDockerfile, type Pos, type Word } from "./parse.js";
import { lex, LexError, type LexOptions } from "./shell.js";
import {
  DEFAULT_PATH, DEFAULT_SHELL, emptyConfig, type Base, type Build, type Command, type CopyFields, type CopySource,
  type HealthcheckConfig, type ImageConfig, type Instruction, type Mount, type Platform, type SourceRef, type Stage, type StageOrImage,
} from "./model.js";

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

/** Names Docker passes to RUN from build args even when no ARG declares them (any case). */
export const PROXY_ARGS = ["HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"];

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

// ---- flags ----------------------------------------------------------------------------------

type FlagKind = "string" | "bool" | "strings";
const FLAGS: Record<string, Record<string, FlagKind>> = {
  FROM: { platform: "string" },
  RUN: { mount: "strings", network: "string", security: "string", device: "strings" },
  COPY: { from: "string", chown: "string", chmod: "string", link: "bool", exclude: "strings", parents: "bool" },
  ADD: { chown: "string", chmod: "string", link: "bool", exclude: "strings", checksum: "string", "keep-git-dir": "bool", unpack: "bool" },
  HEALTHCHECK: { interval: "string", timeout: "string", "start-period": "string", "start-interval": "string", retries: "string" },
};

interface FlagValues {
  strings: Map<string, { value: string; pos: Pos }[]>;
  one: Map<string, { value: string; pos: Pos }>;
  bools: Map<string, { value: boolean; pos: Pos }>;
}

// BuildKit's bflag.go: `--name=value`, booleans may be bare, each flag at most once unless a list.
function readFlags(node: Node, report: Report): FlagValues {
  const known = FLAGS[node.keyword] ?? {};
  const out: FlagValues = { strings: new Map(), one: new Map(), bools: new Map() };
  for (const f of node.flags) {
    const kind = known[f.name];
    if (!kind) {
      const names = Object.keys(known);
      const hint = closest(f.name, names);
      report(f.pos, node.keyword, `unknown flag: --${f.name}; ${hint ? `did you mean --${hint}?` : names.length ? `${node.keyword} takes ${names.map((n) => `--${n}`).join(", ")}` : `${node.keyword} takes no flags`}`);
      continue;
    }
    if (kind === "bool") {
      if (out.bools.has(f.name)) report(f.pos, node.keyword, `duplicate flag specified: --${f.name}; give it once`);
      const v = f.value === undefined ? "true" : f.value.toLowerCase();
      if (v !== "true" && v !== "false") report(f.valuePos, node.keyword, `expecting boolean value for flag --${f.name}, not: ${f.value}; write --${f.name} or --${f.name}=false`);
      out.bools.set(f.name, { value: v === "true", pos: f.pos });
      continue;
    }
    if (f.value === undefined) {
      report(f.pos, node.keyword, `missing a value on flag --${f.name}; write --${f.name}=VALUE`);
      continue;
    }
    if (kind === "strings") {
      const list = out.strings.get(f.name) ?? [];
      list.push({ value: f.value, pos: f.valuePos });
      out.strings.set(f.name, list);
    } else {
      if (out.one.has(f.name)) report(f.pos, node.keyword, `duplicate flag specified: --${f.name}; give it once`);
      out.one.set(f.name, { value: f.value, pos: f.valuePos });
    }
  }
  return out;
}

type Report = (pos: Pos, path: string, message: string, severity?: "error" | "warning") => void;

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

interface StageState {
  config: ImageConfig;
  /** The variables instructions see: the base's Env, then ENV and valued ARGs in order. */
  vars: Map<string, string>;
  /** ARGs the stage declared (a child stage inherits its parent's). */
  args: Set<string>;
  cmdSet: boolean;
  name: string;
  baseConfigKnown: boolean;
}

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

interface DispatchContext {
  escape: string;
  globalValues: Map<string, string>;
  buildArgs: Map<string, string>;
  consumed: Set<string>;
  refs: Map<string, StageOrImage>;
  report: Report;
  platform: Platform;
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

function commandOf(args: Args, st: StageState): Command {
  if (args.form === "exec") return { form: "exec", argv: args.words.map((w) => w.raw) };
  const script = args.form === "shell" ? args.text : "";
  const shell = st.config.shell ?? DEFAULT_SHELL;
  return { form: "shell", script, shell: [...shell], argv: [...shell, script] };
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

/** An instruction without its source and unset list (added by dispatch). */
type Body = Instruction extends infer I ? (I extends Instruction ? Omit<I, "source" | "unset"> : never) : never;
type Done = (i: Body) => Instruction;

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

type Expander = (w: { raw: string; pos: Pos }, extra?: Partial<LexOptions>) => { word: string; words: string[] } | undefined;

/** Fields of a --mount value: CSV, `key=value` or a bare key. */
export function csvFields(value: string): [string, string | undefined][] {
  const out: [string, string | undefined][] = [];
  let field = "";
  let quoted = false;
  const push = () => {
    const eq = field.indexOf("=");
    out.push(eq < 0 ? [field.trim().toLowerCase(), undefined] : [field.slice(0, eq).trim().toLowerCase(), field.slice(eq + 1)]);
    field = "";
  };
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '"') {
      if (quoted && value[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = !quoted;
    } else if (ch === "," && !quoted) push();
    else field += ch;
  }
  push();
  return out;
}

/** A heredoc's name becomes a file name (COPY's file, RUN's /dev/pipes/NAME): one plain path component. */
function heredocFileName(name: string, pos: Pos, keyword: string, report: Report): boolean {
  if (/^[^/\0]+$/.test(name) && name !== "." && name !== "..") return true;
  report(pos, keyword, `the heredoc name ${JSON.stringify(name)} becomes a file name, so it cannot hold / or be . or ..; name it like EOF or config.txt`);
  return false;
}

function run(node: Node, st: StageState, flags: FlagValues, ctx: DispatchContext, ex: Expander, done: Done): Instruction | undefined {
  const { report } = ctx;
  if (node.args.form === "exec" && node.args.words.length === 0) {
    report(node.pos, "RUN", "RUN needs a command; write RUN COMMAND or RUN [\"EXECUTABLE\", \"ARG\"]");
    return undefined;
  }
  if (node.args.form === "shell" && node.args.text === "") {
    report(node.pos, "RUN", "RUN needs a command; write RUN COMMAND");
    return undefined;
  }
  let network: "default" | "none" = "default";
  const net = flags.one.get("network");
  if (net) {
    if (net.value === "none") network = "none";
    else if (net.value === "host") report(net.pos, "RUN", "--network=host needs Docker's network.host entitlement and would give the build the host's network; tupper builds on a bridge or none: use --network=default or --network=none");
    else if (net.value !== "default") report(net.pos, "RUN", `unsupported network mode: ${net.value}; use --network=default or --network=none`);
  }
  const sec = flags.one.get("security");
  if (sec && sec.value !== "sandbox") report(sec.pos, "RUN", `--security=${sec.value} would give the step every capability and no masked paths; tupper runs every step sandboxed: remove the flag`);
  for (const d of flags.strings.get("device") ?? []) report(d.pos, "RUN", `--device=${d.value}: CDI devices are not supported in builds; remove the flag`);
  const mounts: Mount[] = [];
  for (const m of flags.strings.get("mount") ?? []) {
    const mount = parseMount(m.value, m.pos, st, ctx, ex);
    if (mount) mounts.push(mount);
  }
  let command = commandOf(node.args, st);
  const files: { name: string; content: string; fd?: number }[] = node.heredocs.map((h) => ({ name: h.name, content: h.content, ...(h.fd !== undefined ? { fd: h.fd } : {}) }));
  if (command.form === "shell" && node.heredocs.length > 0) {
    // BuildKit's dispatchRun: a command that is one heredoc runs its body (a body starting with #!
    // is written to /dev/pipes/NAME, mode 0755, and run); otherwise the bodies follow the line for
    // the shell to read as here-documents.
    const only = node.heredocs.length === 1 && /^[0-9]*<<-?\S+$/.test(command.script.trim()) ? node.heredocs[0] : undefined;
    let script: string;
    if (only && only.content.startsWith("#!")) {
      if (!heredocFileName(only.name, only.pos, "RUN", report)) return undefined;
      script = `/dev/pipes/${only.name}`;
    }
    else if (only) script = only.content;
    else script = command.script + node.heredocs.map((h) => `\n${h.content}${h.name}`).join("");
    command = { form: "shell", script, shell: command.shell, argv: [...command.shell, script] };
  }
  // The proxy build args reach every RUN even when no ARG declares them, and stay out of the cache key.
  const proxyEnv: [string, string][] = [...ctx.buildArgs].filter(([k]) => PROXY_ARGS.includes(k.toUpperCase()) && !st.vars.has(k));
  return done({ kind: "RUN", command, mounts, network, env: [...st.vars.entries()], proxyEnv, user: st.config.user, workingDir: st.config.workingDir, heredocs: files });
}

function parseMount(value: string, pos: Pos, st: StageState, ctx: DispatchContext, ex: Expander): Mount | undefined {
  const { report } = ctx;
  const bad = (msg: string) => {
    report(pos, "RUN", msg);
    return undefined;
  };
  const fields = new Map<string, string | undefined>();
  for (const [k, raw] of csvFields(value)) {
    if (k === "") continue;
    // values are substituted, except from= (a stage name or image, fixed before any stage runs)
    const v = raw === undefined || k === "from" ? raw : ex({ raw, pos })?.word;
    fields.set(k === "dst" || k === "destination" ? "target" : k === "src" ? "source" : k === "ro" ? "readonly" : k === "rw" ? "readwrite" : k, v);
  }
  const type = fields.get("type") ?? "bind";
  const allowed: Record<string, string[]> = {
    bind: ["type", "target", "source", "from", "readonly", "readwrite"],
    cache: ["type", "target", "source", "from", "readonly", "readwrite", "id", "sharing", "mode", "uid", "gid"],
    tmpfs: ["type", "target", "size"],
    secret: ["type", "target", "id", "env", "required", "mode", "uid", "gid"],
  };
  if (type === "ssh") return bad("--mount=type=ssh forwards an SSH agent into the build, which tupper does not do; fetch with a secret mount (type=secret) instead");
  if (!allowed[type]) return bad(`unsupported mount type ${JSON.stringify(type)}; use type=bind, cache, tmpfs or secret`);
  for (const k of fields.keys())
    if (!allowed[type].includes(k)) return bad(`unexpected key '${k}' in '${value}' for a ${type} mount; use ${allowed[type].join(", ")}`);
  const bool = (k: string, dflt: boolean): boolean => {
    if (!fields.has(k)) return dflt;
    const v = fields.get(k);
    return v === undefined || v.toLowerCase() === "true";
  };
  const num = (k: string, dflt: number, base = 10): number | undefined => {
    const v = fields.get(k);
    if (v === undefined) return dflt;
    const re = base === 8 ? /^0?[0-7]{1,4}$/ : /^[0-9]+$/;
    if (!re.test(v)) {
      report(pos, "RUN", `--mount ${k}=${v} is not a ${base === 8 ? "mode in octal" : "number"}; write ${k}=${base === 8 ? "0755" : "1000"}`);
      return undefined;
    }
    return parseInt(v, base);
  };
  const cleanTarget = (t: string | undefined): string | undefined => {
    if (t === undefined || t === "") return undefined;
    const abs = t.startsWith("/") ? path.posix.normalize(t) : path.posix.join(st.config.workingDir || "/", t);
    return abs.length > 1 ? abs.replace(/\/$/, "") : abs;
  };
  const target = cleanTarget(fields.get("target"));
  if (target === "/") return bad("invalid mount target \"/\"; mount somewhere below the root");
  const fromRaw = fields.get("from");
  const from = fromRaw === undefined ? undefined : ctx.refs.get(fromRaw);
  if (fromRaw !== undefined && !from) return undefined; // reported with the stage graph
  const source = path.posix.normalize("/" + (fields.get("source") ?? "")).replace(/^\/+/, "") || ".";
  switch (type) {
    case "bind":
      if (!target) return bad("--mount=type=bind needs a target; write target=/PATH");
      if (bool("readonly", false) && bool("readwrite", false)) return bad("a mount cannot be both readonly and readwrite; keep one");
      return { type: "bind", target, source, ...(from ? { from } : {}), readwrite: bool("readwrite", false) };
    case "cache": {
      if (!target) return bad("--mount=type=cache needs a target; write target=/PATH");
      const sharing = fields.get("sharing") ?? "shared";
      if (sharing !== "shared" && sharing !== "private" && sharing !== "locked") return bad(`unsupported sharing value ${JSON.stringify(sharing)}; use shared, private or locked`);
      const mode = num("mode", 0o755, 8);
      const uid = num("uid", 0);
      const gid = num("gid", 0);
      if (mode === undefined || uid === undefined || gid === undefined) return undefined;
      return { type: "cache", target, id: fields.get("id") || target, sharing, ...(fields.has("source") ? { source } : {}), ...(from ? { from } : {}), readonly: bool("readonly", false), mode, uid, gid };
    }
    case "tmpfs": {
      if (!target) return bad("--mount=type=tmpfs needs a target; write target=/PATH");
      const size = fields.get("size");
      if (size !== undefined && !/^[0-9]+[kKmMgG]?[bB]?$/.test(size)) return bad(`--mount size=${size} is not a size; write size=64m`);
      const bytes = size === undefined ? undefined : parseInt(size, 10) * ({ k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[size.replace(/[0-9bB]/g, "").toLowerCase()] ?? 1);
      return { type: "tmpfs", target, ...(bytes !== undefined ? { size: bytes } : {}) };
    }
    default: {
      const id = fields.get("id") || (target ? path.posix.basename(target) : "");
      const env = fields.get("env");
      if (id === "") return bad("--mount=type=secret needs an id or a target; write id=NAME");
      if (!/^[A-Za-z0-9_.-]+$/.test(id)) return bad(`secret id ${JSON.stringify(id)} may only hold letters, digits, _, . and -; rename it`);
      if (env !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(env)) return bad(`env=${env} is not a variable name; write env=NAME`);
      const mode = num("mode", 0o400, 8);
      const uid = num("uid", 0);
      const gid = num("gid", 0);
      if (mode === undefined || uid === undefined || gid === undefined) return undefined;
      const dflt = env === undefined ? `/run/secrets/${id}` : undefined;
      const t = target ?? dflt;
      return { type: "secret", id, ...(t ? { target: t } : {}), ...(env ? { env } : {}), required: bool("required", false), mode, uid, gid };
    }
  }
}

const isURL = (s: string) => /^https?:\/\//i.test(s);
const isGit = (s: string) => /^(git@|git:\/\/|ssh:\/\/|github\.com\/)/.test(s) || (isURL(s) && /\.git(#.*)?$/.test(s.split("?")[0]));

function copy(node: Node, st: StageState, flags: FlagValues, ctx: DispatchContext, ex: Expander, done: Done): Instruction | undefined {
  const { report } = ctx;
  const kind = node.keyword as "COPY" | "ADD";
  const words = node.args.form === "list" || node.args.form === "exec" ? node.args.words : [];
  if (words.length < 2) {
    report(words[0]?.pos ?? node.pos, kind, `${kind} requires at least two arguments, but only ${words.length === 0 ? "none was" : "one was"} provided. Destination could not be determined; write ${kind} SOURCE... DEST`);
    return undefined;
  }
  for (const b of ["parents", "keep-git-dir"]) {
    const f = flags.bools.get(b);
    if (f?.value) report(f.pos, kind, b === "parents" ? "--parents is not supported; copy each directory to its destination" : "--keep-git-dir: ADD of a git repository is not supported; clone it in a RUN step, or ADD a release tarball");
  }
  const heredocs = new Map(node.heredocs.map((h) => [h.name, h]));
  const sources: CopySource[] = [];
  const destWord = words.at(-1)!;
  if (/^[0-9]*<<-?\S/.test(destWord.raw) && heredocs.size > 0) {
    report(destWord.pos, kind, `${kind} cannot accept a heredoc as destination; name a path`);
    return undefined;
  }
  for (const w of words.slice(0, -1)) {
    const m = /^[0-9]*<<-?(.+)$/.exec(w.raw);
    const doc = m ? [...heredocs.values()].find((h) => w.raw.endsWith(h.name) || m[1].replace(/['"]/g, "") === h.name) : undefined;
    if (doc) {
      if (!heredocFileName(doc.name, doc.pos, kind, report)) continue;
      // The body is substituted when the delimiter was not quoted; quotes in it are not special.
      const content = doc.expand ? ex({ raw: doc.content, pos: doc.pos }, { skipProcessQuotes: true })?.word : doc.content;
      if (content !== undefined) sources.push({ kind: "heredoc", name: doc.name, content });
      continue;
    }
    const v = ex(w)?.word;
    if (v === undefined) continue;
    if (isGit(v)) {
      report(w.pos, kind, `${v} is a git repository; tupper does not fetch git sources: clone it in a RUN step, or ADD a release tarball over https`);
      continue;
    }
    if (isURL(v)) {
      if (kind === "COPY") report(w.pos, kind, `source can't be a URL for COPY; use ADD ${v}`);
      else if (!/^https:\/\//i.test(v)) report(w.pos, kind, `${v} is plain http; use an https URL (with --checksum=sha256:...) so the download is authenticated`);
      else sources.push({ kind: "url", url: v });
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
      report(w.pos, kind, `${v}: only https URLs and paths in the build context can be sources; use one of those`);
      continue;
    }
    // Made absolute from the context root and cleaned, as BuildKit does: `..` cannot leave the root.
    const cleaned = path.posix.normalize("/" + v).replace(/^\/+/, "").replace(/\/+$/, "") || ".";
    sources.push({ kind: "path", path: cleaned });
  }
  const destRaw = ex(destWord)?.word;
  if (destRaw === undefined) return undefined;
  if (destRaw === "") {
    report(destWord.pos, kind, `the destination ${destWord.raw} is empty after substitution; give a path`);
    return undefined;
  }
  const wd = st.config.workingDir || "/";
  const trailing = destRaw.endsWith("/") || destRaw === "." || destRaw.endsWith("/.");
  let dest = destRaw.startsWith("/") ? path.posix.normalize(destRaw) : path.posix.join(wd, destRaw);
  if (trailing && !dest.endsWith("/")) dest += "/";
  if (sources.length > 1 && !dest.endsWith("/"))
    report(destWord.pos, kind, `When using ${kind} with more than one source file, the destination must be a directory and end with a /; write ${destRaw}/`);
  const result: CopyFields = {
    sources, dest, link: flags.bools.get("link")?.value ?? false, exclude: (flags.strings.get("exclude") ?? []).map((e) => e.value), workingDir: wd,
  };
  for (const e of flags.strings.get("exclude") ?? []) {
    const problem = patternError(e.value);
    if (problem) report(e.pos, kind, `--exclude=${e.value}: ${problem}; close every [ with ], or escape it as \\[`);
  }
  const from = flags.one.get("from");
  if (from) {
    const ref = ctx.refs.get(from.value);
    if (ref) result.from = ref;
    if (sources.some((s) => s.kind !== "path")) report(from.pos, kind, "--from copies files from a stage or image; URLs and heredocs cannot be sources with it");
  }
  const chown = flags.one.get("chown");
  if (chown) {
    const v = ex({ raw: chown.value, pos: chown.pos })?.word;
    if (v !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?(:[A-Za-z0-9_][A-Za-z0-9_.-]*\$?)?$/.test(v))
      report(chown.pos, kind, `--chown=${v} is not USER[:GROUP]; write --chown=1000:1000 or --chown=app:app`);
    else if (v !== undefined) result.chown = v;
  }
  const chmod = flags.one.get("chmod");
  if (chmod) {
    const v = ex({ raw: chmod.value, pos: chmod.pos })?.word;
    if (v !== undefined) {
      if (/^[0-7]{1,4}$/.test(v)) result.chmod = { octal: parseInt(v, 8) };
      else if (/^[ugoa]*[-+=][rwxXst]*(,[ugoa]*[-+=][rwxXst]*)*$/.test(v)) result.chmod = { symbolic: v };
      else report(chmod.pos, kind, `invalid chmod parameter: '${v}'; it should be octal string and between 0 and 07777, or symbolic such as u+x,go-w`);
    }
  }
  const checksum = flags.one.get("checksum");
  if (checksum) {
    const v = ex({ raw: checksum.value, pos: checksum.pos })?.word;
    if (v !== undefined) {
      if (sources.length !== 1 || sources[0].kind !== "url") report(checksum.pos, kind, "--checksum works only with one https URL source; remove it, or give a single URL");
      else if (!/^sha256:[0-9a-f]{64}$/.test(v)) report(checksum.pos, kind, `invalid checksum ${JSON.stringify(v)}; write --checksum=sha256:<64 hex digits>`);
      else result.checksum = v;
    }
  }
  const unpack = flags.bools.get("unpack");
  if (unpack) result.unpack = unpack.value;
  if (kind === "ADD" && sources.some((s) => s.kind === "url") && !checksum)
    report(node.pos, kind, "ADD of a URL without --checksum trusts whatever the server sends; add --checksum=sha256:...", "warning");
  return done({ kind, ...result } as Body);
}
