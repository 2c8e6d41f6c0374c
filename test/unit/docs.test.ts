// docs/spec.md is generated from the schema: it must be what the generator makes now.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { specReference } from "../../src/docs/reference.js";
import { packageRoot } from "../../src/paths.js";

test("docs/spec.md is up to date with src/spec/schema.json (run: make docs)", () => {
  assert.equal(readFileSync(join(packageRoot, "docs", "spec.md"), "utf8"), specReference());
});

test("every supported key has an example, and every rejected key a reason", () => {
  const doc = specReference();
  const sections = doc.split("\n## ").slice(1, -1);
  for (const s of sections) assert.match(s, /```yaml\n/, `no example in: ${s.split("\n")[0]}`);
  assert.match(doc, /\| `services\.<name>\.build\.ssh` \| tupper does not forward an SSH agent into a build/);
});
