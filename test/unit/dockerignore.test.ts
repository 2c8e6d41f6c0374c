// .dockerignore (src/build/dockerignore.ts): moby/patternmatcher's own match table, the examples
// of Docker's documentation, and the list the C helper reads, checked against a real POSIX ERE
// engine (grep -E) so that the helper and the TS matcher cannot drift apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cleanPath, compileIgnoreList, ignoreFileCandidates, isIgnored, parseDockerignore } from "../../src/build/dockerignore.js";
import { formatDiagnostic } from "../../src/spec/diagnostics.js";

// moby/patternmatcher's TestMatches table (pattern, path, excluded), through MatchesOrParentMatches
const TABLE: [string, string, boolean][] = [
  ["**", "file", true], ["**", "file/", true], ["**/", "file", true], ["**/", "file/", true], ["**", "/", true], ["**/", "/", true],
  ["**", "dir/file", true], ["**/", "dir/file", true], ["**", "dir/file/", true], ["**/", "dir/file/", true], ["**/**", "dir/file", true],
  ["**/**", "dir/file/", true], ["dir/**", "dir/file", true], ["dir/**", "dir/file/", true], ["dir/**", "dir/dir2/file", true],
  ["dir/**", "dir/dir2/file/", true], ["**/dir", "dir", true], ["**/dir", "dir/file", true], ["**/dir2/*", "dir/dir2/file", true],
  ["**/dir2/*", "dir/dir2/file/", true], ["**/dir2/**", "dir/dir2/dir3/file", true], ["**/dir2/**", "dir/dir2/dir3/file/", true],
  ["**file", "file", true], ["**file", "dir/file", true], ["**/file", "dir/file", true], ["**file", "dir/dir/file", true],
  ["**/file", "dir/dir/file", true], ["**/file*", "dir/dir/file", true], ["**/file*", "dir/dir/file.txt", true], ["**/file*txt", "dir/dir/file.txt", true],
  ["**/file*.txt", "dir/dir/file.txt", true], ["**/file*.txt*", "dir/dir/file.txt", true], ["**/**/*.txt", "dir/dir/file.txt", true],
  ["**/**/*.txt2", "dir/dir/file.txt", false], ["**/*.txt", "file.txt", true], ["**/**/*.txt", "file.txt", true], ["a**/*.txt", "a/file.txt", true],
  ["a**/*.txt", "a/dir/file.txt", true], ["a**/*.txt", "a/dir/dir/file.txt", true], ["a/*.txt", "a/dir/file.txt", false], ["a/*.txt", "a/file.txt", true],
  ["a/*.txt**", "a/file.txt", true], ["a[b-d]e", "ae", false], ["a[b-d]e", "ace", true], ["a[b-d]e", "aae", false], ["a[^b-d]e", "aze", true],
  [".*", ".foo", true], [".*", "foo", false], ["abc.def", "abcdef", false], ["abc.def", "abc.def", true], ["abc.def", "abcZdef", false],
  ["abc?def", "abcZdef", true], ["abc?def", "abcdef", false], ["a\\\\", "a\\", true], ["**/foo/bar", "foo/bar", true], ["**/foo/bar", "dir/foo/bar", true],
  ["**/foo/bar", "dir/dir2/foo/bar", true], ["abc/**", "abc", false], ["abc/**", "abc/def", true], ["abc/**", "abc/def/ghi", true],
  ["**/.foo", ".foo", true], ["**/.foo", "bar.foo", false], ["a(b)c/def", "a(b)c/def", true], ["a(b)c/def", "a(b)c/xyz", false],
  ["a.|)$(}+{bc", "a.|)$(}+{bc", true], ["dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true],
  ["dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true],
  // classes with the characters POSIX brackets treat specially
  ["[\\]a]x", "ax", true], ["[a-]x", "-x", true], ["[\\^]x", "^x", true], ["[[]x", "[x", true], ["[\\\\]x", "\\x", true],
];

test("patternmatcher's match table: each pattern, each path, through parents", () => {
  const got = TABLE.map(([pattern, path]) => [pattern, path, isIgnored(path, parseDockerignore(pattern).patterns)]);
  assert.deepEqual(got, TABLE);
});

test("Docker's documented examples: the last matching line wins, ! takes files back", () => {
  const ignored = (file: string, paths: string[]) => {
    const { patterns } = parseDockerignore(file);
    return paths.filter((p) => isIgnored(p, patterns));
  };
  assert.deepEqual(ignored("# comment\n*/temp*\n*/*/temp*\ntemp?\n", ["somedir/temporary.txt", "somedir/temp", "somedir/subdir/temporary.txt", "tempa", "temp", "temporary.txt", "a/b/c/temp"]), [
    "somedir/temporary.txt", "somedir/temp", "somedir/subdir/temporary.txt", "tempa",
  ]);
  assert.deepEqual(ignored("*.md\n!README.md\n", ["a.md", "README.md", "docs/x.md"]), ["a.md"]);
  assert.deepEqual(ignored("*.md\n!README*.md\nREADME-secret.md\n", ["README-public.md", "README-secret.md", "x.md"]), ["README-secret.md", "x.md"]);
  assert.deepEqual(ignored("*.md\nREADME-secret.md\n!README*.md\n", ["README-public.md", "README-secret.md"]), []);
  // a directory's exclusion covers what is below it; the file can exclude itself and the Dockerfile
  assert.deepEqual(ignored("node_modules\n.git/\n.dockerignore\nDockerfile\n", ["node_modules/a/b.js", "src/node_modules/x", ".git/HEAD", ".dockerignore", "Dockerfile"]), [
    "node_modules/a/b.js", ".git/HEAD", ".dockerignore", "Dockerfile",
  ]);
});

test("reading: comments only in column 1, lines trimmed, ./ and / and .. cleaned, exceptions kept in order", () => {
  const { patterns, diagnostics } = parseDockerignore("\uFEFF# c\n  # not a comment\n  ./a//b/  \n/abs\n!  /keep/../kept\n\n../up\n");
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(patterns.map((p) => [p.exception, p.pattern, p.line]), [
    [false, "# not a comment", 2], [false, "a/b", 3], [false, "abs", 4], [true, "kept", 5], [false, "../up", 7],
  ]);
  assert.deepEqual([cleanPath("a/./b/../c/"), cleanPath("/../x"), cleanPath("")], ["a/c", "/x", "."]);
});

test("errors: a bare ! and a malformed class, with line and column", () => {
  const { diagnostics } = parseDockerignore("ok\n  !\nsrc/[a\nx]\n[]a]\n[z-a]\n[a\\\n", ".dockerignore");
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    '.dockerignore:2:3: error: illegal exclusion pattern: "!"; write !PATTERN to take PATTERN back into the context',
    '.dockerignore:3:1: error: syntax error in pattern: [ without ] in "src/[a"; close every [ with ], or escape it as \\[',
    '.dockerignore:4:1: error: syntax error in pattern: ] without [ in "x]"; close every [ with ], or escape it as \\[',
    // Go's filepath.Match, which Docker checks patterns with, has no empty class and no ] first
    '.dockerignore:5:1: error: syntax error in pattern: empty character class in "[]a]"; close every [ with ], or escape it as \\[',
    '.dockerignore:6:1: error: syntax error in pattern: range z-a is reversed in "[z-a]"; close every [ with ], or escape it as \\[',
    '.dockerignore:7:1: error: syntax error in pattern: \\ at the end of a class in "[a\\\\"; close every [ with ], or escape it as \\[',
  ]);
});

test("the helper's list: one cleaned pattern per line (! for an exception); each ERE matches with grep -E exactly as the TS matcher", () => {
  const file = TABLE.map(([p]) => p).join("\n") + "\n!keep/**\n# comment\n  /x//y/../z  \n";
  const { patterns } = parseDockerignore(file);
  const list = compileIgnoreList(patterns);
  const lines = list.split("\n");
  assert.equal(lines.at(-3), "!keep/**");
  assert.equal(lines.at(-2), "x/z");
  assert.equal(lines.at(-1), "");
  assert.equal(lines[0], TABLE[0][0]);
  const paths = [...new Set(TABLE.map(([, p]) => p).concat(["keep/x", "zzz", "a/b/c"]))];
  for (const p of patterns) {
    const grep = spawnSync("grep", ["-E", "-e", p.ere], { input: paths.join("\n") + "\n", encoding: "utf8", env: { LC_ALL: "C" } });
    assert.ok(grep.status === 0 || grep.status === 1, `grep -E accepts ${p.ere}: ${grep.stderr}`);
    const byGrep = grep.stdout.split("\n").filter((l) => l !== "");
    assert.deepEqual(byGrep, paths.filter((x) => p.regex.test(x)), `pattern ${p.pattern} as ${p.ere}`);
  }
});

test("the ignore file of a Dockerfile: <Dockerfile>.dockerignore first, then the context's", () => {
  assert.deepEqual(ignoreFileCandidates("/p/docker/app.Dockerfile", "/p/"), ["/p/docker/app.Dockerfile.dockerignore", "/p/.dockerignore"]);
});
