// The pinned runtime (issue 24): the part of every script after its start path, from "tupper
// runtime begins" to "tupper runtime ends", is the same bytes whatever the spec, so that an
// auditor reviews it once per release (`tupper runtime`) and then only each script's own
// lines. Each script's header names its sha256. This test compiles every spec in specs/ and
// every corpus file that compiles (builds, registry images, archives, attach: false, named
// containers, ... among them), and checks the checked-in scripts too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compileRuntime, compileSpec } from "../../src/compile.js";
import { runtimeOf, sha256Hex } from "../../src/render/render.js";
import { packageRoot } from "../../src/paths.js";
import { compileCorpusFile, corpusFiles } from "./corpus.js";
import { testHelper } from "./helpers.js";

const runtime = compileRuntime();
const pin = sha256Hex(runtime);

/** Why SCRIPT's runtime or header is not the pinned one, or null. */
function mismatch(script: string): string | null {
  const header = /^# every script of this tupper version, sha256 ([0-9a-f]{64}):$/m.exec(script);
  if (!header) return "no runtime sha256 in the header";
  if (header[1] !== pin) return `its header names ${header[1]}, not ${pin}`;
  if (runtimeOf(script) !== runtime) return "its runtime differs";
  return null;
}

test("tupper runtime: begins and ends at its markers, and holds the verbs (no spec value in it)", () => {
  assert.match(runtime, /^# ---- tupper runtime begins -+\n/);
  assert.match(runtime, /\n# ---- tupper runtime ends -+\n$/);
  for (const verb of ["cmd_down", "cmd_ps", "cmd_logs", "cmd_exec", "cmd_up"]) assert.match(runtime, new RegExp(`\\n${verb}\\(\\) \\{`));
  assert.doesNotMatch(runtime, /load_service_\d+\(\)/); // the services' values come after it
  assert.doesNotMatch(runtime, /runtime-app|'runtime'/); // the spec it was compiled from leaves no trace
});

test("every spec in specs/ gives the pinned runtime, and names its sha256 in the header", () => {
  const specs = join(packageRoot, "specs");
  for (const file of readdirSync(specs).filter((f) => f.endsWith(".yaml"))) {
    const spec = join(specs, file);
    const result = compileSpec(spec, readFileSync(spec, "utf8"), join(packageRoot, "generated", file.replace(/\.yaml$/, ".sh")), testHelper, { values: {}, problems: [] });
    assert.ok(result.script, `${file} compiles`);
    assert.equal(mismatch(result.script), null, file);
  }
});

test("every corpus file that compiles gives the pinned runtime", () => {
  let compiled = 0;
  for (const file of corpusFiles()) {
    const result = compileCorpusFile(file);
    if (result.script === undefined) continue;
    compiled++;
    assert.equal(mismatch(result.script), null, file);
  }
  assert.ok(compiled >= 40, `only ${compiled} corpus files compiled`);
});

test("the checked-in scripts in generated/ hold the pinned runtime", () => {
  const dir = join(packageRoot, "generated");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sh"))) assert.equal(mismatch(readFileSync(join(dir, file), "utf8")), null, file);
});
