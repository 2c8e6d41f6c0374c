// Real Dockerfiles of the public projects in the compose corpus (test/fixtures/dockerfiles,
// SOURCES.tsv names repository, path and commit): each compiles without an error, each
// instruction's position and original text are those of the file, and the values a build would
// use are Docker's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compileDockerfile } from "../../src/build/dockerfile/resolve.js";
import type { Build, Instruction } from "../../src/build/dockerfile/model.js";
import { formatDiagnostic } from "../../src/spec/diagnostics.js";

const DIR = join(process.cwd(), "test", "fixtures", "dockerfiles");
const rows = readFileSync(join(DIR, "SOURCES.tsv"), "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
// BuildKit's parser test files are parser cases (dockerfile-parse.test.ts), not buildable Dockerfiles
const sources = rows.filter(([file]) => !file.startsWith("buildkit-parser/"));
const AMD64 = { os: "linux", arch: "amd64" };
const load = (file: string, buildArgs: Record<string, string> = {}, target?: string): { build: Build; text: string } => {
  const text = readFileSync(join(DIR, file), "utf8");
  const r = compileDockerfile(text, "Dockerfile", { platform: AMD64, buildArgs, ...(target ? { target } : {}) });
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic), [], file);
  return { build: r.build!, text };
};
const all = (b: Build): Instruction[] => b.stages.flatMap((s) => s.instructions);

test("the fixtures are at least five, each with its repository, path and commit", () => {
  assert.ok(sources.length >= 5);
  for (const [file, repo, path, commit] of rows) {
    assert.match(repo, /^[\w.-]+\/[\w.-]+$/, file);
    assert.ok(path.endsWith("Dockerfile") || path.endsWith("/result"), file);
    assert.match(commit, /^[0-9a-f]{40}$/, file);
    assert.ok(readFileSync(join(DIR, file), "utf8").length > 0);
  }
});

test("every fixture compiles; every instruction's lines and original text are the file's", () => {
  for (const [file] of sources) {
    const { build, text } = load(file, { SENTRY_IMAGE: "getsentry/sentry:nightly" });
    const lines = text.split("\n");
    for (const s of build.stages.filter((x) => build.needed.includes(x.index))) {
      for (const ref of [s.from, ...s.instructions.map((i) => i.source)]) {
        assert.equal(ref.original, lines.slice(ref.line - 1, ref.endLine).join("\n"), `${file}:${ref.line}`);
        assert.match(lines[ref.line - 1].slice(ref.col - 1), /^(FROM|RUN|COPY|ADD|ENV|ARG|WORKDIR|USER|EXPOSE|LABEL|ENTRYPOINT|CMD|VOLUME|HEALTHCHECK|SHELL|STOPSIGNAL)\b/i, `${file}:${ref.line}`);
      }
    }
  }
});

test("synapse: global ARGs in FROM, a mount target from ENV, the runtime stage's config", () => {
  const { build } = load("element-hq__synapse__docker__Dockerfile", { PYTHON_VERSION: "3.12" });
  assert.deepEqual(build.stages.map((s) => [s.name ?? null, s.base]), [
    ["requirements", { kind: "image", ref: "ghcr.io/astral-sh/uv:python3.12-trixie", platform: "linux/amd64" }],
    ["builder", { kind: "image", ref: "ghcr.io/astral-sh/uv:python3.12-trixie" }],
    ["runtime-deps", { kind: "image", ref: "docker.io/library/debian:trixie", platform: "linux/amd64" }],
    [null, { kind: "image", ref: "docker.io/library/python:3.12-slim-trixie" }],
  ]);
  const mounts = all(build).flatMap((i) => (i.kind === "RUN" ? i.mounts.map((m) => m.target) : []));
  assert.ok(mounts.includes("/cargo/registry"));
  const runtime = build.stages[3];
  const copies = runtime.instructions.flatMap((i) => (i.kind === "COPY" ? [[i.sources.map((s) => (s.kind === "path" ? s.path : s.kind)).join(" "), i.dest, i.from ?? null]] : []));
  assert.deepEqual(copies.slice(0, 2), [["install-amd64/etc", "/etc", { kind: "stage", index: 2 }], ["install-amd64/usr", "/usr", { kind: "stage", index: 2 }]]);
  assert.deepEqual([runtime.config.entrypoint, runtime.config.exposedPorts, runtime.config.healthcheck?.test, runtime.config.healthcheck?.interval], [
    ["/start.py"], ["8008/tcp", "8009/tcp", "8448/tcp"], ["CMD-SHELL", "curl -fSs http://localhost:8008/health || exit 1"], 15e9,
  ]);
});

test("healthchecks: SHELL applies to later RUNs, a bind mount from the builder stage, USER and HEALTHCHECK", () => {
  const { build } = load("healthchecks__healthchecks__docker__Dockerfile");
  const firstRun = build.stages[0].instructions.find((i) => i.kind === "RUN");
  assert.deepEqual(firstRun?.kind === "RUN" && firstRun.command.argv.slice(0, 4), ["/bin/bash", "-o", "pipefail", "-c"]);
  const bind = build.stages[1].instructions.flatMap((i) => (i.kind === "RUN" ? i.mounts : []))[0];
  assert.deepEqual(bind, { type: "bind", target: "/wheels", source: "wheels", from: { kind: "stage", index: 0 }, readwrite: false });
  const c = build.stages[1].config;
  assert.deepEqual([c.user, c.workingDir, c.cmd, c.healthcheck?.startInterval, c.healthcheck?.retries], ["hc", "/opt/healthchecks", ["uwsgi", "/opt/healthchecks/docker/uwsgi.ini"], 5e9, 1]);
});

test("awesome-compose: the default target skips dev-envs; the rust backend's heredoc RUNs", () => {
  const go = load("docker__awesome-compose__nginx-golang-postgres__backend__Dockerfile").build;
  assert.deepEqual([go.needed, go.stages[2].base, go.stages[2].config.cmd], [[0, 2], { kind: "scratch" }, ["/usr/local/bin/backend"]]);
  assert.deepEqual(go.stages[0].config.env.slice(-3), [["CGO_ENABLED", "0"], ["GOPATH", "/go"], ["GOCACHE", "/go-build"]]);
  const rust = load("docker__awesome-compose__react-rust-postgres__backend__Dockerfile", {}, "dev-envs").build;
  assert.deepEqual(rust.needed, [0, 2]);
  const scripts = rust.stages[2].instructions.flatMap((i) => (i.kind === "RUN" ? [i.command.argv.at(-1)] : []));
  assert.deepEqual(scripts, ["apt-get update\napt-get install -y --no-install-recommends git\n", "useradd -s /bin/bash -m vscode\ngroupadd docker\nusermod -aG docker vscode\n"]);
  assert.deepEqual(rust.stages[2].instructions.find((i) => i.kind === "COPY" && i.from?.kind === "image")?.kind, "COPY");
});

test("sentry: the base image is a build arg; proxies declared with ARG reach RUN's env", () => {
  const { build } = load("getsentry__self-hosted__sentry__Dockerfile", { SENTRY_IMAGE: "getsentry/sentry:25.1.0", HTTP_PROXY: "http://proxy:3128" });
  assert.deepEqual(build.stages[0].base, { kind: "image", ref: "getsentry/sentry:25.1.0" });
  const run = build.stages[0].instructions.find((i) => i.kind === "RUN");
  assert.deepEqual(run?.kind === "RUN" && [run.env, run.proxyEnv], [[["HTTP_PROXY", "http://proxy:3128"]], []]);
  const missing = compileDockerfile(readFileSync(join(DIR, "getsentry__self-hosted__sentry__Dockerfile"), "utf8"), "Dockerfile", { platform: AMD64 });
  assert.deepEqual(missing.diagnostics.map(formatDiagnostic), ["Dockerfile:2:6: error: FROM: base name (${SENTRY_IMAGE}) should not be blank; give an image, or a value to the ARG it names"]);
});

test("open-webui: ENV across continuation lines with a comment inside, --chown from ARGs, USER from ARGs", () => {
  const { build } = load("open-webui__open-webui__Dockerfile", { USE_CUDA: "true" });
  const base = build.stages[1];
  const env = Object.fromEntries(base.config.env);
  assert.deepEqual([env.USE_CUDA_DOCKER, env.USE_EMBEDDING_MODEL_DOCKER, env.RAG_EMBEDDING_MODEL, env.EXTRA_MODULES_DOCKER, env.WEBUI_BUILD_VERSION], ["true", "voyage-multilingual-2", "voyage-multilingual-2", "", "dev-build"]);
  assert.deepEqual([base.config.user, base.config.workingDir], ["0:0", "/app/backend"]);
  assert.ok(base.instructions.every((i) => i.kind !== "COPY" || i.chown === "0:0"));
  assert.deepEqual(build.stages[0].config.env.find(([k]) => k === "APP_BUILD_HASH"), ["APP_BUILD_HASH", "dev-build"]);
});

// The Dockerfiles the compose corpus's builds name (test/fixtures/corpus/FILE.tree/, each at its
// repository path, with its SOURCES.tsv line): every one compiles, with each instruction's
// source the file's, but awesome-compose's apache-php, which BuildKit refuses too.
test("the compose corpus's Dockerfiles compile; apache-php's is refused where BuildKit refuses it", () => {
  const corpus = join(process.cwd(), "test", "fixtures", "corpus");
  const trees = readdirSync(corpus).filter((f) => f.endsWith(".tree"));
  const dockerfiles = trees.flatMap((t) =>
    (readdirSync(join(corpus, t), { recursive: true }) as string[]).filter((p) => /(^|\/)Dockerfile[^/]*$/.test(p) && !p.endsWith(".dockerignore")).map((p) => join(t, p)),
  );
  assert.ok(dockerfiles.length >= 25, `${dockerfiles.length} Dockerfiles`);
  const refused = "docker__awesome-compose__apache-php__docker-compose.tree/apache-php/app/Dockerfile";
  const args = { SENTRY_IMAGE: "getsentry/sentry:nightly", BASE_IMAGE: "debian:bookworm" };
  for (const file of dockerfiles.filter((f) => f !== refused)) {
    const text = readFileSync(join(corpus, file), "utf8");
    const r = compileDockerfile(text, "Dockerfile", { platform: AMD64, buildArgs: args });
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic), [], file);
    const lines = text.split("\n");
    for (const s of r.build!.stages.filter((x) => r.build!.needed.includes(x.index))) {
      for (const ref of [s.from, ...s.instructions.map((i) => i.source)]) assert.equal(ref.original, lines.slice(ref.line - 1, ref.endLine).join("\n"), `${file}:${ref.line}`);
    }
  }
  // line 12 is RUN alone (its command's backslash lost), so line 13 starts an instruction
  const broken = compileDockerfile(readFileSync(join(corpus, refused), "utf8"), "Dockerfile", { platform: AMD64 });
  assert.deepEqual(broken.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic).map((m) => m.split(";")[0]), [
    "Dockerfile:12:1: error: RUN: RUN needs a command",
    "Dockerfile:13:1: error: useradd: unknown instruction: useradd",
  ]);
});
