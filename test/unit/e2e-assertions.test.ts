// The e2e tests run under bats' `set -e`, which ignores the status of a command negated
// with `!`: a `! grep -q leak` in a test's middle passes whatever grep finds. Every such
// negation must end in `|| false` (or be written as `run !`), so that it can fail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";

test("no negated command in an e2e test is ignored by set -e", () => {
  const dir = join(packageRoot, "test", "e2e");
  const ignored: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".bats") || f.endsWith(".bash"))) {
    readFileSync(join(dir, file), "utf8")
      .split("\n")
      .forEach((line, i) => {
        const code = line.replace(/\s+#.*$/, "");
        if (/^\s*!\s/.test(code) && !/\|\|\s*false$/.test(code)) ignored.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(ignored, [], "add `|| false` to each negation (set -e ignores `! cmd`)");
});
