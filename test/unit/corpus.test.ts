// The corpus: real compose files from public repositories (test/fixtures/corpus, each as
// published; SOURCES.tsv names its repository, path and commit). Every file is compiled as
// it is; the count of those that compile is stated here, and each file that does not must
// fail for a reason the README's compatibility table gives (REFUSED below: file → a
// substring of one of its errors). A change that makes a file compile, or fail otherwise,
// fails this test until the table here (and the README's) says so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { compileCorpusFile, corpusDir, corpusFiles, corpusSetups } from "./corpus.js";

/** How many corpus files there are, and how many compile as published. */
const FILES = 54;
const COMPILED = 29;
/** Of the files without build: (which tupper refuses until it builds images), how many compile as published. */
const WITHOUT_BUILD = 34;
const COMPILED_WITHOUT_BUILD = 29;

/**
 * Files that Compose refuses as published too (an env_file or a variable the project leaves to
 * its user, a placeholder of its docs): each compiles once the user has done what its
 * project's docs say (FILE.setup/, its sources in SOURCES.tsv), as `docker compose` then runs it.
 */
const COMPOSE_REFUSES_TOO = [
  "apache__airflow__airflow-core__docs__howto__docker-compose__docker-compose.yaml",
  "immich-app__immich__docker__docker-compose.yaml",
  "mastodon__mastodon__docker-compose.yaml",
  "mattermost__docker__docker-compose.yaml",
];

/**
 * Each file that does not compile → a substring of one of its errors (a reason the README's
 * compatibility table lists). A file with build: now compiles its Dockerfile, which the corpus
 * does not hold (it keeps the compose file only): its context or Dockerfile is missing.
 */
const REFUSED: Record<string, string> = {
  "apache__airflow__airflow-core__docs__howto__docker-compose__docker-compose.yaml": 'the tag "|version|" is not a tag',
  "deviantony__docker-elk__docker-compose.yaml": "make it, or fix build.context",
  "docker__awesome-compose__angular__compose.yaml": "make it, or fix build.context",
  "docker__awesome-compose__apache-php__docker-compose.yaml": "make it, or fix build.context",
  "docker__awesome-compose__django__compose.yaml": "make it, or fix build.context",
  "docker__awesome-compose__fastapi-ollama__compose.yaml": "write it, or fix build.dockerfile",
  "docker__awesome-compose__go-redis__compose.yaml": "make it, or fix build.context",
  "docker__awesome-compose__nginx-flask-mysql__compose.yaml": "tupper's log records (CRI format) carry no attributes",
  "docker__awesome-compose__nginx-golang-postgres-rabbitmq__compose.yaml": "make it, or fix build.context",
  "docker__awesome-compose__nginx-golang-postgres__compose.yaml": "make it, or fix build.context",
  "docker__awesome-compose__react-express-mongodb__compose.yaml": '"backend" is not a service of this project; did you mean Backend?',
  "docker__awesome-compose__react-java-mysql__compose.yaml": "make it, or fix build.context",
  "docker__awesome-compose__react-nginx__compose.yaml": "write it, or fix build.dockerfile",
  "docker__awesome-compose__react-rust-postgres__compose.yaml": "make it, or fix build.context",
  "docker__awesome-compose__traefik-golang__compose.yaml": "make it, or fix build.context",
  "element-hq__synapse__contrib__docker__docker-compose.yaml": "write it, or fix build.dockerfile",
  "getsentry__self-hosted__docker-compose.yaml": "make it, or fix build.context",
  "healthchecks__healthchecks__docker__docker-compose.yaml": ".env: no such file",
  "immich-app__immich__docker__docker-compose.yaml": ".env: no such file",
  "mastodon__mastodon__docker-compose.yaml": ".env.production: no such file",
  "mattermost__docker__docker-compose.yaml": "${MATTERMOST_CONTAINER_READONLY} gives \"\" (MATTERMOST_CONTAINER_READONLY is not set), which is not true or false",
  "open-webui__open-webui__docker-compose.yaml": "write it, or fix build.dockerfile",
  "requarks__wiki__dev__containers__docker-compose.yaml": "write it, or fix build.dockerfile",
  "woodpecker-ci__woodpecker__docker-compose.example.yaml": "write it, or fix build.dockerfile",
  "zulip__docker-zulip__docker-compose.yaml": "this file is in Compose's first format",
};

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

test(`of the ${WITHOUT_BUILD} corpus files without build:, ${COMPILED_WITHOUT_BUILD} compile as published; ${COMPOSE_REFUSES_TOO.length} more, which Compose refuses as published too, compile after the setup their project documents`, () => {
  const withoutBuild = corpusFiles().filter((f) => !/^\s+build:/m.test(readFileSync(join(corpusDir, f), "utf8")));
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
