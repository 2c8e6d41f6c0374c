// `plan` can only print what goes through the host wrappers (host, host_write, host_append,
// host_create, host_feed). This test keeps every other way of changing the host out of the
// templates: a command that makes, removes or changes something, or a redirection into a
// file, must go through a wrapper. The e2e test "plan lists what a real run executes" then
// shows that the wrappers print what really runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const partials = join(process.cwd(), "templates", "partials");

const CHANGING = /(^|[\s;(|&{!]|then |else |do )(mkdir|rm|rmdir|mv|ln|cp|touch|mount|umount|btrfs|losetup|ip|iptables|iptables-restore|ip6tables|ip6tables-restore|tar|unshare|chmod|chown|kill|sysctl|tc|truncate|exec)(\s|$)/;
const WRITES_FILE = />>?\s*"?[$/]/;
const WRAPPED = /\bhost(_write0?|_append|_create|_feed|_pipe)?\s/;

// Lines that change the host without a wrapper, on purpose, each with its reason.
const ALLOWED: [RegExp, string][] = [
  [/^\s*#/, "a comment"],
  [/plan_note |note "|die "|usage|missing\+=|gaps\+=/, "text for people, not a command"],
  [/exec \{\w+\}[<>]+ *"\$(IMAGES_DIR|NETWORKS_DIR)\/\.(build-)?lock"|exec \{\w+\}>&-/, "a lock file: it serialises, it changes nothing"],
  [/exec \{\w+\}<( |&-)/, "opens a file for reading, or closes a descriptor"],
  [/exec \{(wait_fd|CG_GATE|START_REPORT)\}<> <\(:\)/, "a pipe of its own, only to wait on (CG_GATE: the supervisor waits on it while systemd makes its scope; START_REPORT: the script waits for tupper-init's start report)"],
  [/exec 4> "\/proc\/self\/fd\/\$START_REPORT"/, "the start report pipe's write end, for tupper-init: a pipe, not a file"],
  [/exec \{TRACE_FD\}>> "\$TUPPER_TRACE"/, "the audit log the user asked for"],
  [/chmod 0600 -- "\/proc\/self\/fd\/\$TRACE_FD"/, "the audit log the user asked for, made root's alone (it holds secrets)"],
  [/enter_container "\$name" detached >> "\$log"/, "the container's log, opened for its output (a plan says so in a note)"],
  [/^\s*"  /, "the usage text"],
  [/kill -0 /, "signal 0 only asks whether a process exists"],
  [/command -v \w+/, "looks a command up"],
  [/> "\$PULL_DIR\/(auth|credentials)"/, "registry credentials for curl: a pull writes them, a plan never shows them"],
  [/"cmd_\$verb"/, "verb dispatch"],
  [/base64 -d > "\$1"/, "helper_decode, which runs only through host (helper_ready)"],
  [/\[\[ .*(tar|btrfs)/, "a test of a value, not a command"],
  [/ tar -tv /, "lists an archive's members before it is unpacked: reads only"],
  [/\$\{REPLY:\+, \}/, "text"],
];

test("every host-changing command in the templates goes through a host wrapper", () => {
  const offences: string[] = [];
  for (const file of readdirSync(partials).sort()) {
    if (file === "host.sh.hbs") continue; // the wrappers themselves
    const lines = readFileSync(join(partials, file), "utf8").split("\n");
    lines.forEach((line, i) => {
      const redirections = line.replace(/[0-9&]?>>?\s*\/dev\/null|[0-9]?>&[0-9-]+/g, "");
      const suspicious = CHANGING.test(line) || WRITES_FILE.test(redirections);
      if (!suspicious || WRAPPED.test(line)) return;
      if (ALLOWED.some(([pattern]) => pattern.test(line))) return;
      offences.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(offences, [], "these lines change the host without host/host_write/...; plan would not show them");
});
