#!/usr/bin/env bats
# Limits that really hold, seen from inside (the workload is stopped) and outside (cgroup files).
# Every test here depends on the host's cgroups: all run in the VM lane too (test/vm).
# bats file_tags=vm
bats_require_minimum_version 1.5.0
load helpers

# The placement test's login: its scope and slice go, however the test ends; then the
# helpers' teardown (down, and the check that nothing is left).
eval "helpers_$(declare -f teardown)"
teardown() {
  if [[ -n ${LOGIN_SESSION:-} ]]; then loginctl terminate-session "$LOGIN_SESSION" 2> /dev/null || true; fi
  if [[ -n ${SESSION_SLICE:-} ]]; then
    local status=0
    systemctl stop "tp-session-$PROJECT.scope" 2> /dev/null || true
    helpers_teardown || status=$?
    # systemd could not remove the slice's cgroup while tupper's was in it
    systemctl stop "$SESSION_SLICE" 2> /dev/null || true
    rmdir "/sys/fs/cgroup/user.slice/$SESSION_SLICE" 2> /dev/null || true
    return "$status"
  fi
  helpers_teardown
}

# A process that allocates until it is stopped: a string doubling in a shell.
HOG='x=0123456789abcdef; while :; do x=$$x$$x; done'

@test "mem_limit kills the process that allocates past it, and only it" {
  compile_app 'mem_limit: 32m' "command: [\"/bin/sh\", \"-c\", \"sh -c '$HOG' & wait \$!; echo hog status \$?; echo shell survived\"]"
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "${lines[0]}" = "hog status 137" ]
  [ "${lines[1]}" = "shell survived" ]
}

@test "a memory hog as PID 1 ends the container with status 137; failcnt shows the limit was hit" {
  # The hog waits for the test's signal, so that the test sees the container running first.
  compile_app 'mem_limit: 16m' "command: [\"/bin/sh\", \"-c\", \"until [ -e /tmp/go ]; do sleep 0.05; done; $HOG\"]"
  "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  limit=$(cgroup_file "$PROJECT-app-1" memory.limit_in_bytes || cgroup_file "$PROJECT-app-1" memory.max)
  [ "$(cat "$limit")" -eq $((16 * 1024 * 1024)) ]
  events=$(cgroup_file "$PROJECT-app-1" memory.failcnt || cgroup_file "$PROJECT-app-1" memory.events)
  "$SCRIPT" exec app touch /tmp/go
  for _ in $(seq 100); do "$SCRIPT" ps | grep -q running || break; sleep 0.05; done
  if [[ $events == *failcnt ]]; then [ "$(cat "$events")" -gt 0 ]
  elif [[ -e $events ]]; then grep -q '^oom_kill [1-9]' "$events"
  else
    # under systemd the container's cgroup went with its scope, whose last process it was
    # (as a Docker container's scope does): tupper-init read oom_kill before it ended
    systemd_is_pid1
    run -0 "$SCRIPT" ps -a
    [[ $output == *"$PROJECT-app-1 "*"exited (137, OOMKilled)"* ]]
  fi
  compile_app 'mem_limit: 16m' "command: [\"/bin/sh\", \"-c\", \"$HOG\"]"
  run -137 --separate-stderr "$SCRIPT" run --rm app
}

@test "a fork bomb stops at pids_limit, and the container survives it" {
  # The bomb's shell ends at its first failed fork (busybox sh gives up with "can't fork");
  # PID 1 then says so and becomes a sleep without forking, so the container stays up.
  compile_app 'pids_limit: 20' "command: [\"/bin/sh\", \"-c\", \"sh -c 'while :; do sleep 5 & done'; echo bomb ended; exec sleep 1000\"]"
  "$SCRIPT" up -d
  for _ in $(seq 100); do log_text "$PROJECT-app-1" | grep -q 'bomb ended' && break; sleep 0.05; done
  wait_running "$PROJECT-app-1"
  current=$(cgroup_file "$PROJECT-app-1" pids.current)
  [ "$(cat "$current")" -le 20 ]
  [ "$(cat "$(cgroup_file "$PROJECT-app-1" pids.max)")" = 20 ]
  grep -q '^max [1-9]' "$(cgroup_file "$PROJECT-app-1" pids.events)"
  # Inside, the bomb's forks fail:
  run --separate-stderr "$SCRIPT" logs app
  [[ $output == *"can't fork"* ]]
  [[ $output == *"bomb ended"* ]]
}

@test "cpus sets the CFS quota, and a busy loop is throttled by it" {
  compile_app 'cpus: 0.1' 'command: ["/bin/sh", "-c", "while :; do :; done"]'
  "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  if quota=$(cgroup_file "$PROJECT-app-1" cpu.cfs_quota_us); then
    [ "$(cat "$quota")" = 10000 ]
    [ "$(cat "$(cgroup_file "$PROJECT-app-1" cpu.cfs_period_us)")" = 100000 ]
  else
    [ "$(cat "$(cgroup_file "$PROJECT-app-1" cpu.max)")" = "10000 100000" ]
  fi
  # throttled once it has used its quota in a period (on a busy machine, that may take a while)
  for _ in $(seq 100); do grep -q '^nr_throttled [1-9]' "$(cgroup_file "$PROJECT-app-1" cpu.stat)" && break; sleep 0.1; done
  grep -q '^nr_throttled [1-9]' "$(cgroup_file "$PROJECT-app-1" cpu.stat)"
}

@test "deploy.resources.limits sets the same limits" {
  compile_app 'deploy: {resources: {limits: {memory: 24m, cpus: "0.5", pids: 7}}}' 'command: ["/bin/sleep", "30"]'
  "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  [ "$(cat "$(cgroup_file "$PROJECT-app-1" memory.limit_in_bytes || cgroup_file "$PROJECT-app-1" memory.max)")" -eq $((24 * 1024 * 1024)) ]
  [ "$(cat "$(cgroup_file "$PROJECT-app-1" pids.max)")" = 7 ]
}

@test "cpuset pins the workload to the CPUs named" {
  compile_app 'cpuset: "0"' 'command: ["/bin/sh", "-c", "grep Cpus_allowed_list /proc/self/status"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [[ $output =~ Cpus_allowed_list:[[:space:]]+0$ ]]
}

@test "containers nest under the cgroup of whoever runs the script, in every hierarchy" {
  compile_app 'command: ["/bin/sleep", "30"]'
  "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  local own dir
  own=$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)
  if [[ -n $own ]]; then
    dir=$(cgroup_file "$PROJECT-app-1" memory.limit_in_bytes)
    [ "$dir" = "/sys/fs/cgroup/memory${own%/}/tupper/$PROJECT-app-1/memory.limit_in_bytes" ]
  fi
  # The v2 hierarchy tracks the container too (on hybrid hosts it holds no controllers).
  v2=$(grep '^c ' "$TUPPER_RUN/$PROJECT/.cgroups-$PROJECT-app-1" | awk '{print $2}' | while read -r d; do [ -e "$d/cgroup.kill" ] && echo "$d"; done)
  [ -n "$v2" ]
  [ "$(wc -l < "$v2/cgroup.procs")" -ge 2 ] # the supervisor and PID 1
  # Under systemd (PID 1, pure v2) the container's cgroup is tupper's own below a unit of
  # its own that delegates its subtree, in tupper.slice (see cgroup_under_systemd).
  if systemd_is_pid1 && cgroup_v2_controller memory; then
    local unit=tupper-container-$PROJECT-app-1.scope
    [ "$v2" = "/sys/fs/cgroup/tupper.slice/$unit/$PROJECT-app-1" ]
    [ "$(systemctl show -P Delegate "$unit")" = yes ]
    systemctl is-active -q "$unit"
    [ -z "$(cat "/sys/fs/cgroup/tupper.slice/$unit/cgroup.procs")" ] # all in tupper's cgroup below
    grep -qw memory "/sys/fs/cgroup/tupper.slice/$unit/cgroup.subtree_control"
    [ -e "$v2/memory.max" ] && [ -e "$v2/pids.max" ] && [ -e "$v2/cpu.max" ]
    "$SCRIPT" down
    [ ! -d "/sys/fs/cgroup/tupper.slice/$unit" ]
    run systemctl show -P LoadState "$unit"
    [ "$output" = not-found ]
  # On a pure v2 host the controllers must be passed down, and a cgroup with processes
  # cannot pass them ("no internal processes"): the parent is …/tupper under the nearest
  # ancestor of this shell's cgroup that has none (a login's session scope: its user slice).
  elif cgroup_v2_controller memory; then
    local mnt base
    mnt=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
    base=$(awk -F: '$1 == 0 {print $3}' /proc/self/cgroup)
    while [[ $base != / && -n $(cat "$mnt$base/cgroup.procs") ]]; do base=${base%/*}; base=${base:-/}; done
    [ "$v2" = "$mnt${base%/}/tupper/$PROJECT-app-1" ]
    grep -qw memory "$mnt${base%/}/tupper/cgroup.subtree_control"
    [ -e "$v2/memory.max" ] && [ -e "$v2/pids.max" ] && [ -e "$v2/cpu.max" ]
  fi
}

@test "TUPPER_CGROUP_PARENT puts the containers under the cgroup named" {
  compile_app 'command: ["/bin/sleep", "30"]'
  parent="/${PROJECT}-parent"
  CGROUP_PARENT_MADE=$parent # teardown removes it, should the test stop early
  TUPPER_CGROUP_PARENT=$parent "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  # the pids hierarchy: v1's own mount on a hybrid host, the single v2 one on a pure v2 host
  local pids=/sys/fs/cgroup/pids
  if cgroup_v2_controller pids; then pids=$(findmnt -n -t cgroup2 -o TARGET | head -n 1); fi
  [ -d "$pids$parent/$PROJECT-app-1" ]
  [ "$(wc -l < "$pids$parent/$PROJECT-app-1/cgroup.procs")" -ge 2 ] # the supervisor and PID 1
  [ -e "$pids$parent/$PROJECT-app-1/pids.max" ]
  "$SCRIPT" down
  [ ! -d "$pids$parent/$PROJECT-app-1" ]
  find /sys/fs/cgroup -maxdepth 2 -type d -name "${PROJECT}-parent" -exec rmdir {} +
}

@test "a start killed once its cgroups exist, then one under another cgroup parent: the first one's cgroups go, and down leaves nothing" {
  compile_app 'command: ["/bin/sleep", "30"]'
  local parent="/${PROJECT}-parent" dir
  CGROUP_PARENT_MADE=$parent # teardown removes it, should the test stop early
  # killed right after the mkdir of its cgroups, under $parent/first (a parent named, so
  # that a systemd host makes them then too)
  TUPPER_CGROUP_PARENT=$parent/first run_killed_at cgroup_create "$SCRIPT" up -d
  run -0 find /sys/fs/cgroup -maxdepth 8 -type d -name "$PROJECT-app-1"
  [[ $output == */"${parent#/}/first/$PROJECT-app-1"* ]]
  # the next start plans them under $parent, and removes the first start's
  TUPPER_CGROUP_PARENT=$parent run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  run -0 find /sys/fs/cgroup -maxdepth 8 -type d -name "$PROJECT-app-1"
  [ -n "$output" ]
  for dir in $output; do [[ $dir == */"${parent#/}/$PROJECT-app-1" ]]; done
  run -0 "$SCRIPT" down
  # (the parents named are the test's to remove; they are named like the project's cgroups)
  find /sys/fs/cgroup -maxdepth 3 -depth -type d \( -path "*/${parent#/}" -o -path "*/${parent#/}/*" \) -exec rmdir {} +
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
}

@test "under systemd, a container started with up -d from a login session outlives the session, and systemd's reload leaves its limits alone" {
  systemd_is_pid1 || skip "systemd is not PID 1 on this host (the VM lane runs this test)"
  compile_app 'network_mode: none' 'mem_limit: 24m' 'pids_limit: 9' 'command: ["/bin/sleep", "600"]'
  # a login: a user's slice and a session scope in it, with its shell still there
  local uid=$((4200 + BATS_TEST_NUMBER)) session="tp-session-$PROJECT"
  SESSION_SLICE="user-$uid.slice"
  systemd-run --scope --quiet --unit="$session" --slice="$SESSION_SLICE" -- \
    sh -c '"$1" up -d && exec sleep 600' sh "$SCRIPT" > /dev/null 2>&1 3>&- &
  local login=$!
  wait_running "$PROJECT-app-1"
  systemctl is-active -q "$session.scope"
  # the logout: systemd stops the session's scope (every process in it), then the user's slice
  systemctl stop "$session.scope"
  wait "$login" || true
  systemctl stop "$SESSION_SLICE"
  # systemd reloads and realizes its cgroups again: the container's limits stay
  systemctl daemon-reload
  run -0 "$SCRIPT" ps
  [[ $output == *"$PROJECT-app-1 "*" running "* ]]
  [ "$(cat "$(cgroup_file "$PROJECT-app-1" memory.max)")" = $((24 * 1024 * 1024)) ]
  [ "$(cat "$(cgroup_file "$PROJECT-app-1" pids.max)")" = 9 ]
  run -0 "$SCRIPT" exec app echo still here
  [ "$output" = "still here" ]
  echo "# placed at $(grep '^c ' "$TUPPER_RUN/$PROJECT/.cgroups-$PROJECT-app-1")" >&3
  "$SCRIPT" down
  run -0 "$SCRIPT" ps -a
  [[ $output != *"$PROJECT-app-1"*running* ]]
}

@test "under systemd, a container killed with SIGKILL leaves no scope or cgroup, nor does down, nor stop then rm" {
  systemd_is_pid1 || skip "systemd is not PID 1 on this host (the VM lane runs this test)"
  cgroup_v2_controller memory || skip "not a pure cgroup v2 host"
  compile_app 'network_mode: none' 'pids_limit: 9' 'command: ["/bin/sh", "-c", "sleep 600 & exec sleep 600"]'
  "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  local unit=tupper-container-$PROJECT-app-1.scope dir
  dir=$(dirname "$(cgroup_file "$PROJECT-app-1" pids.max)")
  [ "$dir" = "/sys/fs/cgroup/tupper.slice/$unit/$PROJECT-app-1" ]
  # everything of the container dies at once, the supervisor too, as in a crash
  echo 1 > "$dir/cgroup.kill"
  for _ in $(seq 100); do [ -z "$(cat "$dir/cgroup.procs")" ] && break; sleep 0.05; done
  [ -z "$(cat "$dir/cgroup.procs")" ]
  # the scope ends with its last process (systemd stops it, and removes its cgroups, by
  # itself); down still finds and removes whatever is left
  for _ in $(seq 100); do [ -d "/sys/fs/cgroup/tupper.slice/$unit" ] || break; sleep 0.05; done
  [ ! -d "/sys/fs/cgroup/tupper.slice/$unit" ]
  "$SCRIPT" down
  [ ! -d "/sys/fs/cgroup/tupper.slice/$unit" ]
  [ "$(systemctl show -P LoadState "$unit")" = not-found ]
  # stop, then rm: the unit goes at stop, and rm has nothing left to trip on
  "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  systemctl is-active -q "$unit"
  "$SCRIPT" stop
  [ "$(systemctl show -P LoadState "$unit")" = not-found ]
  "$SCRIPT" rm -f
  [ ! -d "/sys/fs/cgroup/tupper.slice/$unit" ]
  # a plan names the scope it would ask systemd for
  run -0 "$SCRIPT" plan up -d
  [[ $output == *"busctl --quiet call org.freedesktop.systemd1 "*" StartTransientUnit "*" $unit fail 5 PIDs au 1 PID Delegate b 1 Slice s tupper.slice "* ]]
}

@test "under systemd with logind, a container started with up -d in a login session outlives loginctl terminate-session" {
  systemd_is_pid1 || skip "systemd is not PID 1 on this host (the VM lane runs this test)"
  systemctl is-active -q systemd-logind || skip "systemd-logind is not running here"
  compile_app 'network_mode: none' 'pids_limit: 9' 'command: ["/bin/sleep", "600"]'
  # a real login: su's PAM session (pam_systemd) registers it with logind, in a scope of its own
  su - root -c "TUPPER_ROOT=$TUPPER_ROOT TUPPER_RUN=$TUPPER_RUN TUPPER_HELPER=$TUPPER_HELPER $SCRIPT up -d && exec sleep 600" > /dev/null 2>&1 < /dev/null 3>&- &
  local su=$! session=''
  wait_running "$PROJECT-app-1"
  # the session of the login that ran up -d
  session=$(sed -n 's|^0::/user.slice/user-0.slice/session-\(.*\)\.scope$|\1|p' "/proc/$su/cgroup")
  [ -n "$session" ]
  LOGIN_SESSION=$session
  loginctl show-session "$session" > /dev/null
  loginctl terminate-session "$session"
  for _ in $(seq 100); do kill -0 "$su" 2> /dev/null || break; sleep 0.05; done
  ! kill -0 "$su" 2> /dev/null || false
  run -0 "$SCRIPT" ps
  [[ $output == *"$PROJECT-app-1 "*" running "* ]]
  [[ $(cgroup_file "$PROJECT-app-1" pids.max) == /sys/fs/cgroup/tupper.slice/* ]]
  run -0 "$SCRIPT" exec app echo still here
  [ "$output" = "still here" ]
}
