// The cgroup keys of a service: limits given at the service level or under
// deploy.resources.limits (they must agree), and the settings Docker refuses in combination.
import type { SpecPath } from "../spec/parse.js";
import { parseCpuList, parseCpus, parseSize } from "../model/units.js";
import { type Obj, type Report, isObj, valueOr } from "./context.js";
import type { LimitValues } from "./values.js";

const MIN_MEMORY = 6 * 1024 * 1024; // Docker's floor: below it a container cannot start reliably

export function resolveLimits(report: Report, at: SpecPath, s: Obj): LimitValues {
  const deploy = isObj(s.deploy) && isObj(s.deploy.resources) && isObj(s.deploy.resources.limits) ? s.deploy.resources.limits : {};
  const limitsPath = [...at, "deploy", "resources", "limits"];
  const both = <T>(key: string, deployKey: string, resolve: (v: unknown, p: SpecPath) => T | null): T | null => {
    const a = s[key] !== undefined ? resolve(s[key], [...at, key]) : null;
    const b = deploy[deployKey] !== undefined ? resolve(deploy[deployKey], [...limitsPath, deployKey]) : null;
    if (a !== null && b !== null && a !== b) report([...limitsPath, deployKey], `differs from ${key}; set the limit in one place`);
    return a ?? b;
  };
  const memoryBytes = both("mem_limit", "memory", (v, p) => memory(report, v, p));
  const cpus = both("cpus", "cpus", (v, p) => (typeof v === "string" || typeof v === "number" ? valueOr(report, p, parseCpus(v), "use e.g. 0.5 or 2") : null));
  both("pids_limit", "pids", (v, p) => pids(report, v, p));
  const cpuset = typeof s.cpuset === "string" ? valueOr(report, [...at, "cpuset"], parseCpuList(s.cpuset), "use e.g. 0, 0-1 or 0,2-3") : null;
  return { memoryBytes, cpus, cpuset, ...cgroupSettings(report, at, s, s.mem_limit !== undefined || deploy.memory !== undefined ? memoryBytes : null) };
}

// The rest of the cgroup surface: sizes, and the combinations Docker refuses too.
function cgroupSettings(report: Report, at: SpecPath, s: Obj, limitBytes: number | null): Omit<LimitValues, "memoryBytes" | "cpus" | "cpuset"> {
  const size = (key: string): number | null => {
    const v = s[key];
    if (typeof v !== "string" && typeof v !== "number") return null;
    return valueOr(report, [...at, key], parseSize(v), "use a number with b, k, m or g (e.g. 64m)");
  };
  const memReservationBytes = size("mem_reservation");
  if (memReservationBytes !== null && limitBytes !== null && memReservationBytes > limitBytes) {
    report([...at, "mem_reservation"], `is above mem_limit, which it cannot exceed; lower it, or raise mem_limit`);
  }
  const shmBytes = size("shm_size");
  let memswapBytes: number | null = null;
  if (s.memswap_limit === -1 || s.memswap_limit === "-1") memswapBytes = -1;
  else if (s.memswap_limit !== undefined) {
    memswapBytes = valueOr(report, [...at, "memswap_limit"], parseSize(s.memswap_limit), "use a size (e.g. 512m), or -1 for unlimited swap");
    if (memswapBytes !== null && limitBytes === null) report([...at, "memswap_limit"], "limits memory plus swap, so it needs mem_limit; add mem_limit (e.g. mem_limit: 256m)");
    else if (memswapBytes !== null && limitBytes !== null && memswapBytes < limitBytes) {
      report([...at, "memswap_limit"], "is memory plus swap, so it cannot be below mem_limit; make it at least mem_limit");
    }
  }
  if (s.oom_kill_disable === true && limitBytes === null) {
    report([...at, "oom_kill_disable"], "without mem_limit the host's OOM killer, not the container's limit, acts; add mem_limit", "warning");
  }
  const deployLimits = isObj(s.deploy) && isObj(s.deploy.resources) ? s.deploy.resources.limits : undefined;
  if (s.cpu_quota !== undefined && (s.cpus !== undefined || (isObj(deployLimits) && deployLimits.cpus !== undefined))) {
    report([...at, "cpu_quota"], "says what cpus says (cpus is cpu_quota / cpu_period); keep one");
  }
  if (s.cpu_period !== undefined && s.cpu_quota === undefined) {
    report([...at, "cpu_period"], "has no effect without cpu_quota; add cpu_quota, or use cpus");
  }
  const tupper = isObj(s["x-tupper"]) ? s["x-tupper"] : {};
  const egress = isObj(tupper.network) ? tupper.network.egress_rate : undefined;
  if (egress !== undefined && typeof s.network_mode === "string" && s.network_mode !== "bridge" && !s.network_mode.startsWith("bridge")) {
    const peer = s.network_mode.startsWith("service:") ? "; set it on the service whose network this one shares" : "";
    report([...at, "x-tupper", "network", "egress_rate"], `limits the container's end of a veth, and network_mode ${s.network_mode} gives it none${peer}`);
  }
  const hugetlbBytes = new Map<string, number>();
  for (const [page, limit] of Object.entries(isObj(tupper.hugetlb) ? tupper.hugetlb : {})) {
    const path = [...at, "x-tupper", "hugetlb", page];
    const v = parseSize(limit);
    const pageBytes = parseSize(page.toLowerCase());
    if (!v.ok) report(path, `${v.why}; use a size that is a whole number of ${page} pages (e.g. 4m)`);
    else if (pageBytes.ok && v.value % pageBytes.value !== 0) report(path, `is not a whole number of ${page} pages; the kernel rounds it down`);
    if (v.ok) hugetlbBytes.set(page, v.value);
  }
  let cpusetMems: string | null = null;
  if (typeof tupper.cpuset_mems === "string") {
    const c = parseCpuList(tupper.cpuset_mems);
    if (!c.ok) report([...at, "x-tupper", "cpuset_mems"], `${c.why.replace("CPU", "memory node")}; use e.g. 0 or 0-1`);
    else cpusetMems = c.value;
  }
  return { memReservationBytes, memswapBytes, shmBytes, hugetlbBytes, cpusetMems, blkioRates: blkioRates(report, at, s) };
}

/** blkio_config device_*_bps rates in bytes per second (iops are counts, taken as written). */
function blkioRates(report: Report, at: SpecPath, s: Obj): LimitValues["blkioRates"] {
  const out: LimitValues["blkioRates"] = [];
  const b = isObj(s.blkio_config) ? s.blkio_config : {};
  for (const key of ["device_read_bps", "device_write_bps"] as const) {
    const list = b[key];
    if (!Array.isArray(list)) continue;
    list.forEach((d: unknown, i) => {
      if (!isObj(d) || typeof d.path !== "string" || (typeof d.rate !== "string" && typeof d.rate !== "number")) return;
      const bytes = valueOr(report, [...at, "blkio_config", key, i, "rate"], parseSize(d.rate), "use a number with b, k, m or g (e.g. 10m)");
      if (bytes !== null) out.push({ key, at: i, path: d.path, bytes });
    });
  }
  return out;
}

function memory(report: Report, v: unknown, path: SpecPath): number | null {
  if (typeof v !== "string" && typeof v !== "number") return null;
  const bytes = valueOr(report, path, parseSize(v), "use a number with b, k, m or g (e.g. 256m)");
  if (bytes !== null && bytes < MIN_MEMORY) report(path, `${JSON.stringify(v)} is below the 6m minimum; use at least 6m`);
  return bytes;
}

function pids(report: Report, v: unknown, path: SpecPath): number | null {
  if (typeof v !== "number") return null;
  if (v < -1) report(path, `${v} is not a process count; use a positive number, or -1 for no limit`);
  return v;
}
