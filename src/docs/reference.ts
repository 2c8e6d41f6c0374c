// docs/spec.md, generated from the JSON Schema (the single source of truth): every key with
// its type, default, Compose compatibility and an example; then the Compose keys tupper
// rejects, with the reason. `make docs` writes it; a unit test fails when it is stale.
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { schemaFile } from "../paths.js";

interface Node {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  hint?: string;
  compose?: string;
  examples?: unknown[];
  notSupportedYet?: string;
  properties?: Record<string, Node>;
  additionalProperties?: Node | boolean;
  items?: Node;
  definitions?: Record<string, Node>;
}

interface Key {
  path: string;
  node: Node;
}

/** What a <name> placeholder stands for, by the key that holds the names. */
const NAME_EXAMPLES: Record<string, string> = {
  services: "web",
  networks: "front",
  environment: "MODE",
  extra_hosts: "db.local",
};

export function specReference(): string {
  const schema = JSON.parse(readFileSync(schemaFile, "utf8")) as Node;
  const resolve = (n: Node): Node => (n.$ref ? schema.definitions![n.$ref.split("/").pop()!]! : n);
  const supported: Key[] = [];
  const rejected: Key[] = [];
  const walk = (raw: Node, path: string) => {
    const node = resolve(raw);
    if (node.notSupportedYet !== undefined) return void rejected.push({ path, node });
    supported.push({ path, node });
    for (const [k, v] of Object.entries(node.properties ?? {})) walk(v, `${path}.${k}`);
    if (typeof node.additionalProperties === "object") walk(node.additionalProperties, `${path}.<name>`);
    if (node.items && resolve(node.items).properties) {
      for (const [k, v] of Object.entries(resolve(node.items).properties!)) walk(v, `${path}[].${k}`);
    }
  };
  for (const [k, v] of Object.entries(schema.properties ?? {})) walk(v, k);

  const out = [
    "# The tupper spec, key by key",
    "",
    "<!-- Generated from src/spec/schema.json by `make docs`. Do not edit: a unit test fails when this file is stale. -->",
    "",
    "A tupper spec is a Compose file: the keys below mean what they mean in Compose, except where",
    "the **Compose** line says otherwise. Any other key is an error with its position, never",
    "ignored; the last section lists the Compose keys tupper rejects and why. Keys starting with",
    "`x-` are extension fields and are ignored, as in Compose; `x-tupper` holds tupper's own settings.",
    "`<name>` stands for a name of your choosing (a service, a network, a variable).",
    "",
  ];
  for (const { path, node } of supported) {
    out.push(`## \`${path}\``, "");
    const text = [node.description, node.hint ? `Write it as ${node.hint}.` : undefined].filter(Boolean).join(" ");
    if (text) out.push(text, "");
    out.push(`- **Type:** ${typeOf(node)}`);
    out.push(`- **Default:** ${node.default === undefined ? "none" : `\`${JSON.stringify(node.default)}\``}`);
    out.push(`- **Compose:** ${node.compose ?? "as in Compose"}`);
    out.push("");
    if (node.examples?.length) out.push("```yaml", exampleYaml(path, node.examples[0]).trimEnd(), "```", "");
  }
  out.push("## Compose keys tupper rejects", "", "| Key | Why |", "|:---|:---|");
  for (const { path, node } of rejected) out.push(`| \`${path}\` | ${node.notSupportedYet} |`);
  out.push("");
  return out.join("\n");
}

function typeOf(node: Node): string {
  if (node.enum) return `one of ${node.enum.map((v) => `\`${JSON.stringify(v)}\``).join(", ")}`;
  const types = node.type === undefined ? ["any"] : Array.isArray(node.type) ? node.type : [node.type];
  const names = types.map((t) => (t === "array" && node.items?.type ? `list of ${[node.items.type].flat().join(" or ")}` : t === "object" ? "map" : t));
  return names.join(" or ");
}

/** The example value nested under its whole path, so it can be pasted into a spec. */
function exampleYaml(path: string, value: unknown): string {
  const segments = path.split(".");
  let nested: unknown = value;
  for (let i = segments.length - 1; i >= 0; i--) {
    let seg = segments[i]!;
    const inList = seg.endsWith("[]");
    if (inList) seg = seg.slice(0, -2);
    if (seg === "<name>") seg = NAME_EXAMPLES[segments[i - 1]!.replace(/\[\]$/, "")] ?? "example";
    nested = { [seg]: nested };
    if (i > 0 && segments[i - 1]!.endsWith("[]")) nested = [nested];
  }
  return stringify(nested);
}
