// Cache keys (src/build/cachekey.ts): what enters a step's key and what does not, the byte format
// pinned, and bash computing the same files digest from the documented format (README.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { baseKey, filesDigest, netstring, stepKey, stepRecord, type FileEntry } from "../../src/build/cachekey.js";
import { compileDockerfile } from "../../src/build/dockerfile/resolve.js";
import type { Instruction } from "../../src/build/dockerfile/model.js";

const AMD64 = { os: "linux", arch: "amd64" };
const steps = (src: string, buildArgs: Record<string, string> = {}): Instruction[] => {
  const r = compileDockerfile(src, "Dockerfile", { platform: AMD64, buildArgs });
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error"), []);
  return r.build!.stages.at(-1)!.instructions.filter((i) => i.kind === "RUN" || i.kind === "COPY" || i.kind === "ADD");
};
const FILES: FileEntry[] = [
  { path: "src/main.c", type: "f", mode: 0o644, uid: 0, gid: 0, payload: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
  { path: "src", type: "d", mode: 0o755, uid: 0, gid: 0, payload: "" },
  { path: "src/link", type: "l", mode: 0o777, uid: 0, gid: 0, payload: "main.c" },
  { path: "ünïcode name", type: "f", mode: 0o4755, uid: 1000, gid: 1000, payload: "0".repeat(64) },
];

test("netstrings count bytes, not characters", () => {
  assert.equal(netstring("ü").toString("utf8"), "2:ü,");
  assert.equal(netstring("").toString(), "0:,");
});

test("the files digest: order-free, and every name, type, mode, owner and content counts", () => {
  const d = filesDigest(FILES);
  assert.equal(filesDigest([...FILES].reverse()), d);
  const changed = (f: Partial<FileEntry>, i = 0) => filesDigest(FILES.map((e, k) => (k === i ? { ...e, ...f } : e)));
  for (const variant of [{ path: "src/main.h" }, { mode: 0o755 }, { uid: 1 }, { gid: 1 }, { payload: "1".repeat(64) }, { type: "l" as const }]) assert.notEqual(changed(variant), d, JSON.stringify(variant));
  assert.equal(changed({ payload: "ignored for a directory" }, 1), d);
  // pinned: a change of the format must be deliberate (and the C helper changed with it)
  assert.equal(d, "628038fd1f8efd6944986e8c94c0be4257b2e390c3e37d1bcdf2709e342779e5");
});

test("bash computes the same files digest from the documented format", () => {
  const script = `
set -euo pipefail
export LC_ALL=C
ns() { printf '%d:%s,' "\${#1}" "$1"; }
{
  printf 'tupper-files-v1\\n'
  while IFS=$'\\t' read -r path type mode uid gid payload; do
    [[ $type == d ]] && payload=''
    ns "$path"; ns "$type"; ns "$mode"; ns "$uid"; ns "$gid"; ns "$payload"
  done < <(LC_ALL=C sort -t $'\\t' -k1,1 "$1")
} | sha256sum | cut -d' ' -f1
`;
  const table = FILES.map((f) => [f.path, f.type, f.mode.toString(8).padStart(4, "0"), f.uid, f.gid, f.payload || ""].join("\t")).join("\n") + "\n";
  const dir = spawnSync("mktemp", ["-d"], { encoding: "utf8" }).stdout.trim();
  const file = `${dir}/entries.tsv`;
  spawnSync("sh", ["-c", `cat > "${file}"`], { input: table });
  const r = spawnSync("bash", ["-c", script, "bash", file], { encoding: "utf8" });
  spawnSync("rm", ["-rf", dir]);
  assert.equal(r.stderr, "");
  assert.equal(r.stdout.trim(), filesDigest(FILES));
});

test("a step's key chains its parent's: the same RUN on another base is another key", () => {
  const [run] = steps("FROM alpine\nRUN make\n");
  const a = stepKey(baseKey({ kind: "image", digest: "sha256:" + "1".repeat(64) }), run);
  const b = stepKey(baseKey({ kind: "image", digest: "sha256:" + "2".repeat(64) }), run);
  assert.notEqual(a, b);
  assert.notEqual(baseKey({ kind: "scratch" }), baseKey({ kind: "stage", key: baseKey({ kind: "scratch" }) }));
  assert.equal(stepKey(a, run), stepKey(a, run));
});

test("RUN keys hold the command, env, user, workdir, network and mounts, not the proxy variables", () => {
  const parent = baseKey({ kind: "scratch" });
  const key = (src: string, args: Record<string, string> = {}) => stepKey(parent, steps(src, args).at(-1)!);
  const plain = key("FROM alpine\nRUN make\n");
  for (const src of [
    "FROM alpine\nRUN make all\n", "FROM alpine\nENV A=1\nRUN make\n", "FROM alpine\nUSER app\nRUN make\n", "FROM alpine\nWORKDIR /w\nRUN make\n",
    "FROM alpine\nRUN --network=none make\n", "FROM alpine\nRUN --mount=type=cache,target=/c make\n", 'FROM alpine\nSHELL ["/bin/bash", "-c"]\nRUN make\n',
    "FROM alpine\nARG V=1\nRUN make\n",
  ])
    assert.notEqual(key(src), plain, src);
  assert.equal(key("FROM alpine\nLABEL a=b\nEXPOSE 80\nRUN make\n"), plain); // config-only instructions do not reach RUN
  assert.equal(key("FROM alpine\nRUN make\n", { HTTP_PROXY: "http://p" }), plain);
  assert.notEqual(key("FROM alpine\nARG V\nRUN make\n", { V: "1" }), key("FROM alpine\nARG V\nRUN make\n", { V: "2" }));
  // the service's build.network and build.extra_hosts: what the step reaches, as in BuildKit's ExecOp
  const [run] = steps("FROM alpine\nRUN apt-get update\n");
  const around = (surroundings: Parameters<typeof stepKey>[2]) => stepKey(parent, run, surroundings);
  const usual = around({});
  assert.equal(around({ surroundings: { network: "default", extraHosts: [] } }), usual);
  assert.notEqual(around({ surroundings: { network: "none", extraHosts: [] } }), usual);
  assert.notEqual(around({ surroundings: { network: "default", extraHosts: [["deb.debian.org", "10.9.9.9"]] } }), usual);
  assert.notEqual(
    around({ surroundings: { network: "default", extraHosts: [["deb.debian.org", "10.9.9.9"]] } }),
    around({ surroundings: { network: "default", extraHosts: [["deb.debian.org", "10.9.9.8"]] } }),
  );
});

test("COPY keys hold the files digest and the copy's options; without the digest there is no key", () => {
  const parent = baseKey({ kind: "scratch" });
  const [copy] = steps("FROM alpine\nCOPY src /app/\n");
  assert.throws(() => stepKey(parent, copy), /the key needs the digest of the copied files/);
  const k = stepKey(parent, copy, { files: filesDigest(FILES) });
  assert.notEqual(stepKey(parent, copy, { files: filesDigest(FILES.slice(1)) }), k);
  const [chowned] = steps("FROM alpine\nCOPY --chown=1:1 src /app/\n");
  assert.notEqual(stepKey(parent, chowned, { files: filesDigest(FILES) }), k);
  // a heredoc's content is its own input
  const [doc] = steps("FROM alpine\nCOPY <<EOF /f\nhello\nEOF\n");
  assert.match(stepRecord(parent, doc).toString(), /heredoc:EOF:hello\n/);
  const env = compileDockerfile("FROM alpine\nENV A=1\n", "Dockerfile", { platform: AMD64 }).build!.stages[0].instructions[0];
  assert.throws(() => stepKey(parent, env), /ENV makes no layer, so it has no cache key of its own/);
});

test("a RUN's bind mounts: the digest of each one's files is in its key; without them there is no key", () => {
  const parent = baseKey({ kind: "scratch" });
  const [run] = steps("FROM alpine\nRUN --mount=type=bind,source=requirements.txt,target=/r pip install -r /r\n");
  assert.throws(() => stepKey(parent, run), /the key needs the digest of each of its 1 bind mount/);
  const k = stepKey(parent, run, { binds: [filesDigest(FILES)] });
  assert.notEqual(stepKey(parent, run, { binds: [filesDigest(FILES.slice(1))] }), k);
  assert.match(stepRecord(parent, run, { binds: ["d".repeat(64)] }).toString(), new RegExp(`64:${"d".repeat(64)},$`));
});

test("the record is the documented byte sequence", () => {
  const [run] = steps("FROM alpine\nRUN echo hi\n");
  const record = stepRecord("P", run).toString();
  assert.equal(record, "tupper-cache-v1\n1:P,3:RUN,1:3,7:/bin/sh,2:-c,7:echo hi,1:0,0:,1:/,7:default,1:0,1:0,7:default,1:0,");
});
