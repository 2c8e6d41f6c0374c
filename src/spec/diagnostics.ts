// Spec problems are values: collected by every stage, printed together, never thrown.

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** Dotted key path into the spec, e.g. services.web.mem_limit ("" for the document). */
  path: string;
  /** What is wrong, then (after "; ") what would be right. */
  message: string;
  severity: "error" | "warning";
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.path === "" ? "" : `${d.path}: `;
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${where}${d.message}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Dotted path for messages: services.web.volumes[0].source */
export function dottedPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? part : `.${part}`;
  }
  return out;
}

/** Orders diagnostics by position so a reader fixes them top to bottom. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => a.line - b.line || a.col - b.col || a.path.localeCompare(b.path));
}
