// COPY and ADD: sources (context or --from paths cleaned inside their root, https URLs, heredoc
// files), the destination from WORKDIR, and --from, --chown, --chmod, --link, --exclude, --checksum.
import path from "node:path";
import type { Node } from "./parse.js";
import type { CopyFields, CopySource, Instruction } from "./model.js";
import { patternError } from "../dockerignore.js";
import { heredocFileName, type Body, type DispatchContext, type Done, type Expander, type FlagValues, type StageState } from "./support.js";

const isURL = (s: string) => /^https?:\/\//i.test(s);
const isGit = (s: string) => /^(git@|git:\/\/|ssh:\/\/|github\.com\/)/.test(s) || (isURL(s) && /\.git(#.*)?$/.test(s.split("?")[0]));

export function copy(node: Node, st: StageState, flags: FlagValues, ctx: DispatchContext, ex: Expander, done: Done): Instruction | undefined {
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
  // each URL is downloaded into a context of its own (build_download), which the copy then reads
  if (sources.some((s) => s.kind === "url") && sources.some((s) => s.kind !== "url"))
    report(words[0].pos, kind, "ADD of URLs and of other sources in one instruction is not built yet by tupper; write one ADD for each");
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
      // chmod(1)'s clauses, as tupper-init's chmod.c applies them to each file's own mode
      else if (/^[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+(?:,[ugoa]*(?:[-+=](?:[rwxXst]*|[ugo]))+)*$/.test(v) && v.length <= 256) result.chmod = { symbolic: v };
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
  if (unpack?.value === true && sources.some((s) => s.kind === "url"))
    report(unpack.pos, kind, "--unpack=true of a downloaded archive is not built by tupper (it keeps what it downloads as a file, as Docker does by default); ADD it, then RUN tar -x");
  if (kind === "ADD" && sources.some((s) => s.kind === "url") && !checksum)
    report(node.pos, kind, "ADD of a URL without --checksum trusts whatever the server sends; add --checksum=sha256:...", "warning");
  return done({ kind, ...result } as Body);
}
