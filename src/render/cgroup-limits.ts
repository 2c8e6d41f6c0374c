// What a start of one service writes into its cgroups, settled at compile time (issue 24):
// which limits there are is the spec's to decide, so each service's section holds its own
// cgroup_limits_service_N, a cg_limit line for each limit key the spec sets and a comment
// line for each it does not. Only where each controller is mounted (v1 or v2) stays the
// host's, for cg_limit to find at run time. As in preflight-needs.ts, the comments name the
// key, never its value: the values are the svc_* variables the lines read, so a changed value
// changes only its own lines in load_service_N (test/unit/locality.test.ts).
import type { Origin, ServicePlan } from "../model/plan.js";
import { comment, shNumber, type Comment, type Word } from "./quote.js";

/** A line that writes a limit when `on`, and its comment either way. */
type Limit = { on: boolean; comment: Comment };

const limit = (o: Origin, on: boolean, what: string): Limit => ({ on, comment: comment(`${o.key}: ${on ? what : "not set: nothing to write"}`) });

/** The limit lines of service S, in the order the template writes them. */
export function cgroupLimits(s: ServicePlan): {
  memory: Limit;
  cpus: Limit;
  pids: Limit;
  cpuset: Limit;
  cgroupSettings: { from: Word; comment: Comment }[];
  blkio: Comment | null;
} {
  const cpuset = s.cpuset.cpus !== null || s.cpusetMems.nodes !== null;
  return {
    memory: limit(s.memory, s.memory.bytes !== null, "memory.max (v2), memory.limit_in_bytes (v1)"),
    cpus: limit(s.cpus, s.cpus.quotaUs !== null, "cpu.max (v2), cpu.cfs_period_us and cpu.cfs_quota_us (v1)"),
    pids: limit(s.pids, s.pids.max !== null, "pids.max"),
    // cpuset and x-tupper.cpuset_mems: one line (cgroup_cpuset), as v1 needs both filled in
    cpuset: {
      on: cpuset,
      comment: comment(`${s.cpuset.key}, ${s.cpusetMems.key}: ${cpuset ? "cpuset.cpus and cpuset.mems" : "not set: nothing to write"}`),
    },
    // each cgroup setting (mem_reservation, cpu_shares, ...): svc_cgroup_settings' entry at from
    cgroupSettings: s.cgroupSettings.map((c, i) => {
      const files = [c.v2 ? `${c.v2.file} (v2)` : null, c.v1 ? `${c.v1.file} (v1)` : null].filter((f) => f !== null);
      return { from: shNumber(i * 6), comment: comment(`${c.key}: ${files.join(", ")}`) };
    }),
    blkio: s.blkio.length > 0 ? comment(`${s.blkio.map((b) => b.key).join(", ")}: io.weight and io.max (v2), blkio.* (v1)`) : null,
  };
}
