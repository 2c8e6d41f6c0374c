// IPv4 addresses and subnets as 32-bit numbers. tupper networks are IPv4 only.
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
