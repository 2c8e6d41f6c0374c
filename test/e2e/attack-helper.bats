#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# The C helper as hostile-input code (issue 20): tupper-init --untar fed crafted layers, the
# default seccomp filter against io_uring, and an image's /etc/passwd with a line longer than
# any buffer. Each attack is performed for real and must be refused with a clear message and
# exit status 125 (not a crash: 134 is an abort, 139 a segfault), nothing written outside the
# layer's directory. The archives come from helper/fuzz/mktar.mjs, whose cases are also the
# fuzz target's corpus (helper/fuzz/corpus).
load helpers
load probe

# Applies the crafted archive CASE with `tupper-init --untar` to $LAYER/root, a directory that
# already holds a lower layer's file; $LAYER also holds a file beside root, outside the layer.
untar_case() {
  LAYER="$TEST_DIR/layer"
  mkdir -p "$LAYER/root/lower"
  echo lower > "$LAYER/root/lower/file"
  echo outside > "$LAYER/outside"
  node "$REPO/helper/fuzz/mktar.mjs" "$1" > "$TEST_DIR/$1.tar"
  run --separate-stderr "$TUPPER_HELPER" --untar "$LAYER/root" < "$TEST_DIR/$1.tar"
}

# The layer was refused with status 125 and MESSAGE (a regex), and nothing changed: the lower
# layer's file is there, nothing was made beside root or above it, no smuggled entry.
assert_refused() {
  # every check returns on its own: the function is called in loops after ||, where set -e is off
  [ "$status" -eq 125 ] || { echo "status $status (134: abort, 139: segfault), stderr: $stderr"; return 1; }
  [[ $stderr =~ ^tupper-init:\ $1 ]] || { echo "stderr: $stderr"; return 1; }
  [ "$(cat "$LAYER/root/lower/file")" = lower ] || { echo "the lower layer's file changed"; return 1; }
  [ "$(cat "$LAYER/outside")" = outside ] || { echo "the file outside the layer changed"; return 1; }
  local files
  files=$(find "$LAYER" -mindepth 1 | sort | tr '\n' ' ')
  [ "$files" = "$LAYER/outside $LAYER/root $LAYER/root/lower $LAYER/root/lower/file " ] || { echo "files: $files"; return 1; }
  if [ -e "$TEST_DIR/escape" ] || [ -e /tmp/escape ]; then echo "escape made"; return 1; fi
}

@test "untar: valid ustar, pax, GNU and base-256 layers are applied as before" {
  untar_case valid-ustar
  [ "$status" -eq 0 ] && [ "$(cat "$LAYER/root/a/hello")" = hello ] && [ "$(readlink "$LAYER/root/a/link")" = hello ]
  [ "$(stat -c %i "$LAYER/root/a/hard")" = "$(stat -c %i "$LAYER/root/a/hello")" ] && [ -p "$LAYER/root/a/fifo" ]
  rm -rf "$LAYER"
  untar_case valid-pax
  [ "$status" -eq 0 ]
  local long
  long="$LAYER/root/p/$(printf 'd%.0s' {1..150})/$(printf 'f%.0s' {1..150})"
  [ "$(cat "$long")" = pax ] && [ "$(stat -c '%u:%g %Y' "$long")" = "1000:1000 1700000000" ]
  [ "$(getfattr --only-values -n user.tupper "$long")" = yes ]
  [ "$(readlink "$LAYER/root/p/longlink")" = "/$(printf 't%.0s' {1..200})" ]
  rm -rf "$LAYER"
  untar_case valid-gnu
  [ "$status" -eq 0 ] && [ "$(cat "$LAYER/root/g/$(printf 'n%.0s' {1..200})")" = gnu ]
  rm -rf "$LAYER"
  untar_case valid-base256
  [ "$status" -eq 0 ] && [ "$(cat "$LAYER/root/b256")" = abc ]
  rm -rf "$LAYER"
  untar_case valid-whiteouts
  [ "$status" -eq 0 ] && [ "$(ls -A "$LAYER/root/w")" = kept ]
}

@test "untar: the pax record \"\\n1 \" is refused, not read past its end (it was a segfault)" {
  untar_case pax-newline-1
  assert_refused 'a malformed pax header record'
  local attack
  for attack in pax-length-past-end pax-length-overflow pax-length-sign pax-no-equals; do
    rm -rf "$LAYER"
    untar_case "$attack"
    assert_refused 'a (malformed pax header record|pax header whose record length)' || { echo "$attack"; false; }
  done
}

@test "untar: a size whose padding wraps, overflows 64 bits or is negative is refused (it smuggled a hidden entry in)" {
  # each declares a size that padded to 512 bytes was 0: the file's data, a whole archive
  # making /smuggled, was then read as the layer's next headers
  untar_case pax-size-wrap
  assert_refused 'a pax header whose size is above 9223372036854775296'
  rm -rf "$LAYER"
  untar_case size-overflow
  assert_refused 'a tar header whose size overflows 64 bits'
  rm -rf "$LAYER"
  untar_case size-negative
  assert_refused 'a tar header with a negative size'
  rm -rf "$LAYER"
  untar_case pax-size-huge
  assert_refused 'a pax header whose size is above'
}

@test "untar: numbers with junk, a uid of -1, names with NUL or too long, whiteouts of '..' and files at '.' are refused" {
  local attack message
  for attack in pax-size-junk size-octal-junk pax-uid-minus-one pax-path-nul gnu-long-name-nul pax-path-long gnu-long-name-huge pax-too-big whiteout-dotdot root-file truncated; do
    case $attack in
      pax-size-junk) message="a pax header whose size '3junk' is not a decimal number" ;;
      size-octal-junk) message='a tar header whose size field is not an octal number' ;;
      pax-uid-minus-one) message='a pax header whose uid is above 4294967294' ;;
      pax-path-nul) message='a pax path with a NUL byte in it' ;;
      gnu-long-name-nul) message='a GNU long name with a NUL byte in it' ;;
      pax-path-long) message='a pax path of 5000 bytes \(at most 4095\)' ;;
      gnu-long-name-huge) message='a GNU long name of 1048577 bytes' ;;
      pax-too-big) message='a pax header of 1048593 bytes' ;;
      whiteout-dotdot) message='/a/.wh.. is a whiteout of no file' ;; # it removed the whole layer's directory
      root-file) message="a tar entry of type '2' for the root directory" ;; # so did this
      truncated) message='the layer ends in the middle of an entry' ;;
    esac
    rm -rf "$LAYER"
    untar_case "$attack"
    if [[ $attack == truncated ]]; then rm -f "$LAYER/root/t"; fi # what it had of the data, as before
    assert_refused "$message" || { echo "$attack"; false; }
  done
}

@test "untar: a name with '..' lands inside the layer's directory, at its root" {
  untar_case dotdot
  [ "$status" -eq 0 ] && [ "$(cat "$LAYER/root/escape")" = out ] && [ "$(cat "$LAYER/outside")" = outside ]
  [ ! -e "$LAYER/escape" ] && [ ! -e "$TEST_DIR/escape" ] && [ ! -e /tmp/escape ]
}

@test "seccomp: io_uring_setup gets EPERM in a default container, and works with seccomp:unconfined" {
  [ "$(cat /proc/sys/kernel/io_uring_disabled 2> /dev/null || echo 0)" = 0 ] || skip "io_uring is disabled on this host: the filter cannot be told from the kernel"
  compile_probe 'command: ["/probe/probe", "io_uring"]'
  run -1 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "io_uring: Operation not permitted" ]
  # io_uring needs no capability: without the filter, root in the container gets a ring
  compile_probe 'command: ["/probe/probe", "io_uring"]' 'security_opt: ["seccomp:unconfined"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "io_uring: ok" ]
  # all capabilities do not lift it either (Docker refuses it whatever the capabilities)
  compile_probe 'command: ["/probe/probe", "io_uring"]' 'cap_add: [ALL]'
  run -1 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "io_uring: Operation not permitted" ]
}

@test "users: an image's /etc/passwd line longer than 64 KiB is one entry, its tail not a user of its own" {
  cp -a "$ROOTFS" "$TEST_DIR/rootfs"
  # 17 * 4095 bytes of one line, then what a 4096-byte buffer read as the next line: a user
  # "evil" with uid 0
  {
    echo 'root:x:0:0:root:/root:/bin/sh'
    printf 'pad:x:1:1:'
    head -c $((17 * 4095 - 10)) /dev/zero | tr '\0' A
    echo 'evil:x:0:0:evil:/root:/bin/sh'
    echo 'nobody:x:65534:65534:nobody:/:/bin/false'
  } > "$TEST_DIR/rootfs/etc/passwd"
  [ "$(wc -L < "$TEST_DIR/rootfs/etc/passwd")" -gt 65536 ]
  compile_spec users << SPEC
name: $PROJECT
services:
  app:
    image: rootfs:$TEST_DIR/rootfs
    network_mode: none
    user: evil
    command: ["/bin/sh", "-c", "id -u"]
SPEC
  run --separate-stderr "$SCRIPT" run --rm app
  [ "$status" -eq 125 ] || { echo "status $status, output: $output"; false; }
  [[ $stderr == *"unable to find user evil: no matching entries in the container's /etc/passwd"* ]]
  # the entries after the long line are read as they are
  sed -i 's/^    user: evil$/    user: nobody/' "$TEST_DIR/spec/users.yaml"
  node "$CLI" compile "$TEST_DIR/spec/users.yaml" -o "$SCRIPT"
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = 65534 ]
}

# The test below mounts a small tmpfs at TUPPER_RUN: it is emptied and unmounted before the
# shared teardown (helpers.bash) runs down and removes TEST_DIR.
eval "shared_$(declare -f teardown)"
teardown() {
  if mountpoint -q "$TEST_DIR/run" 2> /dev/null; then
    rm -f "$TEST_DIR/run/filler"
    if [[ -n $SCRIPT && -x $SCRIPT ]]; then "$SCRIPT" down > /dev/null 2>&1 || true; fi
    umount "$TEST_DIR/run"
  fi
  shared_teardown
}

@test "status files: a write that fails on a full TUPPER_RUN does not leak the supervisor's descriptor" {
  mkdir -p "$TEST_DIR/run" "$TEST_DIR/shared"
  # room for the start itself (the checked copy of tupper-init is kept in TUPPER_RUN, about 1 MiB)
  mount -t tmpfs -o size=8m,mode=0700 tupper-attack-run "$TEST_DIR/run"
  # a check that always fails: each run writes the status file health ("starting N")
  compile_app 'network_mode: none' 'init: true' 'command: ["/bin/sleep", "3600"]' \
    "volumes: [\"$TEST_DIR/shared:/shared\"]" \
    'healthcheck: {test: ["CMD-SHELL", "echo run >> /shared/checks; false"], interval: 100ms, timeout: 1s, retries: 100000}'
  "$SCRIPT" up -d app
  wait_running "$PROJECT-app-1"
  local pid supervisor before after i checks
  # NAME SERVICE STATUS PID PORTS, STATUS being "running (starting)"
  pid=$("$SCRIPT" ps | awk -v n="$PROJECT-app-1" '$1 == n {print $(NF - 1)}')
  [[ $pid =~ ^[0-9]+$ ]]
  supervisor=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
  # TUPPER_RUN full: every status write from now on fails with ENOSPC
  dd if=/dev/zero of="$TEST_DIR/run/filler" bs=4k 2> /dev/null || true
  # the first check has run (its interval is 100 ms, but the start may be quicker than that)
  for ((i = 0; i < 100; i++)); do [[ -s $TEST_DIR/shared/checks ]] && break; sleep 0.1; done
  checks=$(wc -l < "$TEST_DIR/shared/checks")
  before=$(ls "/proc/$supervisor/fd" | wc -l)
  # ten more checks, each a failed write of the health file
  for ((i = 0; i < 200; i++)); do
    (($(wc -l < "$TEST_DIR/shared/checks") >= checks + 11)) && break
    sleep 0.1
  done
  (($(wc -l < "$TEST_DIR/shared/checks") >= checks + 11))
  after=$(ls "/proc/$supervisor/fd" | wc -l)
  [ "$after" -le "$before" ] || { echo "the supervisor had $before descriptors, then $after"; false; }
  # the failure is reported in the container's log, naming the file
  [[ $(log_text "$PROJECT-app-1") == *"tupper-init: write $TEST_DIR/run/$PROJECT/$PROJECT-app-1/.health.tmp: No space left on device"* ]] || { log_text "$PROJECT-app-1"; false; }
}
