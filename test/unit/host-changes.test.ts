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

const CHANGING = /^(\w+=\S*\s+)*(mkdir|rm|rmdir|mv|ln|cp|touch|mount|umount|btrfs|losetup|ip|iptables|iptables-restore|ip6tables|ip6tables-restore|tar|unshare|chmod|chown|kill|sysctl|tc|truncate|mkfifo|exec)(\s|$)/;
const WRITES_FILE = />>?\s*"?[$/]/;
// a command that is a wrapper's call (host mkdir ..., host_write FILE ...), or an assignment
// of the host wrapper's result
const WRAPPED_COMMAND = /^(local\s+)?(\w+=\S*\s+)*host(_write0?|_append|_create|_feed|_pipe)?\s/;

// Lines that change the host without a wrapper, on purpose, each with its reason.
const ALLOWED: [RegExp, string][] = [
  [/^\s*#/, "a comment"],
  [/^(plan_note|note|die|usage)\b|^(missing|gaps)\+=|^local usage=/, "text for people, not a command"],
  [/^kill -l /, "kill -l names a signal"],
  [/exec \{\w+\}[<>]+ *"\$(IMAGES_DIR|NETWORKS_DIR)\/\.(build-)?lock"|exec \{\w+\}>&-/, "a lock file: it serialises, it changes nothing"],
  [/exec \{\w+\}<( |&-)/, "opens a file for reading, or closes a descriptor"],
  [/exec \{(wait_fd|pipe_fd)\}<> <\(:\)/, "a pipe of its own, only to wait on (pipe_open: CG_GATE, the supervisor waits on it while systemd makes its scope; START_REPORT, the script waits for tupper-init's start report)"],
  [/mkfifo -m 0600 -- "\$fifo"|exec \{pipe_fd\}<> "\$fifo"|rm -f -- "\$fifo"/, "pipe_open's FIFO: the same pipe, made in the container's records and unlinked as soon as it is open"],
  [/exec \{input\}>&"\$\{FEED_COPROC\[1\]\}" \{output\}<&"\$\{FEED_COPROC\[0\]\}"/, "host_feed_keep: this script's own descriptors of the coprocess host_feed -k runs (the wrapper plan prints)"],
  [/exec 4> "\/proc\/self\/fd\/\$START_REPORT"/, "the start report pipe's write end, for tupper-init: a pipe, not a file"],
  [/exec 5< "\/proc\/self\/fd\/\$FEED_PIPE_IN" 6> "\/proc\/self\/fd\/\$FEED_PIPE_OUT"/, "the --feed pipes' ends, for the iptables-restore tupper-init starts (its command line is tupper-init's, which plan prints): pipes, not files"],
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

// The text a line gives people (die, note, plan_note, and the lists preflight prints):
// each such quoted argument is replaced by "" before the line is tested, so that the
// commands around it are tested and the text is not. Text that runs something, a command
// substitution, is an offence: it would run while the message is made, unseen by plan.
const MESSAGE = /(\b(?:die|note|plan_note)\s+|(?:missing|gaps)\+=\()"/g;

function withoutMessages(line: string): { rest: string; substitution: boolean } {
  let rest = "";
  let substitution = false;
  let from = 0;
  for (const match of line.matchAll(MESSAGE)) {
    const open = match.index! + match[0].length; // just after the opening quote
    if (open <= from) continue;
    let at = open;
    while (at < line.length && line[at] !== '"') at += line[at] === "\\" ? 2 : 1;
    if (line.slice(open, at).includes("$(")) substitution = true;
    rest += line.slice(from, open) + '"';
    from = at + 1;
  }
  return { rest: rest + line.slice(from), substitution };
}

// The simple commands of a line: a case label (`a | b)`) taken off, then split at ; && ||
// | outside quotes and [[ ]], and at each $( (the command inside), with a leading keyword
// (if, then, !, {, ...) taken off each.
function commandsOf(line: string): string[] {
  const commands: string[] = [];
  let quote = "";
  let tests = 0; // inside [[ ]]
  let current = "";
  const text = line.replace(/^\s*[\w|*. -]+\)\s/, "");
  for (let at = 0; at < text.length; at++) {
    const c = text[at];
    const two = text.slice(at, at + 2);
    if (two === "$(" && quote !== "'") { commands.push(current); current = ""; at++; continue; }
    if (quote) {
      if (c === "\\" && quote === '"') { current += c + (text[at + 1] ?? ""); at++; continue; }
      if (c === quote) quote = "";
      current += c;
      continue;
    }
    if (c === "'" || c === '"') { quote = c; current += c; continue; }
    if (c === "\\") { current += c + (text[at + 1] ?? ""); at++; continue; }
    if (two === "[[") tests++;
    if (two === "]]" && tests > 0) tests--;
    if (tests === 0 && (two === "&&" || two === "||")) { commands.push(current); current = ""; at++; continue; }
    if (tests === 0 && (c === ";" || (c === "|" && text[at - 1] !== ">"))) { commands.push(current); current = ""; continue; }
    current += c;
  }
  commands.push(current);
  return commands
    .map((command) => command.replace(/^(\s*(if|then|else|elif|do|while|until|!|\{|\(|\(\(|time)\s)*/, "").trim())
    .filter((command) => command !== "");
}

// The offences of one template's lines: commands that change the host unwrapped, and
// messages that run a command.
function offencesIn(file: string, text: string): string[] {
  const offences: string[] = [];
  text.split("\n").forEach((line, i) => {
    if (/^\s*#/.test(line)) return; // a comment
    const { rest, substitution } = withoutMessages(line);
    if (substitution) offences.push(`${file}:${i + 1}: a message runs a command: ${line.trim()}`);
    for (const command of commandsOf(rest)) {
      const redirections = command.replace(/[0-9&]?>>?\s*\/dev\/null|[0-9]?>&[0-9-]+/g, "");
      const suspicious = CHANGING.test(command) || WRITES_FILE.test(redirections);
      if (!suspicious || WRAPPED_COMMAND.test(command)) continue;
      if (ALLOWED.some(([pattern]) => pattern.test(command))) continue;
      offences.push(`${file}:${i + 1}: ${command}`);
    }
  });
  return offences;
}

test("every host-changing command in the templates goes through a host wrapper", () => {
  const offences: string[] = [];
  for (const file of readdirSync(partials).sort()) {
    // the wrappers themselves (host-kept: host_feed's -k, lazy with bridge-attach)
    if (file === "host.sh" || file === "host-kept.sh.hbs") continue;
    offences.push(...offencesIn(file, readFileSync(join(partials, file), "utf8")));
  }
  assert.deepEqual(offences, [], "these commands change the host without host/host_write/...; plan would not show them");
});

test("a wrapper or a message elsewhere on the line exempts no other command on it", () => {
  const planted = [
    'host mkdir -p -- "$d"; rm -rf -- "$x"',
    'rm -rf -- "$x" || die "cannot remove $x"',
    'note "removing $x" && rmdir -- "$x"',
    'if host rmdir -- "$d"; then printf x > "$f"; fi',
    'die "$x: $(rm -rf -- "$x")"',
    'local n=$(mkdir -p -- "$d" && echo 1)',
    '  a | b) ip link delete "$v" ;;',
  ];
  const found = offencesIn("t", planted.join("\n"));
  assert.deepEqual(found.map((offence) => Number(offence.split(":")[1])), [1, 2, 3, 4, 5, 6, 7], found.join("\n"));
  assert.deepEqual(offencesIn("t", 'host rm -rf -- "$x" || die "cannot remove $x; rm -rf it"\n[[ $kind == tar ]] || note "a tar: kill it"'), []);
});

test("the message filter keeps the commands around a message and finds a command inside one", () => {
  assert.deepEqual(commandsOf(withoutMessages('rm -rf -- "$x" || die "cannot remove $x; rm -rf it by hand"').rest), ['rm -rf -- "$x"', 'die ""']);
  assert.equal(withoutMessages('die "at $(date)"').substitution, true);
  assert.deepEqual(commandsOf('host mkdir -p -- "$d" && rm -f -- "$f"'), ['host mkdir -p -- "$d"', 'rm -f -- "$f"']);
  assert.deepEqual(commandsOf("if ! host rmdir -- \"$d\"; then note \"a; b\"; fi"), ['host rmdir -- "$d"', 'note "a; b"', "fi"]);
});
