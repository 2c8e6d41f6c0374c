#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# Day-2 verbs: pause and unpause through the freezer, kill, restart, top.
load helpers

# Lines of the app service's output so far.
ticks() { "$SCRIPT" logs app | grep -c tick; }

@test "pause freezes every process of the container (ps says paused), unpause lets it go on, stop works while paused" {
  compile_app 'network_mode: none' 'init: true' 'command: ["/bin/sh", "-c", "while :; do echo tick; sleep 0.05; done"]'
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  sleep 0.3
  run -0 --separate-stderr "$SCRIPT" pause app
  [[ $stderr == *"$PROJECT-app-1 paused"* ]]
  run -0 --separate-stderr "$SCRIPT" ps
  [[ ${lines[1]} =~ ^$PROJECT-app-1\ +app\ +paused\ + ]]
  local frozen_at
  frozen_at=$(ticks)
  sleep 0.5
  [ "$(ticks)" -eq "$frozen_at" ]
  run -0 "$SCRIPT" unpause
  sleep 0.5
  [ "$(ticks)" -gt "$frozen_at" ]
  run -0 "$SCRIPT" pause
  local started=$SECONDS
  run -0 "$SCRIPT" stop
  ((SECONDS - started < 5)) # thawed and stopped by its signal, not by the 10 s SIGKILL
  run -0 --separate-stderr "$SCRIPT" ps -a
  [[ ${lines[1]} =~ \ exited\  ]]
}

@test "kill sends SIGKILL by default and -s a signal of choice to PID 1; restart keeps the filesystem, new process" {
  compile_app 'network_mode: none' 'init: true' \
    'command: ["/bin/sh", "-c", "trap \"echo got USR1\" USR1; echo run >> /count; while :; do sleep 0.05; done"]'
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  sleep 0.2
  run -0 --separate-stderr "$SCRIPT" kill -s SIGUSR1 app
  [[ $stderr == *"$PROJECT-app-1 got SIGUSR1"* ]]
  sleep 0.3
  "$SCRIPT" logs app | grep -qx 'got USR1'
  local before after
  before=$("$SCRIPT" ps | awk -v n="$PROJECT-app-1" '$1 == n {print $4}')
  run -0 "$SCRIPT" restart app
  wait_running "$PROJECT-app-1"
  after=$("$SCRIPT" ps | awk -v n="$PROJECT-app-1" '$1 == n {print $4}')
  [ "$before" != "$after" ]
  [ ! -e "/proc/$before" ]
  # the same filesystem: the file the first run wrote has the second run's line too
  [ "$(wc -l < "$TUPPER_ROOT/containers/$PROJECT/$PROJECT-app-1/upper/count")" -eq 2 ]
  run -0 "$SCRIPT" kill app
  sleep 0.3
  run -0 --separate-stderr "$SCRIPT" ps
  [ "${#lines[@]}" -eq 1 ]
}

@test "top lists the container's processes, not tupper-init's host side" {
  compile_app 'network_mode: none' 'stop_signal: SIGKILL' 'command: ["/bin/sh", "-c", "sleep 600 & wait"]'
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  sleep 0.2
  run -0 --separate-stderr "$SCRIPT" top app
  [[ ${lines[0]} == *PID*USER*ELAPSED*COMMAND* ]]
  [[ $output == *"sleep 600"* ]]
  [[ $output == *"/bin/sh -c sleep 600 & wait"* ]]
  [[ $output != *tupper-init* ]]
  [ "${#lines[@]}" -eq 3 ]
}
