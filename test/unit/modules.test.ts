// No module of the compiler imports, through others, a module that imports it: each stage
// can be read, tested and replaced from the bottom up.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { packageRoot } from "../../src/paths.js";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

test("src/ has no import cycle", () => {
  const src = join(packageRoot, "src");
  const imports = new Map<string, string[]>();
  for (const file of sources(src)) {
    const text = readFileSync(file, "utf8");
    // type-only imports vanish at run time; the cycles that matter are those of values
    const targets = [...text.matchAll(/^import (?!type )[^;]*? from "(\.[^"]+)\.js";$/gm)].map((m) => resolve(dirname(file), `${m[1]}.ts`));
    imports.set(file, targets);
  }
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === "done") return;
    if (state.get(file) === "open") {
      cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(src, f)).join(" → "));
      return;
    }
    state.set(file, "open");
    for (const next of imports.get(file) ?? []) visit(next, [...path, file]);
    state.set(file, "done");
  };
  for (const file of imports.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});
