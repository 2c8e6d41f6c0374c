// The project's networks and how each service joins them, worked out once for both the
// meaning checks (which report the problems) and normalise (which trusts the result).
//
// Addresses are offsets into a network's subnet: the subnet may only be chosen at run time
// (from Docker's default pools), but which service gets which offset is decided here, in
// spec order, so every container's /etc/hosts can name every service on its networks
// before those have started, and the same spec always gives the same addresses.
import type { SpecPath } from "../spec/parse.js";
import { formatIPv4, formatSubnet, hostOffset, lastHostOffset, overlaps, parseIPv4, parseSubnet, type Subnet } from "./addresses.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export const DEFAULT_NETWORK = "default";
/** The smallest subnet tupper picks at run time (192.168.x.0/20): spec offsets must fit in it. */
const RUNTIME_SUBNET_HOSTS = 2 ** 12 - 2;
/** Names in /etc/hosts: what resolvers accept. */
export const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,252})$/;

/** service: the network namespace of another service's container (network_mode: service:NAME). */
export type NetworkMode = "none" | "host" | "bridge" | "service";

export interface NetworkDef {
  name: string;
  /** Where it is declared; null for the implicit default network. */
  path: SpecPath | null;
  /** null: chosen at run time from the default pools. */
  subnet: Subnet | null;
  gatewayOffset: number;
  internal: boolean;
  /** Offsets from here up are free for one-off containers (`run`). */
  firstFreeOffset: number;
}

export interface Attachment {
  network: string;
  /** The service's key that put it there: networks.NAME, networks[i], or network_mode (implied default). */
  path: SpecPath;
  /** The first replica's offset; replica k (from 1) has offset + k - 1. */
  offset: number;
  fixed: boolean;
  aliases: string[];
  /** scale: how many containers of the service take consecutive offsets here. */
  replicas: number;
}

export interface ServiceNetworking {
  mode: NetworkMode;
  attachments: Attachment[];
  /** mode service: the service whose network it shares. */
  peer?: string;
}

export interface Networking {
  /** The networks some service joins, in the order they are declared (default last when implicit). */
  networks: NetworkDef[];
  services: Map<string, ServiceNetworking>;
  problems: { path: SpecPath; message: string; at?: "key" | "value" }[];
}

/** scale, or deploy.replicas (validation makes sure they agree), else 1. */
export function replicasOf(s: Obj): number {
  const deploy = isObj(s.deploy) ? s.deploy : {};
  const n = typeof s.scale === "number" ? s.scale : typeof deploy.replicas === "number" ? deploy.replicas : 1;
  return Number.isInteger(n) && n >= 0 ? n : 1;
}

export function resolveNetworking(root: Obj): Networking {
  const problems: Networking["problems"] = [];
  const defs = declaredNetworks(root, problems);
  const services = new Map<string, ServiceNetworking>();
  const serviceEntries = isObj(root.services) ? Object.entries(root.services).filter(([, s]) => isObj(s)) : [];
  for (const [name, s] of serviceEntries) {
    const networking = serviceNetworking(["services", name], s as Obj, defs, problems);
    for (const a of networking.attachments) a.replicas = Math.max(1, replicasOf(s as Obj));
    services.set(name, networking);
  }
  allocateOffsets(defs, services, problems);
  const used = new Set([...services.values()].flatMap((s) => s.attachments.map((a) => a.network)));
  return { networks: [...defs.values()].filter((d) => used.has(d.name)), services, problems };
}

function declaredNetworks(root: Obj, problems: Networking["problems"]): Map<string, NetworkDef> {
  const defs = new Map<string, NetworkDef>();
  const declared = isObj(root.networks) ? root.networks : {};
  for (const [name, raw] of Object.entries(declared)) {
    const at: SpecPath = ["networks", name];
    const n = isObj(raw) ? raw : {};
    const def: NetworkDef = { name, path: at, subnet: null, gatewayOffset: 1, internal: n.internal === true, firstFreeOffset: 2 };
    const config = isObj(n.ipam) && Array.isArray(n.ipam.config) && isObj(n.ipam.config[0]) ? n.ipam.config[0] : {};
    const configAt: SpecPath = [...at, "ipam", "config", 0];
    if (typeof config.subnet === "string") {
      const subnet = parseSubnet(config.subnet);
      if (subnet.ok) def.subnet = subnet.value;
      else problems.push({ path: [...configAt, "subnet"], message: `${subnet.why}; use e.g. 172.28.0.0/16` });
    }
    if (typeof config.gateway === "string") {
      const gw = parseIPv4(config.gateway);
      if (!gw.ok) problems.push({ path: [...configAt, "gateway"], message: `${gw.why}; use an address inside the subnet` });
      else if (config.subnet === undefined) {
        problems.push({ path: [...configAt, "gateway"], message: "needs the subnet it belongs to; add ipam.config subnet" });
      } else if (def.subnet) {
        const offset = hostOffset(def.subnet, gw.value);
        if (offset === null) {
          problems.push({ path: [...configAt, "gateway"], message: `${config.gateway} is not a host address of ${formatSubnet(def.subnet)}; use one inside it` });
        } else def.gatewayOffset = offset;
      }
    }
    for (const other of defs.values()) {
      if (def.subnet && other.subnet && overlaps(def.subnet, other.subnet)) {
        problems.push({
          path: [...configAt, "subnet"],
          message: `${formatSubnet(def.subnet)} overlaps ${formatSubnet(other.subnet)} of network ${other.name}; give each network its own subnet`,
        });
      }
    }
    defs.set(name, def);
  }
  if (!defs.has(DEFAULT_NETWORK)) {
    defs.set(DEFAULT_NETWORK, { name: DEFAULT_NETWORK, path: null, subnet: null, gatewayOffset: 1, internal: false, firstFreeOffset: 2 });
  }
  return defs;
}

function serviceNetworking(at: SpecPath, s: Obj, defs: Map<string, NetworkDef>, problems: Networking["problems"]): ServiceNetworking {
  const mode = s.network_mode;
  if (typeof mode === "string") {
    if (s.networks !== undefined) {
      problems.push({ path: [...at, "networks"], message: "cannot be combined with network_mode; keep one of them", at: "key" });
    }
    if (mode === "none" || mode === "host") return { mode, attachments: [] };
    if (mode === "bridge") return { mode, attachments: [attach(DEFAULT_NETWORK, [...at, "network_mode"], {})] };
    // service:NAME is checked with depends_on (the service must exist, and not be this one)
    if (mode.startsWith("service:")) return { mode: "service", attachments: [], peer: mode.slice("service:".length) };
    problems.push({
      path: [...at, "network_mode"],
      message: mode.startsWith("container:")
        ? `${JSON.stringify(mode)} names a container outside the project, which tupper does not manage; use service:NAME for a service of this spec`
        : `${JSON.stringify(mode)} is not a network mode; use none, host, bridge or service:NAME`,
    });
    return { mode: "none", attachments: [] };
  }
  const attachments: Attachment[] = [];
  const join = (name: string, path: SpecPath, options: Obj) => {
    if (!defs.has(name)) {
      const known = [...defs.keys()];
      problems.push({
        path,
        message: `network ${JSON.stringify(name)} is not declared under the top-level networks:; declare it, or use one of: ${known.join(", ")}`,
        at: Array.isArray(s.networks) ? "value" : "key",
      });
      return;
    }
    attachments.push(attach(name, path, options));
  };
  if (Array.isArray(s.networks)) {
    s.networks.forEach((name, i) => typeof name === "string" && join(name, [...at, "networks", i], {}));
  } else if (isObj(s.networks)) {
    for (const [name, options] of Object.entries(s.networks)) join(name, [...at, "networks", name], isObj(options) ? options : {});
  } else {
    attachments.push(attach(DEFAULT_NETWORK, [...at, "networks"], {}));
  }
  for (const a of attachments) {
    const options = isObj(s.networks) && isObj((s.networks as Obj)[a.network]) ? ((s.networks as Obj)[a.network] as Obj) : {};
    a.aliases.forEach((alias, i) => {
      if (!HOST_NAME.test(alias)) {
        problems.push({ path: [...a.path, "aliases", i], message: `${JSON.stringify(alias)} is not a host name; use letters, digits, ., - and _` });
      }
    });
    if (typeof options.ipv4_address === "string") fixAddress(a, options.ipv4_address, defs.get(a.network)!, problems);
  }
  return { mode: "bridge", attachments };
}

function attach(network: string, path: SpecPath, options: Obj): Attachment {
  const aliases = Array.isArray(options.aliases) ? options.aliases.filter((x): x is string => typeof x === "string") : [];
  return { network, path, offset: 0, fixed: false, aliases, replicas: 1 };
}

function fixAddress(a: Attachment, text: string, def: NetworkDef, problems: Networking["problems"]): void {
  const path = [...a.path, "ipv4_address"];
  const address = parseIPv4(text);
  if (!address.ok) return void problems.push({ path, message: `${address.why}; use e.g. 172.28.0.10` });
  if (!def.subnet) {
    return void problems.push({ path, message: `needs a fixed subnet; add ipam.config subnet to network ${def.name}` });
  }
  const offset = hostOffset(def.subnet, address.value);
  if (offset === null) {
    return void problems.push({ path, message: `${text} is not a host address of ${formatSubnet(def.subnet)}; use one inside it` });
  }
  if (offset === def.gatewayOffset) {
    return void problems.push({ path, message: `${text} is the gateway of network ${def.name}; use another address` });
  }
  a.offset = offset;
  a.fixed = true;
}

/** Fixed addresses first, then every other attachment the lowest free offset, in spec order. */
function allocateOffsets(defs: Map<string, NetworkDef>, services: Map<string, ServiceNetworking>, problems: Networking["problems"]): void {
  for (const def of defs.values()) {
    const attachments = [...services.values()].flatMap((s) => s.attachments.filter((a) => a.network === def.name));
    const taken = new Map<number, Attachment | null>([[def.gatewayOffset, null]]);
    for (const a of attachments.filter((x) => x.fixed)) {
      if (taken.has(a.offset)) {
        problems.push({ path: [...a.path, "ipv4_address"], message: `${formatIPv4(def.subnet!.base + a.offset)} is given to another service too; give each its own` });
      }
      taken.set(a.offset, a);
    }
    let next = 1;
    for (const a of attachments.filter((x) => !x.fixed)) {
      const free = (from: number) => Array.from({ length: a.replicas }, (_, k) => from + k).every((o) => !taken.has(o));
      while (!free(next)) next++;
      a.offset = next;
      for (let k = 0; k < a.replicas; k++) taken.set(next + k, a);
    }
    const capacity = def.subnet ? lastHostOffset(def.subnet) : RUNTIME_SUBNET_HOSTS;
    const highest = Math.max(...taken.keys());
    const highestService = Math.max(0, ...attachments.map((a) => a.offset + a.replicas - 1));
    if (highest > capacity) {
      const where: SpecPath = def.path ? [...def.path, "ipam", "config", 0, "subnet"] : attachments[0]!.path;
      problems.push({
        path: where,
        message: `${def.subnet ? formatSubnet(def.subnet) : "the subnet"} has ${capacity} host addresses, too few for the gateway and ${attachments.length} containers; use a shorter prefix, e.g. /${Math.max(8, 32 - Math.ceil(Math.log2(attachments.length + 3)) - 1)}`,
      });
    }
    def.firstFreeOffset = highestService + 1; // the gateway may sit above: the script skips it
  }
}
