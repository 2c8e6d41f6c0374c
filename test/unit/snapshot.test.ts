// What the compiler makes of every spec in specs/ and every corpus file, as one sha256 per
// output (the script, or the error lines), kept in test/fixtures/corpus/SNAPSHOT. A change
// meant to keep the output byte for byte (a restructuring) must leave it as it is; a change
// meant to alter it rewrites it, and the diff of SNAPSHOT shows which outputs moved:
//   TUPPER_SNAPSHOT_UPDATE=1 node --test dist/test/unit/snapshot.test.js
// The inputs are fixed: no variables but a corpus project's own .env, HOME=/home/snapshot
// (for ~ in bind sources), and the script beside its spec (relative paths only).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileSpec, type CompileResult } from "../../src/compile.js";
import { formatDiagnostic } from "../../src/spec/diagnostics.js";
import { packageRoot } from "../../src/paths.js";
import { compileCorpusFile, corpusDir, corpusFiles } from "./corpus.js";
import { tempDir, testHelper } from "./helpers.js";

const snapshotFile = join(corpusDir, "SNAPSHOT");

/**
 * The output as a user sees it: the script, or the diagnostics, with the temporary directory
 * taken out (a build's step names carry its Dockerfile's path).
 */
function digest(result: CompileResult, dir: string): string {
  const text = (result.script ?? result.diagnostics.map(formatDiagnostic).join("\n")).replaceAll(dir, "DIR");
  return createHash("sha256").update(text).digest("hex");
}

function outputs(): string[] {
  const home = process.env.HOME;
  process.env.HOME = "/home/snapshot";
  try {
    const lines: string[] = [];
    const specs = join(packageRoot, "specs");
    const dir = tempDir("tupper-snapshot-");
    cpSync(specs, dir, { recursive: true });
    for (const file of readdirSync(specs).filter((f) => f.endsWith(".yaml")).sort()) {
      const spec = join(dir, file);
      const result = compileSpec(spec, readFileSync(spec, "utf8"), join(dir, "generated", file.replace(/\.yaml$/, ".sh")), testHelper, { values: {}, problems: [] });
      lines.push(`${digest(result, dir)}  specs/${file}`);
    }
    for (const file of corpusFiles()) {
      const { result, dir: where } = compileCorpusFileIn(file);
      lines.push(`${digest(result, where)}  corpus/${file}`);
    }
    return lines;
  } finally {
    if (home === undefined) delete process.env.HOME;
    else process.env.HOME = home;
  }
}

function compileCorpusFileIn(file: string): { result: CompileResult; dir: string } {
  let dir = "";
  const result = compileCorpusFile(file, (d) => (dir = d));
  return { result, dir };
}

test("every spec and corpus file compiles to what SNAPSHOT records (byte for byte)", () => {
  const now = outputs();
  if (process.env.TUPPER_SNAPSHOT_UPDATE === "1") writeFileSync(snapshotFile, `${now.join("\n")}\n`);
  const recorded = readFileSync(snapshotFile, "utf8").trim().split("\n");
  const moved = now.filter((line) => !recorded.includes(line)).map((line) => line.split("  ")[1]);
  assert.deepEqual(moved, [], "these outputs changed (if on purpose: TUPPER_SNAPSHOT_UPDATE=1)");
  assert.equal(now.length, recorded.length);
});
