// What the instruction resolvers share: flags, the stage's state, how a resolved instruction is
// finished, and the small rules more than one instruction needs.
import type { Args, Node, Pos } from "./parse.js";
import type { LexOptions } from "./shell.js";
import { closest } from "../../spec/suggest.js";
import { DEFAULT_SHELL, type Command, type ImageConfig, type Instruction, type Platform, type StageOrImage } from "./model.js";

/** Names Docker passes to RUN from build args even when no ARG declares them (any case). */
export const PROXY_ARGS = ["HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"];

// ---- flags ----------------------------------------------------------------------------------

type FlagKind = "string" | "bool" | "strings";
const FLAGS: Record<string, Record<string, FlagKind>> = {
  FROM: { platform: "string" },
  RUN: { mount: "strings", network: "string", security: "string", device: "strings" },
  COPY: { from: "string", chown: "string", chmod: "string", link: "bool", exclude: "strings", parents: "bool" },
  ADD: { chown: "string", chmod: "string", link: "bool", exclude: "strings", checksum: "string", "keep-git-dir": "bool", unpack: "bool" },
  HEALTHCHECK: { interval: "string", timeout: "string", "start-period": "string", "start-interval": "string", retries: "string" },
};

export interface FlagValues {
  strings: Map<string, { value: string; pos: Pos }[]>;
  one: Map<string, { value: string; pos: Pos }>;
  bools: Map<string, { value: boolean; pos: Pos }>;
}

// BuildKit's bflag.go: `--name=value`, booleans may be bare, each flag at most once unless a list.
export function readFlags(node: Node, report: Report): FlagValues {
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

export type Report = (pos: Pos, path: string, message: string, severity?: "error" | "warning") => void;

export interface StageState {
  config: ImageConfig;
  /** The variables instructions see: the base's Env, then ENV and valued ARGs in order. */
  vars: Map<string, string>;
  /** ARGs the stage declared (a child stage inherits its parent's). */
  args: Set<string>;
  cmdSet: boolean;
  name: string;
  baseConfigKnown: boolean;
}

export interface DispatchContext {
  escape: string;
  globalValues: Map<string, string>;
  buildArgs: Map<string, string>;
  consumed: Set<string>;
  refs: Map<string, StageOrImage>;
  report: Report;
  platform: Platform;
}

/** An instruction without its source and unset list (added by dispatch). */
export type Body = Instruction extends infer I ? (I extends Instruction ? Omit<I, "source" | "unset"> : never) : never;
export type Done = (i: Body) => Instruction;

export type Expander = (w: { raw: string; pos: Pos }, extra?: Partial<LexOptions>) => { word: string; words: string[] } | undefined;


export function commandOf(args: Args, st: StageState): Command {
  if (args.form === "exec") return { form: "exec", argv: args.words.map((w) => w.raw) };
  const script = args.form === "shell" ? args.text : "";
  const shell = st.config.shell ?? DEFAULT_SHELL;
  return { form: "shell", script, shell: [...shell], argv: [...shell, script] };
}

/** A heredoc's name becomes a file name (COPY's file, RUN's /dev/pipes/NAME): one plain path component. */
export function heredocFileName(name: string, pos: Pos, keyword: string, report: Report): boolean {
  if (/^[^/\0]+$/.test(name) && name !== "." && name !== "..") return true;
  report(pos, keyword, `the heredoc name ${JSON.stringify(name)} becomes a file name, so it cannot hold / or be . or ..; name it like EOF or config.txt`);
  return false;
}
