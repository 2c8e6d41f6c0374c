// Networks, ports and names: resolved once for the whole project (addresses depend on every
// service), each problem reported with its position.
import { parseIPv4 } from "../model/addresses.js";
import { DNS_OPTION, DNS_SEARCH_DOMAIN, extraHost, parseExtraHostEntry, stringList } from "../model/hosts.js";
import { HOST_NAME, resolveNetworking, type Networking } from "../model/network.js";
import { parsePort } from "../model/ports.js";
import type { ExtraHost } from "../model/hosts.js";
import type { PublishedPort } from "../model/ports.js";
import type { SpecPath } from "../spec/parse.js";
import { type Obj, type Report, isObj } from "./context.js";

const MAC_ADDRESS = /^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/;
const DOMAIN_MAX = 64; // the kernel's limit for setdomainname

/** Each service's published ports and extra_hosts entries, parsed. */
export interface ServiceAddresses {
  ports: { at: number; ports: PublishedPort[] }[];
  extraHosts: { key: string | number; host: ExtraHost }[];
}

export function resolveProjectNetworking(root: Obj, report: Report): { networking: Networking; services: Map<string, ServiceAddresses> } {
  const net = resolveNetworking(root);
  for (const p of net.problems) report(p.path, p.message, "error", p.at ?? "value");
  const services = new Map<string, ServiceAddresses>();
  if (!isObj(root.services)) return { networking: net, services };
  const hostPorts = new Map<string, Publisher[]>();
  for (const [name, s] of Object.entries(root.services)) {
    if (!isObj(s)) continue;
    const at: SpecPath = ["services", name];
    const ports = resolvePorts(at, s, net, hostPorts, report);
    const extraHosts = resolveNames(at, s, report);
    checkLinks(at, s, net, report);
    services.set(name, { ports, extraHosts });
  }
  return { networking: net, services };
}

/** A service's host port: where it is published, and the service's profiles (none: it always runs). */
interface Publisher {
  path: SpecPath;
  profiles: string[];
}

/**
 * Two services that publish one host port conflict when they run together: when either has
 * no profiles, or they share one. Services of different profiles only (sentry's nginx and
 * nginx-errors-only) run together only when both profiles are named; then the second start
 * fails, as in Docker.
 */
function runTogether(a: string[], b: string[]): boolean {
  return a.length === 0 || b.length === 0 || a.some((p) => b.includes(p));
}

function resolvePorts(at: SpecPath, s: Obj, net: Networking, hostPorts: Map<string, Publisher[]>, report: Report): ServiceAddresses["ports"] {
  if (Array.isArray(s.expose)) {
    s.expose.forEach((e, i) => {
      if (typeof e !== "string" && typeof e !== "number") return;
      const m = /^(\d{1,5})(-\d{1,5})?(\/(tcp|udp))?$/.exec(String(e));
      if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) report([...at, "expose", i], `${JSON.stringify(e)} is not a port; use e.g. 8080 or 8080/udp`);
    });
  }
  const out: ServiceAddresses["ports"] = [];
  if (!Array.isArray(s.ports) || s.ports.length === 0) return out;
  const joined = net.services.get(at[1] as string);
  if (joined && joined.mode !== "bridge") {
    report([...at, "ports"], `has no effect with network_mode ${joined.mode}: there is no container address to forward to; remove ports or the network_mode`, "error", "key");
    return out;
  }
  const internalOnly = joined?.attachments.every((a) => net.networks.find((n) => n.name === a.network)?.internal);
  if (joined && joined.attachments.length > 0 && internalOnly) {
    report([...at, "ports"], "the service is only on internal networks, which nothing outside reaches; join a network that is not internal", "error", "key");
  }
  s.ports.forEach((raw, i) => {
    if (isObj(raw) && raw.target === undefined) return; // the schema reports it
    if (typeof raw !== "string" && typeof raw !== "number" && !isObj(raw)) return;
    const parsed = parsePort(raw);
    if (!parsed.ok) return report([...at, "ports", i], `${parsed.why}`);
    out.push({ at: i, ports: parsed.value });
    for (const p of parsed.value) {
      if (p.hostPortMin !== p.hostPortMax) continue; // chosen at start from a range
      const key = `${p.hostPortMin}/${p.protocol}`;
      const profiles = Array.isArray(s.profiles) ? s.profiles.filter((x): x is string => typeof x === "string") : [];
      const publishers = hostPorts.get(key) ?? [];
      const first = publishers.find((other) => runTogether(other.profiles, profiles))?.path;
      if (first) {
        report([...at, "ports", i], `host port ${key} is already published by ${first.slice(0, 2).join(".")}.ports[${first[3]}]; use another host port`);
      } else hostPorts.set(key, [...publishers, { path: [...at, "ports", i], profiles }]);
    }
  });
  return out;
}

function resolveNames(at: SpecPath, s: Obj, report: Report): ServiceAddresses["extraHosts"] {
  const extraHosts: ServiceAddresses["extraHosts"] = [];
  if (Array.isArray(s.extra_hosts)) {
    s.extra_hosts.forEach((e: unknown, i) => {
      if (typeof e !== "string") return;
      const h = parseExtraHostEntry(e);
      if (!h.ok) report([...at, "extra_hosts", i], h.why);
      else extraHosts.push({ key: i, host: h.value });
    });
  } else if (isObj(s.extra_hosts)) {
    for (const [name, value] of Object.entries(s.extra_hosts)) {
      for (const address of stringList(value)) {
        const h = extraHost(name, address);
        if (!h.ok) report([...at, "extra_hosts", name], h.why);
        else extraHosts.push({ key: name, host: h.value });
      }
    }
  }
  const listed = (key: string) => (typeof s[key] === "string" ? [[s[key], [...at, key]]] : Array.isArray(s[key]) ? (s[key] as unknown[]).map((v, i) => [v, [...at, key, i]]) : []) as [unknown, SpecPath][];
  for (const [server, path] of listed("dns")) {
    if (typeof server === "string" && !parseIPv4(server).ok) report(path, `${JSON.stringify(server)} is not an IPv4 address; use e.g. 10.0.0.2`);
  }
  for (const [domain, path] of listed("dns_search")) {
    if (typeof domain === "string" && !DNS_SEARCH_DOMAIN.test(domain)) report(path, `${JSON.stringify(domain)} is not a domain name; use e.g. example.com`);
  }
  for (const [option, path] of listed("dns_opt")) {
    if (typeof option === "string" && !DNS_OPTION.test(option)) report(path, `${JSON.stringify(option)} is not a resolv.conf option; use e.g. ndots:2`);
  }
  if (typeof s.mac_address === "string") {
    if (!MAC_ADDRESS.test(s.mac_address)) report([...at, "mac_address"], `${JSON.stringify(s.mac_address)} is not a MAC address; use e.g. 02:42:ac:11:00:02`);
    else if (parseInt(s.mac_address.slice(0, 2), 16) & 1) report([...at, "mac_address"], "is a multicast address; use one whose first byte is even, e.g. 02:...");
  }
  if (typeof s.domainname === "string" && (!HOST_NAME.test(s.domainname) || Buffer.byteLength(s.domainname) > DOMAIN_MAX)) {
    report([...at, "domainname"], `must be a domain name of 1 to ${DOMAIN_MAX} bytes; use e.g. example.com`);
  }
  return extraHosts;
}

function checkLinks(at: SpecPath, s: Obj, net: Networking, report: Report): void {
  if (!Array.isArray(s.links)) return;
  const mine = net.services.get(at[1] as string)?.attachments.map((a) => a.network) ?? [];
  s.links.forEach((link, i) => {
    if (typeof link !== "string") return;
    const [target = "", alias = target, ...rest] = link.split(":");
    const path: SpecPath = [...at, "links", i];
    const theirs = net.services.get(target);
    if (rest.length > 0 || !HOST_NAME.test(alias)) return report(path, `${JSON.stringify(link)} is not SERVICE or SERVICE:ALIAS`);
    if (!theirs) return report(path, `there is no service ${JSON.stringify(target)}; link to one of: ${[...net.services.keys()].join(", ")}`);
    if (!theirs.attachments.some((a) => mine.includes(a.network))) {
      report(path, `${target} shares no network with this service, so it cannot be reached; put both on one network`);
    }
  });
}
