// IPv4 addresses and subnets as 32-bit numbers; IPv6 (enable_ipv6 networks) as bigints, below.
import type { Parsed } from "./units.js";

export interface Subnet {
  base: number;
  prefix: number;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(why: string): Parsed<T> => ({ ok: false, why });

/** "172.18.0.2" → 2886860802. Four decimal parts from 0 to 255, nothing else. */
export function parseIPv4(text: string): Parsed<number> {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255)) {
    return bad(`${JSON.stringify(text)} is not an IPv4 address`);
  }
  return ok(parts.reduce((n, p) => n * 256 + Number(p), 0));
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** "172.28.0.0/16". The address must be the subnet's first (172.28.0.1/16 is refused, as Docker does). */
export function parseSubnet(text: string): Parsed<Subnet> {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  if (!m) return bad(`${JSON.stringify(text)} is not a subnet in CIDR form`);
  const base = parseIPv4(m[1]!);
  const prefix = Number(m[2]);
  if (!base.ok) return bad(`${JSON.stringify(text)}: ${base.why}`);
  if (prefix < 8 || prefix > 30) return bad(`${JSON.stringify(text)}: the prefix length must be 8 to 30`);
  if ((base.value & ~maskOf(prefix)) !== 0) {
    return bad(`${JSON.stringify(text)} has host bits set; the subnet is ${formatSubnet({ base: (base.value & maskOf(prefix)) >>> 0, prefix })}`);
  }
  return ok({ base: base.value, prefix });
}

export const formatSubnet = (s: Subnet): string => `${formatIPv4(s.base)}/${s.prefix}`;

/** Usable host offsets in a subnet run from 1 to lastHost (the network and broadcast addresses excluded). */
export const lastHostOffset = (s: Subnet): number => 2 ** (32 - s.prefix) - 2;

/** The offset of ADDRESS in S, or null when it is outside S or is its network or broadcast address. */
export function hostOffset(s: Subnet, address: number): number | null {
  const offset = address - s.base;
  return offset >= 1 && offset <= lastHostOffset(s) ? offset : null;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const mask = maskOf(Math.min(a.prefix, b.prefix));
  return (a.base & mask) >>> 0 === (b.base & mask) >>> 0;
}

// ---- IPv6 (enable_ipv6 networks) ----------------------------------------------------
// Addresses as 128-bit bigints. The script never parses IPv6 text: the compiler hands it a
// subnet as 32 hex digits and a prefix length, and addresses as offsets into it, as for IPv4.

export interface Subnet6 {
  base: bigint;
  prefix: number;
}

/** Offsets tupper gives in an IPv6 subnet stay below 2^32: the script adds them to its last 32 bits. */
export const MAX_OFFSET6 = 2 ** 32 - 1;

/** "fd00::1" → its 128-bit value. Hex groups and one "::"; no zone, no embedded IPv4. */
export function parseIPv6(text: string): Parsed<bigint> {
  const not = bad<bigint>(`${JSON.stringify(text)} is not an IPv6 address`);
  if (!/^[0-9A-Fa-f:]{2,39}$/.test(text)) return not;
  const halves = text.split("::");
  if (halves.length > 2) return not;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return not;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (all.some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return not;
  return ok(all.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n));
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as "::". */
export function formatIPv6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLength).join(":")}`;
}

const mask6 = (prefix: number): bigint => ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefix)) - 1n);

/** "fd4d:6169:6c63:6f77::/64". Prefix 16 to 124; the host bits must be zero, as Docker requires. */
export function parseSubnet6(text: string): Parsed<Subnet6> {
  const m = /^([0-9A-Fa-f:]+)\/(\d{1,3})$/.exec(text);
  if (!m) return bad(`${JSON.stringify(text)} is not an IPv6 subnet in CIDR form`);
  const base = parseIPv6(m[1]!);
  const prefix = Number(m[2]);
  if (!base.ok) return bad(`${JSON.stringify(text)}: ${base.why}`);
  if (prefix < 16 || prefix > 124) return bad(`${JSON.stringify(text)}: the prefix length must be 16 to 124`);
  if ((base.value & ~mask6(prefix)) !== 0n) {
    return bad(`${JSON.stringify(text)} has host bits set; the subnet is ${formatSubnet6({ base: base.value & mask6(prefix), prefix })}`);
  }
  return ok({ base: base.value, prefix });
}

export const formatSubnet6 = (s: Subnet6): string => `${formatIPv6(s.base)}/${s.prefix}`;

/** The script's form of a subnet: 32 hex digits, "/", the prefix length. */
export const hexSubnet6 = (s: Subnet6): string => `${s.base.toString(16).padStart(32, "0")}/${s.prefix}`;

/** The highest offset tupper gives in S: its last address (IPv6 has no broadcast), at most MAX_OFFSET6. */
export const lastHostOffset6 = (s: Subnet6): number => (s.prefix <= 96 ? MAX_OFFSET6 : 2 ** (128 - s.prefix) - 1);

/** The offset of ADDRESS in S, or null when it is outside S, is S's own address (offset 0) or lies past MAX_OFFSET6. */
export function hostOffset6(s: Subnet6, address: bigint): number | null {
  if ((address & mask6(s.prefix)) !== s.base) return null;
  const offset = address - s.base;
  return offset >= 1n && offset <= BigInt(lastHostOffset6(s)) ? Number(offset) : null;
}

export function overlaps6(a: Subnet6, b: Subnet6): boolean {
  const mask = mask6(Math.min(a.prefix, b.prefix));
  return (a.base & mask) === (b.base & mask);
}

/** The address family of a subnet's text: IPv6 when it has a colon. */
export const isIPv6Text = (text: string): boolean => text.includes(":");
