// The security keys of a service: capabilities, security_opt, tmpfs, sysctls, ulimits.
// Pure functions, shared by validation (which reports what does not parse) and normalisation.
import type { Parsed } from "./units.js";

/** Every capability tupper-init knows, in the kernel's order (linux/capability.h). */
export const CAPABILITIES = [
  "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
  "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
  "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
  "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
  "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
  "CHECKPOINT_RESTORE",
] as const;

/** Docker's default set (moby's caps.DefaultCapabilities). */
export const DOCKER_DEFAULT_CAPS = [
  "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP",
  "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
];

/** "cap_net_admin", "NET_ADMIN" or "all" → NET_ADMIN / ALL, as Docker accepts them. */
export function parseCapability(raw: string): Parsed<string> {
  const name = raw.toUpperCase().replace(/^CAP_/, "");
  if (name === "ALL" || (CAPABILITIES as readonly string[]).includes(name)) return { ok: true, value: name };
  return { ok: false, why: `${JSON.stringify(raw)} is not a Linux capability` };
}

/**
 * Docker's rules (moby's caps.TweakCapabilities; privileged, which keeps all, is applied by the
 * script): cap_add ALL keeps all but what cap_drop names; cap_drop ALL keeps only what cap_add
 * names; else default - drop + add. Returns the kept capabilities in the kernel's order, or "ALL".
 */
export function resolveCapabilities(add: string[], drop: string[]): string[] | "ALL" {
  if (add.includes("ALL") && drop.length === 0) return "ALL";
  let kept: Set<string>;
  if (add.includes("ALL")) kept = new Set(CAPABILITIES.filter((c) => !drop.includes(c)));
  else if (drop.includes("ALL")) kept = new Set(add);
  else kept = new Set([...DOCKER_DEFAULT_CAPS.filter((c) => !drop.includes(c)), ...add]);
  return CAPABILITIES.filter((c) => kept.has(c));
}

export type SecurityOpt =
  | { kind: "no-new-privileges"; enabled: boolean }
  | { kind: "seccomp"; profile: "unconfined" }
  | { kind: "seccomp-file"; path: string }
  | { kind: "systempaths"; profile: "unconfined" }
  /** label=disable, apparmor=unconfined: asks for no confinement, which is what tupper gives; NOTE says so in the script. */
  | { kind: "accepted"; note: string };

/** One security_opt entry, in Docker's KEY:VALUE or KEY=VALUE form. */
export function parseSecurityOpt(raw: string): Parsed<SecurityOpt> {
  const m = /^([a-z-]+)(?:[:=](.*))?$/.exec(raw);
  const key = m?.[1] ?? raw;
  const value = m?.[2];
  switch (key) {
    case "no-new-privileges":
      if (value === undefined || value === "true") return { ok: true, value: { kind: key, enabled: true } };
      if (value === "false") return { ok: true, value: { kind: key, enabled: false } };
      return { ok: false, why: `no-new-privileges takes true or false, not ${JSON.stringify(value)}` };
    case "seccomp":
      if (value === "unconfined") return { ok: true, value: { kind: key, profile: "unconfined" } };
      if (value !== undefined && value !== "") return { ok: true, value: { kind: "seccomp-file", path: value } };
      return { ok: false, why: `seccomp takes unconfined or the path of a Docker-format JSON profile, e.g. seccomp=./seccomp.json` };
    case "systempaths":
      if (value === "unconfined") return { ok: true, value: { kind: key, profile: "unconfined" } };
      return { ok: false, why: `systempaths takes unconfined` };
    // Docker's label=disable runs the container unlabelled, apparmor=unconfined without a
    // profile: tupper confines with neither (its containers run in the caller's SELinux domain
    // and AppArmor profile), so these change nothing; a profile or label to apply is refused.
    case "label":
      if (value === "disable") return { ok: true, value: { kind: "accepted", note: `${raw}: tupper applies no SELinux label to any container` } };
      return { ok: false, why: `tupper does not apply SELinux labels (it accepts label=disable only, which is what it does); remove it` };
    case "apparmor":
      if (value === "unconfined") return { ok: true, value: { kind: "accepted", note: `${raw}: tupper loads no AppArmor profile for any container` } };
      return { ok: false, why: `tupper does not load AppArmor profiles (it accepts apparmor=unconfined only, which is what it does); remove it` };
    default:
      return { ok: false, why: `unknown security option ${JSON.stringify(raw)}; tupper knows no-new-privileges[:true|false], seccomp:unconfined, seccomp=PROFILE.json and systempaths=unconfined` };
  }
}

const TMPFS_FLAGS = new Set(["ro", "rw", "exec", "noexec", "suid", "nosuid", "dev", "nodev"]);
// Units in either case, as the kernel's memparse and Docker take them (size=16M).
const TMPFS_DATA = /^(size=[0-9]+[kmgKMG%]?|nr_inodes=[0-9]+[kmgKMG]?|nr_blocks=[0-9]+[kmgKMG]?|mode=[0-7]{3,4}|uid=[0-9]+|gid=[0-9]+)$/;

/** "/run" or "/run:size=64m,mode=1777" → target and mount options (Docker's tmpfs syntax). */
export function parseTmpfs(raw: string): Parsed<{ target: string; options: string }> {
  const colon = raw.indexOf(":");
  const target = colon < 0 ? raw : raw.slice(0, colon);
  const options = colon < 0 ? "" : raw.slice(colon + 1);
  if (!target.startsWith("/") || target.split("/").includes("..") || target === "/") {
    return { ok: false, why: `${JSON.stringify(target)} is not an absolute path in the container (and not / itself); use e.g. /run` };
  }
  // every bad option at once
  const bad = (options === "" ? [] : options.split(",")).filter((o) => !TMPFS_FLAGS.has(o) && !TMPFS_DATA.test(o));
  if (bad.length > 0) {
    return { ok: false, why: `tmpfs option${bad.length === 1 ? "" : "s"} ${bad.map((o) => JSON.stringify(o)).join(", ")} ${bad.length === 1 ? "is" : "are"} not one of ro, rw, exec, noexec, suid, nosuid, dev, nodev, size=N[kmg%], nr_inodes=N, mode=OCTAL, uid=N, gid=N` };
  }
  return { ok: true, value: { target: target.replace(/\/+$/, ""), options } };
}

/** sysctls that a container's own namespaces hold (Docker's list): others would change the host. */
export function checkSysctl(key: string, hostNetwork: boolean): string | null {
  const ipc = ["kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"];
  if (!/^[a-z0-9_]+(\.[a-z0-9_-]+)+$/.test(key)) return `${JSON.stringify(key)} is not a sysctl name; use dotted form, e.g. net.ipv4.ip_forward`;
  if (ipc.includes(key) || key.startsWith("fs.mqueue.")) return null;
  if (key.startsWith("net.")) return hostNetwork ? `${key} would change the host's network stack (network_mode: host); remove it or use a network of the container's own` : null;
  if (key === "kernel.hostname" || key === "kernel.domainname") return `set ${key.slice(7)}: instead of the sysctl`;
  return `${key} is not namespaced: it would change the whole host. A container may set kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.* and net.*`;
}

/** sysctls as a map or a KEY=VALUE list → ordered pairs (dotted keys; "/" separators become dots). */
export function sysctlEntries(raw: unknown): { key: string; value: string; at: string | number }[] {
  const out: { key: string; value: string; at: string | number }[] = [];
  if (Array.isArray(raw)) {
    raw.forEach((item, i) => {
      if (typeof item !== "string") return;
      const eq = item.indexOf("=");
      out.push({ key: (eq < 0 ? item : item.slice(0, eq)).trim().replace(/\//g, "."), value: eq < 0 ? "" : item.slice(eq + 1).trim(), at: i });
    });
  } else if (typeof raw === "object" && raw !== null) {
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v === "string" || typeof v === "number") out.push({ key: k.replace(/\//g, "."), value: String(v), at: k });
    }
  }
  return out;
}

export const ULIMITS = ["as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"];

/** One ulimits entry: a number (soft = hard) or {soft, hard}; -1 is unlimited. */
export function parseUlimit(name: string, raw: unknown): Parsed<{ name: string; soft: string; hard: string }> {
  if (!ULIMITS.includes(name)) return { ok: false, why: `${JSON.stringify(name)} is not a resource limit; use one of ${ULIMITS.join(", ")}` };
  const limit = (v: unknown) => (v === -1 ? "unlimited" : typeof v === "number" && Number.isInteger(v) && v >= 0 ? String(v) : null);
  if (typeof raw === "number") {
    const v = limit(raw);
    return v === null ? { ok: false, why: `${raw} is not a limit; use a whole number, or -1 for unlimited` } : { ok: true, value: { name, soft: v, hard: v } };
  }
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
    const r = raw as Record<string, unknown>;
    const soft = limit(r.soft), hard = limit(r.hard);
    if (soft === null || hard === null) return { ok: false, why: `give both soft and hard as whole numbers (or -1 for unlimited)` };
    const n = (v: string) => (v === "unlimited" ? Infinity : Number(v));
    if (n(soft) > n(hard)) return { ok: false, why: `soft limit ${soft} is above hard limit ${hard}` };
    return { ok: true, value: { name, soft, hard } };
  }
  return { ok: false, why: `use a number or {soft: N, hard: N}` };
}

/** r, w and m, each at most once (Docker's validDeviceMode). */
function isDeviceAccess(text: string): boolean {
  return text.length > 0 && text.length <= 3 && [...text].every((c, i) => "rwm".includes(c) && text.indexOf(c) === i);
}

/**
 * A devices: entry, Docker's HOST[:CONTAINER][:PERMISSIONS] (the container path defaults to the
 * host's, the permissions to rwm). CDI names (vendor.com/class=name) are not supported.
 */
export function parseDevice(raw: string): Parsed<{ host: string; container: string; permissions: string }> {
  const parts = raw.split(":");
  let [host, container, permissions] = [parts[0], parts[0], "rwm"];
  if (parts.length === 2) {
    if (isDeviceAccess(parts[1])) permissions = parts[1];
    else container = parts[1];
  } else if (parts.length === 3) {
    [host, container, permissions] = parts;
  } else if (parts.length > 3) {
    return { ok: false, why: `${JSON.stringify(raw)} has too many colons; use HOST_PATH[:CONTAINER_PATH[:PERMISSIONS]], e.g. /dev/sdb:/dev/xvdb:rw` };
  }
  const absolute = (p: string) => p.startsWith("/") && p !== "/" && !p.endsWith("/") && !p.split("/").includes("..");
  if (!absolute(host)) {
    return { ok: false, why: raw.includes("=") ? `CDI device names are not supported; name a device node such as /dev/fuse` : `${JSON.stringify(host)} is not an absolute path to a device node on the host; use e.g. /dev/fuse` };
  }
  if (!absolute(container)) return { ok: false, why: `${JSON.stringify(container)} is not an absolute path in the container; use e.g. /dev/xvdb` };
  if (!isDeviceAccess(permissions)) return { ok: false, why: `${JSON.stringify(permissions)} is not a device permission; use r, w and m, e.g. rwm or r` };
  return { ok: true, value: { host, container, permissions } };
}

/** A device_cgroup_rules entry: "c 1:3 mr", "b 8:* rw", "a *:* m" (the v1 devices.allow syntax). */
export function parseDeviceCgroupRule(raw: string): Parsed<string> {
  const m = /^([abc]) (\*|[0-9]+):(\*|[0-9]+) ([rwm]+)$/.exec(raw.trim());
  if (m === null || !isDeviceAccess(m[4])) {
    return { ok: false, why: `${JSON.stringify(raw)} is not a device rule; use TYPE MAJOR:MINOR ACCESS with type c, b or a, * for any number, access of r, w and m, e.g. "c 1:3 mr"` };
  }
  return { ok: true, value: `${m[1]} ${m[2]}:${m[3]} ${m[4]}` };
}
