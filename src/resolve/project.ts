// The checks that span services: depends_on, shared namespaces, replicas, container names;
// and those on the document itself (NUL bytes, version, x-tupper.cgroup_parent).
import type { SpecPath } from "../spec/parse.js";
import { dependenciesOf, sharedService, startOrder } from "../model/dependencies.js";
import { replicasOf } from "../model/network.js";
import { closest } from "../spec/suggest.js";
import { type Obj, type Report, isObj } from "./context.js";
import type { PublishedPort } from "../model/ports.js";
import { RuntimeText, partsOf } from "../spec/runtime.js";

export function checkDocument(report: Report, root: Obj): void {
  findNulBytes(root, [], report);
  if (root.version !== undefined) {
    report(["version"], "the version key is obsolete in Compose and ignored; remove it", "warning", "key");
  }
  const xt = root["x-tupper"];
  if (isObj(xt) && typeof xt.cgroup_parent === "string") {
    const p = xt.cgroup_parent;
    if (!p.startsWith("/") || p.split("/").includes("..") || /[\n\r]/.test(p)) {
      report(["x-tupper", "cgroup_parent"], `${JSON.stringify(p)} is not an absolute cgroup path; use e.g. /tupper.slice`);
    }
  }
}

/** depends_on: known services, not itself, a healthcheck to wait for, and no cycle. Returns the start order (on a cycle, reported: spec order). */
export function resolveStartOrder(report: Report, services: Record<string, Obj>): string[] {
  const names = Object.keys(services);
  for (const [name, s] of Object.entries(services)) {
    for (const d of dependenciesOf(name, s)) {
      if (d.service === name) {
        report(d.path, "a service cannot depend on itself; remove this entry");
      } else if (!(d.service in services)) {
        const near = closest(d.service, names);
        const what = `${JSON.stringify(d.service)} is not a service of this project; ${near ? `did you mean ${near}? ` : ""}services: ${names.join(", ")}`;
        if (d.required) report(d.path, what, "error", "key");
        else report(d.path, `${what} (required: false: ${name} starts without it)`, "warning", "key");
      } else if (d.condition === "service_healthy" && !hasHealthcheck(services[d.service])) {
        report(d.path, `${d.service} has no healthcheck, so it never becomes healthy; give it a healthcheck, or use condition: service_started`);
      }
    }
  }
  const order = startOrder(services);
  if ("order" in order) return order.order;
  const [first, second] = order.cycle;
  // at the entry that makes it: depends_on, or network_mode, ipc or pid: service:NAME
  const entry = dependenciesOf(first!, services[first!]!).find((d) => d.service === second);
  const at: SpecPath = entry && entry.path.length === 3 ? entry.path : ["services", first!, "depends_on"];
  report(at, `makes a cycle: ${order.cycle.join(" → ")}; no service can start first, so remove one of these dependencies (e.g. ${first} on ${second})`, "error", "key");
  return names;
}

function hasHealthcheck(s: unknown): boolean {
  if (!isObj(s) || !isObj(s.healthcheck) || s.healthcheck.disable === true) return false;
  const test = s.healthcheck.test;
  // no test: the image's, which only the image knows; the wait says so when it has none
  return !(Array.isArray(test) && test[0] === "NONE");
}

/**
 * network_mode, ipc, pid: service:NAME (that NAME exists, and is not this one, is checked with
 * depends_on, which these imply). What the shared namespace already decides cannot be set
 * again here, as Docker refuses it too.
 */
export function checkSharing(report: Report, at: SpecPath, s: Obj, services: Obj): void {
  const network = sharedService(s.network_mode);
  if (network !== null) {
    const peer = services[network];
    if (isObj(peer) && sharedService(peer.network_mode) !== null) {
      report([...at, "network_mode"], `${network} shares the network of ${sharedService(peer.network_mode)} itself; use network_mode: ${String(peer.network_mode)}`);
    }
    for (const key of ["hostname", "domainname", "dns", "dns_search", "dns_opt", "extra_hosts", "mac_address", "links"]) {
      if (s[key] !== undefined) report([...at, key], `conflicts with network_mode: service:${network}, whose container's network, names and /etc files this one shares; remove it`, "error", "key");
    }
  }
  const sysctls = isObj(s.sysctls) ? Object.keys(s.sysctls) : Array.isArray(s.sysctls) ? s.sysctls.filter((x): x is string => typeof x === "string").map((x) => x.split("=")[0]!) : [];
  for (const key of sysctls) {
    const ipcShared = typeof s.ipc === "string" && (s.ipc === "host" || s.ipc.startsWith("service:"));
    if (network !== null && key.startsWith("net.")) report([...at, "sysctls"], `${key} would change the network of ${network}, which this service shares (network_mode); set it there`, "error", "key");
    if (ipcShared && /^(kernel\.(msg|sem|shm)|fs\.mqueue\.)/.test(key)) report([...at, "sysctls"], `${key} would change the IPC namespace this service shares (ipc: ${String(s.ipc)}); set it where it is made`, "error", "key");
  }
}

/** scale / deploy.replicas: what each container must have for itself cannot be one value for N of them. */
export function checkReplicas(report: Report, at: SpecPath, s: Obj, ports: { at: number; ports: PublishedPort[] }[]): void {
  const deploy = isObj(s.deploy) ? s.deploy : {};
  if (typeof s.scale === "number" && typeof deploy.replicas === "number" && s.scale !== deploy.replicas) {
    report([...at, "scale"], `is ${s.scale} but deploy.replicas is ${deploy.replicas}; give one of them`);
  }
  const n = replicasOf(s);
  if (n <= 1) return;
  const key = typeof s.scale === "number" ? "scale" : "deploy.replicas";
  if (s.container_name !== undefined) report([...at, "container_name"], `names one container, but ${key} makes ${n}; remove container_name`, "error", "key");
  if (s.mac_address !== undefined) report([...at, "mac_address"], `is one address, but ${key} makes ${n} containers; remove mac_address`, "error", "key");
  for (const entry of ports) {
    if (entry.ports.some((p) => p.hostPortMin === p.hostPortMax)) {
      report([...at, "ports", entry.at], `publishes one host port, which only one of the ${n} containers (${key}) could take; give a range (e.g. "8000-${8000 + n - 1}:80") or no host port`);
    }
  }
  if (isObj(s.networks)) {
    for (const [net, options] of Object.entries(s.networks)) {
      for (const address of ["ipv4_address", "ipv6_address"]) {
        if (isObj(options) && options[address] !== undefined) {
          report([...at, "networks", net, address], `is one address, but ${key} makes ${n} containers; remove ${address}`, "error", "key");
        }
      }
    }
  }
}

/** Container names are one namespace per project: a container_name may not repeat, nor take another service's default name. */
export function checkContainerNames(report: Report, services: Record<string, Obj>, project: string | undefined): void {
  const taken = new Map<string, string>();
  for (const [name, s] of Object.entries(services)) {
    if (typeof s.container_name !== "string") continue;
    const other = taken.get(s.container_name);
    if (other !== undefined) report(["services", name, "container_name"], `${JSON.stringify(s.container_name)} is already the container_name of ${other}; give each its own`);
    taken.set(s.container_name, name);
    const clash = project !== undefined && Object.keys(services).find((o) => o !== name && `${project}-${o}-1` === s.container_name);
    if (clash) report(["services", name, "container_name"], `${JSON.stringify(s.container_name)} is the name of service ${clash}'s container; choose another`);
  }
}

/** Values reach the workload through argv and environ, which cannot carry a NUL byte. */
function findNulBytes(value: unknown, path: (string | number)[], report: Report): void {
  if (typeof value === "string" || value instanceof RuntimeText) {
    if (partsOf(value).some((p) => typeof p === "string" && p.includes("\0"))) report(path, "contains a NUL byte, which no command line can carry; remove it");
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => findNulBytes(v, [...path, i], report));
  } else if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes("\0")) report([...path, k], "the key contains a NUL byte; remove it", "error", "key");
      findNulBytes(v, [...path, k], report);
    }
  }
}
