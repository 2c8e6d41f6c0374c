// Stage 2: is the spec well-formed? The JSON Schema, via ajv; what values mean is the resolvers' (src/resolve).
import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { type Diagnostic, dottedPath } from "./diagnostics.js";
import type { ParsedSpec, SpecPath } from "./parse.js";
import { closest } from "./suggest.js";
import { RuntimeText } from "./runtime.js";
import { schemaFile } from "../paths.js";

type SchemaNode = { hint?: string; notSupportedYet?: string; properties?: Record<string, unknown>; type?: string | string[] };

let compiled: ValidateFunction | undefined;

function schemaValidator() {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
  // hint: how to write the value right; description/default/examples: documentation only.
  ajv.addKeyword({ keyword: "hint", schemaType: "string" });
  // compose: how tupper's meaning differs from Compose's, for docs/spec.md.
  ajv.addKeyword({ keyword: "compose", schemaType: "string" });
  // runtimeText: its strings may hold x-tupper.runtime_env variables (a ShellText once interpolated).
  ajv.addKeyword({ keyword: "runtimeText", schemaType: "boolean" });
  // A Compose key tupper does not implement yet: always an error, with the reason as its message.
  ajv.addKeyword({ keyword: "notSupportedYet", schemaType: "string", validate: () => false, errors: false });
  compiled = ajv.compile(JSON.parse(readFileSync(schemaFile, "utf8")) as object);
  return compiled;
}

export function validateSpec(spec: ParsedSpec): Diagnostic[] {
  if (spec.data === undefined) return [];
  return schemaDiagnostics(spec);
}

function schemaDiagnostics(spec: ParsedSpec): Diagnostic[] {
  const validate = schemaValidator();
  if (validate(asWritten(spec.data))) return [];
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    const d = toDiagnostic(spec, e);
    if (!d) continue;
    const key = `${d.path}\0${d.message}`;
    if (!seen.has(key)) out.push(d);
    seen.add(key);
  }
  return sayVersion1Once(spec, out);
}

/**
 * A file in Compose's first format (services at the top level, no services:): Compose v2
 * no longer reads it either (its schema refuses the top-level keys), so say that once, at
 * services is missing, instead of one unknown key per service.
 */
function sayVersion1Once(spec: ParsedSpec, diagnostics: Diagnostic[]): Diagnostic[] {
  const root = spec.data;
  if (root === null || typeof root !== "object" || Array.isArray(root) || "services" in root) return diagnostics;
  const looksLikeService = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v) && ("image" in v || "build" in v);
  const services = Object.entries(root).filter(([key, v]) => !key.startsWith("x-") && looksLikeService(v)).map(([key]) => key);
  if (services.length === 0) return diagnostics;
  const isServiceKey = (d: Diagnostic) => services.includes(d.path) && d.message.startsWith("unknown key ");
  return diagnostics
    .filter((d) => !isServiceKey(d))
    .map((d) =>
      d.path === "" && d.message.startsWith("services is missing")
        ? {
            ...d,
            message: `services is missing: this file is in Compose's first format, with its services (${services.join(", ")}) at the top level, which Compose v2 no longer reads either; put them under services:`,
          }
        : d,
    );
}

function toDiagnostic(spec: ParsedSpec, e: ErrorObject): Diagnostic | null {
  const path = pointerToPath(spec.data, e.instancePath);
  const schema = (e.parentSchema ?? {}) as SchemaNode;
  const hint = schema.hint ? `; use ${schema.hint}` : "";
  const make = (p: SpecPath, message: string, at: "key" | "value" = "value"): Diagnostic => ({
    file: spec.file,
    ...spec.positionOf(p, at),
    path: dottedPath(p),
    message,
    severity: "error",
  });
  // A bad service name: ajv reports it under propertyNames, with the name in propertyName.
  if (e.propertyName !== undefined) {
    if (e.keyword === "propertyNames") return null;
    return make([...path, e.propertyName], `${JSON.stringify(e.propertyName)} is not a valid name${hint}`, "key");
  }
  switch (e.keyword) {
    case "type": {
      const expected = ([] as string[]).concat(schema.type ?? []).map(article).join(" or ");
      return make(path, `is ${describe(e.data)}; expected ${expected}${hint}`);
    }
    case "required": {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      // a service needs image: or build: (anyOf): said once, by the anyOf case below
      if (e.schemaPath.includes("/anyOf/")) return null;
      const example = missing === "image" ? " (e.g. image: rootfs:./rootfs)" : missing === "services" ? " with at least one service" : "";
      return make(path, `${missing} is missing; add ${missing}:${example}`, "key");
    }
    case "additionalProperties": {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.entries(schema.properties ?? {})
        .filter(([, sub]) => (sub as SchemaNode).notSupportedYet === undefined)
        .map(([name]) => name);
      const guess = closest(key, known);
      const fix = guess
        ? `did you mean ${guess}?`
        : `remove it (keys of your own must start with x-)${known.length && known.length <= 8 ? `; known keys here: ${known.join(", ")}` : ""}`;
      return make([...path, key], `unknown key ${JSON.stringify(key)}; ${fix}`, "key");
    }
    case "notSupportedYet":
      return make(path, `not supported yet: ${String(e.schema)}; remove it for now`, "key");
    case "enum": {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ");
      return make(path, `${JSON.stringify(e.data)} is not allowed; use one of ${allowed}${schema.hint ? ` (${schema.hint})` : ""}`);
    }
    case "pattern":
      return make(path, `${JSON.stringify(e.data)} is not valid${hint}`);
    case "anyOf":
      // a service's anyOf: image: or build: (the only anyOf in the schema)
      return make(path, "image is missing; add image: (e.g. image: rootfs:./rootfs), or build: to build it from a Dockerfile", "key");
    case "minProperties":
      return make(path, "is empty; add at least one service", "key");
    case "minimum":
    case "maximum":
      return make(path, `${JSON.stringify(e.data)} ${e.message ?? "is out of range"}`);
    default:
      return make(path, `${e.message ?? "is not valid"}${hint}`);
  }
}

/** DATA with each RuntimeText as the text the spec writes (the schema checks its shape, as a string). */
function asWritten(data: unknown): unknown {
  if (data instanceof RuntimeText) return data.toString();
  if (Array.isArray(data)) return data.map(asWritten);
  if (data !== null && typeof data === "object") return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, asWritten(v)]));
  return data;
}

/** "/services/web/volumes/0" → ["services", "web", "volumes", 0] (array indexes as numbers). */
function pointerToPath(data: unknown, pointer: string): (string | number)[] {
  if (pointer === "") return [];
  const out: (string | number)[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split("/")) {
    const part = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(node)) {
      out.push(Number(part));
      node = node[Number(part)];
    } else {
      out.push(part);
      node = node && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined;
    }
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return "empty (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value === "number" && Number.isInteger(value) ? "the number" : `the ${typeof value}`} ${String(value)}`;
}

function article(type: string): string {
  const words: Record<string, string> = {
    string: "a string", integer: "a whole number", number: "a number", boolean: "true or false",
    object: "a mapping", array: "a list", null: "nothing (null)",
  };
  return words[type] ?? type;
}
