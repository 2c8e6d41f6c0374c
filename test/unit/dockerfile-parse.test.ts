// The Dockerfile parser (src/build/dockerfile/parse.ts): directives, escapes, continuations,
// heredocs and argument forms, each with the positions a diagnostic would name. Cases marked
// "BuildKit" are BuildKit's own parser tests (frontend/dockerfile/parser/*_test.go) re-asked here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDockerfile, type Node } from "../../src/build/dockerfile/parse.js";
import { formatDiagnostic } from "../../src/spec/diagnostics.js";

const parse = (src: string) => parseDockerfile(src);
const messages = (src: string) => parse(src).diagnostics.map(formatDiagnostic);
const words = (n: Node) => (n.args.form === "list" || n.args.form === "exec" ? n.args.words.map((w) => `${w.raw}@${w.pos.line}:${w.pos.col}`) : []);

test("every instruction, flag and argument has its line and column", () => {
  const p = parse('FROM alpine AS base\n  RUN   --mount=type=cache,target=/c \\\n      --network=none echo hi\nCOPY ["a b", "/x/"]\n');
  assert.deepEqual(p.diagnostics, []);
  const [from, run, copy] = p.nodes;
  assert.deepEqual([from.keyword, from.pos, words(from)], ["FROM", { line: 1, col: 1 }, ["alpine@1:6", "AS@1:13", "base@1:16"]]);
  assert.deepEqual([run.pos, run.startLine, run.endLine], [{ line: 2, col: 3 }, 2, 3]);
  assert.deepEqual(run.flags.map((f) => [f.name, f.value, f.pos, f.valuePos]), [
    ["mount", "type=cache,target=/c", { line: 2, col: 9 }, { line: 2, col: 17 }],
    ["network", "none", { line: 3, col: 7 }, { line: 3, col: 17 }],
  ]);
  assert.deepEqual(run.args, { form: "shell", text: "echo hi", pos: { line: 3, col: 22 } });
  assert.deepEqual(words(copy), ["a b@4:7", "/x/@4:14"]);
});

test("parser directives count only at the top; escape=` changes the continuation token", () => {
  const p = parse("# syntax=docker/dockerfile:1\n#  ESCAPE = `\nFROM x\nRUN echo a `\n  b \\\nRUN c\n");
  assert.equal(p.directives.escape, "`");
  assert.equal(p.directives.syntax?.value, "docker/dockerfile:1");
  assert.deepEqual(p.nodes.map((n) => n.line.text), ["FROM x", "RUN echo a   b \\", "RUN c"]);
  // after a comment that is not a directive, `# escape=` is only a comment (warned)
  const late = parse("# hello\n# escape=`\nFROM x\nRUN a \\\n b\n");
  assert.equal(late.directives.escape, "\\");
  assert.deepEqual(late.diagnostics.map(formatDiagnostic), [
    "Dockerfile:2:1: warning: # escape: a parser directive after the first instruction, comment or blank line is only a comment; move it to the top of the file",
  ]);
});

test("directive errors are positioned: a repeat, a bad escape, a frontend image, a bad check", () => {
  assert.deepEqual(messages("# escape=\\\n# escape=`\nFROM x\n"), ["Dockerfile:2:1: error: # escape: only one escape parser directive can be used; remove this one"]);
  assert.deepEqual(messages("# escape=x\nFROM x\n"), ["Dockerfile:1:10: error: # escape: invalid escape token 'x' does not match ` or \\; write # escape=\\ or # escape=`"]);
  assert.deepEqual(messages("# syntax=example.com/my/frontend:2\nFROM x\n"), [
    'Dockerfile:1:10: error: # syntax: tupper implements the docker/dockerfile:1 syntax itself and runs no frontend image such as "example.com/my/frontend:2"; use # syntax=docker/dockerfile:1 or remove the line',
  ]);
  assert.deepEqual(messages("# syntax=docker/dockerfile:1.7-labs\n# check=skip=JSONArgsRecommended;error=true\nFROM x\n"), []);
  assert.deepEqual(messages("# check=bogus\nFROM x\n"), ['Dockerfile:1:9: error: # check: invalid check option "bogus"; use skip=RULES, error=true|false or experimental=RULES, separated by ;']);
});

test("continuations: comment lines are dropped, empty lines dropped with a warning, leading blanks kept (BuildKit)", () => {
  const p = parse("FROM x\nRUN echo a \\\n  # inside\n\n    b \\  \n  c\n");
  assert.equal(p.nodes[1].line.text, "RUN echo a     b   c");
  assert.equal(p.nodes[1].original, "RUN echo a \\\n  # inside\n\n    b \\  \n  c");
  assert.deepEqual(p.diagnostics.map(formatDiagnostic), [
    "Dockerfile:4:1: warning: RUN: an empty line inside a continuation is skipped (Docker warns: it will become an error); remove it or end the instruction before it",
  ]);
  // `b` on line 5 column 5: positions survive the joining
  const at = p.nodes[1].line.at(p.nodes[1].line.text.indexOf("b"));
  assert.deepEqual(at, { line: 5, col: 5 });
  // an escaped escape token does not continue the line; CRLF and a BOM are fine
  const q = parse("\uFEFFFROM x\r\nRUN echo \\\\\r\nRUN y\r\n");
  assert.deepEqual(q.nodes.map((n) => n.line.text), ["FROM x", "RUN echo \\\\", "RUN y"]);
});

test("heredocs: BuildKit's TestParseExtractsHeredoc", () => {
  const src = [
    "FROM alpine:3.6", "", "ENV NAME=me", "", "RUN ls", "",
    "RUN <<EMPTY", "EMPTY", "",
    "RUN 3<<EMPTY2", "EMPTY2", "",
    'RUN "<<NOHEREDOC"', "",
    "RUN <<INDENT", "\tfoo", "\tbar", "INDENT", "",
    "RUN <<-UNINDENT", "\tbaz", "\tquux", "UNINDENT", "",
    "RUN <<-UNINDENT2", "\tbaz", "\tquux", "\tUNINDENT2", "",
    "RUN <<-'NOEXPAND'", "\tdon't expand $NAME", "NOEXPAND", "",
    "RUN <<COMMENT", "# internal comment", "echo foo bar # trailing comment", "COMMENT", "",
    "RUN --mount=type=cache,target=/foo <<MOUNT", "echo hello", "MOUNT", "",
    "COPY <<FILE1 <<FILE2 /dest", "content 1", "FILE1", "content 2", "FILE2", "",
    "COPY <<X <<Y /dest", "Y", "X", "X", "Y", "",
    "RUN <<COMPLEX python3", "print('hello world')", "COMPLEX", "",
    "RUN <<eo'f'", "echo foo", "eof", "",
    "RUN <<eo\\'f", "echo foo", "eo'f", "",
    "RUN <<'e'o\\'f", "echo foo", "eo'f", "",
    "RUN <<'one two'", "echo bar", "one two", "",
    "RUN <<$EOF", "$EOF", "",
    "RUN <<  EOF", "EOF", "",
    "RUN <<  EOF  > foo", "EOF", "",
  ].join("\n");
  const p = parse(src);
  assert.deepEqual(p.diagnostics, []);
  const docs = p.nodes.slice(3).map((n) => n.heredocs.map((h) => [h.name, h.content, h.expand, h.chomp, h.fd ?? null]));
  assert.deepEqual(docs, [
    [["EMPTY", "", true, false, null]],
    [["EMPTY2", "", true, false, 3]],
    [],
    [["INDENT", "\tfoo\n\tbar\n", true, false, null]],
    [["UNINDENT", "baz\nquux\n", true, true, null]], // tupper stores the body with its tabs already stripped
    [["UNINDENT2", "baz\nquux\n", true, true, null]],
    [["NOEXPAND", "don't expand $NAME\n", false, true, null]],
    [["COMMENT", "# internal comment\necho foo bar # trailing comment\n", true, false, null]],
    [["MOUNT", "echo hello\n", true, false, null]],
    [["FILE1", "content 1\n", true, false, null], ["FILE2", "content 2\n", true, false, null]],
    [["X", "Y\n", true, false, null], ["Y", "X\n", true, false, null]],
    [["COMPLEX", "print('hello world')\n", true, false, null]],
    [["eof", "echo foo\n", false, false, null]],
    [["eo'f", "echo foo\n", true, false, null]],
    [["eo'f", "echo foo\n", false, false, null]],
    [["one two", "echo bar\n", false, false, null]],
    [["$EOF", "", true, false, null]],
    [["EOF", "", true, false, null]],
    [["EOF", "", true, false, null]],
  ]);
  // the body's position is the heredoc's marker; the node spans its body
  const mount = p.nodes.find((n) => n.heredocs[0]?.name === "MOUNT")!;
  assert.deepEqual([mount.heredocs[0].pos, mount.startLine, mount.endLine], [{ line: 39, col: 36 }, 39, 41]);
});

test("heredocs: none in JSON form or in other instructions (BuildKit's TestParseJSONHeredoc), and an unterminated one is an error", () => {
  const p = parse('FROM alpine\nRUN ["<<EOF"]\nRUN "<<EOF"\nRUN \'<<EOF\'\nUSER <<X\n');
  assert.deepEqual(p.nodes.map((n) => n.heredocs.length), [0, 0, 0, 0, 0]);
  assert.deepEqual(messages("FROM x\nRUN cat <<EOF >/a\nline\n"), [
    'Dockerfile:2:9: error: RUN: unterminated heredoc: no line "EOF" ends it; end the body with a line holding only EOF',
  ]);
});

test("argument forms: JSON only for a JSON array of strings; ENV/LABEL pairs and the legacy form", () => {
  const p = parse('FROM x\nCMD ["a", "b"]\nCMD ["a", \'b\']\nCMD [1]\nENV A=1 B="x y"\nENV C d e\nLABEL "k k"=v\n');
  assert.deepEqual(p.nodes[1].args, { form: "exec", words: [{ raw: "a", pos: { line: 2, col: 6 } }, { raw: "b", pos: { line: 2, col: 11 } }] });
  assert.equal(p.nodes[2].args.form, "shell"); // not JSON: Docker silently runs it in a shell
  assert.deepEqual(p.diagnostics.map(formatDiagnostic), ["Dockerfile:4:5: error: CMD: when using JSON array syntax, arrays must be comprised of strings only; quote every element"]);
  const pairs = (n: Node) => (n.args.form === "pairs" ? n.args.pairs.map((q) => [q.key.raw, q.value?.raw]) : []);
  assert.deepEqual(pairs(p.nodes[4]), [["A", "1"], ["B", '"x y"']]);
  assert.deepEqual(pairs(p.nodes[5]), [["C", "d e"]]);
  assert.deepEqual(pairs(p.nodes[6]), [['"k k"', "v"]]);
  assert.deepEqual(messages("FROM x\nENV A=1 B\n"), ['Dockerfile:2:9: error: ENV: Syntax error - can\'t find = in "B"; must be of the form: name=value']);
  assert.deepEqual(messages("FROM x\nENV A\n"), ["Dockerfile:2:5: error: ENV: ENV must have two arguments; write ENV A=VALUE"]);
  assert.deepEqual(messages("FROM x\nLABEL\n"), ["Dockerfile:2:6: error: LABEL: LABEL must have two arguments; write LABEL name=value"]);
});

test("an empty file, or one of comments only, has no instructions", () => {
  assert.deepEqual(messages("# just a comment\n\n"), ["Dockerfile:2:1: error: the Dockerfile has no instructions; it needs at least a FROM"]);
});

// BuildKit's Node.Dump: (instruction ["flags"] "arg" ...), Go-quoted
function dump(n: Node): string {
  const q = (s: string) => JSON.stringify(s);
  const parts = [n.keyword.toLowerCase()];
  if (n.flags.length > 0) parts.push(`[${n.flags.map((f) => q(`--${f.name}${f.value === undefined ? "" : `=${f.value}`}`)).join(" ")}]`);
  const args = (a: Node["args"]): string[] => {
    switch (a.form) {
      case "exec": case "list": return a.words.map((w) => q(w.raw));
      case "shell": case "string": return a.text === "" ? [] : [q(a.text)];
      case "pairs": return a.pairs.flatMap((p) => [q(p.key.raw), q(p.value?.raw ?? "")]);
      default: return [];
    }
  };
  parts.push(...args(n.args));
  if (n.keyword === "HEALTHCHECK" && n.sub) parts.push(...args(n.sub.args));
  return `(${parts.join(" ")})`;
}

test("BuildKit's parser testfiles (docker, health): the same instructions and arguments as their dumped results", () => {
  const dir = join(process.cwd(), "test", "fixtures", "dockerfiles", "buildkit-parser");
  for (const name of ["docker", "health"]) {
    const p = parse(readFileSync(join(dir, name, "Dockerfile"), "utf8"));
    assert.deepEqual(p.diagnostics, [], name);
    assert.equal(p.nodes.map(dump).join("\n") + "\n", readFileSync(join(dir, name, "result"), "utf8"), name);
  }
});
