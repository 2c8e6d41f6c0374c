// What a start of one service needs of its host, settled at compile time (issue 24): which
// checks apply is the spec's to decide, so each service's section holds its own
// preflight_service_N, a line per key that needs something, and a comment line for a key
// that needs nothing. The template (services.sh.hbs) writes the checks; this says which,
// and the comment each line carries. The comments name the key, never its value: the
// values are the svc_* variables the checks read, so a changed value changes only its own
// lines in load_service_N (test/unit/locality.test.ts).
import type { Origin, ServicePlan } from "../model/plan.js";
import { comment, shNumber, type Comment, type Word } from "./quote.js";

/** A line that checks something when `on`, and its comment either way. */
type Need = { on: boolean; comment: Comment };

const need = (o: Origin, on: boolean, what: string, otherwise: string): Need => ({ on, comment: comment(`${o.key}: ${on ? what : otherwise}`) });

/** The preflight lines of service S, in the order the template writes them. */
export function preflightNeeds(s: ServicePlan) {
  const kind = s.build !== null ? "build" : s.image.kind;
  const layered = kind !== "build" && kind !== "registry";
  return {
    bridge: need(s.network, s.network.mode === "bridge", "ip, unshare, iptables-restore, flock and IPv4 (a bridge network)", `${s.network.mode}: no network tools to check`),
    egress: need(s.egressRate, s.egressRate.rate !== null, "tc and nsenter, and a bridge network", "not set: nothing to check"),
    // platform: the comment of preflight_platform's line (the template writes it only when set)
    platformComment: comment(`${s.platform.key}: a host of this platform`),
    image: {
      pull: kind === "registry",
      // rootfs:, oci:, oci-archive:, docker-archive: a file or directory the spec names
      file: layered,
      // a rootfs: image given as a path: rootfs:... in the message, as the spec writes it
      rootfs: kind === "dir" || kind === "tar",
      tar: kind === "tar",
      comment: comment(
        `${s.image.key}: ${kind === "registry" ? "curl and sha256sum, to pull it" : kind === "build" ? "made by the build verb: nothing to check" : kind === "tar" ? "the file, and tar (zstd for .zst) to import it" : "the file or directory"}`,
      ),
    },
    memory: need(s.memory, s.memory.bytes !== null, "the memory cgroup controller", "not set: nothing to check"),
    cpus: need(s.cpus, s.cpus.quotaUs !== null, "the cpu cgroup controller", "not set: nothing to check"),
    pids: need(s.pids, s.pids.max !== null, "the pids cgroup controller", "not set: nothing to check"),
    cpuset: need(s.cpuset, s.cpuset.cpus !== null, "the cpuset cgroup controller", "not set: nothing to check"),
    cpusetMems: need(s.cpusetMems, s.cpusetMems.nodes !== null, "the cpuset cgroup controller", "not set: nothing to check"),
    // blkio_config: the controller, the weight file where a weight is asked for, the devices
    blkio: s.blkio.length > 0,
    // each cgroup setting (mem_reservation, cpu_shares, ...): its controller and file on this host
    cgroupSettings: s.cgroupSettings.map((c, i) => ({ comment: comment(`${c.key}: its controller and file on this host`), from: shNumber(i * 6) })),
    // each device node, on this host
    devices: s.devices.map((d, i) => ({ comment: comment(`${d.key}: the device node, on this host`), at: shNumber(i * 3) })),
    // each bind source that must exist (external volumes, and binds without create_host_path)
    binds: s.binds.flatMap((b, i): { comment: Comment; at: Word; external: boolean }[] =>
      b.volume !== null && !b.volume.external ? [] : b.volume === null && b.createHostPath ? [] : [{ comment: comment(`${b.key}: its source, on this host`), at: shNumber(i), external: b.volume !== null }],
    ),
  };
}
