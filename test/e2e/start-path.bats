#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# The programs a start runs, in order, as strace sees them: what issue 9 counted, kept from
# growing unnoticed. Each program is a fork and an exec on the start path; a change that
# adds one must say so here. (Times are measured by `make bench`, never asserted.)
load helpers

# The basenames of the programs a verb of $SCRIPT runs, in order, on one line.
programs_of() {
  strace -f -qq -e trace=execve -o "$TEST_DIR/strace" "$SCRIPT" "$@" > /dev/null
  grep -v ENOENT "$TEST_DIR/strace" | sed -nE 's/^[0-9]+ +execve\("([^"]+)".*/\1/p' | xargs -n1 basename | paste -sd' '
}

@test "run --rm with network none runs mkdir once (directories and cgroups), tupper-init (which makes the namespaces itself), the workload, rmdir and rm" {
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  run -0 "$SCRIPT" run --rm app # imports the image and checks the helper's sha256, once
  run -0 programs_of run --rm app
  [ "$output" = "app.sh mkdir tupper-init true rmdir rm" ]
}

@test "run --rm --service-ports on a bridge adds the namespace, one ip batch, the port check, one iptables-restore each way, and the network's teardown" {
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  app:\n    image: rootfs:%s\n    command: ["/bin/true"]\n    ports: ["127.0.0.1:18091:80"]\n' "$ROOTFS"
    printf '  keeper:\n    image: rootfs:%s\n    init: true\n    command: ["/bin/sleep", "600"]\n' "$ROOTFS"
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  run -0 "$SCRIPT" up -d keeper # the network exists, as on a running host
  run -0 "$SCRIPT" run --rm --service-ports app
  run -0 programs_of run --rm --service-ports app
  local start="app.sh mkdir unshare true ip tupper-init iptables-restore tupper-init true"
  local stop="rmdir iptables-restore umount rm rm flock"
  [ "$output" = "$start $stop" ]
}
