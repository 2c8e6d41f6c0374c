// Reading the spec file: the one place the compiler touches the filesystem for input.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

export function readSpecText(file: string): string {
  return readFileSync(file, "utf8");
}

/** The .env file beside SPEC (Compose's project directory), if there is one. */
export function readDotEnv(spec: string): { file: string; text: string } | undefined {
  const file = join(dirname(spec), ".env");
  return existsSync(file) ? { file, text: readFileSync(file, "utf8") } : undefined;
}

/** A file the spec names (an env_file), or undefined when there is none. */
export function readTextFile(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}
