// The half of tupper-init's command line that the spec settles, worked out here once instead
// of by bash at every start: literal flags in each service's section of the script, a line
// per spec key, with that key in the line's comment (one key changed, one line changed).
// helper_args adds the other half, what only the host and the verb know (the root and its
// layers, the /etc files, the volumes' host paths, the network, the hostname, the device
// cgroup, the user, the terminal), and the flags of the keys whose svc_* value other phases
// read too (domainname, devices, init, pid).
import type { ServicePlan } from "../model/plan.js";
import { ruleText } from "../model/seccomp.js";
import { describe, describeWith } from "./describe.js";
import { comment, type Comment, shNumber, shOption, shWord, type Word } from "./quote.js";

/** One line of an array of flags: comment lines above it, then its words with a comment
 *  after them, or (words empty) only that comment: the key asks for no flag. */
export interface FlagLine {
  commentsAbove: Comment[];
  words: Word[];
  comment: Comment;
}

/** A tupper-init option, checked by shOption when it becomes a word. */
type OptionName = `--${string}`;
/** Options and quoted values as words: nothing raw gets through (a value is a Word already). */
const flags = (...words: (OptionName | Word)[]): Word[] => words.map((w) => (isOption(w) ? shOption(w) : w));
const isOption = (w: OptionName | Word): w is OptionName => w.startsWith("--");
const line = (comment: Comment, words: Word[], commentsAbove: Comment[] = []): FlagLine => ({ commentsAbove, words, comment });

/** svc_settled: the container's root filesystem, mounts and kernel settings. */
export function settledFlags(s: ServicePlan): FlagLine[] {
  const out: FlagLine[] = [];
  out.push(line(describe(s.readOnly, "false: the root filesystem is writable"), s.readOnly.enabled ? flags("--read-only") : []));
  for (const t of s.tmpfs) out.push(line(describe(t, ""), flags("--tmpfs", shWord(t.target), shWord(t.options))));
  const map = s.userns.map;
  if (map === null) out.push(line(describe(s.userns, "the host's user namespace: container root is host root, as in Docker"), []));
  else {
    const words = flags("--userns", shNumber(map.hostUid), shNumber(map.hostGid), shNumber(map.size));
    // Root in a user namespace of its own has no capability over the network namespace, which
    // the host's user namespace owns: as Docker's defaults do, any user binds ports below 1024
    // and pings. The spec's sysctls come after, and win. (A shared network is the peer's to set.)
    if (s.network.mode !== "service") {
      words.push(...flags("--sysctl", shWord("net.ipv4.ip_unprivileged_port_start"), shWord("0")));
      words.push(...flags("--sysctl", shWord("net.ipv4.ping_group_range"), shWord("0 2147483647")));
    }
    const why = s.network.mode !== "service" ? ["with Docker's sysctls for a user namespace: ports below 1024 and ping for any user"] : [];
    out.push(line(describeWith(s.userns, "", why), words));
  }
  for (const c of s.sysctls) out.push(line(describe(c, ""), flags("--sysctl", shWord(c.name), shWord(c.value))));
  out.push(line(describe(s.shm, "64m, as Docker's"), flags("--shm-size", shNumber(s.shm.bytes))));
  out.push(line(describe(s.oomScoreAdj, "the host's (0)"), s.oomScoreAdj.value === null ? [] : flags("--oom-score-adj", shNumber(s.oomScoreAdj.value))));
  return out;
}

/**
 * svc_confine: how tupper-init confines the workload, its health checks and exec alike. The
 * capabilities are always spelled out; the rest is Docker's default (no_new_privs, the
 * seccomp filter, masked /proc paths) unless security_opt lifts it. privileged, last, lifts
 * it all (a later --caps and --seccomp win; no_new_privs too, unless security_opt turns it on).
 */
export function confineFlags(s: ServicePlan): FlagLine[] {
  const out: FlagLine[] = [];
  const capsWhy = comment(
    `${s.capabilities.add.key}: ${s.capabilities.add.written ?? "not set"}; ${s.capabilities.drop.key}: ${s.capabilities.drop.written ?? "not set"} (the capabilities the workload keeps: Docker's default 14, then cap_drop, then cap_add)`,
  );
  out.push(line(capsWhy, flags("--caps", shWord(s.capabilities.kept === "ALL" ? "ALL" : s.capabilities.kept.join(",")))));
  const security = describeWith(s.securityOpt, "no-new-privileges, tupper's default seccomp filter, masked /proc paths", s.securityOpt.accepted);
  const words: Word[] = [];
  if (s.securityOpt.noNewPrivileges === false) words.push(...flags("--new-privileges"));
  if (!s.securityOpt.maskPaths) words.push(...flags("--unmasked-paths"));
  const profile = s.seccompProfile;
  if (s.securityOpt.seccomp === "profile" && profile !== null) {
    words.push(...flags("--seccomp-default", shWord(profile.defaultAction)));
    const skipped = profile.unknownNames.length ? `; names x86_64 has no syscall for, skipped: ${profile.unknownNames.join(" ")}` : "";
    const about = wrapComment(`seccomp profile ${profile.path}, for x86_64 and this service's capabilities: default ${profile.defaultAction}, ${profile.rules.length} rules${skipped}`);
    out.push(line(security, words, about));
    for (const r of profile.rules) {
      const what = `${r.action}${r.conditions.length ? ` if ${r.conditions.join(" and ")}` : ""}${r.minKernel ? ` (Linux ${r.minKernel} and later)` : ""}: ${r.names.join(" ")}`;
      const lines = wrapComment(what);
      out.push(line(comment(`(${s.securityOpt.key}: seccomp rule)`), flags("--seccomp-rule", shWord(ruleText(r))), lines));
    }
  } else {
    if (s.securityOpt.seccomp === "unconfined") words.push(...flags("--seccomp", shWord("unconfined")));
    out.push(line(security, words));
  }
  for (const u of s.ulimits) out.push(line(describe(u, ""), flags("--rlimit", shWord(u.name), shWord(u.soft), shWord(u.hard))));
  if (s.privileged.enabled) {
    const priv = flags("--caps", shWord("ALL"), "--seccomp", shWord("unconfined"), "--unmasked-paths", "--writable-sys");
    // no_new_privs off too, unless security_opt says no-new-privileges (false: said above)
    if (s.securityOpt.noNewPrivileges === null) priv.push(...flags("--new-privileges"));
    out.push(line(describeWith(s.privileged, "", ["every capability, no seccomp filter, /proc unmasked, /sys writable, every device"]), priv));
  } else out.push(line(describe(s.privileged, "false"), []));
  return out;
}

/** Words of TEXT gathered into comment lines of at most about 100 characters. */
function wrapComment(text: string): Comment[] {
  const lines: string[] = [];
  for (const word of text.split(" ")) {
    if (lines.length > 0 && lines[lines.length - 1]!.length + word.length < 100) lines[lines.length - 1] += ` ${word}`;
    else lines.push(lines.length === 0 ? word : `  ${word}`);
  }
  return lines.map(comment);
}
