// Reading the spec file: the one place the compiler touches the filesystem for input.
import { readFileSync } from "node:fs";

export function readSpecText(file: string): string {
  return readFileSync(file, "utf8");
}
