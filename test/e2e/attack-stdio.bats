#!/usr/bin/env bats
# A container reaching host files through what the operator gives it (issue 20, red team
# findings 3 and 5): the mounts under a `:ro` bind, and the files, pipes and sockets the
# operator redirects a foreground `run` or an `exec` to. Each attack performed, each held.

load helpers
bats_require_minimum_version 1.5.0

@test "a :ro bind is read-only all the way down: a tmpfs mounted under its source is not writable in the container, the host's file is unchanged" {
  mkdir -p "$TEST_DIR/src/sub"
  echo "top data" > "$TEST_DIR/src/top"
  compile_app 'network_mode: none' "volumes: [\"$TEST_DIR/src:/data:ro\"]" 'command: ["/bin/true"]'
  # the tmpfs only in a mount namespace of the test's own (gone with it, whatever happens)
  run unshare --mount --propagation private sh -c '
    mount -t tmpfs -o size=1m tmpfs "$1/src/sub" && echo "host data" > "$1/src/sub/file" || exit 99
    "$2" run --rm app sh -c "
      grep \" /data/sub \" /proc/self/mounts
      echo overwritten > /data/sub/file && echo WROTE-SUB
      mkdir /data/sub/new && echo WROTE-NEW
      echo overwritten > /data/top && echo WROTE-TOP
      cat /data/sub/file"
    echo "status $?"
    echo "host: $(cat "$1/src/sub/file") $(ls "$1/src/sub" | tr "\n" " ")"
  ' sh "$TEST_DIR" "$SCRIPT"
  echo "$output"
  [ "$status" -eq 0 ]
  # the container sees the submount, read-only, and its data
  [[ $output == *"tmpfs /data/sub tmpfs ro,"* ]]
  [[ $output == *$'\n'"host data"$'\n'* ]]
  [[ $output != *WROTE-* ]]
  [[ $output == *"Read-only file system"* ]]
  [[ $output == *"status 0"* ]] # cat, the last command, read the file
  [[ $output == *"host: host data file "* ]]
  [ "$(cat "$TEST_DIR/src/top")" = "top data" ]
}

# A root-only file of the host's, as a dump an operator restores.
root_only_file() {
  printf 'SELECT 1; -- secret-%s\n' "$RANDOM$RANDOM" > "$1"
  chmod 0400 "$1"
}

@test "exec -T: a host file given as stdin is relayed through a pipe; the container cannot reopen it through /proc/self/fd/0 to overwrite it; data and status pass" {
  compile_app 'network_mode: none' 'command: ["/bin/sleep", "3600"]'
  "$SCRIPT" up -d app
  wait_running "$PROJECT-app-1"
  local dump="$TEST_DIR/dump.sql"
  root_only_file "$dump"
  local before
  before=$(cat "$dump")
  run "$SCRIPT" exec -T app sh -c 'readlink /proc/self/fd/0 >&2; echo "written by the container" >> /proc/self/fd/0 && echo WROTE >&2; exit 3' < "$dump"
  echo "$output"
  [ "$status" -eq 3 ]
  [[ $output == "pipe:["* ]]
  [ "$(cat "$dump")" = "$before" ]
  [ "$(stat -c %a "$dump")" = 400 ]
  # data flows both ways, and stdout to a file is a pipe too
  run -0 "$SCRIPT" exec -T app sh -c 'cat; readlink /proc/self/fd/1; readlink /proc/self/fd/2' < "$dump"
  [[ $output == "$before"$'\n'"pipe:["*$'\n'"pipe:["* ]]
  local code=0
  "$SCRIPT" exec -T app sh -c 'cat; exit 5' < "$dump" > "$TEST_DIR/copy" || code=$?
  [ "$code" -eq 5 ]
  [ "$(cat "$TEST_DIR/copy")" = "$before" ]
  # /dev/null passes as it is
  run -0 "$SCRIPT" exec -T app readlink /proc/self/fd/0 < /dev/null
  [ "$output" = /dev/null ]
}

@test "run --rm: a host file given as stdout (>>) cannot be read back through /proc/self/fd/1, nor as stdin (<) written; data, EOF and status pass" {
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  local out="$TEST_DIR/out" dump="$TEST_DIR/dump.sql"
  root_only_file "$out"
  root_only_file "$dump"
  local secret before
  secret=$(cat "$out")
  before=$(cat "$dump")
  # stdout appended to a root-only file: reopening it would read the file from its start
  local code=0
  "$SCRIPT" run --rm app sh -c 'readlink /proc/self/fd/1 >&2; timeout 1 cat /proc/self/fd/1 >&2; echo appended; exit 4' >> "$out" 2> "$TEST_DIR/err" || code=$?
  [ "$code" -eq 4 ]
  cat "$TEST_DIR/err"
  grep -q '^pipe:\[' "$TEST_DIR/err"
  run ! grep -qF -- "$secret" "$TEST_DIR/err"
  [ "$(cat "$out")" = "$secret"$'\n'appended ]
  # stdin from a root-only file: a write through /proc/self/fd/0 reaches the container's own pipe only
  run "$SCRIPT" run --rm app sh -c 'readlink /proc/self/fd/0; echo "written by the container" >> /proc/self/fd/0; exit 6' < "$dump"
  [ "$status" -eq 6 ]
  [[ $output == "pipe:["* ]]
  [ "$(cat "$dump")" = "$before" ]
  # a roundtrip through cat ends at the file's end; a reader leaving the output pipe ends the writer
  # (EPIPE: the workload is its PID namespace's init, which SIGPIPE does not kill, as in Docker)
  "$SCRIPT" run --rm app cat < "$dump" > "$TEST_DIR/copy"
  [ "$(cat "$TEST_DIR/copy")" = "$before" ]
  run -0 timeout 120 sh -c '"$1" run --rm app yes 2> /dev/null | head -n 2' sh "$SCRIPT"
  [ "$output" = y$'\n'y ]
}
