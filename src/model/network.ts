// The project's networks and how each service joins them, worked out once for both the
// meaning checks (which report the problems) and normalise (which trusts the result).
//
// Addresses are offsets into a network's subnet: the subnet may only be chosen at run time
// (from Docker's default pools), but which service gets which offset is decided here, in
// spec order, so every container's /etc/hosts can name every service on its networks
// before those have started, and the same spec always gives the same addresses.
import type { SpecPath } from "../spec/parse.js";
import {
  formatIPv4, formatIPv6, formatSubnet, formatSubnet6, hostOffset, hostOffset6, isIPv6Text, lastHostOffset, lastHostOffset6, overlaps, overlaps6,
  parseIPv4, parseIPv6, parseSubnet, parseSubnet6, type Subnet, type Subnet6,
} from "./addresses.js";

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
  /** enable_ipv6: true: the IPv6 side (null: an IPv4-only network). */
  ipv6: NetworkIPv6 | null;
  /** driver_opts com.docker.network.bridge.name (null: tupper names the bridge tpb-HASH). */
  bridgeName: string | null;
}

/** A network's IPv6 subnet and offsets, allocated as for IPv4 (the same rules, their own offsets). */
export interface NetworkIPv6 {
  /** null: a ULA /64 derived from the project and network name when the network is created. */
  subnet: Subnet6 | null;
  gatewayOffset: number;
  firstFreeOffset: number;
}

/** The one driver_opts key tupper applies; Docker's other bridge options are refused. */
export const BRIDGE_NAME_OPTION = "com.docker.network.bridge.name";
/**
 * A bridge name the spec chooses: an interface name (at most 15 bytes, IFNAMSIZ - 1, no '/',
 * ':' or blank, as the kernel's dev_valid_name wants), and no '+', which iptables reads as a
 * wildcard in -i/-o. tupper's own prefixes are kept for tupper (its rules match tpb-+).
 */
export const BRIDGE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;

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
  /** On an enable_ipv6 network: the first replica's offset in the IPv6 subnet (0 on IPv4-only networks). */
  offset6: number;
  fixed6: boolean;
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
  allocateOffsets6(defs, services, problems);
  const used = new Set([...services.values()].flatMap((s) => s.attachments.map((a) => a.network)));
  return { networks: [...defs.values()].filter((d) => used.has(d.name)), services, problems };
}

function declaredNetworks(root: Obj, problems: Networking["problems"]): Map<string, NetworkDef> {
  const defs = new Map<string, NetworkDef>();
  const declared = isObj(root.networks) ? root.networks : {};
  for (const [name, raw] of Object.entries(declared)) {
    const at: SpecPath = ["networks", name];
    const n = isObj(raw) ? raw : {};
    const def: NetworkDef = {
      name, path: at, subnet: null, gatewayOffset: 1, internal: n.internal === true, firstFreeOffset: 2,
      ipv6: n.enable_ipv6 === true ? { subnet: null, gatewayOffset: 1, firstFreeOffset: 2 } : null, bridgeName: null,
    };
    const configs = isObj(n.ipam) && Array.isArray(n.ipam.config) ? n.ipam.config : [];
    let seen4 = false;
    let seen6 = false;
    configs.forEach((config, i) => {
      if (!isObj(config)) return;
      const configAt: SpecPath = [...at, "ipam", "config", i];
      // ipam.config: one entry per address family, as Docker's default IPAM takes them
      const v6 = typeof config.subnet === "string" ? isIPv6Text(config.subnet) : typeof config.gateway === "string" && isIPv6Text(config.gateway);
      if (v6 ? seen6 : seen4) {
        return void problems.push({ path: configAt, message: `a second ${v6 ? "IPv6" : "IPv4"} entry; a tupper network has one subnet of each family` });
      }
      if (v6) seen6 = true;
      else seen4 = true;
      if (v6) return void ipv6Config(def, config, configAt, problems);
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
    });
    for (const other of defs.values()) {
      const [mine, theirs] = [def.ipv6?.subnet, other.ipv6?.subnet];
      if (mine && theirs && overlaps6(mine, theirs)) {
        problems.push({
          path: [...at, "ipam", "config"],
          message: `${formatSubnet6(mine)} overlaps ${formatSubnet6(theirs)} of network ${other.name}; give each network its own IPv6 subnet`,
        });
      }
    }
    if (isObj(n.driver_opts) && typeof n.driver_opts[BRIDGE_NAME_OPTION] === "string") {
      def.bridgeName = bridgeName(def, n.driver_opts[BRIDGE_NAME_OPTION], [...at, "driver_opts", BRIDGE_NAME_OPTION], defs, problems);
    }
    defs.set(name, def);
  }
  if (!defs.has(DEFAULT_NETWORK)) {
    defs.set(DEFAULT_NETWORK, { name: DEFAULT_NETWORK, path: null, subnet: null, gatewayOffset: 1, internal: false, firstFreeOffset: 2, ipv6: null, bridgeName: null });
  }
  return defs;
}

/** ipam.config's IPv6 entry: its subnet and gateway (the subnet's first address unless given), on an enable_ipv6 network. */
function ipv6Config(def: NetworkDef, config: Obj, configAt: SpecPath, problems: Networking["problems"]): void {
  if (!def.ipv6) {
    const key = typeof config.subnet === "string" ? "subnet" : "gateway";
    return void problems.push({ path: [...configAt, key], message: `is IPv6, but network ${def.name} does not enable IPv6; add enable_ipv6: true to it` });
  }
  if (typeof config.subnet === "string") {
    const subnet = parseSubnet6(config.subnet);
    if (subnet.ok) def.ipv6.subnet = subnet.value;
    else problems.push({ path: [...configAt, "subnet"], message: `${subnet.why}; use e.g. fd00:1::/64` });
  }
  if (typeof config.gateway === "string") {
    const gw = parseIPv6(config.gateway);
    if (!gw.ok) problems.push({ path: [...configAt, "gateway"], message: `${gw.why}; use an address inside the subnet` });
    else if (config.subnet === undefined) {
      problems.push({ path: [...configAt, "gateway"], message: "needs the subnet it belongs to; add an IPv6 subnet to this ipam.config entry" });
    } else if (def.ipv6.subnet) {
      const offset = hostOffset6(def.ipv6.subnet, gw.value);
      if (offset === null) {
        problems.push({ path: [...configAt, "gateway"], message: `${config.gateway} is not a host address of ${formatSubnet6(def.ipv6.subnet)} (or lies past its first 2^32 addresses); use one inside it` });
      } else def.ipv6.gatewayOffset = offset;
    }
  }
}

/** driver_opts com.docker.network.bridge.name: an interface name, unique in the project; tupper checks the host at run time. */
function bridgeName(def: NetworkDef, name: string, path: SpecPath, defs: Map<string, NetworkDef>, problems: Networking["problems"]): string | null {
  if (!BRIDGE_NAME.test(name) || name === "." || name === "..") {
    problems.push({ path, message: `${JSON.stringify(name)} is not an interface name; use 1 to 15 letters, digits, ., - and _ (e.g. br-${def.name.slice(0, 12)})` });
    return null;
  }
  if (/^tp[bv]-/.test(name)) {
    problems.push({ path, message: `${JSON.stringify(name)} starts with tpb- or tpv-, which tupper keeps for the bridges and veths it names; choose another name` });
    return null;
  }
  const other = [...defs.values()].find((d) => d.bridgeName === name);
  if (other) {
    problems.push({ path, message: `${JSON.stringify(name)} is the bridge of network ${other.name} too; give each network its own bridge name` });
    return null;
  }
  return name;
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
    if (typeof options.ipv6_address === "string") fixAddress6(a, options.ipv6_address, defs.get(a.network)!, problems);
  }
  return { mode: "bridge", attachments };
}

function attach(network: string, path: SpecPath, options: Obj): Attachment {
  const aliases = Array.isArray(options.aliases) ? options.aliases.filter((x): x is string => typeof x === "string") : [];
  return { network, path, offset: 0, fixed: false, aliases, replicas: 1, offset6: 0, fixed6: false };
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

/** networks.NAME.ipv6_address: a fixed address in the network's IPv6 subnet. */
function fixAddress6(a: Attachment, text: string, def: NetworkDef, problems: Networking["problems"]): void {
  const path = [...a.path, "ipv6_address"];
  if (!def.ipv6) return void problems.push({ path, message: `network ${def.name} does not enable IPv6; add enable_ipv6: true and an IPv6 subnet to it` });
  const address = parseIPv6(text);
  if (!address.ok) return void problems.push({ path, message: `${address.why}; use e.g. fd00:1::10` });
  if (!def.ipv6.subnet) {
    return void problems.push({ path, message: `needs a fixed IPv6 subnet; add an ipam.config entry with an IPv6 subnet to network ${def.name}` });
  }
  const offset = hostOffset6(def.ipv6.subnet, address.value);
  if (offset === null) {
    return void problems.push({ path, message: `${text} is not a host address of ${formatSubnet6(def.ipv6.subnet)} (tupper gives the first 2^32 addresses of a subnet); use one inside it` });
  }
  if (offset === def.ipv6.gatewayOffset) {
    return void problems.push({ path, message: `${text} is the IPv6 gateway of network ${def.name}; use another address` });
  }
  a.offset6 = offset;
  a.fixed6 = true;
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

/**
 * The IPv6 side of enable_ipv6 networks, by the same rules as IPv4 (fixed ipv6_address
 * first, then the lowest free offsets in spec order) but offsets of their own: Docker's
 * IPAM allocates each family from its own pool, so a service pinned to .254 in IPv4 takes
 * ::2 in IPv6 when nothing pins it.
 */
function allocateOffsets6(defs: Map<string, NetworkDef>, services: Map<string, ServiceNetworking>, problems: Networking["problems"]): void {
  for (const def of defs.values()) {
    if (!def.ipv6) continue;
    const v6 = def.ipv6;
    const attachments = [...services.values()].flatMap((s) => s.attachments.filter((a) => a.network === def.name));
    const taken = new Set<number>([v6.gatewayOffset]);
    for (const a of attachments.filter((x) => x.fixed6)) {
      if (taken.has(a.offset6)) {
        problems.push({ path: [...a.path, "ipv6_address"], message: `${formatIPv6(v6.subnet!.base + BigInt(a.offset6))} is given to another service too (or is the gateway); give each its own` });
      }
      taken.add(a.offset6);
    }
    let next = 1;
    for (const a of attachments.filter((x) => !x.fixed6)) {
      const free = (from: number) => Array.from({ length: a.replicas }, (_, k) => from + k).every((o) => !taken.has(o));
      while (!free(next)) next++;
      a.offset6 = next;
      for (let k = 0; k < a.replicas; k++) taken.add(next + k);
    }
    const capacity = v6.subnet ? lastHostOffset6(v6.subnet) : RUNTIME_SUBNET_HOSTS;
    if (Math.max(...taken) > capacity) {
      problems.push({ path: [...def.path!, "ipam", "config"], message: `the IPv6 subnet has ${capacity} host addresses, too few for the gateway and ${attachments.length} containers; use a shorter prefix` });
    }
    v6.firstFreeOffset = Math.max(0, ...attachments.map((a) => a.offset6 + a.replicas - 1)) + 1;
  }
}
