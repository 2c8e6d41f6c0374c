// Where the package's own files are, wherever it is installed or run from.
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { readFileSync } from "node:fs";

/** dist/src/paths.js → the package root (two levels up from dist/src). */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const templatesDir = join(packageRoot, "templates");
export const schemaFile = join(packageRoot, "src", "spec", "schema.json");

export const tupperVersion: string = (
  JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version: string }
).version;
