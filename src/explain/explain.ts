// `tupper explain SPEC`: what the generated script does for this spec, in plain words, one
// line per concern, so that a reviewer who does not know namespaces can follow it. Built
// from the same Plan the script is rendered from, so the two cannot disagree.
import type { NetworkPlan, Plan, ServicePlan } from "../model/plan.js";
import { showText } from "../spec/runtime.js";

const MiB = 1024 * 1024;
const OVERLAY = "an overlay, so the image stays as it is and the container's writes go to a directory of its own";
const STORAGE = {
  auto: `a btrfs snapshot when the image store is on btrfs, else ${OVERLAY}, else a full copy`,
  btrfs: "a btrfs snapshot of the image",
  overlay: OVERLAY,
  copy: "a full copy of the image",
} as const;

export function explainPlan(plan: Plan, scriptName: string): string {
  const out = [
    `${scriptName} runs project ${plan.project.name} as root, with bash and the tupper-init helper. For each service, \`up\`:`,
    "",
  ];
  for (const s of plan.services) out.push(...explainService(s, plan), "");
  if (plan.networks.length > 0) {
    out.push("Networks (made when their first container starts, removed with the last one):");
    for (const n of plan.networks) out.push(`  - ${explainNetwork(n, plan.project.name)}`);
    out.push("");
  }
  out.push(
    "State: images and container filesystems under TUPPER_ROOT (/var/lib/tupper), records of running",
    "containers under TUPPER_RUN (/run/tupper). Every record is written before the thing it names is",
    "made, so `down` (or `rm`) removes all of it even after the script was killed halfway.",
    "",
  );
  return out.join("\n");
}

function explainService(s: ServicePlan, plan: Plan): string[] {
  const name = s.containerName.name ?? `${plan.project.name}-${s.name}-1`;
  const argv = [...s.argv.entrypoint, ...s.argv.command].map(showText).map((w) => (/[\s"'$]/.test(w) ? JSON.stringify(w) : w)).join(" ");
  const lines = [
    `Service ${s.name} (container ${name}):`,
    `  - Gives the container its own copy of ${s.image.kind === "registry" ? `the image ${s.image.reference}, pulled from ${s.image.registry} unless this host has it` : `${s.image.path} (relative to the spec)`}: ${STORAGE[plan.storage.mode]}.`,
    `  - Starts it in new namespaces: it sees only its own processes (it is PID 1), its own mounts, hostname, IPC${s.network.mode === "host" ? "" : " and network"}; it gets /proc, a private /dev with the standard devices, and a read-only /sys.`,
    `  - Runs ${argv} as ${s.user.name !== null ? `user ${s.user.name} (from the image's /etc/passwd)` : `user ${s.user.uid}, group ${s.user.gid}`}, in ${s.workingDir.path ?? (s.image.kind === "dir" || s.image.kind === "tar" ? "/" : "the image's WorkingDir (/ when it names none)")}${s.init.enabled ? ", under a small init that passes on signals and reaps orphaned processes" : ""}.`,
    `  - ${limits(s)}`,
  ];
  for (const b of s.binds) lines.push(`  - Shows the host's ${b.source} at ${b.target} in the container${b.readOnly ? ", read-only" : " (changes reach the host)"}.`);
  lines.push(`  - ${network(s)}`);
  for (const p of s.ports) {
    const host = p.hostPortMin === p.hostPortMax ? `host port ${p.hostPortMin}` : `a free host port from ${p.hostPortMin} to ${p.hostPortMax}`;
    lines.push(`  - Forwards ${host}/${p.protocol} on ${p.hostIp ?? "every address of the host"} to the container's port ${p.containerPort}.`);
  }
  lines.push(`  - Stops it with SIG${s.stopSignal.signal}, and SIGKILL if it is still running ${s.stopGracePeriod.ms / 1000} s later.`);
  return lines;
}

function limits(s: ServicePlan): string {
  const parts: string[] = [];
  if (s.memory.bytes !== null) parts.push(`${(s.memory.bytes / MiB).toFixed(0)} MiB of memory (the kernel kills it beyond that)`);
  if (s.cpus.quotaUs !== null) parts.push(`${s.cpus.quotaUs / s.cpus.periodUs} CPUs of time`);
  if (s.pids.max !== null) parts.push(`${s.pids.max} processes`);
  if (s.cpuset.cpus !== null) parts.push(`CPUs ${s.cpuset.cpus} only`);
  return parts.length ? `Limits it, through cgroups, to ${parts.join(", ")}.` : "Sets no resource limits (its cgroups only count what it uses).";
}

function network(s: ServicePlan): string {
  if (s.network.mode === "none") return "Gives it no network: only its own loopback interface.";
  if (s.network.mode === "host") return "Shares the host's network: it sees and uses the host's interfaces and ports.";
  const nets = s.network.attachments.map((a) => `${a.network} (the ${ordinal(a.offset)} address of its subnet)`).join(", ");
  return `Connects it to network${s.network.attachments.length > 1 ? "s" : ""} ${nets} with a virtual cable (a veth pair); the services on those networks find each other by name through /etc/hosts.`;
}

function explainNetwork(n: NetworkPlan, project: string): string {
  const subnet = n.subnet ?? "the first free subnet of 172.17-31.0.0/16 or 192.168.N.0/20";
  const reach = n.internal ? "no traffic to or from outside it" : "its containers reach outside through the host's address (NAT)";
  return `${n.name}: a Linux bridge on the host for ${project}, with ${subnet}; ${reach}; traffic between two tupper networks is dropped.`;
}

const ordinal = (n: number) => `${n}${n % 100 >= 11 && n % 100 <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] ?? "th"}`;
