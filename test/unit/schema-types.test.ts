// The spec's TS types come from the JSON Schema: the checked-in src/spec/schema-types.ts is
// what scripts/schema-types.mjs makes of src/spec/schema.json, and the model has no `any`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { packageRoot } from "../../src/paths.js";

test("src/spec/schema-types.ts is generated from schema.json (make src/spec/schema-types.ts)", () => {
  const made = execFileSync(process.execPath, [join(packageRoot, "scripts/schema-types.mjs"), join(packageRoot, "src/spec/schema.json")], { encoding: "utf8" });
  assert.equal(readFileSync(join(packageRoot, "src/spec/schema-types.ts"), "utf8"), made);
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

// The allow-list: JSON from a registry and the lock file (src/lock), which those modules check
// field by field as they read it; they are outside the spec → plan pipeline. Shrink it, never grow it.
const ANY_ALLOWED = new Set(["lock/lock.ts", "lock/registry.ts"]);

test("no `any` in src/ (outside a short allow-list): every value the compiler holds has a type", () => {
  const src = join(packageRoot, "src");
  const found: string[] = [];
  for (const file of sources(src)) {
    if (ANY_ALLOWED.has(relative(src, file))) continue;
    readFileSync(file, "utf8").split("\n").forEach((line, i) => {
      const code = line.replace(/\/\/.*$/, "").replace(/\/\*.*?\*\//g, "").replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g, '""');
      if (/(:|<|as|,|\||\()\s*any\b(?!-)|\bany\[\]/.test(code)) found.push(`${relative(src, file)}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, []);
});
