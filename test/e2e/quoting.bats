#!/usr/bin/env bats
# Every spec value reaches bash through one quoting function: hostile strings arrive at the
# workload byte for byte, and nothing in them ever runs.
bats_require_minimum_version 1.5.0
load helpers

# Each environment entry the workload printed that the spec set, NUL-separated, in spec order.
spec_env_of() {
  local expected=$1 actual=$2 entry
  local -A seen=()
  while IFS= read -r -d '' entry; do seen[$entry]=1; done < "$actual"
  while IFS= read -r -d '' entry; do
    [[ -n ${seen[$entry]:-} ]] || { printf 'missing in the container: %q\n' "$entry"; return 1; }
  done < "$expected"
}

@test "hostile strings in arguments, environment, hostname, working_dir and volume targets arrive intact" {
  local seed
  for seed in 1 2 3 4 5; do
    rm -rf "$TEST_DIR/spec" "$TEST_DIR/out" "$TEST_DIR/expected" "$TEST_DIR/mark"
    node "$BATS_TEST_DIRNAME/hostile-spec.mjs" "$TEST_DIR" "$PROJECT" "$ROOTFS" "$seed"
    node "$CLI" compile "$TEST_DIR/spec/app.yaml" -o "$TEST_DIR/app.sh" 2> /dev/null
    SCRIPT="$TEST_DIR/app.sh"
    shellcheck "$SCRIPT"
    run -0 --separate-stderr "$SCRIPT" run --rm app
    cmp "$TEST_DIR/expected/args" "$TEST_DIR/out/args"
    cmp "$TEST_DIR/expected/host" "$TEST_DIR/out/host"
    cmp "$TEST_DIR/expected/pwd" "$TEST_DIR/out/pwd"
    cmp "$TEST_DIR/expected/mark" "$TEST_DIR/out/mark"
    spec_env_of "$TEST_DIR/expected/env" "$TEST_DIR/out/env"
    [ ! -e "$TEST_DIR/canary" ]
  done
}
