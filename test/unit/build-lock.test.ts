// build: a base image the lock file pins. tupper lock records each registry image's config, so
// the compiler knows a pinned base's Env, WorkingDir and User as Docker's build does
// (ENV PATH=/x:$PATH keeps the base's PATH), and the build verb pulls exactly that image.
// Without a pin, the compiler says which variables it could not know (the warning the
// Dockerfile front end gives), and a lock file that does not pin the base says so too.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileSpec, specVariables } from "../../src/compile.js";
import { formatDiagnostic } from "../../src/spec/diagnostics.js";
import { imageConfigProblem } from "../../src/lock/lock.js";
import { tempDir, testHelper } from "./helpers.js";

const BASE = "registry.example:5000/team/golang:1.22";
const digest = (c: string) => `sha256:${c.repeat(64)}`;

function lockOf(imageConfig: unknown, reference = BASE): string {
  const entry = {
    platform: "linux/amd64",
    manifest: digest("a"),
    config: digest("b"),
    layers: [{ digest: digest("c"), mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", size: 10 }],
    imageConfig,
  };
  return `${JSON.stringify({ lockVersion: 1, images: { [reference]: entry } }, null, 2)}\n`;
}

const GOLANG = { Entrypoint: null, Cmd: ["bash"], Env: ["PATH=/go/bin:/usr/local/go/bin:/usr/bin:/bin", "GOPATH=/go"], WorkingDir: "/go", User: "" };

function project(files: Record<string, string>): string {
  const dir = join(tempDir("tupper-build-lock-"), "proj");
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

const SPEC = "services:\n  app:\n    image: team/app\n    build: ./app\n";
const DOCKERFILE = `FROM ${BASE}\nENV PATH=/app/bin:$PATH\nWORKDIR src\nRUN echo "$GOPATH"\n`;

test("a base the lock file pins: its Env and WorkingDir are substituted at compile time, and the build pulls that very image", () => {
  const dir = project({ "compose.yaml": SPEC, "app/Dockerfile": DOCKERFILE, "compose.lock.json": lockOf({ ...GOLANG, ExposedPorts: [] }) });
  const result = compile(dir);
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), []);
  const script = result.script!;
  // ENV keeps the base's PATH; the relative WORKDIR is under the base's /go; RUN sees GOPATH
  assert.match(script, /build_config '[^']*Dockerfile:2' 'env' 'PATH=\/app\/bin:\/go\/bin:\/usr\/local\/go\/bin:\/usr\/bin:\/bin'/);
  assert.match(script, /build_step_env '[^']*Dockerfile:4' [^\n]*'GOPATH=\/go'/);
  assert.match(script, /build_run '[^']*Dockerfile:4' '[^']*' '' '\/go\/src' /);
  // build_from carries the pin: manifest, config, then each layer's digest, type, size and key
  const from = script.split("\n").find((l) => l.includes("build_from ") && l.includes(BASE))!;
  assert.ok(from.endsWith(`'' '${digest("a")}' '${digest("b")}' '${digest("c")}' 'application/vnd.oci.image.layer.v1.tar+gzip' 10 '${"c".repeat(64)}'`), from);
  assert.match(script, /# the lock file pins it for linux\/amd64: manifest sha256:a{64}/);
  // next to build:, image: names the result: the lock file is not asked to pin team/app
  assert.equal(result.diagnostics.filter((d) => d.message.includes("team/app")).length, 0);
});

test("without a lock file the base's Env is unknown: an instruction that substitutes it is warned of, and the build resolves the tag", () => {
  const dir = project({ "compose.yaml": SPEC, "app/Dockerfile": DOCKERFILE });
  const result = compile(dir);
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
    `${dir}/app/Dockerfile:2:1: warning: ENV: $PATH may be set by the environment of the base image ${BASE}, which tupper does not know when it compiles: here it is taken as unset; write the value in full, e.g. ENV PATH=/x:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; or pin the base with tupper lock, which makes its Env known here`,
  ]);
  const from = result.script!.split("\n").find((l) => l.includes("build_from ") && l.includes(BASE))!;
  assert.ok(from.endsWith("'1.22' '' ''"), from);
});

test("a lock file that does not pin the base: a warning at build:, naming tupper lock", () => {
  const dir = project({ "compose.yaml": SPEC, "app/Dockerfile": `FROM ${BASE}\nRUN true\n`, "compose.lock.json": lockOf({ ...GOLANG, ExposedPorts: [] }, "docker.io/library/other:1") });
  const messages = compile(dir).diagnostics.map(formatDiagnostic);
  assert.deepEqual(messages, [
    `${dir}/compose.yaml:4:12: warning: services.app.build: ${BASE}, an image of the Dockerfile, is not pinned by the lock file, so the build resolves its tag when it pulls, and its Env is unknown here; run tupper lock ${dir}/compose.yaml to pin it`,
  ]);
});

test("a lock entry's imageConfig came from a registry: its shape is checked before the compiler reads it", () => {
  const good = { ...GOLANG, ExposedPorts: [] };
  assert.equal(imageConfigProblem(good), null);
  assert.equal(imageConfigProblem({ ...good, OnBuild: ["RUN true"] }), null);
  assert.deepEqual(imageConfigProblem({ ...good, Env: "PATH=/bin" }), { key: "imageConfig.Env", value: "PATH=/bin", why: "is not a list of strings" });
  assert.deepEqual(imageConfigProblem({ ...good, Env: ["=x"] }), { key: "imageConfig.Env[0]", value: "=x", why: "is not NAME=VALUE" });
  assert.deepEqual(imageConfigProblem({ ...good, Cmd: "bash" }), { key: "imageConfig.Cmd", value: "bash", why: "is neither null nor a list of strings" });
  assert.deepEqual(imageConfigProblem({ ...good, WorkingDir: 7 }), { key: "imageConfig.WorkingDir", value: 7, why: "is not a string" });
  assert.deepEqual(imageConfigProblem(null), { key: "imageConfig", value: null, why: "is not an object" });
  assert.deepEqual(imageConfigProblem({ ...good, WorkingDir: "/a\0b" }), { key: "imageConfig.WorkingDir", value: "/a\0b", why: "holds a NUL byte" });
  assert.deepEqual(imageConfigProblem({ ...good, Env: ["A=x\0y"] }), { key: "imageConfig.Env", value: ["A=x\0y"], why: "holds a NUL byte" });
  // and compile refuses such a lock file, naming the value
  const dir = project({ "compose.yaml": SPEC, "app/Dockerfile": `FROM ${BASE}\n`, "compose.lock.json": lockOf({ ...good, Env: [7] }) });
  const errors = compile(dir).diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /compose\.lock\.json:\d+:\d+: error: images\["registry\.example:5000\/team\/golang:1\.22"\]\.imageConfig\.Env: \[7\] is not a list of strings: the lock file is malformed or was tampered with/);
});

test("a base whose pinned config carries ONBUILD triggers is refused at compile time, as tupper does not run them", () => {
  const dir = project({ "compose.yaml": SPEC, "app/Dockerfile": `FROM ${BASE}\n`, "compose.lock.json": lockOf({ ...GOLANG, ExposedPorts: [], OnBuild: ["COPY . /app"] }) });
  const errors = compile(dir).diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic);
  assert.deepEqual(errors, [`${dir}/app/Dockerfile:1:1: error: FROM: image ${BASE} has ONBUILD triggers, which tupper does not run; use a base image without them, or copy its triggers into the Dockerfile`]);
});
