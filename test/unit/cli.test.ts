import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";
import { minimal, tempDir } from "./helpers.js";

const cli = join(packageRoot, "dist", "src", "cli.js");
const run = (args: string[], cwd: string) => spawnSync(process.execPath, [cli, ...args], { cwd, encoding: "utf8" });

test("compile writes generated/NAME.sh, executable, and exits 0", () => {
  const dir = tempDir("tupper-cli-");
  writeFileSync(join(dir, "app.yaml"), minimal);
  const r = run(["compile", "app.yaml"], dir);
  assert.equal(r.status, 0, r.stderr);
  const out = join(dir, "generated", "app.sh");
  assert.ok(readFileSync(out, "utf8").startsWith("#!/bin/bash"));
  assert.ok(statSync(out).mode & 0o100);
});

test("spec errors exit 2, print every error and write nothing", () => {
  const dir = tempDir("tupper-cli-");
  writeFileSync(join(dir, "bad.yaml"), "services:\n  a:\n    image: NGINX\n    mem_limit: x\n");
  const r = run(["compile", "bad.yaml", "-o", "out.sh"], dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^bad\.yaml:3:12: error: services\.a\.image: "NGINX" is not an image reference/m);
  assert.match(r.stderr, /^bad\.yaml:4:16: error: services\.a\.mem_limit: "x" is not a size/m);
  // (no "has no command": a registry image brings its own; that error is for rootfs: images)
  assert.match(r.stderr, /2 errors; nothing written/);
  assert.ok(!existsSync(join(dir, "out.sh")));
});

test("other failures exit 1 with a one-line reason", () => {
  const r = run(["compile", "/nonexistent/spec.yaml"], tmpdir());
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^tupper: cannot read \/nonexistent\/spec\.yaml: ENOENT\n$/);
  assert.equal(run(["frobnicate"], tmpdir()).status, 1);
});

test("compile takes several specs in one process; each is written, a bad one makes the status 2", () => {
  const dir = tempDir("tupper-cli-");
  writeFileSync(join(dir, "a.yaml"), minimal);
  writeFileSync(join(dir, "b.yaml"), minimal);
  writeFileSync(join(dir, "bad.yaml"), "services: {}\n");
  assert.equal(run(["compile", "a.yaml", "b.yaml"], dir).status, 0);
  assert.ok(existsSync(join(dir, "generated", "a.sh")) && existsSync(join(dir, "generated", "b.sh")));
  const r = run(["compile", "bad.yaml", "a.yaml"], dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /wrote generated\/a\.sh/);
  assert.equal(run(["compile", "a.yaml", "b.yaml", "-o", "x.sh"], dir).status, 1);
});

test("every script pins the helper's sha256; --embed-helper carries its exact bytes", () => {
  const dir = tempDir("tupper-cli-");
  writeFileSync(join(dir, "app.yaml"), minimal);
  const helper = readFileSync(join(packageRoot, "helper", "tupper-init"));
  const sha = createHash("sha256").update(helper).digest("hex");
  assert.equal(run(["compile", "app.yaml", "-o", "plain.sh"], dir).status, 0);
  const plain = readFileSync(join(dir, "plain.sh"), "utf8");
  assert.match(plain, new RegExp(`^readonly HELPER_SHA256='${sha}'$`, "m"));
  assert.match(plain, /^# tupper-init built in tupper's source tree with: gcc -static .* -o helper\/tupper-init helper\/tupper-init\.c( helper\/\w+\.c)*$/m);
  assert.doesNotMatch(plain, /^# tupper-init, base64/m);
  assert.equal(run(["compile", "--embed-helper", "app.yaml", "-o", "one.sh"], dir).status, 0);
  const one = readFileSync(join(dir, "one.sh"), "utf8");
  const payload = one.slice(one.indexOf("\n# tupper-init, base64"), one.indexOf("\n# end of tupper-init\n"));
  const lines = payload.split("\n").slice(2).map((l) => l.replace(/^#/, ""));
  assert.ok(Buffer.from(lines.join(""), "base64").equals(helper));
  // the rest of the script is the same as without it, but for where the helper is found
  // (and where lines are: the section table's and the runtime's numbers move with them)
  const differ = /^(# It is embedded .*|readonly HELPER_EMBEDDED=.*|TUPPER_HELPER=.*|declare -A SECTIONS=.*|# every script of this tupper version, its lines .*)$/;
  const rest = (script: string) => script.split("\n").filter((l) => !differ.test(l));
  assert.deepEqual(rest(one.replace(payload, "").replace("\n# end of tupper-init", "")), rest(plain));
});

test("without a helper to pin, compile says how to get one and writes nothing", () => {
  const dir = tempDir("tupper-cli-");
  writeFileSync(join(dir, "app.yaml"), minimal);
  const r = run(["compile", "--helper", "/nonexistent/tupper-init", "app.yaml"], dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^tupper: cannot read the helper \/nonexistent\/tupper-init \(ENOENT\): .* build it with 'make helper'/);
  assert.ok(!existsSync(join(dir, "generated")));
});
