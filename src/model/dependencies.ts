// depends_on: each service's dependencies with their conditions, and the order services start in.
import type { SpecPath } from "../spec/parse.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export type Condition = "service_started" | "service_healthy" | "service_completed_successfully";

export interface Dependency {
  service: string;
  condition: Condition;
  /** required: false: a missing or failing dependency is only a warning, as in Compose. */
  required: boolean;
  /** Where the entry is written (for errors). */
  path: SpecPath;
}

/** The dependencies of service NAME (S its spec), in the order written; [] without depends_on. */
export function dependenciesOf(name: string, s: Obj): Dependency[] {
  const d = s.depends_on;
  const at = (...rest: (string | number)[]): SpecPath => ["services", name, "depends_on", ...rest];
  let explicit: Dependency[] = [];
  if (Array.isArray(d)) {
    explicit = d.filter((x): x is string => typeof x === "string").map((service, i) => ({ service, condition: "service_started", required: true, path: at(i) }));
  } else if (d !== null && typeof d === "object") {
    explicit = Object.entries(d).map(([service, v]) => ({
      service,
      condition: isObj(v) && isCondition(v.condition) ? v.condition : "service_started",
      required: !isObj(v) || v.required !== false,
      path: at(service),
    }));
  }
  // As Compose: sharing another service's namespaces (network_mode, ipc, pid: service:NAME)
  // depends on it having started.
  const implicit = (["network_mode", "ipc", "pid"] as const).flatMap((key): Dependency[] => {
    const other = sharedService(s[key]);
    if (other === null || explicit.some((e) => e.service === other)) return [];
    return [{ service: other, condition: "service_started", required: true, path: ["services", name, key] }];
  });
  return [...explicit, ...implicit.filter((dep, i) => implicit.findIndex((o) => o.service === dep.service) === i)];
}

function isCondition(v: unknown): v is Condition {
  return v === "service_started" || v === "service_healthy" || v === "service_completed_successfully";
}

/** NAME from "service:NAME" (network_mode, ipc, pid), else null. */
export function sharedService(v: unknown): string | null {
  return typeof v === "string" && v.startsWith("service:") ? v.slice("service:".length) : null;
}

/**
 * The services in start order: each after its dependencies, otherwise in spec order. Returns
 * a cycle instead (its services in order, the first repeated at the end) when there is one.
 */
export function startOrder(services: Record<string, Obj>): { order: string[] } | { cycle: string[] } {
  const names = Object.keys(services);
  const deps = new Map(names.map((n) => [n, dependenciesOf(n, services[n]!).map((d) => d.service).filter((d) => d in services && d !== n)]));
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === "done") return null;
    if (state.get(n) === "visiting") return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, "visiting");
    stack.push(n);
    for (const d of deps.get(n)!) {
      const cycle = visit(d);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(n, "done");
    order.push(n);
    return null;
  };
  for (const n of names) {
    const cycle = visit(n);
    if (cycle) return { cycle };
  }
  return { order };
}
