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
  # without flock, every start stops before the host is touched
  rm "$TEST_DIR/bin/flock"
  run -1 --separate-stderr env PATH="$TEST_DIR/bin" "$SCRIPT" run --rm app
  [[ $stderr == *"flock: apt-get install util-linux"* ]]
  [ ! -e "$TUPPER_ROOT" ]
}

@test "network none starts without util-linux's unshare, setsid and nsenter: tupper-init makes the namespaces itself" {
  compile_app 'network_mode: none' 'command: ["/bin/sh", "-c", "echo started; readlink /proc/1/ns/mnt"]'
  # every command of the host's PATH but those three
  local dir tool
  mkdir -p "$TEST_DIR/bin"
  for dir in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
    for tool in "$dir"/*; do
      case ${tool##*/} in unshare | setsid | nsenter) continue ;; esac
      [[ -x $tool && ! -e $TEST_DIR/bin/${tool##*/} ]] && ln -s "$tool" "$TEST_DIR/bin/${tool##*/}"
    done
  done
  [ ! -e "$TEST_DIR/bin/unshare" ]
  run -0 --separate-stderr env PATH="$TEST_DIR/bin" "$SCRIPT" run --rm app
  [ "${lines[0]}" = started ]
  # inside, a mount namespace of its own; outside, the host's is the test's
  [ "${lines[1]}" != "$(readlink /proc/self/ns/mnt)" ]
}

# platform: a pull takes this host's image, so a service for another platform cannot run
# here (preflight_platform, called by the service's own preflight_service_N).
@test "platform: a service for another platform than this host's is refused before the host is touched; one for this host's starts, with no warning" {
  local own other
  case $HOSTTYPE in
    x86_64) own=amd64 other=arm64 ;;
    aarch64) own=arm64 other=amd64 ;;
    *) skip "a test for amd64 and arm64 hosts" ;;
  esac
  compile_app 'network_mode: none' "platform: linux/$other" 'command: ["/bin/true"]'
  run -1 --separate-stderr "$SCRIPT" run --rm app
  [[ $stderr == *"a linux/$own host: service app is for linux/$other (platform:); run it on such a host, or remove platform:"* ]]
  [[ $stderr != *warning* ]]
  [ ! -e "$TUPPER_ROOT" ]
  compile_app 'network_mode: none' "platform: linux/$own" 'command: ["/bin/sh", "-c", "echo ran"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = ran ]
  [[ $stderr != *warning* ]]
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
}
