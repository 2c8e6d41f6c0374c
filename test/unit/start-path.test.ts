// For `up`, `run` and `start` bash stops reading the generated script at its start path's
// end (see templates/partials/main.sh.hbs): parsing costs about 3 µs a line, and the rest
// serves only the other verbs. A function defined below that line does not exist for them,
// so nothing above it may call one; bash would only say so at run time, on the branch that
// needs it. The lazy sections below it (src/render/render.ts) are start-path code too: a
// stub above loads each when one of its functions is first called. This test reads every
// checked-in script (the example specs together use every template, layered images
// included) and lists such calls, and checks that stubs and sections match.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../src/paths.js";

const END_OF_START_PATH = 'if start_path_verb "$@" && [[ -f $SCRIPT_FILE ]]; then';
/** A lazy section's stub (src/render/render.ts): it loads the section, which replaces it. */
const STUB = /^(?:  )?([a-z_][a-z0-9_]*)\(\) \{ section_load ([a-z0-9-]+) && \1 "\$@"; \}$/;

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
  test(`generated/${file}: the start path (its lazy sections included) calls nothing defined after it`, () => {
    const script = readFileSync(join(packageRoot, "generated", file), "utf8");
    const end = script.split("\n").indexOf(END_OF_START_PATH) + 1;
    assert.ok(end > 0, `no line '${END_OF_START_PATH}'`);
    const lines = script.split("\n");
    const functions = functionsOf(script);
    // lazy sections: each stub (above) names its section; a section's lines run on the start path too
    const stubs = new Map<string, string>();
    lines.slice(0, end).forEach((l) => {
      const m = STUB.exec(l);
      if (m) stubs.set(m[1], m[2]);
    });
    const sections = new Map<string, [number, number]>();
    lines.forEach((l, i) => {
      const m = /^# ---- section ([a-z0-9-]+)$/.exec(l);
      if (m) sections.set(m[1], [i + 1, lines.indexOf(`# ---- end of section ${m[1]}`, i) + 1]);
    });
    const sectionOf = (line: number) => [...sections].find(([, [a, b]]) => line > a && line < b)?.[0];
    const problems: string[] = [];
    for (const [name, [first, last]] of sections) {
      assert.ok(first > end && last > first, `section ${name} is below the start path, and ends`);
      // only functions at the top level: section_load evaluates it inside a function, where
      // a declare or an assignment would not reach the script's globals
      let inFunction = false;
      const body = lines.slice(first, last - 1);
      for (const [i, l] of body.entries()) {
        // a function ends at a "}" line that a blank line, a comment or the section's end
        // follows (a "}" inside a quoted text, as log_sed_script's, is followed by more of it)
        if (inFunction) inFunction = !(l === "}" && /^(|#.*)$/.test(body[i + 1] ?? ""));
        else if (/^[a-z_][a-z0-9_]*\(\) \{/.test(l)) inFunction = !/\}\s*$/.test(l);
        else if (!/^(|#.*)$/.test(l)) problems.push(`section ${name}, line ${first + 1 + i}: not a function: ${l}`);
      }
    }
    for (const fn of functions.filter((f) => sectionOf(f.line) !== undefined)) {
      if (stubs.get(fn.name) !== sectionOf(fn.line)) problems.push(`${fn.name} (line ${fn.line}, section ${sectionOf(fn.line)}) has no stub that loads its section`);
    }
    for (const [name, section] of stubs) {
      if (!functions.some((f) => f.name === name && sectionOf(f.line) === section)) problems.push(`the stub of ${name} loads section ${section}, which does not define it`);
    }
    assert.deepEqual(problems, []);
    const above = new Set([...functions.filter((f) => f.line < end).map((f) => f.name), ...stubs.keys()]);
    const belowOnly = new Set(functions.filter((f) => f.line > end && !above.has(f.name)).map((f) => f.name));
    assert.ok(belowOnly.has("cmd_ps") && above.has("cmd_run"), "the verbs are on the expected sides");
    const offences: string[] = [];
    for (const fn of functions.filter((f) => f.line < end || sectionOf(f.line) !== undefined)) {
      for (const word of new Set(fn.code.match(/[a-z_][a-z0-9_]*/g) ?? [])) {
        // main dispatches every verb, but reaches one below only when bash read the whole script
        if (fn.name === "main" && /^(cmd_\w+|usage)$/.test(word) && !["cmd_up", "cmd_run", "cmd_start"].includes(word)) continue;
        if (belowOnly.has(word)) offences.push(`${fn.name} (line ${fn.line}) calls ${word}, defined below line ${end}`);
      }
    }
    assert.deepEqual(offences, []);
  });
}
