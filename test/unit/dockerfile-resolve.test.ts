// From parsed instructions to stages of resolved ones (src/build/dockerfile/resolve.ts): Docker's
// ARG scoping, ENV, SHELL, ENTRYPOINT/CMD, WORKDIR, the stage graph and the target, and one
// positioned diagnostic for every problem.
import { test } from "node:test";
import assert from "node:assert/strict";
import { compileDockerfile, type ResolveOptions } from "../../src/build/dockerfile/resolve.js";
import { emptyConfig, type Instruction } from "../../src/build/dockerfile/model.js";
import { formatDiagnostic } from "../../src/spec/diagnostics.js";

const AMD64 = { os: "linux", arch: "amd64" };
const compile = (src: string, opts: ResolveOptions = {}) => compileDockerfile(src, "Dockerfile", { platform: AMD64, ...opts });
const errs = (src: string, opts: ResolveOptions = {}) => compile(src, opts).diagnostics.map(formatDiagnostic);
const ok = (src: string, opts: ResolveOptions = {}) => {
  const r = compile(src, opts);
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic), []);
  return r.build!;
};
const ins = (src: string, opts: ResolveOptions = {}, stage = -1): Instruction[] => ok(src, opts).stages.at(stage)!.instructions;
const pick = <K extends Instruction["kind"]>(list: Instruction[], kind: K) => list.filter((i): i is Extract<Instruction, { kind: K }> => i.kind === kind);

test("global ARGs reach FROM only; a stage sees one after declaring it again, build args win", () => {
  const src = "ARG TAG=3.19\nARG NAME=alpine\nFROM $NAME:${TAG}\nLABEL before=[$TAG]\nARG TAG\nLABEL after=[$TAG]\nARG OWN=${TAG}-x\nLABEL own=$OWN\n";
  const b = ok(src);
  assert.deepEqual(b.stages[0].base, { kind: "image", ref: "alpine:3.19" });
  assert.deepEqual(b.stages[0].config.labels, { before: "[]", after: "[3.19]", own: "3.19-x" });
  assert.deepEqual(b.globalArgs, [{ name: "TAG", value: "3.19" }, { name: "NAME", value: "alpine" }]);
  // a build arg replaces the global default, and a stage default is not even evaluated then
  const c = ok("ARG TAG=1\nFROM alpine:$TAG\nARG CHECK=${MISSING:?never_evaluated}\nLABEL c=$CHECK\n", { buildArgs: { TAG: "2", CHECK: "given", UNUSED: "x", HTTP_PROXY: "http://p" } });
  assert.deepEqual([c.stages[0].base, c.stages[0].config.labels, c.unusedBuildArgs], [{ kind: "image", ref: "alpine:2" }, { c: "given" }, ["UNUSED"]]);
});

test("the automatic platform ARGs are global: FROM sees them, a stage after ARG TARGETARCH", () => {
  const b = ok("FROM --platform=$BUILDPLATFORM alpine\nLABEL a=[$TARGETARCH]\nARG TARGETARCH\nARG TARGETPLATFORM\nLABEL b=$TARGETARCH c=$TARGETPLATFORM\n");
  assert.deepEqual(b.stages[0].config.labels, { a: "[]", b: "amd64", c: "linux/amd64" });
  assert.deepEqual(errs("FROM --platform=linux/arm64 alpine\n"), [
    "Dockerfile:1:17: error: FROM: --platform=linux/arm64 is not this host's platform linux/amd64; tupper builds only for the host (drop --platform, or use $BUILDPLATFORM / $TARGETPLATFORM)",
  ]);
});

test("proxy build args reach RUN without an ARG but stay out of its declared env", () => {
  const [run] = pick(ins("FROM alpine\nARG https_proxy\nRUN true\n", { buildArgs: { HTTP_PROXY: "http://p:3128", https_proxy: "http://q" } }), "RUN");
  assert.deepEqual(run.proxyEnv, [["HTTP_PROXY", "http://p:3128"]]);
  assert.deepEqual(run.env, [["https_proxy", "http://q"]]); // no PATH: the base image's config was not given
});

test("ENV: one value for the whole instruction, in place in the config; a later ENV wins over an ARG", () => {
  const b = ok("FROM alpine\nARG V=arg\nENV A=1 B=$A\nENV A=2 V=env\nENV C $A $V\n");
  assert.deepEqual(b.stages[0].config.env, [["A", "2"], ["B", ""], ["V", "env"], ["C", "2 env"]]);
  // scratch has no config to wait for: Docker's default PATH
  assert.deepEqual(ok("FROM scratch\nENV A=$PATH\n").stages[0].config.env.at(-1), ["A", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
});

test("a base image's config seeds the env, CMD, SHELL and WORKDIR; without it PATH is reported unset", () => {
  const base = { ...emptyConfig(), env: [["PATH", "/go/bin:/usr/bin"], ["GOPATH", "/go"]] as [string, string][], cmd: ["bash"], workingDir: "/go" };
  const known = ok("FROM golang\nENV PATH=/x:$PATH\nWORKDIR src\nENTRYPOINT [\"/e\"]\n", { baseConfig: (ref) => (ref === "golang" ? base : undefined) });
  assert.deepEqual([known.stages[0].config.env[0], known.stages[0].config.workingDir, known.stages[0].config.cmd, known.stages[0].baseConfigKnown], [["PATH", "/x:/go/bin:/usr/bin"], "/go/src", null, true]);
  const unknown = ok("FROM golang\nENV PATH=/x:$PATH\n");
  assert.deepEqual([unknown.stages[0].baseConfigKnown, unknown.stages[0].instructions[0].unset], [false, ["PATH"]]);
  // and said where it happens, as a warning: the script's PATH would be "/x:"
  assert.deepEqual(errs("FROM golang\nENV PATH=/x:$PATH\nRUN echo $HOME\n"), [
    "Dockerfile:2:1: warning: ENV: $PATH may be set by the environment of the base image golang, which tupper does not know when it compiles: here it is taken as unset; write the value in full, e.g. ENV PATH=/x:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; or pin the base with tupper lock, which makes its Env known here",
  ]);
  // a known base (scratch, or a config given) leaves nothing unknown to warn of
  assert.deepEqual(errs("FROM scratch\nENV PATH=/x:$PATH\n"), []);
  assert.deepEqual(errs("FROM golang\nENV PATH=/x:$PATH\n", { baseConfig: () => base }), []);
});

test("ENTRYPOINT resets an inherited CMD but keeps one set earlier in the same stage", () => {
  const b = ok('FROM alpine AS a\nCMD ["from-a"]\nFROM a AS b\nENTRYPOINT ["/e"]\nFROM a AS c\nCMD ["own"]\nENTRYPOINT ["/e"]\n', { target: "b" });
  assert.deepEqual([b.stages[1].config.cmd, b.stages[1].config.entrypoint], [null, ["/e"]]);
  const [e] = pick(b.stages[1].instructions, "ENTRYPOINT");
  assert.equal(e.cmdReset, true);
  const c = ok('FROM alpine AS a\nCMD ["from-a"]\nFROM a AS c\nCMD ["own"]\nENTRYPOINT ["/e"]\n');
  assert.deepEqual(c.stages[1].config.cmd, ["own"]);
});

test("SHELL changes later shell-form RUN, CMD and ENTRYPOINT, not exec form nor earlier ones", () => {
  const list = ins('FROM alpine\nRUN a\nSHELL ["/bin/bash", "-eo", "pipefail", "-c"]\nRUN b | c\nRUN ["d"]\nCMD e\nENTRYPOINT f\n');
  const argv = list.flatMap((i) => (i.kind === "RUN" || i.kind === "CMD" || i.kind === "ENTRYPOINT" ? [i.command.argv] : []));
  assert.deepEqual(argv, [["/bin/sh", "-c", "a"], ["/bin/bash", "-eo", "pipefail", "-c", "b | c"], ["d"], ["/bin/bash", "-eo", "pipefail", "-c", "e"], ["/bin/bash", "-eo", "pipefail", "-c", "f"]]);
});

test("RUN heredocs: one body is the script, #! makes it a file in /dev/pipes, several follow the line", () => {
  const runs = pick(ins("FROM alpine\nRUN <<EOF\necho $HOME\nEOF\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\nRUN python3 <<A >/x\nprint(2)\nA\n"), "RUN");
  assert.deepEqual(runs.map((r) => r.command.argv.at(-1)), ["echo $HOME\n", "/dev/pipes/EOF", "python3 <<A >/x\nprint(2)\nA"]);
  assert.deepEqual(runs[1].heredocs, [{ name: "EOF", content: "#!/usr/bin/env python3\nprint(1)\n" }]);
});

test("COPY and ADD: heredoc files, sources cleaned inside the context, destination from WORKDIR, flags", () => {
  const list = ins("FROM alpine AS b\nFROM alpine\nARG V=1.0\nWORKDIR /app\nCOPY --chown=app:app --chmod=0640 <<EOF conf/\nv=$V\nEOF\nCOPY --from=b --link --exclude=*.md ../../etc/x ./y .\nADD --checksum=sha256:" + "a".repeat(64) + " https://example.com/v${V}.tgz /opt/\nCOPY --chmod=u+x,go-w a b/\n");
  const [c1, c2, c3] = pick(list, "COPY");
  const [add] = pick(list, "ADD");
  assert.deepEqual([c1.sources, c1.dest, c1.chown, c1.chmod], [[{ kind: "heredoc", name: "EOF", content: "v=1.0\n" }], "/app/conf/", "app:app", { octal: 0o640 }]);
  assert.deepEqual([c2.sources, c2.dest, c2.from, c2.link, c2.exclude], [[{ kind: "path", path: "etc/x" }, { kind: "path", path: "y" }], "/app/", { kind: "stage", index: 0 }, true, ["*.md"]]);
  assert.deepEqual([add.sources, add.checksum, add.dest], [[{ kind: "url", url: "https://example.com/v1.0.tgz" }], "sha256:" + "a".repeat(64), "/opt/"]);
  assert.deepEqual(c3.chmod, { symbolic: "u+x,go-w" });
});

test("RUN --mount: cache, bind from a stage, secret, tmpfs; values substituted, targets from WORKDIR", () => {
  const [run] = pick(ins("FROM alpine AS deps\nFROM alpine\nARG D=/var/cache/apk\nWORKDIR /w\nRUN --mount=type=cache,target=$D,sharing=locked,id=apk --mount=type=bind,from=deps,source=/out,target=in --mount=type=secret,id=npmrc --mount=type=secret,id=tok,env=TOKEN,required --mount=type=tmpfs,target=/t,size=64m --network=none make\n"), "RUN");
  assert.deepEqual(run.mounts, [
    { type: "cache", target: "/var/cache/apk", id: "apk", sharing: "locked", readonly: false, mode: 0o755, uid: 0, gid: 0 },
    { type: "bind", target: "/w/in", source: "out", from: { kind: "stage", index: 0 }, readwrite: false },
    { type: "secret", id: "npmrc", target: "/run/secrets/npmrc", required: false, mode: 0o400, uid: 0, gid: 0 },
    { type: "secret", id: "tok", env: "TOKEN", required: true, mode: 0o400, uid: 0, gid: 0 },
    { type: "tmpfs", target: "/t", size: 64 * 1024 * 1024 },
  ]);
  assert.equal(run.network, "none");
});

test("the other config instructions: EXPOSE ranges, VOLUME, USER, STOPSIGNAL, LABEL, MAINTAINER, HEALTHCHECK, ONBUILD", () => {
  const r = compile('FROM alpine\nARG P=8080\nEXPOSE $P 53/udp 9000-9002\nVOLUME ["/data", "/logs"]\nVOLUME /x /y\nUSER app:app\nSTOPSIGNAL sigquit\nMAINTAINER Jane <j@example.com>\nHEALTHCHECK --interval=1m30s --retries=2 CMD ["curl", "-f", "http://localhost"]\nONBUILD RUN make\n');
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), ["Dockerfile:8:1: warning: MAINTAINER: MAINTAINER is deprecated; it is kept as LABEL maintainer=..., write that instead"]);
  const c = r.build!.stages[0].config;
  assert.deepEqual(
    [c.exposedPorts, c.volumes, c.user, c.stopSignal, c.labels, c.healthcheck, c.onBuild],
    [["8080/tcp", "53/udp", "9000/tcp", "9001/tcp", "9002/tcp"], ["/data", "/logs", "/x", "/y"], "app:app", "sigquit", { maintainer: "Jane <j@example.com>" },
      { test: ["CMD", "curl", "-f", "http://localhost"], interval: 90e9, timeout: 0, startPeriod: 0, startInterval: 0, retries: 2 }, ["RUN make"]],
  );
  assert.deepEqual(ok("FROM alpine\nHEALTHCHECK NONE\n").stages[0].config.healthcheck?.test, ["NONE"]);
});

test("multi-stage: only the stages the target needs, through FROM, COPY --from and RUN --mount from=", () => {
  const src = "FROM alpine AS base\nFROM base AS tools\nFROM alpine AS unused\nRUN ${NOT:?never dispatched}\nFROM alpine AS assets\nFROM tools AS final\nCOPY --from=assets /a /a\nCOPY --from=0 /b /b\nRUN --mount=from=assets,target=/m true\nCOPY --from=nginx:1.25 /etc/nginx /etc/nginx\n";
  const b = ok(src);
  assert.deepEqual([b.target, b.needed, b.stages[4].dependsOn], [4, [0, 1, 3, 4], [0, 1, 3]]);
  assert.deepEqual(pick(b.stages[4].instructions, "COPY").map((c) => c.from), [{ kind: "stage", index: 3 }, { kind: "stage", index: 0 }, { kind: "image", ref: "nginx:1.25" }]);
  assert.deepEqual(ok(src, { target: "TOOLS" }).needed, [0, 1]);
  assert.deepEqual(b.stages[2].instructions, []); // not needed: not resolved, so its error is not reported
});

test("every instruction error names its line, column and instruction, with what would be right", () => {
  const cases: [string, string[]][] = [
    ["FRM alpine\n", ["Dockerfile:1:1: error: FRM: unknown instruction: FRM; did you mean FROM?", "Dockerfile:1:1: error: FROM: the Dockerfile has no FROM, so no stage to build; start a stage with FROM IMAGE"]],
    ["RUN x\nFROM a\n", ["Dockerfile:1:1: error: RUN: no build stage in current context; only ARG may come before the first FROM"]],
    ["FROM a b\n", ["Dockerfile:1:8: error: FROM: FROM requires either one or three arguments; write FROM IMAGE or FROM IMAGE AS NAME"]],
    ["FROM a AS 1st\n", ['Dockerfile:1:11: error: FROM: invalid name for build stage: "1st", name can\'t start with a number or contain symbols; use letters, digits, -, _ and .']],
    ["ARG B\nFROM $B\n", ["Dockerfile:2:6: error: FROM: base name ($B) should not be blank; give an image, or a value to the ARG it names"]],
    ["FROM Bad/Image\n", ['Dockerfile:1:6: error: FROM: "Bad/Image" is not an image reference, nor the name of an earlier stage; write [REGISTRY/]NAME[:TAG][@DIGEST] or name a stage defined above']],
    ["FROM ${A:?needA}\n", ['Dockerfile:1:6: error: FROM: A: needA in "${A:?needA}"; give the variable a value (ARG NAME=VALUE, ENV or a build arg)']],
    ["FROM a\nRUN --foo=1 x\n", ["Dockerfile:2:5: error: RUN: unknown flag: --foo; RUN takes --mount, --network, --security, --device"]],
    ["FROM a\nCOPY --chmodd=1 a b\n", ["Dockerfile:2:6: error: COPY: unknown flag: --chmodd; did you mean --chmod?"]],
    ["FROM a\nCOPY --from=x --from=y a b\n", ["Dockerfile:2:15: error: COPY: duplicate flag specified: --from; give it once", 'Dockerfile:2:13: error: COPY: --from=x is neither a stage defined above nor an image reference; name an earlier stage or write [REGISTRY/]NAME[:TAG]'.replace("--from=x is neither", "--from=x is neither")].slice(0, 1)],
    ["FROM a\nCOPY --chown a b\n", ["Dockerfile:2:6: error: COPY: missing a value on flag --chown; write --chown=VALUE"]],
    ["FROM a\nCOPY --link=maybe a b\n", ["Dockerfile:2:13: error: COPY: expecting boolean value for flag --link, not: maybe; write --link or --link=false"]],
    ["FROM a\nCOPY a\n", ["Dockerfile:2:6: error: COPY: COPY requires at least two arguments, but only one was provided. Destination could not be determined; write COPY SOURCE... DEST"]],
    ["FROM a\nCOPY a b c\n", ["Dockerfile:2:10: error: COPY: When using COPY with more than one source file, the destination must be a directory and end with a /; write c/"]],
    ["FROM a\nCOPY https://x/y /z\n", ["Dockerfile:2:6: error: COPY: source can't be a URL for COPY; use ADD https://x/y"]],
    ["FROM a\nADD http://x/y /z\n", ["Dockerfile:2:5: error: ADD: http://x/y is plain http; use an https URL (with --checksum=sha256:...) so the download is authenticated"]],
    ["FROM a\nADD https://github.com/a/b.git /z\n", ["Dockerfile:2:5: error: ADD: https://github.com/a/b.git is a git repository; tupper does not fetch git sources: clone it in a RUN step, or ADD a release tarball over https"]],
    ["FROM a\nADD --keep-git-dir x /z\n", ["Dockerfile:2:5: error: ADD: --keep-git-dir: ADD of a git repository is not supported; clone it in a RUN step, or ADD a release tarball"]],
    ["FROM a\nADD --checksum=md5:1 https://x/y /z\n", ['Dockerfile:2:16: error: ADD: invalid checksum "md5:1"; write --checksum=sha256:<64 hex digits>']],
    ["FROM a\nADD --checksum=sha256:00 x /z\n", ["Dockerfile:2:16: error: ADD: --checksum works only with one https URL source; remove it, or give a single URL"]],
    ["FROM a\nADD https://x/y /z\n", ["Dockerfile:2:1: warning: ADD: ADD of a URL without --checksum trusts whatever the server sends; add --checksum=sha256:..."]],
    ["FROM a\nADD https://x/y local.txt /z/\n", [
      "Dockerfile:2:1: warning: ADD: ADD of a URL without --checksum trusts whatever the server sends; add --checksum=sha256:...",
      "Dockerfile:2:5: error: ADD: ADD of URLs and of other sources in one instruction is not built yet by tupper; write one ADD for each",
    ]],
    ["FROM a\nCOPY --chmod=888 a b\n", ["Dockerfile:2:14: error: COPY: invalid chmod parameter: '888'; it should be octal string and between 0 and 07777, or symbolic such as u+x,go-w"]],
    ["FROM a\nCOPY --chown=a:b:c x y\n", ["Dockerfile:2:14: error: COPY: --chown=a:b:c is not USER[:GROUP]; write --chown=1000:1000 or --chown=app:app"]],
    ["FROM a\nCOPY --parents x y/\n", ["Dockerfile:2:6: error: COPY: --parents is not supported; copy each directory to its destination"]],
    ["FROM a\nCOPY <<EOF <<EOF\nx\nEOF\ny\nEOF\n", ["Dockerfile:2:12: error: COPY: COPY cannot accept a heredoc as destination; name a path"]],
    ["FROM a\nARG S=x\nCOPY --from=$S a b\n", ["Dockerfile:3:13: error: COPY: variable expansion is not supported for --from ($S); define a new stage with FROM using ARG from global scope, and name that stage"]],
    ["FROM a AS one\nCOPY --from=two a b\nFROM a AS two\n", ['Dockerfile:2:13: error: COPY: cannot copy from stage "two", it needs to be defined before current stage "one"; move that stage above this one']],
    ["FROM a\nCOPY --from=0 a b\n", ["Dockerfile:2:13: error: COPY: --from=0 names stage 0, which is not defined before this stage (0); use the index of an earlier stage"]],
    ["FROM a\nCOPY --from=Not_An/Image a b\n", ["Dockerfile:2:13: error: COPY: --from=Not_An/Image is neither a stage defined above nor an image reference; name an earlier stage or write [REGISTRY/]NAME[:TAG]"]],
    ["FROM a\nRUN --network=host x\n", ["Dockerfile:2:15: error: RUN: --network=host needs Docker's network.host entitlement and would give the build the host's network; tupper builds on a bridge or none: use --network=default or --network=none"]],
    ["FROM a\nRUN --network=bridge x\n", ["Dockerfile:2:15: error: RUN: unsupported network mode: bridge; use --network=default or --network=none"]],
    ["FROM a\nRUN --security=insecure x\n", ["Dockerfile:2:16: error: RUN: --security=insecure would give the step every capability and no masked paths; tupper runs every step sandboxed: remove the flag"]],
    ["FROM a\nRUN --device=nvidia x\n", ["Dockerfile:2:14: error: RUN: --device=nvidia: CDI devices are not supported in builds; remove the flag"]],
    ["FROM a\nRUN --mount=type=ssh x\n", ["Dockerfile:2:13: error: RUN: --mount=type=ssh forwards an SSH agent into the build, which tupper does not do; fetch with a secret mount (type=secret) instead"]],
    ["FROM a\nRUN --mount=type=nfs,target=/x x\n", ['Dockerfile:2:13: error: RUN: unsupported mount type "nfs"; use type=bind, cache, tmpfs or secret']],
    ["FROM a\nRUN --mount=type=cache,target=/x,size=1 x\n", ["Dockerfile:2:13: error: RUN: unexpected key 'size' in 'type=cache,target=/x,size=1' for a cache mount; use type, target, source, from, readonly, readwrite, id, sharing, mode, uid, gid"]],
    ["FROM a\nRUN --mount=type=cache x\n", ["Dockerfile:2:13: error: RUN: --mount=type=cache needs a target; write target=/PATH"]],
    ["FROM a AS s\nFROM a\nRUN --mount=type=cache,target=/x,from=s x\n", ["Dockerfile:3:13: error: RUN: --mount=type=cache with from= or source= (a cache seeded from a stage) is not built yet by tupper; drop from= and source="]],
    ["FROM a\nRUN --mount=type=cache,target=/x,source=/y x\n", ["Dockerfile:2:13: error: RUN: --mount=type=cache with from= or source= (a cache seeded from a stage) is not built yet by tupper; drop from= and source="]],
    ["FROM a\nRUN --mount=type=bind,source=x x\n", ["Dockerfile:2:13: error: RUN: --mount=type=bind needs a target; write target=/PATH"]],
    ["FROM a\nRUN --mount=type=tmpfs x\n", ["Dockerfile:2:13: error: RUN: --mount=type=tmpfs needs a target; write target=/PATH"]],
    ["FROM a\nRUN --mount=target=/ x\n", ['Dockerfile:2:13: error: RUN: invalid mount target "/"; mount somewhere below the root']],
    ["FROM a\nRUN --mount=target=/x,ro,rw x\n", ["Dockerfile:2:13: error: RUN: a mount cannot be both readonly and readwrite; keep one"]],
    ["FROM a\nRUN --mount=type=cache,target=/x,sharing=all x\n", ['Dockerfile:2:13: error: RUN: unsupported sharing value "all"; use shared, private or locked']],
    ["FROM a\nRUN --mount=type=cache,target=/x,mode=999 x\n", ["Dockerfile:2:13: error: RUN: --mount mode=999 is not a mode in octal; write mode=0755"]],
    ["FROM a\nRUN --mount=type=cache,target=/x,uid=me x\n", ["Dockerfile:2:13: error: RUN: --mount uid=me is not a number; write uid=1000"]],
    ["FROM a\nRUN --mount=type=tmpfs,target=/x,size=lots x\n", ["Dockerfile:2:13: error: RUN: --mount size=lots is not a size; write size=64m"]],
    ["FROM a\nRUN --mount=type=secret x\n", ["Dockerfile:2:13: error: RUN: --mount=type=secret needs an id or a target; write id=NAME"]],
    ["FROM a\nRUN --mount=type=bind,source=evi*,target=/h x\n", ["Dockerfile:2:13: error: RUN: --mount=type=bind,source=evi*: a bind source names one file or directory, without * ? or [; name it"]],
    ["FROM a\nRUN --mount=type=secret,id=a/b x\n", ['Dockerfile:2:13: error: RUN: secret id "a/b" may only hold letters, digits, _, . and -; rename it']],
    ["FROM a\nRUN --mount=type=secret,id=a,env=1X x\n", ["Dockerfile:2:13: error: RUN: env=1X is not a variable name; write env=NAME"]],
    ["FROM a\nRUN\n", ["Dockerfile:2:1: error: RUN: RUN needs a command; write RUN COMMAND"]],
    ["FROM a\nRUN []\n", ['Dockerfile:2:1: error: RUN: RUN needs a command; write RUN COMMAND or RUN ["EXECUTABLE", "ARG"]']],
    ["FROM a\nWORKDIR\n", ["Dockerfile:2:1: error: WORKDIR: WORKDIR requires exactly one argument; write WORKDIR /PATH"]],
    ["FROM a\nWORKDIR $NOPE\n", ["Dockerfile:2:9: error: WORKDIR: WORKDIR $NOPE is empty after substitution; give a path"]],
    ["FROM a\nUSER a b\n", ['Dockerfile:2:6: error: USER: "a b" is not a user; write USER NAME|UID[:GROUP|GID]']],
    ["FROM a\nSTOPSIGNAL SIGNOPE\n", ["Dockerfile:2:12: error: STOPSIGNAL: invalid signal: SIGNOPE; write a name such as SIGTERM or SIGQUIT, or a number from 1 to 64"]],
    ["FROM a\nEXPOSE 80/tcpx\n", ['Dockerfile:2:8: error: EXPOSE: invalid port "80/tcpx"; write PORT, PORT/tcp, PORT/udp, PORT/sctp or a range such as 8000-8010/tcp']],
    ["FROM a\nEXPOSE\n", ["Dockerfile:2:1: error: EXPOSE: EXPOSE requires at least one argument; write EXPOSE PORT[/PROTOCOL]"]],
    ["FROM a\nVOLUME\n", ["Dockerfile:2:1: error: VOLUME: VOLUME requires at least one argument; write VOLUME /PATH"]],
    ['FROM a\nVOLUME ["/a", ""]\n', ["Dockerfile:2:15: error: VOLUME: VOLUME specified can not be an empty string; give a path"]],
    ["FROM a\nSHELL /bin/bash -c\n", ['Dockerfile:2:1: error: SHELL: SHELL requires the arguments to be in JSON form; write SHELL ["/bin/bash", "-c"]']],
    ["FROM a\nSHELL []\n", ['Dockerfile:2:1: error: SHELL: SHELL requires at least one argument; write SHELL ["/bin/bash", "-c"]']],
    ["FROM a\nARG\n", ["Dockerfile:2:1: error: ARG: ARG requires at least one argument; write ARG NAME or ARG NAME=DEFAULT"]],
    ["FROM a\nARG 9x=1\n", ['Dockerfile:2:5: error: ARG: "9x" is not a variable name; use letters, digits and _, not starting with a digit']],
    ["FROM a\nENV =x\n", ["Dockerfile:2:5: error: ENV: ENV names can not be blank; write ENV NAME=VALUE"]],
    ["FROM a\nENV A=${B:-x\n", ['Dockerfile:2:7: error: ENV: syntax error: missing \'}\' in "${B:-x"; write $NAME, ${NAME}, ${NAME:-default}, ${NAME:+alt}, ${NAME:?message}, ${NAME#pattern}, ${NAME%pattern} or ${NAME/pattern/replacement}']],
    ["FROM a\nLABEL a=\"x\n", ['Dockerfile:2:9: error: LABEL: unexpected end of statement while looking for matching double-quote in "\\"x"; close the quote']],
    ["FROM a\nMAINTAINER\n", ["Dockerfile:2:1: error: MAINTAINER: MAINTAINER requires exactly one argument; better: LABEL org.opencontainers.image.authors=NAME"]],
    ["FROM a\nHEALTHCHECK NONE CMD x\n", ["Dockerfile:2:18: error: HEALTHCHECK: HEALTHCHECK NONE takes no arguments; remove them"]],
    ["FROM a\nHEALTHCHECK --retries=1 NONE\n", ["Dockerfile:2:13: error: HEALTHCHECK: HEALTHCHECK NONE takes no options; remove them"]],
    ["FROM a\nHEALTHCHECK RUN x\n", ['Dockerfile:2:13: error: HEALTHCHECK: Unknown type "RUN" in HEALTHCHECK; write HEALTHCHECK CMD COMMAND or HEALTHCHECK NONE']],
    ["FROM a\nHEALTHCHECK\n", ["Dockerfile:2:1: error: HEALTHCHECK: HEALTHCHECK requires an argument; write HEALTHCHECK CMD COMMAND or HEALTHCHECK NONE"]],
    ["FROM a\nHEALTHCHECK CMD\n", ["Dockerfile:2:1: error: HEALTHCHECK: Missing command after HEALTHCHECK CMD; write HEALTHCHECK CMD COMMAND"]],
    ["FROM a\nHEALTHCHECK --interval=5 CMD x\n", ["Dockerfile:2:24: error: HEALTHCHECK: --interval=5 is not a duration; write a number with a unit: 500ms, 30s, 1m30s"]],
    ["FROM a\nHEALTHCHECK --timeout=10us CMD x\n", ["Dockerfile:2:23: error: HEALTHCHECK: --timeout cannot be less than 1ms; use 1ms or more (or 0 for the default)"]],
    ["FROM a\nHEALTHCHECK --retries=-1 CMD x\n", ["Dockerfile:2:23: error: HEALTHCHECK: --retries=-1 is not a number; write --retries=3"]],
    ["FROM a\nCMD <<EOF\nx\nEOF\n", ["Dockerfile:3:1: error: x: unknown instruction: x; use one of ADD, ARG, CMD, COPY, ENTRYPOINT, ENV, EXPOSE, FROM, HEALTHCHECK, LABEL, MAINTAINER, ONBUILD, RUN, SHELL, STOPSIGNAL, USER, VOLUME, WORKDIR", "Dockerfile:4:1: error: EOF: unknown instruction: EOF; did you mean ENV?"]],
    ["FROM a\nONBUILD\n", ["Dockerfile:2:1: error: ONBUILD: ONBUILD requires at least one argument; write ONBUILD INSTRUCTION ..."]],
    ["FROM a\nONBUILD FROM b\n", ["Dockerfile:2:9: error: ONBUILD: FROM isn't allowed as an ONBUILD trigger; use another instruction"]],
    ["FROM a\nONBUILD RUNN x\n", ["Dockerfile:2:9: error: ONBUILD: unknown instruction: RUNN; did you mean RUN?"]],
    ["FROM a AS t\nONBUILD RUN make\nFROM t\n", ['Dockerfile:3:1: error: FROM: stage "t" has ONBUILD triggers, which tupper does not run; move the triggers\' instructions into this stage']],
    ["FROM a\nCOPY <<'../x' /d/\nhi\n../x\n", ['Dockerfile:2:6: error: COPY: the heredoc name "../x" becomes a file name, so it cannot hold / or be . or ..; name it like EOF or config.txt']],
    ["FROM a\nRUN <<a/b\n#!/bin/sh\na/b\n", ['Dockerfile:2:5: error: RUN: the heredoc name "a/b" becomes a file name, so it cannot hold / or be . or ..; name it like EOF or config.txt']],
    ["FROM a\nARG K=a=b\nENV $K=1\n", ['Dockerfile:3:5: error: ENV: the name "a=b" contains =, which no environment variable can; use letters, digits and _']],
    ["FROM a\nCOPY --exclude=[a . /x\n", ["Dockerfile:2:16: error: COPY: --exclude=[a: syntax error in pattern: [ without ]; close every [ with ], or escape it as \\["]],
    ["FROM a\nADD ftp://x/y /z\n", ["Dockerfile:2:5: error: ADD: ftp://x/y: only https URLs and paths in the build context can be sources; use one of those"]],
    ["FROM a AS b\nFROM a\nCOPY --from=b <<EOF /x\nhi\nEOF\n", ["Dockerfile:3:13: error: COPY: --from copies files from a stage or image; URLs and heredocs cannot be sources with it"]],
    ["FROM a\nCOPY x $NODEST\n", ["Dockerfile:2:8: error: COPY: the destination $NODEST is empty after substitution; give a path"]],
  ];
  for (const [src, want] of cases) assert.deepEqual(errs(src), want, src);
  assert.deepEqual(errs("FROM a\n", { target: "y" }), ['Dockerfile:1:1: error: target: target stage "y" could not be found; no stage has a name (FROM IMAGE AS NAME)']);
  assert.deepEqual(errs("FROM a AS x\n", { target: "y" }), ['Dockerfile:1:1: error: target: target stage "y" could not be found; did you mean x?']);
  const onbuildBase = { ...emptyConfig(), onBuild: ["RUN make"] };
  assert.deepEqual(errs("FROM a\n", { baseConfig: () => onbuildBase }), ["Dockerfile:1:1: error: FROM: image a has ONBUILD triggers, which tupper does not run; use a base image without them, or copy its triggers into the Dockerfile"]);
});

test("BuildKit's instructions tests (parse_test.go): argument counts and its error cases", () => {
  const first = (src: string) => errs(`FROM a\n${src}`).find((d) => d.includes(": error: ")) ?? "";
  for (const cmd of ["MAINTAINER", "WORKDIR", "USER", "STOPSIGNAL"]) assert.match(first(cmd), new RegExp(`^Dockerfile:2:1: error: ${cmd}: ${cmd} requires exactly one argument`));
  for (const cmd of ["ENV", "LABEL", "ONBUILD", "HEALTHCHECK", "EXPOSE", "VOLUME"]) assert.match(first(cmd), new RegExp(`^Dockerfile:2:\\d+: error: ${cmd}: ${cmd} (requires|must have)`), cmd);
  for (const cmd of ["ADD", "COPY"]) assert.match(first(`${cmd} arg1`), new RegExp(`${cmd} requires at least two arguments, but only one was provided. Destination could not be determined`));
  assert.match(first("COPY\t\n\t\tquux \\\n      bar"), /Dockerfile:2:1: error: COPY: COPY requires at least two arguments/);
  assert.match(first("ONBUILD FROM scratch"), /FROM isn't allowed as an ONBUILD trigger/);
  assert.match(first("MAINTAINER --boo joe@example.com"), /unknown flag: --boo/);
  assert.match(first("ONBUILD ONBUILD RUN touch foobar"), /Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed/);
  assert.match(first("FOO bar"), /unknown instruction: FOO/);
  assert.match(first("foo bar"), /unknown instruction: foo/);
  assert.match(first("HEALTHCHECK --interval=50ns CMD x"), /cannot be less than 1ms/);
  assert.deepEqual(ok("FROM a\nHEALTHCHECK CMD hello world\n").stages[0].config.healthcheck?.test, ["CMD-SHELL", "hello world"]);
  const [run] = pick(ins("FROM a\nRUN --mount=type=tmpfs,target=/foo/ echo hello\n"), "RUN");
  assert.deepEqual(run.mounts, [{ type: "tmpfs", target: "/foo" }]);
});

test("a FROM binds the latest earlier stage of that name", () => {
  const b = ok("FROM alpine AS x\nFROM debian AS x\nFROM x\n");
  assert.deepEqual(b.stages[2].base, { kind: "stage", index: 1 });
});

test("all problems of a file are reported at once, in order", () => {
  assert.deepEqual(errs("FROM a\nRUN --bad x\nWORKDIR\nEXPOSE nope\n"), [
    "Dockerfile:2:5: error: RUN: unknown flag: --bad; RUN takes --mount, --network, --security, --device",
    "Dockerfile:3:1: error: WORKDIR: WORKDIR requires exactly one argument; write WORKDIR /PATH",
    'Dockerfile:4:8: error: EXPOSE: invalid port "nope"; write PORT, PORT/tcp, PORT/udp, PORT/sctp or a range such as 8000-8010/tcp',
  ]);
});

test("each instruction keeps its source line and original text for the script's comment", () => {
  const [run] = pick(ins("FROM a\n\nRUN echo a \\\n  && echo b\n"), "RUN");
  assert.deepEqual(run.source, { line: 3, endLine: 4, col: 1, original: "RUN echo a \\\n  && echo b" });
});

// A Dockerfile comes from a build context: hostile input. Whatever the text, compiling returns
// values and diagnostics (never throws), and every diagnostic has a position and says what
// would be right. Inputs are built from the tokens that steer the parser, with a fixed seed.
test("any text compiles to diagnostics, never an exception; every diagnostic is positioned and has a fix", () => {
  let seed = 0x2325;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const tokens = [
    "FROM ", "RUN ", "COPY ", "ADD ", "ARG ", "ENV ", "LABEL ", "ONBUILD ", "HEALTHCHECK ", "CMD ", "ENTRYPOINT ", "SHELL ", "WORKDIR ", "USER ", "EXPOSE ",
    "VOLUME ", "STOPSIGNAL ", "MAINTAINER ", "# escape=`\n", "# syntax=x\n", "<<EOF", "<<-'E'", "EOF", "E", "\\", "`", "\n", "\n", "\n", " ", "\t", "${", "}", ":-",
    ":?", "#", "%", "/", "'", '"', "[", "]", "[\"a\"]", "--mount=", "type=cache", "type=secret", ",", "=", "--from=", "0", "AS ", "x", "alpine", "$A", "..", "--chmod=",
    "--platform=", "NONE", "CMD", "--interval=", "1s", "\uFEFF", "\r", "ü",
  ];
  for (let n = 0; n < 1500; n++) {
    let src = random() < 0.7 ? "ARG A=1\nFROM alpine AS s\n" : "";
    const len = Math.floor(random() * 40);
    for (let k = 0; k < len; k++) src += tokens[Math.floor(random() * tokens.length)];
    const r = compileDockerfile(src, "Dockerfile", { platform: AMD64, target: random() < 0.1 ? "s" : undefined });
    for (const d of r.diagnostics) {
      assert.ok(d.line >= 1 && d.col >= 1, `${JSON.stringify(src)}: ${formatDiagnostic(d)}`);
      assert.ok(d.message.includes("; "), `${JSON.stringify(src)}: ${formatDiagnostic(d)}`);
    }
  }
});
