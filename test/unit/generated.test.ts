// generated/ holds the compiled example specs, checked in: they must be what the compiler makes now.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compileSpec } from "../../src/compile.js";
import { packageRoot } from "../../src/paths.js";

const specs = readdirSync(join(packageRoot, "specs")).filter((f) => f.endsWith(".yaml"));

test("there are example specs", () => assert.ok(specs.length >= 3));

for (const file of specs) {
  test(`generated/${file.replace(/\.yaml$/, ".sh")} is up to date with specs/${file} (run: make generated)`, () => {
    const spec = join("specs", file);
    const out = join("generated", file.replace(/\.yaml$/, ".sh"));
    const result = compileSpec(spec, readFileSync(join(packageRoot, spec), "utf8"), join(packageRoot, out));
    assert.deepEqual(result.diagnostics, []);
    assert.equal(readFileSync(join(packageRoot, out), "utf8"), result.script);
  });
}
