// /etc/hosts and /etc/resolv.conf settings of a service: extra_hosts, dns, dns_search, dns_opt.
import { parseIPv4 } from "./addresses.js";
import { HOST_NAME } from "./network.js";
import type { Parsed } from "./units.js";

/** The address Docker maps to the host itself: the gateway of the container's first network. */
export const HOST_GATEWAY = "host-gateway";

export interface ExtraHost {
  name: string;
  /** An IPv4 address, or host-gateway. */
  address: string;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(why: string): Parsed<T> => ({ ok: false, why });

/** One list entry: "NAME:IP" or "NAME=IP" (Compose accepts both). */
export function parseExtraHostEntry(text: string): Parsed<ExtraHost> {
  const m = /^([^:=]+)[:=](.*)$/.exec(text);
  if (!m) return bad(`${JSON.stringify(text)} has no address; write NAME:IP`);
  return extraHost(m[1]!, m[2]!);
}

export function extraHost(name: string, address: string): Parsed<ExtraHost> {
  if (!HOST_NAME.test(name)) return bad(`${JSON.stringify(name)} is not a host name; use letters, digits, ., - and _`);
  if (address !== HOST_GATEWAY && !parseIPv4(address).ok) {
    return bad(`${JSON.stringify(address)} is not an IPv4 address; use e.g. 10.0.0.5, or host-gateway for the host`);
  }
  return ok({ name, address });
}

/** Compose writes these as one string or a list. */
export const stringList = (v: unknown): string[] =>
  typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

export const DNS_SEARCH_DOMAIN = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,252})$/;
export const DNS_OPTION = /^[a-z][a-z0-9_-]*(:[0-9]+)?$/;
