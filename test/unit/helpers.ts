// Shared by the unit tests: compile a spec given as text, without touching the filesystem.
import { compileSpec, type CompileResult } from "../../src/compile.js";
import { formatDiagnostic } from "../../src/spec/diagnostics.js";

export function compileText(text: string, file = "/project/specs/app.yaml"): CompileResult {
  return compileSpec(file, text, "/project/generated/app.sh");
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
