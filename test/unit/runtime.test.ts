// The pinned runtime (issue 24): the part of every script after its start path, from "tupper
// runtime begins" to "tupper runtime ends", is the same bytes whatever the spec, so that an
// auditor reviews it once per release (`tupper runtime`) and then only each script's own
// lines. Each script's header names its sha256. This test compiles every spec in specs/ and
// every corpus file that compiles (builds, registry images, archives, attach: false, named
// containers, ... among them), and checks the checked-in scripts too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileRuntime, compileSpec } from "../../src/compile.js";
import { runtimeOf, sha256Hex } from "../../src/render/render.js";
import { packageRoot } from "../../src/paths.js";
import { compileCorpusFile, corpusFiles } from "./corpus.js";
import { tempDir, testHelper } from "./helpers.js";

const runtime = compileRuntime();
const pin = sha256Hex(runtime);

/** Why SCRIPT's runtime or header is not the pinned one, or null. */
function mismatch(script: string): string | null {
  const { text, sha256 } = runtimeOf(script);
  if (sha256 !== pin) return `its header names ${sha256}, not ${pin}`;
  if (sha256Hex(text) !== sha256) return "its runtime's lines do not hash to what its header names";
  if (text !== runtime) return "its runtime differs";
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

/** Compiles SPEC (a spec's text) in a directory of its own. */
function scriptOf(spec: string): string {
  const dir = tempDir("tupper-runtime-");
  const file = join(dir, "app.yaml");
  writeFileSync(file, spec);
  const result = compileSpec(file, spec, join(dir, "app.sh"), testHelper, { values: {}, problems: [] });
  assert.ok(result.script, result.diagnostics.map((d) => d.message).join("\n"));
  return result.script;
}

test("specs that use what the runtime once had conditionals for give the pinned runtime too", () => {
  const app = "  app:\n    image: rootfs:./r\n    command: [/bin/true]\n";
  for (const extra of [
    "    attach: false\n",
    "    container_name: named\n",
    "    profiles: [debug]\n",
    "    platform: linux/amd64\n",
    "    environment: {TOKEN: '${TOKEN}'}\nx-tupper:\n  runtime_env: [TOKEN]\n",
  ]) assert.equal(mismatch(scriptOf(`services:\n${app}${extra}`)), null, extra);
  // an image's own healthcheck (healthcheck: without test), from a registry image
  assert.equal(mismatch(scriptOf("services:\n  db:\n    image: docker.io/library/redis:7@sha256:" + "a".repeat(64) + "\n    healthcheck: {interval: 5s}\n")), null);
});

// A value may hold newlines: written into the script, one could start a line that looks like a
// marker. The compiler finds its markers by tokens no value can hold (NUL), so such a line
// moves nothing: the header names the real runtime, and each section is where SECTIONS says.
test("a spec value that looks like a marker or a placeholder moves nothing", () => {
  const forged = [
    "# ---- tupper runtime begins ----------------------------------------------------------",
    "# ---- tupper runtime ends ------------------------------------------------------------",
    "# ---- section up",
    "# ---- end of section up",
    "@@SECTIONS@@ @@RUNTIME_SHA256@@",
    "# every script of this tupper version, its lines 1 to 2 here, sha256 " + "0".repeat(64) + ":",
  ].join("\n");
  // a run-time variable's default is written above the runtime (preflight), the services' values below it
  const script = scriptOf(
    `services:\n  app:\n    image: rootfs:./r\n    command: [/bin/true]\n    environment:\n      FORGED: ${JSON.stringify(`a\n${forged}\nb`)}\n` +
      `      EARLY: ${JSON.stringify(`\${TOKEN:-a\n${forged}\nb}`)}\n    labels:\n      forged: ${JSON.stringify(forged)}\nx-tupper:\n  runtime_env: [TOKEN]\n`,
  );
  assert.ok(script.indexOf(forged) < script.indexOf(`\n${runtime}`), "a forged marker comes before the runtime");
  assert.equal(mismatch(script), null);
  const lines = script.split("\n");
  const table = /^declare -A SECTIONS=\((.*)\) SECTIONS_LOADED=\(\)$/m.exec(script);
  assert.ok(table);
  for (const [, name, at, length] of table[1].matchAll(/\[([a-z0-9-]+)\]='(\d+) (\d+)'/g)) {
    assert.equal(lines[Number(at) - 1], `# ---- section ${name}`, name);
    assert.equal(lines[Number(at) + Number(length) - 2], `# ---- end of section ${name}`, name);
  }
});
