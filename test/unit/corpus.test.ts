// The corpus: real compose files from public repositories (test/fixtures/corpus, each as
// published; SOURCES.tsv names its repository, path and commit). Every file is compiled as
// it is; the count of those that compile is stated here, and each file that does not must
// fail for a reason the README's compatibility table gives (REFUSED below: file → a
// substring of one of its errors). A change that makes a file compile, or fail otherwise,
// fails this test until the table here (and the README's) says so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { compileCorpusFile, corpusDir, corpusFiles, corpusSetups } from "./corpus.js";

/** How many corpus files there are, and how many compile as published. */
const FILES = 54;
const COMPILED = 44;
/** Of the files without build:, how many compile as published. */
const WITHOUT_BUILD = 34;
const COMPILED_WITHOUT_BUILD = 29;
/** Of the 20 with build: (their Dockerfiles in FILE.tree/), how many compile as published. */
const COMPILED_WITH_BUILD = 15;

/**
 * Files that Compose refuses as published too (an env_file or a variable the project leaves to
 * its user, a placeholder of its docs): each compiles once the user has done what its
 * project's docs say (FILE.setup/, its sources in SOURCES.tsv), as `docker compose` then runs it.
 */
const COMPOSE_REFUSES_TOO = [
  "apache__airflow__airflow-core__docs__howto__docker-compose__docker-compose.yaml",
  "healthchecks__healthchecks__docker__docker-compose.yaml",
  "immich-app__immich__docker__docker-compose.yaml",
  "mastodon__mastodon__docker-compose.yaml",
  "mattermost__docker__docker-compose.yaml",
];

/**
 * A Dockerfile a build: names that the corpus does not hold: the search index stores no version
 * of it (nginx-flask-mysql's proxy/Dockerfile: only proxy/conf is stored, and not held here
 * either), so that file fails at its missing build context (REFUSED).
 */
const NOT_STORED = ["docker__awesome-compose__nginx-flask-mysql__compose.tree/nginx-flask-mysql/proxy/Dockerfile"];

/** Each file that does not compile → a substring of one of its errors (a reason the README's compatibility table lists). */
const REFUSED: Record<string, string> = {
  "apache__airflow__airflow-core__docs__howto__docker-compose__docker-compose.yaml": 'the tag "|version|" is not a tag',
  // Docker refuses this Dockerfile too: line 12 is a RUN whose command lost its backslash, so
  // line 13 starts with useradd (BuildKit: "unknown instruction: useradd")
  "docker__awesome-compose__apache-php__docker-compose.yaml": "unknown instruction: useradd",
  // its proxy's build context is not held (NOT_STORED): everything before it compiles
  "docker__awesome-compose__nginx-flask-mysql__compose.yaml": 'the context "proxy" is not a directory',
  "docker__awesome-compose__react-express-mongodb__compose.yaml": '"backend" is not a service of this project; did you mean Backend?',
  "healthchecks__healthchecks__docker__docker-compose.yaml": ".env: no such file",
  "immich-app__immich__docker__docker-compose.yaml": ".env: no such file",
  "mastodon__mastodon__docker-compose.yaml": ".env.production: no such file",
  "mattermost__docker__docker-compose.yaml": "${MATTERMOST_CONTAINER_READONLY} gives \"\" (MATTERMOST_CONTAINER_READONLY is not set), which is not true or false",
  // the compose file (a commit that is not on open-webui's main line) builds a target nginx
  // that no stored version of the repository's Dockerfile has (Docker: target stage could not be found)
  "open-webui__open-webui__docker-compose.yaml": 'target stage "nginx" could not be found',
  "zulip__docker-zulip__docker-compose.yaml": "this file is in Compose's first format",
};

const usesBuild = (file: string) => /^\s+build:/m.test(readFileSync(join(corpusDir, file), "utf8"));

test("the corpus holds the stated number of real compose files, each with its source", () => {
  const files = corpusFiles();
  assert.equal(files.length, FILES);
  const sources = readFileSync(join(corpusDir, "SOURCES.tsv"), "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
  const named = new Set(sources.map((s) => s[0]));
  for (const f of files) assert.ok(named.has(f), `${f} has no line in SOURCES.tsv`);
  for (const s of sources) assert.match(s[3] ?? "", /^[0-9a-f]{40}$/, `${s[0]}: the commit is not recorded`);
});

test(`${COMPILED} corpus files compile as published; every other one fails for a reason the README lists`, () => {
  const compiled: string[] = [];
  const wrong: string[] = [];
  for (const file of corpusFiles()) {
    const result = compileCorpusFile(file);
    const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.path}: ${d.message}`);
    const expected = REFUSED[file];
    if (result.script !== undefined) {
      compiled.push(file);
      if (expected !== undefined) wrong.push(`${file} compiles now: take it out of REFUSED and raise COMPILED`);
    } else if (expected === undefined) {
      wrong.push(`${file} does not compile:\n    ${errors.join("\n    ")}`);
    } else if (!errors.some((e) => e.includes(expected))) {
      wrong.push(`${file} fails, but not with "${expected}":\n    ${errors.join("\n    ")}`);
    }
  }
  assert.deepEqual(wrong, []);
  assert.equal(compiled.length, COMPILED);
});

test(`of the ${WITHOUT_BUILD} corpus files without build:, ${COMPILED_WITHOUT_BUILD} compile as published; the ${COMPOSE_REFUSES_TOO.length} that Compose refuses as published too compile after the setup their project documents`, () => {
  const withoutBuild = corpusFiles().filter((f) => !usesBuild(f));
  assert.equal(withoutBuild.length, WITHOUT_BUILD);
  assert.equal(withoutBuild.filter((f) => compileCorpusFile(f).script !== undefined).length, COMPILED_WITHOUT_BUILD);
  assert.deepEqual(corpusSetups(), COMPOSE_REFUSES_TOO);
  const wrong: string[] = [];
  for (const file of COMPOSE_REFUSES_TOO) {
    if (REFUSED[file] === undefined) wrong.push(`${file} has a setup but compiles as published`);
    const result = compileCorpusFile(file, () => {}, true);
    const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.path}: ${d.message}`);
    if (result.script === undefined) wrong.push(`${file} does not compile after its setup:\n    ${errors.join("\n    ")}`);
  }
  assert.deepEqual(wrong, []);
});

test(`of the corpus files with build:, ${COMPILED_WITH_BUILD} compile as published, each with the Dockerfiles its builds name (FILE.tree/, each file's source in SOURCES.tsv)`, () => {
  const withBuild = corpusFiles().filter(usesBuild);
  assert.equal(withBuild.length, FILES - WITHOUT_BUILD);
  const sources = new Map(readFileSync(join(corpusDir, "SOURCES.tsv"), "utf8").trim().split("\n").slice(1).map((l) => [l.split("\t")[0], l.split("\t")]));
  const wrong: string[] = [];
  for (const file of withBuild) {
    const tree = join(corpusDir, `${file.slice(0, -".yaml".length)}.tree`);
    if (!existsSync(tree)) {
      wrong.push(`${file} uses build: but has no .tree/`);
      continue;
    }
    const held = (readdirSync(tree, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
      .filter((e) => e.isFile())
      .map((e) => relative(corpusDir, join(e.parentPath, e.name)));
    for (const f of held) {
      const source = sources.get(f);
      if (source === undefined) wrong.push(`${f} has no line in SOURCES.tsv`);
      // a tree file sits at its repository path, in the compose file's repository
      else if (f !== `${relative(corpusDir, tree)}/${source[2]}` || source[1] !== sources.get(file)?.[1]) wrong.push(`${f}: not at its repository path ${source[1]}:${source[2]}`);
    }
    // every Dockerfile a build names is held, relative to the compose file as in its repository
    const composeDir = join(tree, dirname(sources.get(file)![2]));
    for (const m of readFileSync(join(corpusDir, file), "utf8").matchAll(/^[ \t]+build:[ \t]*(?:\n[ \t]+context:[ \t]*(\S+)(?:\n[ \t]+dockerfile:[ \t]*(\S+))?|(\S+))/gm)) {
      const context = (m[1] ?? m[3]).replace(/^["']|["']$/g, "");
      const dockerfile = join(composeDir, context, m[2] ?? "Dockerfile");
      const name = relative(corpusDir, dockerfile);
      if (!existsSync(dockerfile) && !NOT_STORED.includes(name)) wrong.push(`${file}: ${name} is not held`);
    }
  }
  assert.deepEqual(wrong, []);
  assert.equal(withBuild.filter((f) => compileCorpusFile(f).script !== undefined).length, COMPILED_WITH_BUILD);
});
