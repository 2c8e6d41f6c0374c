#!/usr/bin/env bats
# Attacks on the host from a non-root user of the host or from a container, each performed,
# each held (issue 20: items 7, 9, 10, 11 and 12). The non-root user is nobody, through
# setpriv; the container is a default one (root in it, Docker's capabilities).

load helpers
bats_require_minimum_version 1.5.0

NOBODY=(setpriv --reuid 65534 --regid 65534 --clear-groups)

# A directory of nobody's inside the test's own (which becomes traversable by all for it).
nobody_dir() {
  chmod 0711 "$TEST_DIR"
  mkdir -p "$TEST_DIR/user"
  chown 65534:65534 "$TEST_DIR/user"
}

@test "environment values, runtime_env secrets included, are on no command line that a non-root user can read; the workload has them" {
  local secret="s3cret-$RANDOM$RANDOM" plain="plain-$RANDOM$RANDOM" extra="exec-$RANDOM$RANDOM"
  {
    printf 'name: %s\nx-tupper: {runtime_env: [DB_PASSWORD]}\nservices:\n  app:\n' "$PROJECT"
    printf '    image: rootfs:%s\n    network_mode: none\n' "$ROOTFS"
    printf '    environment: {DB_PASSWORD: "${DB_PASSWORD}", PLAIN: "%s", LINES: "a\\nb\\\\c"}\n' "$plain"
    printf '    healthcheck: {test: ["CMD", "/bin/sleep", "5"], interval: 100ms, timeout: 10s}\n'
    printf '    command: ["/bin/sleep", "3600"]\n'
  } > "$TEST_DIR/app.yaml.in"
  compile_spec app < "$TEST_DIR/app.yaml.in"
  DB_PASSWORD=$secret "$SCRIPT" up -d app
  wait_running "$PROJECT-app-1"
  # an exec with -e that stays a while, as the health check does
  "$SCRIPT" exec -e "EXTRA=$extra" app /bin/sleep 5 &
  local exec_pid=$! supervisor i
  read -r supervisor _ < "$TUPPER_RUN/$PROJECT/$PROJECT-app-1/pid"
  for ((i = 0; i < 100; i++)); do
    pgrep -f -- "--join .* /bin/sleep 5\$" > /dev/null && break
    sleep 0.05
  done
  # what nobody reads: every process's command line (tupper-init's, the supervisor's, exec's,
  # the workload's), read while the health check runs too
  "${NOBODY[@]}" sh -c 'for f in /proc/[0-9]*/cmdline; do tr "\0" " " < "$f"; echo; done' > "$TEST_DIR/cmdlines" 2> /dev/null
  grep -qF -- "--rootfs $TUPPER_ROOT/containers/$PROJECT/" "$TEST_DIR/cmdlines" # nobody does read tupper-init's
  grep -qF -- "--join " "$TEST_DIR/cmdlines"                                     # and exec's
  run ! grep -F -e "$secret" -e "$plain" -e "$extra" "$TEST_DIR/cmdlines"
  tr '\0' ' ' < "/proc/$supervisor/cmdline" | grep -qF -- "--env-fd 3"
  # the workload has them, a newline and a backslash included, and so has exec
  run -0 "$SCRIPT" exec app /bin/sh -c 'tr "\0" "\n" < /proc/1/environ; echo END'
  [[ $output == *$'\n'"DB_PASSWORD=$secret"$'\n'* ]]
  [[ $output == *$'\n'"PLAIN=$plain"$'\n'* ]]
  [[ $output == *$'\n'"LINES=a"$'\n'"b\\c"$'\n'* ]]
  run -0 env DB_PASSWORD="$secret" "$SCRIPT" exec app /bin/sh -c 'printf "%s|%s|%s\n" "$DB_PASSWORD" "$PLAIN" "$LINES"'
  [ "$output" = "$secret|$plain|a"$'\n'"b\\c" ]
  run -0 "$SCRIPT" exec -e "EXTRA=$extra" app /bin/sh -c 'echo "$EXTRA"'
  [ "$output" = "$extra" ]
  wait "$exec_pid"
}

@test "a helper at a path a user can write, replaced by that user and backdated with touch -d, is never run; a helpers directory of the user's is refused" {
  nobody_dir
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  local helper="$TEST_DIR/user/tupper-init"
  cp "$TUPPER_HELPER" "$helper"
  chown 65534:65534 "$helper"
  run -0 env TUPPER_HELPER="$helper" "$SCRIPT" run --rm app
  # what runs is a copy of root's, checked by content, in a directory only root enters
  local sum
  sum=$(sha256sum < "$TUPPER_HELPER" | cut -d' ' -f1)
  [ "$(stat -c '%u %a' "$TUPPER_RUN/helpers")" = "0 700" ]
  [ "$(stat -c '%u %a' "$TUPPER_RUN/helpers/$sum")" = "0 700" ]
  [ "$(stat -c '%u %a' "$TUPPER_RUN/helpers/$sum/tupper-init")" = "0 500" ]
  # nobody swaps in a helper of its own that leaves a mark and then does the real work,
  # dated before the check
  "${NOBODY[@]}" sh -c "cp '$helper' '$TEST_DIR/user/real' &&
    printf '#!/bin/sh\ntouch %s/user/ran-as-root\nexec %s/user/real \"\$@\"\n' '$TEST_DIR' '$TEST_DIR' > '$helper.new' &&
    chmod 0755 '$helper.new' && mv '$helper.new' '$helper' && touch -d '2001-01-01' '$helper'"
  # it is a working helper, and it leaves its mark when it runs
  "$helper" --port-free tcp 1 || true
  [ -e "$TEST_DIR/user/ran-as-root" ]
  rm "$TEST_DIR/user/ran-as-root"
  run -0 env TUPPER_HELPER="$helper" "$SCRIPT" run --rm app
  [ ! -e "$TEST_DIR/user/ran-as-root" ]
  # a TUPPER_RUN whose helpers directory nobody made first: refused before anything runs
  mkdir -m 1777 "$TEST_DIR/run2" # as a TUPPER_RUN under /tmp would be
  "${NOBODY[@]}" mkdir -m 0777 "$TEST_DIR/run2/helpers"
  # such a TUPPER_RUN, that others can write, is refused first of all
  run -1 --separate-stderr env TUPPER_RUN="$TEST_DIR/run2" TUPPER_HELPER="$TUPPER_HELPER" "$SCRIPT" run --rm app
  [[ $stderr == *"$TEST_DIR/run2 can be written by other users (mode 1777)"* ]]
  [ -z "$(ls -A "$TEST_DIR/run2/helpers")" ]
  # and once it is closed, the helpers directory that nobody made in it before is refused
  chmod 0755 "$TEST_DIR/run2"
  run -1 --separate-stderr env TUPPER_RUN="$TEST_DIR/run2" TUPPER_HELPER="$TUPPER_HELPER" "$SCRIPT" run --rm app
  [[ $stderr == *"$TEST_DIR/run2/helpers is not a directory of root's"* ]]
  [ -z "$(ls -A "$TEST_DIR/run2/helpers")" ]
  # one of root's that others can write, too
  rm -rf "$TEST_DIR/run2/helpers" && mkdir -m 0777 "$TEST_DIR/run2/helpers"
  run -1 --separate-stderr env TUPPER_RUN="$TEST_DIR/run2" TUPPER_HELPER="$TUPPER_HELPER" "$SCRIPT" run --rm app
  [[ $stderr == *"$TEST_DIR/run2/helpers can be written by other users"* ]]
  rm -rf "$TEST_DIR/run2"
}

@test "TUPPER_TRACE files are root's alone (0600); a symlink or another user's file at the trace path is refused" {
  nobody_dir
  umask 022
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  run -0 env TUPPER_TRACE="$TEST_DIR/new.trace" "$SCRIPT" run --rm app
  [ "$(stat -c '%u %a' "$TEST_DIR/new.trace")" = "0 600" ]
  grep -q 'enter_container' "$TEST_DIR/new.trace"
  # an existing file of root's that others could read is made 0600
  printf 'old\n' > "$TEST_DIR/old.trace"
  chmod 0644 "$TEST_DIR/old.trace"
  run -0 env TUPPER_TRACE="$TEST_DIR/old.trace" "$SCRIPT" run --rm app
  [ "$(stat -c '%a' "$TEST_DIR/old.trace")" = 600 ]
  [ "$(head -1 "$TEST_DIR/old.trace")" = old ]
  # nobody plants a symlink where root's trace will go, to a file of root's
  printf 'victim\n' > "$TEST_DIR/victim"
  chmod 0644 "$TEST_DIR/victim"
  "${NOBODY[@]}" ln -s "$TEST_DIR/victim" "$TEST_DIR/user/planted.trace"
  run -1 --separate-stderr env TUPPER_TRACE="$TEST_DIR/user/planted.trace" "$SCRIPT" run --rm app
  [[ $stderr == *"TUPPER_TRACE=$TEST_DIR/user/planted.trace is a symlink; not written"* ]]
  [ "$(cat "$TEST_DIR/victim")" = victim ]
  [ "$(stat -c '%a' "$TEST_DIR/victim")" = 644 ]
  # or a file of its own, which it could read
  "${NOBODY[@]}" touch "$TEST_DIR/user/mine.trace"
  run -1 --separate-stderr env TUPPER_TRACE="$TEST_DIR/user/mine.trace" "$SCRIPT" run --rm app
  [[ $stderr == *"is not a regular file of root's; not written"* ]]
  [ ! -s "$TEST_DIR/user/mine.trace" ]
}

@test "TUPPER_TRACE in a directory that others can write is refused before it is opened: no symlink swapped in meanwhile can make root create a file" {
  nobody_dir
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  # a directory of nobody's: it could flip the name between a file and a symlink (trace-race.sh)
  run -1 --separate-stderr env TUPPER_TRACE="$TEST_DIR/user/new.trace" "$SCRIPT" run --rm app
  [[ $stderr == *"TUPPER_TRACE=$TEST_DIR/user/new.trace is under $TEST_DIR/user, a directory of uid 65534"* ]]
  [ -z "$(ls -A "$TEST_DIR/user")" ]
  # one of root's that others can write, not sticky
  mkdir -m 0777 "$TEST_DIR/shared"
  run -1 --separate-stderr env TUPPER_TRACE="$TEST_DIR/shared/new.trace" "$SCRIPT" run --rm app
  [[ $stderr == *"is under $TEST_DIR/shared, which other users can write (mode 777"* ]]
  [ -z "$(ls -A "$TEST_DIR/shared")" ]
  # a sticky one (as /tmp) only where the kernel refuses to follow another user's symlink there
  mkdir -m 1777 "$TEST_DIR/sticky"
  local protected
  read -r protected < /proc/sys/fs/protected_symlinks
  if [[ $protected == 1 ]]; then
    run -0 env TUPPER_TRACE="$TEST_DIR/sticky/new.trace" "$SCRIPT" run --rm app
    [ "$(stat -c '%u %a' "$TEST_DIR/sticky/new.trace")" = "0 600" ]
  else
    run -1 --separate-stderr env TUPPER_TRACE="$TEST_DIR/sticky/new.trace" "$SCRIPT" run --rm app
    [[ $stderr == *"which other users can write (mode 1777; sticky is enough only with fs.protected_symlinks=1)"* ]]
    [ -z "$(ls -A "$TEST_DIR/sticky")" ]
  fi
  # a relative path is checked from the real working directory
  run -1 --separate-stderr sh -c 'cd "$1/shared" && TUPPER_TRACE=rel.trace "$2" run --rm app' sh "$TEST_DIR" "$SCRIPT"
  [[ $stderr == *"is under $TEST_DIR/shared, which other users can write"* ]]
  [ ! -e "$TEST_DIR/shared/rel.trace" ]
}

# Waits until the health check of container $1 has run again (it touches /tmp/probed).
wait_probed() {
  local i
  "$SCRIPT" exec app rm -f /tmp/probed
  for ((i = 0; i < 100; i++)); do
    "$SCRIPT" exec app test -e /tmp/probed && return 0
    sleep 0.1
  done
  return 1
}

@test "health checks: a container that makes its /dev/null a link to a descriptor of the supervisor, or a FIFO, gets nothing of the host's and none of the check's output" {
  compile_app 'network_mode: none' 'command: ["/bin/sleep", "3600"]' \
    'healthcheck: {test: ["CMD-SHELL", "echo HEALTH-OUTPUT-MARKER; touch /tmp/probed"], interval: 100ms, timeout: 5s}'
  "$SCRIPT" up -d app
  wait_running "$PROJECT-app-1"
  wait_probed
  # the supervisor's descriptor of the container's log, on the host
  local supervisor log="$TUPPER_ROOT/containers/$PROJECT/$PROJECT-app-1/log" fd n=''
  read -r supervisor _ < "$TUPPER_RUN/$PROJECT/$PROJECT-app-1/pid"
  for fd in /proc/"$supervisor"/fd/*; do
    if [[ $(readlink "$fd") == "$log" ]]; then n=${fd##*/}; fi
  done
  [ -n "$n" ]
  # the container's root points /dev/null at it
  "$SCRIPT" exec app /bin/sh -c "rm /dev/null && ln -s /proc/self/fd/$n /dev/null"
  [ "$("$SCRIPT" exec app readlink /dev/null)" = "/proc/self/fd/$n" ]
  wait_probed
  wait_probed
  run ! grep -a HEALTH-OUTPUT-MARKER "$log"
  # a FIFO, with a reader in the container waiting for what the check writes to it
  "$SCRIPT" exec app /bin/sh -c "rm /dev/null && mkfifo /dev/null"
  "$SCRIPT" exec app /bin/sh -c 'cat /dev/null > /tmp/got' 2> /dev/null &
  local reader=$! i
  for ((i = 0; i < 100; i++)); do
    "$SCRIPT" exec app test -e /tmp/got && break
    sleep 0.05
  done
  wait_probed
  wait_probed
  run -0 "$SCRIPT" exec app cat /tmp/got
  [ -z "$output" ]
  kill "$reader"
  wait "$reader" || true
  "$SCRIPT" ps | grep -q "^$PROJECT-app-1 .* running (healthy) "
}

@test "/etc/hosts, hostname and resolv.conf: writable in the container, but a container writing 100 MiB to /etc/hosts stops at a small limit (ENOSPC) and the host's record file is unchanged" {
  compile_app 'network_mode: none' 'command: ["/bin/sleep", "3600"]'
  "$SCRIPT" up -d app
  wait_running "$PROJECT-app-1"
  local record="$TUPPER_RUN/$PROJECT/$PROJECT-app-1"
  cp "$record/hosts" "$TEST_DIR/hosts.before"
  run -0 "$SCRIPT" exec app cat /etc/hosts /etc/hostname
  [ "$output" = "$(cat "$record/hosts" "$record/hostname")" ]
  # writable, as in Docker
  "$SCRIPT" exec app /bin/sh -c 'echo "10.9.9.9 added" >> /etc/hosts && echo renamed > /etc/hostname'
  run -0 "$SCRIPT" exec app /bin/sh -c 'tail -1 /etc/hosts; cat /etc/hostname'
  [ "$output" = $'10.9.9.9 added\nrenamed' ]
  # the attack
  run "$SCRIPT" exec app /bin/dd if=/dev/zero of=/etc/hosts bs=1M count=100
  [ "$status" -ne 0 ]
  [[ $output == *"No space left on device"* ]]
  run -0 "$SCRIPT" exec app /bin/sh -c 'wc -c < /etc/hosts'
  [ "$output" -lt $((1024 * 1024)) ]
  [ "$output" -gt 0 ]
  cmp "$record/hosts" "$TEST_DIR/hosts.before"
  [ "$(cat "$record/hostname")" = "$PROJECT-app-1" ]
  # nothing of the tmpfs is left to see in /dev
  run -0 "$SCRIPT" exec app ls -A /dev
  [[ $output != *tupper* ]]
}
