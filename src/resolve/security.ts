// The security keys of a service: capabilities, security_opt (and its seccomp profile, read
// once), tmpfs, sysctls, devices, ulimits, x-tupper.userns.
import type { SpecPath } from "../spec/parse.js";
import type { User } from "../model/units.js";
import { loadSeccompProfile } from "../model/seccomp.js";
import { closest } from "../spec/suggest.js";
import { CAPABILITIES, ULIMITS, checkSysctl, parseCapability, parseDevice, parseDeviceCgroupRule, parseSecurityOpt, parseTmpfs, parseUlimit, sysctlEntries } from "../model/security.js";
import { type Obj, type Report, type Resolver, isObj, valueOr } from "./context.js";
import type { SecurityValues } from "./values.js";
import { DEFAULTS } from "../model/defaults.js";

export function resolveSecurity(r: Resolver, at: SpecPath, s: Obj, user: User | null): SecurityValues {
  const report = r.report;
  const p = (...rest: (string | number)[]) => [...at, ...rest];
  const caps = (key: "cap_add" | "cap_drop"): string[] => {
    const list = s[key];
    if (!Array.isArray(list)) return [];
    return list.flatMap((c: unknown, i) => {
      if (typeof c !== "string") return [];
      const cap = parseCapability(c);
      if (cap.ok) return [cap.value];
      const near = closest(c.toUpperCase().replace(/^CAP_/, ""), [...CAPABILITIES]);
      report(p(key, i), `${cap.why}; ${near ? `did you mean ${near}? ` : ""}use a name such as NET_ADMIN, or ALL`);
      return [];
    });
  };
  const capAdd = caps("cap_add");
  const capDrop = caps("cap_drop");
  // group_add is resolved with the service (it is about users, not privileges)
  const securityOpt: SecurityValues["securityOpt"] = [];
  let seccomp: SecurityValues["seccomp"] = null;
  if (Array.isArray(s.security_opt)) {
    s.security_opt.forEach((o: unknown, i) => {
      if (typeof o !== "string") return;
      const opt = valueOr(report, p("security_opt", i), parseSecurityOpt(o));
      if (opt === null) return;
      securityOpt.push(opt);
      if (opt.kind === "seccomp-file") {
        const profile = valueOr(report, p("security_opt", i), loadSeccompProfile(r.file, opt.path));
        if (profile !== null) seccomp = { path: opt.path, profile };
      } else if (opt.kind === "seccomp") seccomp = null;
    });
  }
  const tmpfsList: unknown[] = typeof s.tmpfs === "string" ? [s.tmpfs] : Array.isArray(s.tmpfs) ? s.tmpfs : [];
  const tmpfs = tmpfsList.flatMap((t, i) => {
    if (typeof t !== "string") return [];
    const at = typeof s.tmpfs === "string" ? null : i;
    const parsed = valueOr(report, at === null ? p("tmpfs") : p("tmpfs", at), parseTmpfs(t));
    return parsed === null ? [] : [{ at, ...parsed }];
  });
  const sysctls = sysctlEntries(s.sysctls).flatMap(({ key, value, at: where }) => {
    const why = checkSysctl(key, s.network_mode === "host");
    if (why !== null) report(p("sysctls", where), why, "error", typeof where === "string" ? "key" : "value");
    else if (/[\n\r\0]/.test(value) || value === "") report(p("sysctls", where), `give ${key} a value on one line, e.g. ${key}=1`);
    else return [{ at: where, name: key, value }];
    return [];
  });
  const listed = <T>(key: string, parse: (text: string) => { ok: true; value: T } | { ok: false; why: string }): { at: number; value: T }[] =>
    Array.isArray(s[key])
      ? (s[key] as unknown[]).flatMap((d, i) => {
          if (typeof d !== "string") return [];
          const value = valueOr(report, p(key, i), parse(d));
          return value === null ? [] : [{ at: i, value }];
        })
      : [];
  const devices = listed("devices", parseDevice).map(({ at, value }) => ({ at, ...value }));
  const deviceCgroupRules = listed("device_cgroup_rules", parseDeviceCgroupRule).map(({ at, value }) => ({ at, rule: value }));
  const tupper = isObj(s["x-tupper"]) ? s["x-tupper"] : {};
  if (isObj(tupper.userns)) checkUserns(report, at, s, tupper.userns, user);
  const ulimits: SecurityValues["ulimits"] = [];
  if (isObj(s.ulimits)) {
    for (const [name, v] of Object.entries(s.ulimits)) {
      const u = parseUlimit(name, v);
      if (!u.ok) report(p("ulimits", name), u.why, "error", ULIMITS.includes(name) ? "value" : "key");
      else ulimits.push(u.value);
    }
  }
  return { capAdd, capDrop, securityOpt, seccomp, tmpfs, sysctls, ulimits, devices, deviceCgroupRules };
}

/** x-tupper.userns: what it cannot go with, and ids that the range must hold. */
function checkUserns(report: Report, at: SpecPath, s: Obj, userns: Obj, user: User | null): void {
  const where = [...at, "x-tupper", "userns"];
  if (s.privileged === true) report(where, "privileged needs the host's user namespace, as in Docker; remove privileged or x-tupper.userns", "error", "key");
  if (s.network_mode === "host") {
    report(where, "network_mode: host shares the host's network, which root in a user namespace of its own could not use as root; remove network_mode: host or x-tupper.userns", "error", "key");
  }
  const size = typeof userns.size === "number" ? userns.size : DEFAULTS.usernsSize;
  for (const key of ["host_uid", "host_gid"]) {
    const first = userns[key];
    if (typeof first === "number" && first + size - 1 > 0xfffffffe) {
      report([...where, key], `${key} ${first} with size ${size} goes past the last id, 4294967294; use a lower ${key} or a smaller size`);
    }
  }
  if (user !== null && user.name === null && Math.max(user.uid, user.gid) >= size) {
    report([...at, "user"], `${JSON.stringify(s.user)} is outside x-tupper.userns, which maps ids 0 to ${size - 1}; use a lower id or a larger size`);
  }
}
