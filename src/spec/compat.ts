// The README's compatibility table, from the schema: each Compose key at the top level, in a
// service, a network and a volume, and whether tupper supports it, accepts it without applying
// it (and why), or refuses it (and why). A unit test keeps the README's copy in sync.
import { readFileSync } from "node:fs";
import { schemaFile } from "../paths.js";

interface KeyNode {
  notSupportedYet?: string;
  description?: string;
  compose?: string;
}

type Status = "supported" | "accepted, not applied" | "refused";

function statusOf(node: KeyNode): { status: Status; why: string } {
  if (node.notSupportedYet !== undefined) return { status: "refused", why: node.notSupportedYet };
  const accepted = /^Accepted and not applied: (.*)$/s.exec(node.description ?? "");
  if (accepted) return { status: "accepted, not applied", why: accepted[1]! };
  return { status: "supported", why: node.compose ?? "" };
}

export function compatibilityTable(): string {
  const schema = JSON.parse(readFileSync(schemaFile, "utf8")) as {
    properties: Record<string, KeyNode>;
    definitions: Record<string, { properties: Record<string, KeyNode> }>;
  };
  const rows: string[] = ["| Compose key | tupper | why, or how it differs |", "| --- | --- | --- |"];
  const add = (prefix: string, keys: Record<string, KeyNode>) => {
    for (const [key, node] of Object.entries(keys)) {
      if (key.startsWith("x-")) continue;
      const { status, why } = statusOf(node);
      rows.push(`| \`${prefix}${key}\` | ${status} | ${why.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`);
    }
  };
  add("", schema.properties);
  add("services.*.", schema.definitions.service!.properties);
  add("networks.*.", schema.definitions.network!.properties);
  add("volumes.*.", schema.definitions.volume!.properties);
  return `${rows.join("\n")}\n`;
}
