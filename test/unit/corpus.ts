// The corpus (test/fixtures/corpus): listing its files and compiling one as its project would.
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { compileSpec, type CompileResult } from "../../src/compile.js";
import { parseDotEnv } from "../../src/spec/interpolate.js";
import { packageRoot } from "../../src/paths.js";
import { tempDir, testHelper } from "./helpers.js";

export const corpusDir = join(packageRoot, "test", "fixtures", "corpus");

/** The corpus files that the user's setup (FILE.setup/) makes compile, sorted. */
export function corpusSetups(): string[] {
  return readdirSync(corpusDir).filter((f) => f.endsWith(".setup")).map((f) => `${f.slice(0, -".setup".length)}.yaml`).sort();
}

/** The corpus files, sorted. */
export function corpusFiles(): string[] {
  return readdirSync(corpusDir).filter((f) => f.endsWith(".yaml")).sort();
}

/** FILE's repository and its path there (SOURCES.tsv). */
function corpusSource(file: string): { repo: string; path: string } {
  const line = readFileSync(join(corpusDir, "SOURCES.tsv"), "utf8").split("\n").find((l) => l.startsWith(`${file}\t`));
  if (line === undefined) throw new Error(`${file} has no line in SOURCES.tsv`);
  const [, repo, path] = line.split("\t");
  return { repo, path };
}

/**
 * Compiles corpus file FILE as its project would: in a directory of its own, next to the
 * files its project ships beside it (FILE's stem + ".files/": a .env, an env_file), with
 * the variables of that .env only (the tests' environment stays out; what is unset stays
 * unset, as on a host that has not configured the project). SETUP: also with the files a
 * user makes as the project's docs say before the first start (FILE's stem + ".setup/": the
 * .env copied from an example), for files that Compose too refuses without them.
 *
 * A file whose services build (FILE's stem + ".tree/": the Dockerfiles and .dockerignore files
 * its builds name, at their paths in the repository) is compiled in a checkout: a directory
 * named as the repository (git clone's default), holding that tree, with FILE in the
 * directory of its repository path; so a build.context of "../.." finds what it finds in the
 * repository, and the project is named after that directory, as Compose names it there.
 * ONDIR is given the directory the paths in the output are relative to (the checkout's root).
 */
export function compileCorpusFile(file: string, onDir: (dir: string) => void = () => {}, setup = false): CompileResult {
  const stem = file.slice(0, -".yaml".length);
  const tree = join(corpusDir, `${stem}.tree`);
  let dir: string;
  if (existsSync(tree)) {
    const { repo, path } = corpusSource(file);
    const root = join(tempDir("tupper-corpus-"), basename(repo));
    cpSync(tree, root, { recursive: true });
    dir = join(root, dirname(path));
    mkdirSync(dir, { recursive: true });
    onDir(root);
  } else {
    // a directory of a fixed name: Compose's default project name is the directory's
    dir = join(tempDir("tupper-corpus-"), "corpus");
    mkdirSync(dir);
    onDir(dir);
  }
  const spec = join(dir, file);
  copyFileSync(join(corpusDir, file), spec);
  const beside = join(corpusDir, `${stem}.files`);
  if (existsSync(beside)) cpSync(beside, dir, { recursive: true });
  const made = join(corpusDir, `${stem}.setup`);
  if (setup) cpSync(made, dir, { recursive: true });
  const dotEnv = join(dir, ".env");
  const values = existsSync(dotEnv) ? parseDotEnv(readFileSync(dotEnv, "utf8")).vars : {};
  return compileSpec(spec, readFileSync(spec, "utf8"), join(dir, "app.sh"), testHelper, { values, problems: [] });
}
