import { test } from "node:test";
import assert from "node:assert/strict";
import { parseSpec } from "../../src/spec/parse.js";
import { errorsOf } from "./helpers.js";

test("positions point at keys and values, 1-based", () => {
  const { spec } = parseSpec("a.yaml", "services:\n  web:\n    mem_limit: lots\n");
  assert.deepEqual(spec.positionOf(["services", "web", "mem_limit"]), { line: 3, col: 5 });
  assert.deepEqual(spec.positionOf(["services", "web", "mem_limit"], "value"), { line: 3, col: 16 });
  // a path that does not exist points at its nearest ancestor
  assert.deepEqual(spec.positionOf(["services", "web", "nope"]), { line: 2, col: 3 });
});

test("scalars keep the text as written", () => {
  const { spec } = parseSpec("a.yaml", "x: 1.0\ny: 0x1F\n");
  assert.equal(spec.sourceTextOf(["x"]), "1.0");
  assert.equal(spec.sourceTextOf(["y"]), "0x1F");
});

const hostileDocuments: [string, string, RegExp][] = [
  ["empty file", "", /1:1: error: the spec is empty/],
  ["only a comment", "# nothing\n", /the spec is empty/],
  ["not YAML", "services: [\n", /not valid YAML/],
  ["tabs for indentation", "services:\n\tweb: {}\n", /not valid YAML/],
  ["duplicate keys", "services: {}\nservices: {}\n", /2:1: error: not valid YAML: Map keys must be unique/],
  ["two documents", "services: {}\n---\nservices: {}\n", /more than one YAML document/],
  ["a scalar", "hello\n", /1:1: error: is the string "hello"; expected a mapping/],
  ["a list", "- a\n- b\n", /expected a mapping/],
  [
    "billion laughs",
    // nine levels of nine: 9^9 values once expanded
    'a: &a ["x","x","x","x","x","x","x","x","x"]\n' +
      [..."bcdefghi"].map((l, i) => `${l}: &${l} [${Array(9).fill(`*${"abcdefgh"[i]}`).join(",")}]\n`).join(""),
    /1:1: error: its aliases expand to more than 1048576 values \(a billion-laughs document\?\)/,
  ],
  ["an anchor that holds an alias of itself", "a: &a [1, *a]\n", /1:11: error: an alias refers to the anchor it is inside of/],
  ["deep nesting", `a: ${"[".repeat(5000)}${"]".repeat(5000)}\n`, /1:68: error: nested more than 64 levels deep/],
  ["binary junk", "\u0000\u0001\u0002services", /error/],
  ["wrong types everywhere", "name: 5\nservices:\n  a: 1\n  b: [x]\n  c: {image: 3, command: {x: 1}}\n", /error/],
];

for (const [what, text, expected] of hostileDocuments) {
  test(`a spec that is ${what} gives positioned errors, never a stack trace`, () => {
    const errors = errorsOf(text);
    assert.ok(errors.length > 0, "expected at least one error");
    for (const e of errors) assert.match(e, /^\/project\/specs\/app\.yaml:\d+:\d+: error: /);
    assert.ok(!errors.join("\n").includes("    at "), "no stack trace");
    assert.match(errors.join("\n"), expected);
  });
}
