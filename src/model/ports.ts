// Compose `ports:` entries, short ("[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]") and long form,
// → one published port per container port. Ranges of equal length pair up port by port.
import { parseIPv4 } from "./addresses.js";
import type { Parsed } from "./units.js";

export type Protocol = "tcp" | "udp";

export interface PublishedPort {
  protocol: Protocol;
  /** The host address it answers on; null: every address of the host. */
  hostIp: string | null;
  /** Host ports to choose from at start: one port, a range, or (none written) Docker's ephemeral range. */
  hostPortMin: number;
  hostPortMax: number;
  containerPort: number;
}

/** Where Docker picks a host port when the spec names none (Linux's ephemeral range). */
export const EPHEMERAL_PORTS = { min: 32768, max: 60999 } as const;

interface Range {
  min: number;
  max: number;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(why: string): Parsed<T> => ({ ok: false, why });

function parseRange(text: string, what: string): Parsed<Range> {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (!m) return bad(`${what} ${JSON.stringify(text)} is not a port or range`);
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : Number(m[2]);
  for (const p of [min, max]) if (p < 1 || p > 65535) return bad(`${what} ${p} is out of range; ports run from 1 to 65535`);
  if (max < min) return bad(`${what} range ${JSON.stringify(text)} runs backwards; write LOW-HIGH`);
  return ok({ min, max });
}

export function parsePort(raw: unknown): Parsed<PublishedPort[]> {
  if (typeof raw === "number") return parseShort(String(raw));
  if (typeof raw === "string") return parseShort(raw);
  return parseLong(raw as Record<string, unknown>);
}

function parseShort(text: string): Parsed<PublishedPort[]> {
  if (text.includes("[") || (text.match(/:/g) ?? []).length > 2) {
    return bad(`${JSON.stringify(text)}: IPv6 host addresses are not supported (tupper networks are IPv4 only); use an IPv4 address`);
  }
  const slash = text.lastIndexOf("/");
  const protocol = slash < 0 ? "tcp" : text.slice(slash + 1);
  if (protocol !== "tcp" && protocol !== "udp") return bad(`protocol ${JSON.stringify(protocol)} is not supported; use tcp or udp`);
  const parts = (slash < 0 ? text : text.slice(0, slash)).split(":");
  const containerText = parts.pop()!;
  const hostText = parts.pop() ?? "";
  const ipText = parts.pop() ?? null;
  return build(protocol, ipText === "" ? null : ipText, hostText, containerText);
}

function parseLong(o: Record<string, unknown>): Parsed<PublishedPort[]> {
  const protocol = (o.protocol as Protocol | undefined) ?? "tcp";
  const published = o.published === undefined ? "" : String(o.published);
  return build(protocol, (o.host_ip as string | undefined) ?? null, published, String(o.target));
}

function build(protocol: Protocol, hostIp: string | null, hostText: string, containerText: string): Parsed<PublishedPort[]> {
  if (hostIp !== null) {
    const ip = parseIPv4(hostIp);
    if (!ip.ok) return bad(`host address ${JSON.stringify(hostIp)} is not an IPv4 address`);
    if (hostIp === "0.0.0.0") hostIp = null;
  }
  const container = parseRange(containerText, "container port");
  if (!container.ok) return container;
  const host = hostText === "" ? ok<Range>({ min: EPHEMERAL_PORTS.min, max: EPHEMERAL_PORTS.max }) : parseRange(hostText, "host port");
  if (!host.ok) return host;
  const c = container.value;
  const h = host.value;
  const count = c.max - c.min + 1;
  const out: PublishedPort[] = [];
  if (hostText !== "" && h.max - h.min + 1 !== count && count !== 1) {
    return bad(`host range ${hostText} and container range ${containerText} differ in length; give both the same number of ports`);
  }
  for (let i = 0; i < count; i++) {
    const pinned = hostText !== "" && count > 1; // ranges of equal length pair port by port
    out.push({
      protocol,
      hostIp,
      hostPortMin: pinned ? h.min + i : h.min,
      hostPortMax: pinned ? h.min + i : h.max,
      containerPort: c.min + i,
    });
  }
  // Without a host port, each container port of a range gets its own free host port at start.
  return ok(out);
}
