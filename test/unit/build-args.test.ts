// build: as compose-go resolves it before the Dockerfile is read: an args entry without a value
// takes the project's variables (the environment, then .env); problems of a Dockerfile that
// several services build are said once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileSpec, specVariables } from "../../src/compile.js";
import { formatDiagnostic } from "../../src/spec/diagnostics.js";
import { tempDir, testHelper } from "./helpers.js";

function project(files: Record<string, string>): string {
  const dir = join(tempDir("tupper-build-args-"), "proj");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const compile = (dir: string) => {
  const spec = join(dir, "compose.yaml");
  return compileSpec(spec, readFileSync(spec, "utf8"), join(dir, "app.sh"), testHelper, specVariables(spec));
};

// getsentry/self-hosted: `args: [SENTRY_IMAGE]` with SENTRY_IMAGE in its .env, FROM ${SENTRY_IMAGE}
const sentry = (env: string) => ({
  "compose.yaml": "services:\n  web:\n    build:\n      context: ./sentry\n      args:\n        - TUPPER_TEST_BASE_IMAGE\n  worker:\n    build:\n      context: ./sentry\n      args:\n        - TUPPER_TEST_BASE_IMAGE\n",
  "sentry/Dockerfile": "ARG TUPPER_TEST_BASE_IMAGE\nFROM ${TUPPER_TEST_BASE_IMAGE}\nRUN true\n",
  ".env": env,
});

test("an args entry without a value takes its value from .env, as Compose takes it from the project's environment", () => {
  const result = compile(project(sentry("TUPPER_TEST_BASE_IMAGE=ghcr.io/getsentry/sentry:nightly\n")));
  assert.deepEqual(result.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic), []);
  assert.match(result.script!, /build_from '[^']*Dockerfile:2' '[^']*' 0 'image' 'registry' 'ghcr.io\/getsentry\/sentry:nightly'/);
});

test("a Dockerfile that two services build gives each of its problems once", () => {
  const dir = project(sentry("OTHER=1\n"));
  const errors = compile(dir).diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
  assert.deepEqual(errors, [`${dir}/sentry/Dockerfile:2:6: error: FROM: base name (\${TUPPER_TEST_BASE_IMAGE}) should not be blank; give an image, or a value to the ARG it names`]);
});

test("a build arg that no ARG of the built stages declares is warned of, as BuildKit warns of it", () => {
  // deviantony/docker-elk: the compose file passes ELK_VERSION; its Dockerfile declares ELASTIC_VERSION
  const dir = project({
    "compose.yaml": "services:\n  es:\n    build:\n      context: es/\n      args:\n        ELK_VERSION: 8.0.0\n        HTTP_PROXY: http://proxy:3128\n        ELASTIC_VERSION: 8.0.0\n",
    "es/Dockerfile": "ARG ELASTIC_VERSION\nFROM docker.elastic.co/elasticsearch/elasticsearch:${ELASTIC_VERSION:-9.5.1}\n",
  });
  const result = compile(dir);
  assert.notEqual(result.script, undefined);
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
    `${dir}/compose.yaml:4:7: warning: services.es.build.args.ELK_VERSION: the Dockerfile declares no ARG ELK_VERSION in the stages it builds, so the build does not use it (Docker warns too); remove it, or declare it with ARG`,
  ]);
});
