#!/usr/bin/env node
// src/spec/schema.json → src/spec/schema-types.ts: the TypeScript types of a spec that the
// schema accepts, so that the JSON Schema stays the single source of truth for the spec's
// shape and the compiler cannot read a key the schema does not have.
//
// Why a script of our own rather than json-schema-to-typescript or json-schema-to-ts: the
// schema uses a small part of JSON Schema (type, properties, required, additionalProperties,
// patternProperties, items, enum, $ref to definitions; no oneOf/anyOf/allOf), which 100 lines
// cover; the output is ours to make deterministic and readable; and nothing is added to the
// dependencies. json-schema-to-ts types at the type level only, from a schema written as a TS
// constant, so the schema would have to leave its JSON file. A key the schema marks
// notSupportedYet is typed `never`: code cannot read it until the schema accepts it; the
// strings of a key marked runtimeText are ShellText (text that may hold runtime variables).
//
// Usage: node scripts/schema-types.mjs [SCHEMA] > src/spec/schema-types.ts
//        (a unit test, test/unit/schema-types.test.ts, keeps the checked-in file in sync)
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const TYPE_NAMES = { service: "Service", network: "Network", volume: "Volume" };

/**
 * The TS type of schema NODE, indented for depth DEPTH. RUNTIME: inside a key marked runtimeText,
 * whose strings may hold x-tupper.runtime_env variables: there a string is a ShellText
 * (src/spec/runtime.ts) once interpolated.
 */
function typeOf(node, depth, runtime = false) {
  if (node === true || node === undefined) return "unknown";
  if (node.runtimeText === true) runtime = true;
  if (node === false) return "never";
  if (node.notSupportedYet !== undefined) return "never";
  if (node.$ref !== undefined) {
    const name = node.$ref.replace("#/definitions/", "");
    if (!(name in TYPE_NAMES)) throw new Error(`no type name for ${node.$ref}`);
    return TYPE_NAMES[name];
  }
  if (node.enum !== undefined) return node.enum.map((v) => JSON.stringify(v)).join(" | ");
  const types = node.type === undefined ? [] : [].concat(node.type);
  if (types.length === 0) return "unknown";
  const union = types.map((t) => oneType(t, node, depth, runtime));
  return union.length === 1 ? union[0] : union.map((t) => (t.includes("\n") || !t.includes(" ") ? t : `(${t})`)).join(" | ");
}

function oneType(type, node, depth, runtime) {
  switch (type) {
    case "string":
      return runtime ? "ShellText" : "string";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array": {
      const item = typeOf(node.items, depth, runtime);
      return /^[A-Za-z]+$/.test(item) ? `${item}[]` : `(${item})[]`;
    }
    case "object":
      return objectType(node, depth, runtime);
    default:
      throw new Error(`schema type ${type} has no TS type`);
  }
}

function objectType(node, depth, runtime = false) {
  const pad = "  ".repeat(depth + 1);
  const required = new Set(node.required ?? []);
  const lines = [];
  for (const [key, sub] of Object.entries(node.properties ?? {})) {
    const doc = sub.description ?? sub.notSupportedYet;
    if (doc !== undefined) lines.push(`${pad}/** ${String(doc).replaceAll("*/", "*\\/").replace(/\s+/g, " ")} */`);
    const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? key : JSON.stringify(key);
    lines.push(`${pad}${name}${required.has(key) ? "" : "?"}: ${typeOf(sub, depth + 1, runtime)};`);
  }
  for (const [pattern, sub] of Object.entries(node.patternProperties ?? {})) {
    if (pattern === "^x-") lines.push(`${pad}[extension: \`x-\${string}\`]: unknown;`);
    else lines.push(`${pad}/** keys matching ${pattern} */`, `${pad}[key: string]: ${typeOf(sub, depth + 1, runtime)};`);
  }
  const extra = node.additionalProperties;
  if (extra !== false && extra !== undefined && !(extra === true && node.properties !== undefined && lines.length === 0)) {
    lines.push(`${pad}[key: string]: ${extra === true ? "unknown" : typeOf(extra, depth + 1, runtime)};`);
  } else if (extra === undefined && node.properties === undefined && node.patternProperties === undefined) {
    lines.push(`${pad}[key: string]: unknown;`);
  }
  if (lines.length === 0) return "Record<string, never>";
  return `{\n${lines.join("\n")}\n${"  ".repeat(depth)}}`;
}

export function schemaTypes(schema) {
  const out = [
    "// Generated from src/spec/schema.json by scripts/schema-types.mjs: do not edit, change the schema",
    "// and run `make src/spec/schema-types.ts` (test/unit/schema-types.test.ts fails while they differ).",
    "// The shape of a spec that the schema accepts, once interpolated; the resolvers (src/resolve) give the values' meaning.",
    'import type { ShellText } from "./runtime.js";',
    "",
  ];
  for (const [name, def] of Object.entries(schema.definitions ?? {})) {
    out.push(`/** ${String(def.description ?? name).replace(/\s+/g, " ")} */`, `export type ${TYPE_NAMES[name]} = ${typeOf(def, 0)};`, "");
  }
  out.push(`/** ${String(schema.title ?? "A spec").replace(/\s+/g, " ")} */`, `export interface Compose ${objectType(schema, 0)}`, "");
  return out.join("\n");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? new URL("../src/spec/schema.json", import.meta.url);
  process.stdout.write(schemaTypes(JSON.parse(readFileSync(file, "utf8"))));
}
