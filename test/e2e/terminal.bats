#!/usr/bin/env bats
# Terminals, tested as a person would: a shell in a tmux pane (a server of the test's own,
# on its own socket) types run and exec, and the test reads the screen. No host terminal
# may reach a container process: a workload gets a pty of the container's own, or pipes,
# and always a session of its own (helper/pty.h).

bats_require_minimum_version 1.5.0
load helpers

eval "$(declare -f teardown | sed '1s/^teardown/helpers_teardown/')"
TMUX_SOCK=''

teardown() {
  if [[ -n $TMUX_SOCK ]]; then tmux -S "$TMUX_SOCK" kill-server 2> /dev/null || true; fi
  helpers_teardown
}

# A bash in a 100x30 tmux pane, in TEST_DIR, prompt "host$ ".
tmux_start() {
  TMUX_SOCK="$TEST_DIR/tmux.sock"
  tmux -S "$TMUX_SOCK" -f /dev/null new-session -d -x 100 -y 30 "cd '$TEST_DIR' && exec bash --norc --noprofile"
  tmux_type 'PS1="host$ "'
}

# Types $1 and Enter, as a person would.
tmux_type() {
  tmux -S "$TMUX_SOCK" send-keys -l -- "$1"
  tmux -S "$TMUX_SOCK" send-keys Enter
}

screen() { tmux -S "$TMUX_SOCK" capture-pane -p -J; }

# Waits until a line of the screen matches the extended regex $1; prints the screen if not.
wait_screen() {
  local i
  for ((i = 0; i < 300; i++)); do
    if screen | grep -Eq -- "$1"; then return 0; fi
    sleep 0.1
  done
  echo "never on the screen: $1" >&2
  screen >&2
  return 1
}

wait_file() {
  local i
  for ((i = 0; i < 300; i++)); do
    if [[ -e $1 ]]; then return 0; fi
    sleep 0.1
  done
  echo "never made: $1" >&2
  screen >&2
  return 1
}

# The attack program (test/e2e/tiocsti.c), static, in the spec's ./bin (mounted at /t).
build_tiocsti() {
  mkdir -p "$TEST_DIR/spec/bin"
  gcc -static -O2 -o "$TEST_DIR/spec/bin/tiocsti" "$BATS_TEST_DIRNAME/tiocsti.c"
}

# Runs line $1 in the pane; once its output shows $2 (a regex), types a marker command: the
# shell runs it after whatever a container pushed into the terminal's input before.
type_and_settle() {
  local marker="$TEST_DIR/settled-$RANDOM"
  tmux_type "$1"
  wait_screen "$2"
  tmux_type "touch $marker"
  wait_file "$marker"
}

# Runs `$SCRIPT VERB app /t/tiocsti` in the pane (VERB with its flags, e.g. "run --rm -T"),
# which tries to type a command that makes the file pwned-TAG into the operator's shell: the
# file must never appear, and the verb ends with status 0.
tiocsti_attempt() {
  local verb=$1 tag=$2
  type_and_settle "$SCRIPT $verb app /t/tiocsti 'touch $TEST_DIR/pwned-$tag'; echo $tag-status=\$?" "^$tag-status=[0-9]+\$"
  [ ! -e "$TEST_DIR/pwned-$tag" ] || { screen >&2; false; }
  wait_screen "^$tag-status=0\$"
}

@test "TIOCSTI: a foreground run cannot type a command into the operator's shell, with a pty or pipes" {
  build_tiocsti
  compile_app 'network_mode: none' 'volumes: ["./bin:/t:ro"]' 'command: ["/bin/true"]'
  tmux_start
  # the default from a terminal: a pty of the container's own
  tiocsti_attempt "run --rm" run
  # -T: pipes, and a session of its own
  tiocsti_attempt "run --rm -T" run-T
  # it reached no terminal but its own: on pipes, no descriptor took a character
  wait_screen '^typed stdin=0 stdout=0 stderr=0 dev-tty=-1'
}

@test "TIOCSTI: exec cannot type a command into the operator's shell, with a pty or pipes" {
  build_tiocsti
  compile_app 'network_mode: none' 'volumes: ["./bin:/t:ro"]' 'command: ["/bin/sleep", "600"]'
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  tmux_start
  tiocsti_attempt exec exec
  tiocsti_attempt "exec -T" exec-T
  wait_screen '^typed stdin=0 stdout=0 stderr=0 dev-tty=-1'
}

@test "exec -it SERVICE sh: a pty of the container's own that follows the window, ^C for the workload, the status and the terminal's mode back" {
  compile_app 'network_mode: none' 'command: ["/bin/sleep", "600"]'
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  tmux_start
  tmux_type "stty -g > $TEST_DIR/mode.before"
  tmux_type "$SCRIPT exec -it app sh; echo host-status=\$?; stty -g > $TEST_DIR/mode.after"
  wait_screen '^/ # '
  tmux_type 'tty; stty size'
  wait_screen '^/dev/pts/[0-9]+$'
  wait_screen '^30 100$'
  # the window changes: the pty follows (SIGWINCH)
  tmux -S "$TMUX_SOCK" resize-window -x 90 -y 25
  tmux_type 'stty size'
  wait_screen '^25 90$'
  # ^C is a byte to the pty, whose line discipline makes it the foreground job's SIGINT
  tmux_type 'sleep 100'
  local procs pid found='' i
  procs=$(cgroup_file "$PROJECT-app-1" cgroup.procs)
  for ((i = 0; i < 300; i++)); do
    for pid in $(cat "$procs"); do
      if [[ $(tr '\0' ' ' < "/proc/$pid/cmdline" 2> /dev/null) == "sleep 100 " ]]; then found=$pid; fi
    done
    [[ -z $found ]] || break
    sleep 0.1
  done
  [ -n "$found" ]
  tmux -S "$TMUX_SOCK" send-keys C-c
  # the shell lives on, and saw its job end by SIGINT (128+2)
  tmux_type 'echo sleep-status=$?'
  wait_screen '^sleep-status=130$'
  tmux_type 'exit 7'
  wait_screen '^host-status=7$'
  wait_file "$TEST_DIR/mode.after"
  # the host terminal is back in the mode it was in (not raw)
  [ "$(cat "$TEST_DIR/mode.before")" = "$(cat "$TEST_DIR/mode.after")" ]
}

@test "run -it: the workload's own pty, the window's size, the exit status; a hand-back to the script (--finish-run) leaves the terminal in its mode" {
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  tmux_start
  tmux_type "$SCRIPT run --rm -it app sh -c 'tty; stty size; exit 4'; echo run-status=\$?"
  wait_screen '^run-status=4$'
  screen | grep -Eq '^/dev/pts/[0-9]+'
  screen | grep -Eq '^30 100'
  # a tree deeper than tupper-init removes: it hands the rest back to the script
  # (--finish-run), after it has put the host's terminal back in its mode, not raw
  tmux_type "stty -g > $TEST_DIR/mode.before"
  # shellcheck disable=SC2016 # expanded in the container
  tmux_type "$SCRIPT run --rm -it app sh -c 'd=/deep; i=0; while [ \$i -lt 70 ]; do d=\$d/d; i=\$((i + 1)); done; mkdir -p \$d; exit 5'; echo deep-status=\$?; stty -g > $TEST_DIR/mode.after"
  wait_screen '^deep-status=5$'
  wait_file "$TEST_DIR/mode.after"
  [ "$(cat "$TEST_DIR/mode.before")" = "$(cat "$TEST_DIR/mode.after")" ]
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
}

@test "exec -T and a piped stdin give pipes: no tty, the data flows both ways, the status comes back" {
  compile_app 'network_mode: none' 'command: ["/bin/sleep", "600"]'
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  # stdin a pipe: no pty by default
  run -5 --separate-stderr bash -c "printf 'one\ntwo\n' | '$SCRIPT' exec app sh -c 'tty; cat; exit 5'"
  [ "$output" = $'not a tty\none\ntwo' ]
  # -T from a terminal: pipes relayed both ways (typed lines reach the workload)
  tmux_start
  tmux_type "$SCRIPT exec -T app sh -c 'tty; [ -t 0 ] || [ -t 1 ] || echo on-pipes; read line; echo got-\$line; exit 6'; echo exec-status=\$?"
  wait_screen '^not a tty$'
  wait_screen '^on-pipes$'
  tmux_type 'typed-here'
  wait_screen '^got-typed-here$'
  wait_screen '^exec-status=6$'
}

@test "tty: true with up -d: the workload sees a pty, logs shows its output; stdin_open keeps stdin open" {
  compile_spec app << EOF
name: $PROJECT
services:
  app:
    image: rootfs:$ROOTFS
    network_mode: none
    tty: true
    command: ["/bin/sh", "-c", "tty; stty size; echo out-\$\$((6*7)); exec sleep 600"]
  open:
    image: rootfs:$ROOTFS
    network_mode: none
    stdin_open: true
    command: ["/bin/sh", "-c", "read line; echo read-ended"]
  shut:
    image: rootfs:$ROOTFS
    network_mode: none
    command: ["/bin/sh", "-c", "read line; echo read-ended; exec sleep 600"]
EOF
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  for ((i = 0; i < 100; i++)); do
    if "$SCRIPT" logs app | grep -q '^out-42$'; then break; fi
    sleep 0.1
  done
  run -0 --separate-stderr "$SCRIPT" logs app
  [ "${lines[0]}" = /dev/pts/0 ]
  [ "${lines[1]}" = "24 80" ]
  [ "${lines[2]}" = out-42 ] # no \r: the log's lines end in \n
  run -0 --separate-stderr "$SCRIPT" exec -T app readlink /proc/1/fd/0
  [ "$output" = /dev/pts/0 ]
  # stdin_open: a pipe that stays open (the read waits); without it, /dev/null
  run -0 --separate-stderr "$SCRIPT" exec -T open readlink /proc/1/fd/0
  [[ $output == pipe:* ]]
  wait_running "$PROJECT-shut-1"
  run -0 --separate-stderr "$SCRIPT" exec -T shut readlink /proc/1/fd/0
  [ "$output" = /dev/null ]
  for ((i = 0; i < 100; i++)); do
    if "$SCRIPT" logs shut | grep -q '^read-ended$'; then break; fi
    sleep 0.1
  done
  run -0 --separate-stderr "$SCRIPT" logs shut
  [ "$output" = read-ended ]
}

@test "without a pty the workload has a session of its own and no controlling terminal (run, run -T, exec -T)" {
  compile_app 'network_mode: none' 'command: ["/bin/sleep", "600"]'
  local show='read -r pid comm state ppid pgrp sid tty rest < /proc/self/stat; echo "stat=$pid:$sid:$tty"'
  # no terminal at all (stdin a file): PID 1 leads a session of its own
  run -0 --separate-stderr "$SCRIPT" run --rm app sh -c "$show" < /dev/null
  [ "$output" = stat=1:1:0 ]
  # from a terminal, with -T: no tty_nr of the host's
  tmux_start
  tmux_type "$SCRIPT run --rm -T app sh -c '$show'"
  wait_screen '^stat=1:1:0$'
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  tmux_type "$SCRIPT exec -T app sh -c '$show'"
  wait_screen '^stat=([0-9]+):\1:0$'
}
