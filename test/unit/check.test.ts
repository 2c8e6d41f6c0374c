import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { unifiedDiff } from "../../src/check/diff.js";
import { packageRoot } from "../../src/paths.js";
import { minimal, tempDir } from "./helpers.js";

const cli = join(packageRoot, "dist", "src", "cli.js");
const run = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: "utf8" });

test("unifiedDiff: removals before additions, three lines of context, hunk headers", () => {
  const a = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"].join("\n");
  const b = ["1", "2", "3", "4", "five", "6", "7", "8", "9", "10", "11"].join("\n");
  assert.equal(
    unifiedDiff(a, b, "old", "new"),
    ["--- old", "+++ new", "@@ -2,9 +2,10 @@", " 2", " 3", " 4", "-5", "+five", " 6", " 7", " 8", " 9", " 10", "+11", ""].join("\n"),
  );
  assert.equal(unifiedDiff(a, a, "old", "new"), "");
});

test("tupper check: 0 when generated/ matches, 1 with a diff when a spec changed, 2 when a spec does not compile", () => {
  const dir = tempDir("tupper-check-");
  mkdirSync(join(dir, "specs"));
  writeFileSync(join(dir, "specs", "app.yaml"), minimal);
  assert.equal(run(["compile", "specs/app.yaml"], dir).status, 0);
  let r = run(["check"], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /generated\/app\.sh: up to date with specs\/app\.yaml/);

  writeFileSync(join(dir, "specs", "app.yaml"), minimal.replace('["/bin/true"]', '["/bin/false"]'));
  r = run(["check"], dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /generated\/app\.sh: stale; run: tupper compile specs\/app\.yaml/);
  assert.match(r.stderr, /^-\s+svc_command=\('\/bin\/true'\) svc_command_set=1$/m);
  assert.match(r.stderr, /^\+\s+svc_command=\('\/bin\/false'\) svc_command_set=1$/m);

  writeFileSync(join(dir, "specs", "app.yaml"), "services: {}\n");
  assert.equal(run(["check", "specs/app.yaml"], dir).status, 2);
});
