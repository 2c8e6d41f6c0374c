#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# Auditability: `plan VERB` prints what VERB would change on the host, and changes nothing.
load helpers

web_app() {
  compile_app 'init: true' 'command: ["/bin/httpd", "-f", "-p", "80", "-h", "/"]' 'ports: ["18080:80"]'
}

@test "plan VERB prints the host-changing commands with their values and changes nothing" {
  web_app
  host_snapshot > "$TEST_DIR/snapshot.before"
  run -0 --separate-stderr "$SCRIPT" plan up -d
  [ -z "$stderr" ]
  # the values it would use: the image import, the bridge and its address, the port's DNAT
  # rule, the address lease, the limits and the helper's full command line
  [[ $output == *"tar -C $ROOTFS -c --numeric-owner "* ]] # the rootfs copy, through tar (no link followed)
  [[ $output == *$'\n    link add tpb-'*' type bridge'$'\n'* ]]
  [[ $output == *"--dport 18080 -j DNAT --to-destination 172.17.0.2:80"* ]]
  [[ $output == *"create $TUPPER_RUN/networks/${PROJECT}_default/leases/172.17.0.2 $PROJECT-app-1"* ]]
  # (the helper that runs is the checked copy the script makes in TUPPER_RUN: preflight.sh.hbs)
  local helper="$TUPPER_RUN/helpers/$(sha256sum < "$TUPPER_HELPER" | cut -d' ' -f1)/tupper-init"
  [[ $output == *"exec $helper --setsid --unshare mount,uts,ipc,pid,cgroup,net --report-fd 4 --rootfs "*" --init --status-dir $TUPPER_RUN/$PROJECT/$PROJECT-app-1 "*" -- /bin/httpd -f -p 80 -h /"* ]]
  [[ $output == *"# then it waits for tupper-init to say, on descriptor 4, that the workload's exec happened, or why it did not"* ]]
  run -0 "$SCRIPT" plan run --rm app /bin/true
  [[ $output == *"exec $helper --unshare mount,uts,ipc,pid,cgroup,net --leave-cgroup "*" --remove-cgroup "*" --rootfs "*" --init -- /bin/true"* ]]
  # (on its bridge network: tupper-init makes the namespace and the veth pair into it, no ip)
  [[ $output == *" --ip eth0 172.17.0."*"/16 --no-ipv6 eth0 --veth eth0 tpv-"*" tpb-"* ]]
  [[ $output != *"ip -batch"*"peer name eth0"* ]]
  # a published port: its DNAT rules once tupper-init has said the port is free (--ports-free),
  # given to the iptables-restore that tupper-init starts first thing (--feed)
  run -0 "$SCRIPT" plan run --rm --service-ports app /bin/true
  [[ $output == *" --remove-cgroup "*" --ports-free 4 --check-port tcp 18080 --feed 5 6 "*" --feed-arg iptables-restore --feed-arg --wait --feed-arg --noflush --feed-arg --verbose --rootfs "*" --veth eth0 tpv-"*" -- /bin/true"* ]]
  [[ $output == *"# then it waits for tupper-init to say, on descriptor 4, that the ports it checks are free:"*"iptables-restore --wait --noflush"*"--dport 18080 -j DNAT"* ]]
  run -0 "$SCRIPT" plan down
  run -0 "$SCRIPT" plan ps
  [[ $output == *"ps changes nothing on the host"* ]]
  host_snapshot > "$TEST_DIR/snapshot.after"
  diff "$TEST_DIR/snapshot.before" "$TEST_DIR/snapshot.after"

  # with a running container: plans of stop, restart, pause, kill, exec, down change nothing either
  "$SCRIPT" up -d app
  wait_running "$PROJECT-app-1"
  local i
  for ((i = 0; i < 60; i++)); do # httpd answers: its mounts are made
    if [ "$(fetch 127.0.0.1:18080/etc/hostname 2> /dev/null)" = "$PROJECT-app-1" ]; then break; fi
    sleep 0.05
  done
  host_snapshot > "$TEST_DIR/snapshot.before"
  run -0 "$SCRIPT" plan stop app
  [[ $output == *"kill -s TERM "* ]]
  run -0 "$SCRIPT" plan restart app
  run -0 "$SCRIPT" plan pause app
  [[ $output == *"/freezer.state FROZEN"* || $output == *"/cgroup.freeze 1"* ]]
  run -0 "$SCRIPT" plan kill -s HUP app
  run -0 "$SCRIPT" plan exec app /bin/true
  [[ $output == *"exec $helper --join "* ]]
  run -0 "$SCRIPT" plan down
  [[ $output == *"ip link delete tpb-"* ]]
  host_snapshot > "$TEST_DIR/snapshot.after"
  diff "$TEST_DIR/snapshot.before" "$TEST_DIR/snapshot.after"
  "$SCRIPT" ps | grep -q "$PROJECT-app-1 .* running"
  fetch 127.0.0.1:18080/etc/hostname | grep -qx "$PROJECT-app-1"
}

# The plan and the xtrace of the real run list the same host commands: in the same order,
# except what the container's own process does (its pid record, joining its cgroups, the
# exec of tupper-init), which runs beside the script and is compared as a set.
compare_plan_with_run() {
  local name=$1
  host_commands plan "$TEST_DIR/$name.plan" > "$TEST_DIR/$name.planned"
  host_commands trace "$TEST_DIR/$name.trace" > "$TEST_DIR/$name.ran"
  [ -s "$TEST_DIR/$name.ran" ]
  local beside="/pid' 'PID STARTTIME'|/cgroup.procs' 'PID'|^'exec' "
  diff <(grep -Ev "$beside" "$TEST_DIR/$name.planned") <(grep -Ev "$beside" "$TEST_DIR/$name.ran")
  diff <(sort "$TEST_DIR/$name.planned") <(sort "$TEST_DIR/$name.ran")
}

@test "plan lists the same host commands as the real run executes (compared with its xtrace)" {
  web_app
  local verb
  for verb in "up -d" "stop" "start" "restart app" "pause" "unpause" "down"; do
    # shellcheck disable=SC2086 # the verb and its options, as words
    "$SCRIPT" plan $verb > "$TEST_DIR/${verb%% *}.plan"
    # shellcheck disable=SC2086
    TUPPER_TRACE="$TEST_DIR/${verb%% *}.trace" "$SCRIPT" $verb 2> /dev/null
    compare_plan_with_run "${verb%% *}"
  done
  # the first up imported the image and made the network: those were in its plan too
  grep -q "^'mv' '-T' '--' '.*/images/.import-" "$TEST_DIR/up.planned"
  grep -q "^'ip' 'link' 'delete' 'tpb-" "$TEST_DIR/down.planned"
  [ "$(grep -c "^'kill' '-s' 'TERM'" "$TEST_DIR/stop.planned")" -eq 1 ]
}

# On btrfs the container's root is a snapshot, deleted first; what is left of the container
# is then record files, which records_remove takes with bash's loadable rm and rmdir. The
# plan must decide the same way, though the snapshot it deletes is only deleted on paper.
@test "on btrfs, plan lists what stop and down execute: the snapshot deleted, then the record files left (rm -f and rmdir, no rm -r)" {
  use_btrfs_root
  compile_app 'network_mode: none' 'init: true' 'command: ["/bin/sleep", "600"]'
  run -0 "$SCRIPT" up -d
  local verb
  for verb in stop down; do
    "$SCRIPT" plan "$verb" > "$TEST_DIR/$verb.plan"
    TUPPER_TRACE="$TEST_DIR/$verb.trace" "$SCRIPT" "$verb" 2> /dev/null
    compare_plan_with_run "$verb"
  done
  grep -q "^'btrfs' '-q' 'subvolume' 'delete' '--' '.*/containers/$PROJECT/$PROJECT-app-1/rootfs'$" "$TEST_DIR/down.planned"
  grep -q "^'rmdir' '--' " "$TEST_DIR/down.planned"
  ! grep -q "^'rm' '-rf'" "$TEST_DIR/down.planned" || false
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
  umount "$TEST_DIR/btrfs"
}

@test "plan of a one-off run shows its start; its cleanup follows the workload" {
  compile_app 'network_mode: none' 'mem_limit: 64m' 'command: ["/bin/true"]'
  run -0 "$SCRIPT" plan run --rm app /bin/echo hi
  [[ $output == *"memory.limit_in_bytes 67108864"* || $output == *"memory.max 67108864"* ]]
  # the helper that runs is the checked copy the script makes in TUPPER_RUN (preflight.sh.hbs)
  # (in the foreground, tupper-init removes the container's cgroups when the workload ends)
  [[ $output == *"exec $TUPPER_RUN/helpers/$(sha256sum < "$TUPPER_HELPER" | cut -d' ' -f1)/tupper-init --unshare mount,uts,ipc,pid,cgroup,net --leave-cgroup "*" --remove-cgroup "*"/$PROJECT-app-run-"*" --rootfs "*" -- /bin/echo hi"* ]]
  # run --rm with network none: the script becomes tupper-init (exec), which hands back to it
  # what it cannot remove; without that (TUPPER_RUN_EXEC=0), the script waits and removes
  [[ $output == *" --finish /"*"/bash $SCRIPT $PROJECT-app-run-"*" --rootfs "* ]]
  [[ $output == *"# this script itself, which becomes tupper-init (exec):"* ]]
  [[ $output == *"what it cannot remove, it hands to ${SCRIPT##*/} --finish-run $PROJECT-app-run-"*" STATUS (--finish)"* ]]
  run -0 env TUPPER_RUN_EXEC=0 "$SCRIPT" plan run --rm app /bin/echo hi
  [[ $output != *" --finish "* ]]
  [[ $output == *"# then it waits for the workload to end and stops $PROJECT-app-run-"* ]]
  [ ! -e "$TUPPER_ROOT" ]
  [ ! -e "$TUPPER_RUN" ]
}

@test "the script runs only the helper it was compiled for, checked by sha256 before anything changes" {
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  cp "$TUPPER_HELPER" "$TEST_DIR/tupper-init"
  printf 'x' >> "$TEST_DIR/tupper-init"
  run -1 --separate-stderr env TUPPER_HELPER="$TEST_DIR/tupper-init" "$SCRIPT" run --rm app
  [[ $stderr == *"$TEST_DIR/tupper-init is not the tupper-init this script was compiled for: its sha256 is "* ]]
  [[ $stderr == *"this script needs $(sha256sum < "$TUPPER_HELPER" | cut -d' ' -f1)"* ]]
  [ ! -e "$TUPPER_ROOT" ] # nothing made
  [ ! -e "$TUPPER_RUN" ]
  # the right helper is checked once, and again when the file changes
  cp "$TUPPER_HELPER" "$TEST_DIR/tupper-init"
  run -0 env TUPPER_HELPER="$TEST_DIR/tupper-init" "$SCRIPT" run --rm app
  run -0 env TUPPER_HELPER="$TEST_DIR/tupper-init" "$SCRIPT" run --rm app
  # what this script verified does not vouch for the file to a script that pins another helper
  sed "s/^readonly HELPER_SHA256='[0-9a-f]*'\$/readonly HELPER_SHA256='$(printf 'a%.0s' {1..64})'/" "$SCRIPT" > "${SCRIPT%/*}/other.sh"
  chmod +x "${SCRIPT%/*}/other.sh"
  grep -q "^readonly HELPER_SHA256='a\{64\}'" "${SCRIPT%/*}/other.sh"
  run -1 --separate-stderr env TUPPER_HELPER="$TEST_DIR/tupper-init" "${SCRIPT%/*}/other.sh" run --rm app
  [[ $stderr == *"is not the tupper-init this script was compiled for"* ]]
  run -0 env TUPPER_HELPER="$TEST_DIR/tupper-init" "$SCRIPT" run --rm app
  printf 'x' >> "$TEST_DIR/tupper-init"
  run -1 --separate-stderr env TUPPER_HELPER="$TEST_DIR/tupper-init" "$SCRIPT" run --rm app
  [[ $stderr == *"is not the tupper-init this script was compiled for"* ]]
  # exec checks it too
  compile_app 'network_mode: none' 'init: true' 'command: ["/bin/sleep", "60"]'
  "$SCRIPT" up -d app
  wait_running "$PROJECT-app-1"
  run -1 --separate-stderr env TUPPER_HELPER="$TEST_DIR/tupper-init" "$SCRIPT" exec app /bin/true
  [[ $stderr == *"is not the tupper-init this script was compiled for"* ]]
}

@test "compile --embed-helper: one file that carries tupper-init, its sha256 and build command, and runs without it" {
  compile_app 'network_mode: none' 'command: ["/bin/cat", "/etc/hostname"]'
  node "$CLI" compile --embed-helper "$TEST_DIR/spec/app.yaml" -o "$TEST_DIR/one.sh" 2> /dev/null
  SCRIPT="$TEST_DIR/one.sh"
  shellcheck --severity=style "$SCRIPT"
  local pinned
  pinned=$(sed -n "s/^readonly HELPER_SHA256='\([0-9a-f]\{64\}\)'$/\1/p" "$SCRIPT")
  [ "$pinned" = "$(sha256sum < "$TUPPER_HELPER" | cut -d' ' -f1)" ]
  # no helper installed anywhere: the script unpacks its own into TUPPER_RUN and runs it
  run -0 --separate-stderr env -u TUPPER_HELPER "$SCRIPT" run --rm app
  [[ $output == "$PROJECT-app-run-"* ]]
  [ "$(sha256sum < "$TUPPER_RUN/helpers/$pinned/tupper-init" | cut -d' ' -f1)" = "$pinned" ]
  run -0 --separate-stderr env -u TUPPER_HELPER "$SCRIPT" run --rm app
  # a reviewer rebuilds the helper with the command in the header, elsewhere, and compares
  local build
  build=$(sed -n "s/^# tupper-init built in tupper's source tree with: //p" "$SCRIPT")
  [[ $build == "gcc -static "* ]]
  mkdir -p "$TEST_DIR/tree/helper"
  cp "$REPO"/helper/*.[ch] "$TEST_DIR/tree/helper/"
  (cd "$TEST_DIR/tree" && eval "$build")
  [ "$(sha256sum < "$TEST_DIR/tree/helper/tupper-init" | cut -d' ' -f1)" = "$pinned" ]
}

@test "a script bash reads from its stdin (bash -s -- VERB) runs its verbs; an embedded helper it cannot unpack is refused by name" {
  compile_app 'network_mode: none' 'command: ["/bin/cat", "/etc/hostname"]'
  run -0 --separate-stderr bash -s -- run --rm app < "$SCRIPT"
  [[ $output == "$PROJECT-app-run-"* ]]
  [[ $stderr != *unbound* ]]
  run -0 --separate-stderr bash -s -- ps -a < "$SCRIPT"
  [[ ${lines[0]} == NAME* ]]
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
  # (a new TUPPER_RUN: no checked copy of the helper there yet)
  node "$CLI" compile --embed-helper "$TEST_DIR/spec/app.yaml" -o "$TEST_DIR/one.sh" 2> /dev/null
  run -1 --separate-stderr env -u TUPPER_HELPER TUPPER_ROOT="$TEST_DIR/root2" TUPPER_RUN="$TEST_DIR/run2" bash -s -- run --rm app < "$TEST_DIR/one.sh"
  [[ $stderr == *"a script read from stdin cannot unpack the tupper-init it embeds; run it as a file, or set TUPPER_HELPER"* ]]
  [ ! -e "$TEST_DIR/root2/containers" ]
}
