#!/usr/bin/env bats
# cgroup v2 only: in a private mount namespace with the v1 hierarchies unmounted, the
# script finds just the cgroup2 mount, as on a pure v2 host. On a hybrid host the v2
# hierarchy holds no memory/cpu/pids controller (they are bound to v1), so limits cannot be
# shown to bite there; tracking, teardown through cgroup.kill, and the missing-controller
# error can. On a pure v2 host (the VM lane) the limits are shown in cgroups.bats.
# bats file_tags=vm
bats_require_minimum_version 1.5.0
load helpers

@test "v2 only: the container joins the v2 cgroup alone, and down stops it and removes the cgroup" {
  [ -n "$(awk '$9 == "cgroup2"' /proc/self/mountinfo)" ] || skip "no cgroup2 mount on this host"
  compile_app 'stop_grace_period: 200ms' 'command: ["/bin/sh", "-c", "sleep 60 & sleep 60 & wait"]'
  run -0 v2_only "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  run cat "$TUPPER_RUN/$PROJECT/.cgroups-$PROJECT-app-1"
  # the container's cgroup, and the parent tupper made (under systemd: the scope it asked for)
  [ "${#lines[@]}" -eq 2 ]
  if systemd_is_pid1 && [[ -n $(findmnt -n -t cgroup2 /sys/fs/cgroup) ]]; then
    [ "${lines[0]}" = "c /sys/fs/cgroup/tupper.slice/tupper-container-$PROJECT-app-1.scope/$PROJECT-app-1" ]
    [ "${lines[1]}" = "u /sys/fs/cgroup/tupper.slice/tupper-container-$PROJECT-app-1.scope" ]
  else
    [[ ${lines[0]} == "c "*"/tupper/$PROJECT-app-1" ]]
  fi
  dir=${lines[0]#c }
  [ -e "$dir/cgroup.kill" ]
  [ "$(wc -l < "$dir/cgroup.procs")" -ge 4 ] # supervisor, sh and two sleeps
  run -0 v2_only "$SCRIPT" down
  [ ! -d "$dir" ]
}

@test "v2 only: a limit whose controller the host lacks is named before anything is made" {
  [ -n "$(awk '$9 == "cgroup2"' /proc/self/mountinfo)" ] || skip "no cgroup2 mount on this host"
  cgroup_v2_controller memory && skip "this host's v2 hierarchy has the memory controller"
  compile_app 'mem_limit: 64m' 'command: ["/bin/true"]'
  run -1 --separate-stderr v2_only "$SCRIPT" up -d
  [[ $stderr == *"the memory cgroup controller, for mem_limit of service app: this host has none mounted or enabled"* ]]
  [ ! -e "$TUPPER_ROOT" ]
}

@test "v2 only: pause freezes the container through cgroup.freeze; unpause thaws it" {
  [ -n "$(awk '$9 == "cgroup2"' /proc/self/mountinfo)" ] || skip "no cgroup2 mount on this host"
  compile_app 'network_mode: none' 'init: true' 'command: ["/bin/sh", "-c", "while :; do echo tick; sleep 0.05; done"]'
  run -0 v2_only "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  run -0 v2_only "$SCRIPT" pause app
  dir=$(awk '$1 == "c" {print $2; exit}' "$TUPPER_RUN/$PROJECT/.cgroups-$PROJECT-app-1")
  [ "$(cat "$dir/cgroup.freeze")" = 1 ]
  grep -qx 'frozen 1' "$dir/cgroup.events"
  run -0 --separate-stderr v2_only "$SCRIPT" ps
  [[ ${lines[1]} == *" paused "* ]]
  local at
  at=$("$SCRIPT" logs app | wc -l)
  sleep 0.4
  [ "$("$SCRIPT" logs app | wc -l)" -eq "$at" ]
  run -0 v2_only "$SCRIPT" unpause app
  grep -qx 'frozen 0' "$dir/cgroup.events"
  sleep 0.4
  [ "$("$SCRIPT" logs app | wc -l)" -gt "$at" ]
  run -0 v2_only "$SCRIPT" down
}
