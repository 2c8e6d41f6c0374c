// RUN: the command (shell form wrapped in the stage's SHELL, heredocs as BuildKit runs them), its
// --mount list (values substituted, targets from WORKDIR), --network, and the environment it sees.
import path from "node:path";
import type { Node, Pos } from "./parse.js";
import type { Instruction, Mount } from "./model.js";
import { commandOf, heredocFileName, PROXY_ARGS, type DispatchContext, type Done, type Expander, type FlagValues, type StageState } from "./support.js";

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

export function run(node: Node, st: StageState, flags: FlagValues, ctx: DispatchContext, ex: Expander, done: Done): Instruction | undefined {
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
      // BuildKit takes a bind source literally; tupper's copy of it would match a wildcard,
      // and a symlink matched so would be bound as itself, on the host
      if (/[*?[]/.test(source)) return bad(`--mount=type=bind,source=${source}: a bind source names one file or directory, without * ? or [; name it`);
      return { type: "bind", target, source, ...(from ? { from } : {}), readwrite: bool("readwrite", false) };
    case "cache": {
      if (!target) return bad("--mount=type=cache needs a target; write target=/PATH");
      if (fields.has("source") || fromRaw !== undefined) return bad("--mount=type=cache with from= or source= (a cache seeded from a stage) is not built yet by tupper; drop from= and source=");
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
