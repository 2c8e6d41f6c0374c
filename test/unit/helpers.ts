// Shared by the unit tests: compile a spec given as text, without touching the filesystem
// (or reading the environment).
import { after } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileSpec, type CompileResult } from "../../src/compile.js";
import { formatDiagnostic } from "../../src/spec/diagnostics.js";
import type { HelperInfo } from "../../src/helper/helper.js";

/** A stand-in for tupper-init: these tests look at scripts, they do not run them. */
export const testHelper: HelperInfo = { path: "/test/tupper-init", sha256: "0".repeat(64), buildInfo: ["tupper-init built for the unit tests"] };

/** VARIABLES: what ${VAR} in the spec takes (none by default: the tests' own environment stays out). */
export function compileText(text: string, file = "/project/specs/app.yaml", variables: Record<string, string> = {}): CompileResult {
  return compileSpec(file, text, "/project/generated/app.sh", testHelper, { values: variables, problems: [] });
}

/** The error lines a user would see, formatted as the CLI prints them. */
export function errorsOf(text: string): string[] {
  return compileText(text).diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
}

export const minimal = `services:
  app:
    image: rootfs:./rootfs
    command: ["/bin/true"]
`;

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A new directory under the system's temporary directory, removed when the test file ends. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
