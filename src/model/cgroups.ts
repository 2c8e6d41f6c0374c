// The cgroup settings beyond the limits the script has always written (mem_limit, cpus,
// pids_limit, cpuset): each spec key becomes a file of a controller, in cgroup v1 and in v2
// where v2 has one. The script writes whichever its host has, and its preflight names a
// setting the host cannot take (a v1-only file on a v2 host, a file the kernel lacks)
// before anything is made.
import type { Origin } from "./plan.js";
import type { Service } from "../spec/schema-types.js";
import type { LimitValues } from "../resolve/values.js";

export interface CgroupSetting extends Origin {
  controller: "memory" | "cpu" | "cpuset" | "hugetlb";
  /** The v1 file and the value to write, or null when v1 has none. */
  v1: { file: string; value: string } | null;
  /** The v2 file and value, or null when v2 has none. */
  v2: { file: string; value: string } | null;
}

/** runc's conversion of cpu.shares (2..262144) to cpu.weight (1..10000). */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** The settings of service S (LIMITS: its sizes, resolved), in the order they are written (memory.limit comes before them all). */
export function cgroupSettings(s: Service, limits: LimitValues, o: (...key: (string | number)[]) => Origin): CgroupSetting[] {
  const memoryBytes = limits.memoryBytes;
  const out: CgroupSetting[] = [];
  const add = (key: string[], controller: CgroupSetting["controller"], v1: CgroupSetting["v1"], v2: CgroupSetting["v2"]) =>
    out.push({ ...o(...key), controller, v1, v2 });
  if (limits.memReservationBytes !== null) {
    const bytes = String(limits.memReservationBytes);
    add(["mem_reservation"], "memory", { file: "memory.soft_limit_in_bytes", value: bytes }, { file: "memory.low", value: bytes });
  }
  if (limits.memswapBytes !== null) {
    const total = limits.memswapBytes;
    const unlimited = total === -1;
    add(
      ["memswap_limit"],
      "memory",
      { file: "memory.memsw.limit_in_bytes", value: String(total) },
      // v2 limits swap alone: what memswap_limit allows beyond mem_limit
      { file: "memory.swap.max", value: unlimited || memoryBytes === null ? "max" : String(total - memoryBytes) },
    );
  }
  if (s.mem_swappiness !== undefined) add(["mem_swappiness"], "memory", { file: "memory.swappiness", value: String(s.mem_swappiness) }, null);
  if (s.oom_kill_disable === true) add(["oom_kill_disable"], "memory", { file: "memory.oom_control", value: "1" }, null);
  if (s.cpu_shares !== undefined) {
    add(["cpu_shares"], "cpu", { file: "cpu.shares", value: String(s.cpu_shares) }, { file: "cpu.weight", value: String(sharesToWeight(s.cpu_shares)) });
  }
  // rt_period before rt_runtime: the kernel checks the runtime against the period
  if (s.cpu_rt_period !== undefined) add(["cpu_rt_period"], "cpu", { file: "cpu.rt_period_us", value: String(s.cpu_rt_period) }, null);
  if (s.cpu_rt_runtime !== undefined) add(["cpu_rt_runtime"], "cpu", { file: "cpu.rt_runtime_us", value: String(s.cpu_rt_runtime) }, null);
  for (const page of [...limits.hugetlbBytes.keys()].sort()) {
    const bytes = String(limits.hugetlbBytes.get(page));
    add(["x-tupper", "hugetlb", page], "hugetlb", { file: `hugetlb.${page}.limit_in_bytes`, value: bytes }, { file: `hugetlb.${page}.max`, value: bytes });
  }
  return out;
}

/** One blkio_config entry: a weight (path null: the default), or a device's limit. */
export interface BlkioSetting extends Origin {
  kind: "weight" | "read_bps" | "write_bps" | "read_iops" | "write_iops";
  path: string | null;
  value: number;
}

/** blkio_config, entry by entry; the device numbers are the host's, read when the container starts. */
export function blkioSettings(s: Service, limits: LimitValues, o: (...key: (string | number)[]) => Origin): BlkioSetting[] {
  const b = s.blkio_config ?? {};
  const out: BlkioSetting[] = [];
  if (b.weight !== undefined) out.push({ ...o("blkio_config", "weight"), kind: "weight", path: null, value: b.weight });
  (b.weight_device ?? []).forEach((d, i) => out.push({ ...o("blkio_config", "weight_device", i), kind: "weight", path: d.path, value: d.weight }));
  for (const kind of ["read_bps", "write_bps"] as const) {
    for (const r of limits.blkioRates.filter((r) => r.key === `device_${kind}`)) out.push({ ...o("blkio_config", r.key, r.at), kind, path: r.path, value: r.bytes });
  }
  for (const kind of ["read_iops", "write_iops"] as const) {
    (b[`device_${kind}`] ?? []).forEach((d, i) => out.push({ ...o("blkio_config", `device_${kind}`, i), kind, path: d.path, value: d.rate }));
  }
  return out;
}
