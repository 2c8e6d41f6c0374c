#!/usr/bin/env bats
# Missing tools and inputs are reported together, with how to fix them, before anything
# on the host changes.
bats_require_minimum_version 1.5.0
load helpers

@test "a missing helper and a missing image are listed at once, and nothing is created" {
  printf 'name: %s\nservices:\n  app:\n    image: rootfs:./nowhere\n    command: [/bin/true]\n' "$PROJECT" > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  TUPPER_HELPER=/nonexistent/tupper-init run -1 --separate-stderr "$SCRIPT" up -d
  [[ $stderr == *"cannot start; missing:"* ]]
  [[ $stderr == *"tupper-init at /nonexistent/tupper-init: build it with 'make helper'"* ]]
  [[ $stderr == *"the image of service app (image: rootfs:...): $TEST_DIR/spec/nowhere does not exist"* ]]
  [ ! -e "$TUPPER_ROOT" ]
  [ ! -e "$TUPPER_RUN" ]
}

@test "a missing host command is named with the package that gives it" {
  compile_app 'command: ["/bin/true"]'
  # A PATH without util-linux's unshare (but with bash and coreutils): a bridge network needs it.
  mkdir -p "$TEST_DIR/bin"
  for tool in bash mkdir rm rmdir cat tail sleep stat cp mv flock tar; do ln -s "$(command -v "$tool")" "$TEST_DIR/bin/$tool"; done
  run -1 --separate-stderr env PATH="$TEST_DIR/bin" "$SCRIPT" run --rm app
  [[ $stderr == *"unshare, for the network namespace of service app: apt-get install util-linux"* ]]
  [ ! -e "$TUPPER_ROOT" ]
}
