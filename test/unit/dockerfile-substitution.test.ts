// Docker's variable substitution and quote removal (src/build/dockerfile/shell.ts), on the cases
// of BuildKit's own lexer tests (frontend/dockerfile/shell/envVarTest and wordsTest, which run
// with PWD=/home, SHELL=bash, KOREAN=한국어) and on the pattern forms BuildKit added later.
import { test } from "node:test";
import assert from "node:assert/strict";
import { lex, LexError } from "../../src/build/dockerfile/shell.js";

const ENV: Record<string, string> = { PWD: "/home", SHELL: "bash", KOREAN: "한국어", NULL: "", FOO: "/a/b/c.tar.gz" };
const word = (s: string, escape = "\\") => {
  try {
    return lex(s, (n) => ENV[n], { escape }).word;
  } catch (e) {
    if (e instanceof LexError) return "error";
    throw e;
  }
};

test("BuildKit's envVarTest: quotes, escapes and every ${} form", () => {
  const cases: [string, string][] = [
    ["hello", "hello"], ["he'll'o", "hello"], ["he'llo", "error"], ["he\\'llo", "he'llo"], ["he\\\\'llo", "error"],
    ["abc\\tdef", "abctdef"], ['"abc\\tdef"', "abc\\tdef"], ['"abc\\\\tdef"', "abc\\tdef"], ["'abc\\tdef'", "abc\\tdef"],
    ["hello\\", "hello"], ["hello\\\\", "hello\\"], ['"hello', "error"], ['"hello\\"', "error"], ["\"hel'lo\"", "hel'lo"],
    ["'hello", "error"], ["'hello\\'", "hello\\"], ["'hello\\there'", "hello\\there"], ['"\'\'"', "''"],
    ["$.", "$."], ["he$1x", "hex"], ["he$.x", "he$.x"], ["he$pwd.", "he."], ["he$PWD", "he/home"], ["he\\$PWD", "he$PWD"],
    ["he\\\\$PWD", "he\\/home"], ['"he\\$PWD"', "he$PWD"], ['"he\\\\$PWD"', "he\\/home"], ["\\${}", "${}"], ["he\\${}xx", "he${}xx"],
    ["${}", "error"], ["he${}xx", "error"], ["he${hi}xx", "hexx"], ["he${PWD}", "he/home"], ["he${.}", "error"],
    ["he${XXX:-000}xx", "he000xx"], ["he${PWD:-000}xx", "he/homexx"], ["he${XXX:-$PWD}xx", "he/homexx"],
    ["he${XXX:-${PWD:-yyy}}xx", "he/homexx"], ["he${XXX:-${YYY:-yyy}}xx", "heyyyxx"], ["he${XXX:YYY}", "error"],
    ["he${XXX?}", "error"], ["he${XXX:?}", "error"], ["he${PWD?}", "he/home"], ["he${PWD:?}", "he/home"], ["he${NULL?}", "he"], ["he${NULL:?}", "error"],
    ["he${XXX:+${PWD}}xx", "hexx"], ["he${PWD:+${XXX}}xx", "hexx"], ["he${PWD:+${SHELL}}xx", "hebashxx"], ["he${XXX:+000}xx", "hexx"], ["he${PWD:+000}xx", "he000xx"],
    ["'he${XX}'", "he${XX}"], ['"he${PWD}"', "he/home"], ["\"he'$PWD'\"", "he'/home'"], ['"$PWD"', "/home"], ["'$PWD'", "$PWD"], ["'\\$PWD'", "\\$PWD"],
    ["he${PWD", "error"], ["he${PWD:=000}xx", "error"], ["he${PWD:+${PWD}:}xx", "he/home:xx"], ["he${XXX:-\\$PWD:}xx", "he$PWD:xx"], ["he${XXX:-\\${PWD}z}xx", "he${PWDz}xx"],
    ["안녕하세요", "안녕하세요"], ["안'녕'하세요", "안녕하세요"], ["안'녕하세요", "error"], ["안녕$KOREAN", "안녕한국어"], ["안녕${XXX:-${PWD:-yyy}}xx", "안녕/homexx"],
  ];
  assert.deepEqual(cases.map(([input]) => [input, word(input)]), cases);
});

test("set versus empty: ${V-w} and ${V+w} look only at set, the : forms also at empty", () => {
  assert.deepEqual([word("${NULL-d}"), word("${NULL:-d}"), word("${XXX-d}"), word("${NULL+a}"), word("${NULL:+a}"), word("${XXX+a}")], ["", "d", "d", "a", "", ""]);
});

test("${V:?message} fails with the message, or Docker's default one", () => {
  const err = (s: string) => assert.throws(() => lex(s, (n) => ENV[n], { escape: "\\" }), LexError);
  err("${XXX:?give XXX a value}");
  assert.throws(() => lex("${XXX:?give XXX a value}", () => undefined, { escape: "\\" }), /^Error: XXX: give XXX a value$/);
  assert.throws(() => lex("${XXX?}", () => undefined, { escape: "\\" }), /XXX: is not allowed to be unset/);
  assert.throws(() => lex("${NULL:?}", (n) => ENV[n], { escape: "\\" }), /NULL: is not allowed to be empty/);
});

test("BuildKit's pattern forms: # ## % %% / //, with * and ? and escapes", () => {
  assert.deepEqual(
    ["${FOO#*/}", "${FOO##*/}", "${FOO%.*}", "${FOO%%.*}", "${FOO/b/X}", "${FOO//\\//_}", "${FOO/?/-}", "${FOO#nomatch}", "${XXX##*/}"].map((s) => word(s)),
    ["a/b/c.tar.gz", "c.tar.gz", "/a/b/c.tar", "/a/b/c", "/a/X/c.tar.gz", "_a_b_c.tar.gz", "-a/b/c.tar.gz", "/a/b/c.tar.gz", ""],
  );
  assert.equal(word("${FOO:#x}"), "error"); // unsupported modifier (:#)
  assert.equal(word("${FOO/a"), "error");
});

test("BuildKit's wordsTest: words are split after substitution, quoted spaces kept", () => {
  const env: Record<string, string> = { hi: "hi", space: "abc  def", leading: "  ab c", trailing: "ab c   " };
  const words = (s: string) => {
    try {
      return lex(s, (n) => env[n], { escape: "\\" }).words.join(",");
    } catch {
      return "error";
    }
  };
  const cases: [string, string][] = [
    ["hello", "hello"], ["hello${hi}bye", "hellohibye"], ["hello${space}bye", "helloabc,defbye"], ['hello"${space}"bye', "helloabc  defbye"],
    ['hello "${space}"bye', "hello,abc  defbye"], ["hello${leading}def", "hello,ab,cdef"], ['hello"${leading}" def', "hello  ab c,def"],
    ["hello${trailing}d", "helloab,c,d"], ['hello" there  "', "hello there  "], ["hello there", "hello,there"], ["hello\\ there", "hello there"],
    ['hello" there', "error"], ['hello\\" there', 'hello",there'], ["hello'$there'", "hello$there"],
  ];
  assert.deepEqual(cases.map(([input]) => [input, words(input)]), cases);
});

test("with escape=` the backtick escapes and a backslash is an ordinary character", () => {
  assert.deepEqual([word("c:\\path\\$PWD", "`"), word("a`$PWD", "`"), word('"a`"b"', "`")], ["c:\\path\\/home", "a$PWD", 'a"b']);
});

test("unset variables are reported, so a missing base image Env can be told from a typo", () => {
  const r = lex("$A ${B:-x} $PWD", (n) => ENV[n], { escape: "\\" });
  assert.deepEqual([r.word, [...r.unset].sort()], [" x /home", ["A", "B"]]);
});

test("the lexer's error texts, which diagnostics quote", () => {
  const msg = (s: string) => {
    try {
      lex(s, (n) => ENV[n], { escape: "\\" });
      return "no error";
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert.deepEqual(["${}", "${PWD", "${PWD/a", "${PWD:x}", "${PWD:#a}", "${PWD/\\x/y}", "'a", '"a', "${PWD:-'a}"].map(msg), [
    "syntax error: bad substitution",
    "syntax error: missing '}'",
    "syntax error: missing '/' in ${}",
    "unsupported modifier (:x) in substitution",
    "unsupported modifier (:#) in substitution",
    "invalid pattern (\\x) in substitution: invalid escape '\\x'",
    "unexpected end of statement while looking for matching single-quote",
    "unexpected end of statement while looking for matching double-quote",
    "syntax error: missing '}'",
  ]);
});
