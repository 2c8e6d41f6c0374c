import { test } from "node:test";
import assert from "node:assert/strict";
import { compileText } from "./helpers.js";
import { formatDiagnostic } from "../../src/spec/diagnostics.js";
import { interpolate, parseDotEnv } from "../../src/spec/interpolate.js";

const run = (text: string, vars: Record<string, string | undefined>) => {
  const problems: string[] = [];
  const out = interpolate(text, vars, (m, severity) => problems.push(`${severity}: ${m}`));
  return { out, problems };
};

test("interpolation: Compose's forms, defaults and alternatives on unset and empty, $$ for a literal $", () => {
  const vars = { SET: "v", EMPTY: "", B: "b" };
  const cases: [string, string][] = [
    ["$SET/${SET}", "v/v"],
    ["${UNSET:-d} ${EMPTY:-d} ${SET:-d}", "d d v"],
    ["${UNSET-d} ${EMPTY-d}", "d "],
    ["${UNSET:+x} ${EMPTY:+x} ${SET:+x} ${EMPTY+x}", "  x x"],
    ["${UNSET:-${B}} ${UNSET:-${UNSET2:-deep}}", "b deep"],
    ["$$SET $$(date) $${x} cost: 5$ a$-b", "$SET $(date) ${x} cost: 5$ a$-b"],
  ];
  for (const [text, want] of cases) assert.deepEqual(run(text, vars), { out: want, problems: [] }, text);
  assert.deepEqual(run("x${NOPE}y", vars), {
    out: "xy",
    problems: ["warning: the variable NOPE is not set, so it is empty here (as in Compose); set it, or give a default: ${NOPE:-value}"],
  });
  assert.deepEqual(run("${EMPTY:?the token}", vars).problems, ["error: EMPTY is empty: the token; set it in the environment or in .env beside the spec"]);
  assert.deepEqual(run("${UNSET?}", vars).problems, ["error: UNSET is not set; set it in the environment or in .env beside the spec"]);
  assert.match(run("${SET", vars).problems[0]!, /has no closing }/);
  assert.match(run("${1x}", vars).problems[0]!, /does not start with a variable name/);
  assert.match(run("${SET/a/b}", vars).problems[0]!, /is not a Compose modifier; use :-, -, :\?, \?, :\+ or \+/);
});

test("interpolation in a spec: values only (not keys, not x- fields), typed values after, positioned problems", () => {
  const r = compileText(
    `name: \${PROJECT:-shop}
x-notes: {a: "\${IGNORED}"}
services:
  web:
    image: rootfs:./r
    command: ["/bin/sh", "-c", "echo $$HOME \${GREETING}"]
    ports: ["\${PORT:-8080}:80"]
    environment: {"\${KEY}": "\${VALUE:?set VALUE}"}
    mem_limit: \${MEM}
`,
    "/project/specs/app.yaml",
    { GREETING: "hi", MEM: "64m" },
  );
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
    "/project/specs/app.yaml:8:29: error: services.web.environment.${KEY}: VALUE is not set: set VALUE; set it in the environment or in .env beside the spec",
  ]);
  const ok = compileText(
    `name: \${PROJECT:-shop}\nservices:\n  web:\n    image: rootfs:./r\n    command: ["/bin/sh", "-c", "echo $$HOME \${GREETING}"]\n    ports: ["\${PORT:-8080}:80"]\n    mem_limit: \${MEM}\n`,
    "/project/specs/app.yaml",
    { GREETING: "hi", MEM: "64m" },
  );
  const web = ok.plan!.services[0]!;
  assert.equal(ok.plan!.project.name, "shop");
  assert.deepEqual(web.argv.command, ["/bin/sh", "-c", "echo $HOME hi"]);
  assert.equal(web.ports[0]!.hostPortMin, 8080);
  assert.equal(web.memory.bytes, 64 * 1024 * 1024);
});

test(".env: NAME=VALUE lines, export, comments, quotes; malformed lines are reported", () => {
  const { vars, problems } = parseDotEnv(`# settings
PORT=8080
export TAG=v1.2 # a comment
QUOTED='a # not a comment $X'
DOUBLE="line\\nnext \\"q\\""
EMPTY=
not a line
`);
  assert.deepEqual(vars, { PORT: "8080", TAG: "v1.2", QUOTED: "a # not a comment $X", DOUBLE: 'line\nnext "q"', EMPTY: "" });
  assert.deepEqual(problems, [{ line: 7, message: '"not a line" is not NAME=VALUE' }]);
});

test(".env: unquoted and double-quoted values expand ${VAR} from the environment first, then the lines above; single-quoted ones never (as compose-go's dotenv)", () => {
  const { vars, problems } = parseDotEnv(
    `USER_NAME=mm
HOST=db
DSN=postgres://\${USER_NAME}@\${HOST}:\${PORT:-5432}/x
QUOTED="\${USER_NAME} and $$ and $HOST"
SINGLE='\${USER_NAME}'
FROM_ENV=\${SHELL_ONLY}
REQUIRED=\${MISSING:?set MISSING}
`,
    { HOST: "from-environment", SHELL_ONLY: "shell" },
  );
  assert.deepEqual(vars, {
    USER_NAME: "mm",
    HOST: "db",
    DSN: "postgres://mm@from-environment:5432/x",
    QUOTED: "mm and $ and from-environment",
    SINGLE: "${USER_NAME}",
    FROM_ENV: "shell",
    REQUIRED: "",
  });
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.line, 7);
  assert.match(problems[0]!.message, /set MISSING/);
});

test("x-tupper.runtime_env: those variables stay variables, expanded in double quotes when the script runs; one default each; only where the script has words", () => {
  const spec = `x-tupper: {runtime_env: [PW, TAG]}
services:
  app:
    image: rootfs:./r
    command: ["/bin/echo", "\${TAG:-latest}", "it's \${TAG}"]
    environment: {PW: "\${PW:?give the password}", FIXED: "\${HOME_DIR:-/h}"}
`;
  const r = compileText(spec, "/project/specs/app.yaml", {});
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error"), []);
  assert.deepEqual(r.plan!.runtimeEnv.variables, [
    { name: "PW", op: ":?", word: "give the password" },
    { name: "TAG", op: ":-", word: "latest" },
  ]);
  assert.match(r.script!, /runtime_value 'PW' ':\?' 'give the password' # \$\{PW:\?give the password\}\nruntime_value 'TAG' ':-' 'latest' # \$\{TAG:-latest\}\n/);
  assert.match(r.script!, /svc_command=\('\/bin\/echo' "\$\{RUNTIME_ENV\[TAG\]\}" 'it'\\''s '"\$\{RUNTIME_ENV\[TAG\]\}"\)/);
  assert.match(r.script!, /svc_env=\('PW='"\$\{RUNTIME_ENV\[PW\]\}" 'FIXED=\/h'\)/);
  const errors = (text: string) => compileText(text).diagnostics.filter((d) => d.severity === "error").map((d) => `${d.path}: ${d.message}`);
  assert.deepEqual(
    errors(`x-tupper: {runtime_env: [P]}
services:
  app: {image: "rootfs:./\${P}", command: ["\${P:-a}", "\${P:-b}", "\${P:+c}"]}
`),
    [
      "services.app.image: uses a variable of x-tupper.runtime_env, which only environment, command, entrypoint and healthcheck.test may: this value must be known when compiling",
      "services.app.command[1]: ${P:-b} and ${P:-a} ask different things of the runtime variable P; give it one default or message, and write ${P} elsewhere",
      "services.app.command[2]: ${P:+c}: a variable of x-tupper.runtime_env takes only ${P}, ${P:-default} or ${P:?message}",
    ],
  );
  // A runtime variable is a typed value, not a mark in the text: no text a spec (or a
  // variable's value) holds can become an expansion, whatever characters it has; the script
  // carries it single-quoted. (U+E000/U+E001 were the marks before, and were refused.)
  const literal = compileText(`x-tupper: {runtime_env: [P]}
services:
  app: {image: "rootfs:./r", command: ["/bin/echo", "\\uE000P\\uE001", "$\${P}", "\${Q}"], environment: {X: "\\uE000P\\uE001"}}
`, "/project/specs/app.yaml", { Q: "\uE000P\uE001 ${P}" });
  assert.deepEqual(literal.diagnostics.filter((d) => d.severity === "error"), []);
  assert.match(literal.script!, /svc_command=\('\/bin\/echo' '\uE000P\uE001' '\$\{P\}' '\uE000P\uE001 \$\{P\}'\)/);
  assert.match(literal.script!, /svc_env=\('X=\uE000P\uE001'\)/);
  assert.doesNotMatch(literal.script!, /RUNTIME_ENV\[P\]/);
});
