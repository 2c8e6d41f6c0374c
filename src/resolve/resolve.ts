// Stage 3: resolve. Every key of the spec that needs parsing, once: its value parsed into its
// final type, or a positioned diagnostic (file, line, column, key, what is wrong; what would be
// right). The model (src/model/normalise.ts) builds the plan from these values and parses
// nothing again; a key whose schema type is already its value (init: true, hostname: web) it
// reads through the types generated from the schema (spec/schema-types.ts).
// Runs beside the schema (spec/validate.ts) on the same document, tolerating what the schema
// reports, so that one run shows every problem.
import type { Diagnostic } from "../spec/diagnostics.js";
import type { ParsedSpec } from "../spec/parse.js";
import type { Variables } from "../spec/interpolate.js";
import { secretFiles } from "../model/secrets.js";
import { dependenciesOf } from "../model/dependencies.js";
import { type Obj, isObj, resolverFor } from "./context.js";
import { resolveProjectNetworking } from "./networking.js";
import { checkContainerNames, checkDocument, checkReplicas, checkSharing, resolveStartOrder } from "./project.js";
import { resolveService } from "./service.js";
import type { ServiceValues, SpecValues } from "./values.js";

/** VARIABLES: what ${VAR} took in the spec; env_file values expand theirs from it too, as in Compose. */
export function resolveSpec(spec: ParsedSpec, variables: Variables = {}): { values: SpecValues; diagnostics: Diagnostic[] } {
  const r = resolverFor(spec, variables);
  const root = isObj(spec.data) ? spec.data : {};
  if (isObj(spec.data)) checkDocument(r.report, root);
  const { networking, services: addresses } = resolveProjectNetworking(root, r.report);
  const services = new Map<string, ServiceValues>();
  const raw: Record<string, Obj> = isObj(root.services) ? Object.fromEntries(Object.entries(root.services).filter((e): e is [string, Obj] => isObj(e[1]))) : {};
  const startOrder = isObj(root.services) ? resolveStartOrder(r.report, raw) : [];
  checkContainerNames(r.report, raw, typeof root.name === "string" ? root.name : undefined);
  for (const [name, s] of Object.entries(raw)) checkSharing(r.report, ["services", name], s, root.services as Obj);
  const context = { declaredVolumes: new Set(isObj(root.volumes) ? Object.keys(root.volumes) : []), secrets: secretFiles(root) };
  for (const [name, s] of Object.entries(raw)) {
    const { ports, extraHosts } = addresses.get(name) ?? { ports: [], extraHosts: [] };
    checkReplicas(r.report, ["services", name], s, ports);
    const dependsOn = dependenciesOf(name, s).filter((d) => d.service in raw).map(({ service, condition }) => ({ service, condition }));
    services.set(name, { ...resolveService(r, ["services", name], s, context), ports, extraHosts, dependsOn });
  }
  return { values: { networking, services, startOrder }, diagnostics: r.diagnostics };
}
