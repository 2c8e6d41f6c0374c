// For `up`, `run` and `start` bash stops reading the generated script at its start path's
// end (see templates/partials/main.sh.hbs): parsing costs about 3 µs a line, and the rest
// serves only the other verbs. A function defined below that line does not exist for them,
// so nothing above it may call one; bash would only say so at run time, on the branch that
// needs it. This test reads every checked-in script (the example specs together use every
// template, layered images included) and lists such calls.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";

const END_OF_START_PATH = 'if start_path_verb "$@"; then';

interface ShellFunction {
  name: string;
  line: number;
  code: string; // its body without comments and quoted text: what it can call
}

/** Words in quotes are text (die messages, usage): they call nothing. */
function codeOf(line: string): string {
  if (/^\s*#/.test(line)) return "";
  return line.replace(/'[^']*'/g, "''").replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

function functionsOf(script: string): ShellFunction[] {
  const lines = script.split("\n");
  const found: ShellFunction[] = [];
  let current: ShellFunction | undefined;
  lines.forEach((text, index) => {
    const start = /^([a-z_][a-z0-9_]*)\(\) \{(.*)$/.exec(text);
    if (!current && start) {
      const fn = { name: start[1], line: index + 1, code: codeOf(start[2]) };
      if (/\}\s*$/.test(start[2])) found.push(fn); // a one-line function
      else current = fn;
    } else if (current && text === "}") {
      found.push(current);
      current = undefined;
    } else if (current) {
      current.code += `\n${codeOf(text)}`;
    }
  });
  return found;
}

const scripts = readdirSync(join(packageRoot, "generated")).filter((f) => f.endsWith(".sh"));

for (const file of scripts) {
  test(`generated/${file}: the start path calls nothing defined after it`, () => {
    const script = readFileSync(join(packageRoot, "generated", file), "utf8");
    const end = script.split("\n").indexOf(END_OF_START_PATH) + 1;
    assert.ok(end > 0, `no line '${END_OF_START_PATH}'`);
    const functions = functionsOf(script);
    const above = new Set(functions.filter((f) => f.line < end).map((f) => f.name));
    const belowOnly = new Set(functions.filter((f) => f.line > end && !above.has(f.name)).map((f) => f.name));
    assert.ok(belowOnly.has("cmd_ps") && above.has("cmd_run"), "the verbs are on the expected sides");
    const offences: string[] = [];
    for (const fn of functions.filter((f) => f.line < end)) {
      for (const word of new Set(fn.code.match(/[a-z_][a-z0-9_]*/g) ?? [])) {
        // main dispatches every verb, but reaches one below only when bash read the whole script
        if (fn.name === "main" && /^(cmd_\w+|usage)$/.test(word) && !["cmd_up", "cmd_run", "cmd_start"].includes(word)) continue;
        if (belowOnly.has(word)) offences.push(`${fn.name} (line ${fn.line}) calls ${word}, defined below line ${end}`);
      }
    }
    assert.deepEqual(offences, []);
  });
}
