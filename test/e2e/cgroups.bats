#!/usr/bin/env bats
# Limits that really hold, seen from inside (the workload is stopped) and outside (cgroup files).
bats_require_minimum_version 1.5.0
load helpers

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
  "$SCRIPT" exec app touch /tmp/go
  limit=$(cgroup_file "$PROJECT-app-1" memory.limit_in_bytes || cgroup_file "$PROJECT-app-1" memory.max)
  [ "$(cat "$limit")" -eq $((16 * 1024 * 1024)) ]
  events=$(cgroup_file "$PROJECT-app-1" memory.failcnt || cgroup_file "$PROJECT-app-1" memory.events)
  for _ in $(seq 100); do "$SCRIPT" ps | grep -q running || break; sleep 0.05; done
  if [[ $events == *failcnt ]]; then [ "$(cat "$events")" -gt 0 ]; else grep -q '^oom_kill [1-9]' "$events"; fi
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
  sleep 0.5
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
  v2=$(grep '^c ' "$TUPPER_RUN/$PROJECT/$PROJECT-app-1/cgroups" | awk '{print $2}' | while read -r d; do [ -e "$d/cgroup.kill" ] && echo "$d"; done)
  [ -n "$v2" ]
  [ "$(wc -l < "$v2/cgroup.procs")" -ge 2 ] # the supervisor and PID 1
}

@test "TUPPER_CGROUP_PARENT puts the containers under the cgroup named" {
  compile_app 'command: ["/bin/sleep", "30"]'
  parent="/${PROJECT}-parent"
  CGROUP_PARENT_MADE=$parent # teardown removes it, should the test stop early
  TUPPER_CGROUP_PARENT=$parent "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  [ -d "/sys/fs/cgroup/pids$parent/$PROJECT-app-1" ]
  "$SCRIPT" down
  [ ! -d "/sys/fs/cgroup/pids$parent/$PROJECT-app-1" ]
  find /sys/fs/cgroup -maxdepth 2 -type d -name "${PROJECT}-parent" -exec rmdir {} +
}
