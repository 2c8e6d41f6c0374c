#!/usr/bin/env bats
# Verbs and lifecycle: exit statuses, signals, up/ps/logs/stop/start/rm/down, the exit trap,
# and nothing left behind, even after the script is SIGKILLed halfway.
bats_require_minimum_version 1.5.0
load helpers

@test "run: the exit status is the workload's; 128+N when signal N kills it" {
  compile_app 'command: ["/bin/sh", "-c", "exit 42"]'
  run -42 --separate-stderr "$SCRIPT" run --rm app
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/true
  compile_app 'init: true' 'command: ["/bin/sh", "-c", "kill -USR1 $$$$"]'
  run -138 --separate-stderr "$SCRIPT" run --rm app
}

@test "run: stdin and stdout pass through; arguments replace the command, not the entrypoint" {
  compile_app 'entrypoint: ["/bin/sh", "-c"]' 'command: ["echo default"]'
  run --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = default ]
  run --separate-stderr bash -c "printf 'line one\nline two\n' | '$SCRIPT' run --rm app 'tac'"
  [ "$output" = $'line two\nline one' ]
}

@test "run: a command that cannot be executed exits 127 and leaves nothing" {
  compile_app 'command: ["/no/such/program"]'
  run -127 --separate-stderr "$SCRIPT" run --rm app
  [[ $stderr == *"tupper-init: exec /no/such/program: No such file or directory"* ]]
}

@test "up -d, run -d and start wait for the workload's exec: a command that cannot run fails them with its reason, and the container stays as ps -a shows it" {
  compile_app 'restart: always' 'command: ["/no/such/program"]'
  # up -d: the exec error and status 1 (docker compose up -d), not "started"
  run -1 --separate-stderr "$SCRIPT" up -d
  [[ $stderr == *"$PROJECT-app-1 did not start: tupper-init: exec /no/such/program: No such file or directory"* ]]
  [[ $stderr != *"started"* ]]
  # the container is left exited (127), and not started again (restart: always), as in Docker
  sleep 0.5
  run -0 --separate-stderr "$SCRIPT" ps -a
  [[ ${lines[1]} == "$PROJECT-app-1 "*" app "*" exited (127) "* ]]
  run -0 --separate-stderr "$SCRIPT" logs app
  [ "$(grep -c "tupper-init: exec /no/such/program: No such file or directory" <<< "$output")" -eq 1 ]
  # run -d: the status docker run gives, 127 missing, 126 not executable
  run -127 --separate-stderr "$SCRIPT" run -d app
  [[ $stderr == *"$PROJECT-app-run-"*" did not start: tupper-init: exec /no/such/program: No such file or directory"* ]]
  run -126 --separate-stderr "$SCRIPT" run -d app /etc/passwd
  [[ $stderr == *" did not start: tupper-init: exec /etc/passwd: Permission denied"* ]]
  # tupper-init's own failure in the container's set-up: 125, with its reason
  compile_app 'working_dir: /etc/passwd/x' 'command: ["/bin/true"]'
  run -125 --separate-stderr "$SCRIPT" run -d app
  [[ $stderr == *" did not start: tupper-init: open /etc/passwd/x (component passwd is not a plain directory): Not a directory"* ]]
  # a command that ends at once did start: up -d succeeds
  compile_app 'command: ["/bin/true"]'
  run -0 --separate-stderr "$SCRIPT" down
  run -0 --separate-stderr "$SCRIPT" up -d
  [[ $stderr == *"$PROJECT-app-1 started"* ]]
  # start: the stopped container with a command that is gone from the spec
  compile_app 'command: ["/no/such/program"]'
  run -1 --separate-stderr "$SCRIPT" start app
  [[ $stderr == *"$PROJECT-app-1 did not start: tupper-init: exec /no/such/program: No such file or directory"* ]]
  run -0 "$SCRIPT" down
  [ -z "$(leftovers_of "$PROJECT")" ]
}

@test "restart and start go on with the other containers after one fails to start, then fail" {
  two_services() {
    {
      printf 'name: %s\nservices:\n' "$PROJECT"
      printf '  app:\n    image: rootfs:%s\n    command: ["%s"]\n' "$ROOTFS" "$1"
      printf '  other:\n    image: rootfs:%s\n    command: ["/bin/sleep", "600"]\n' "$ROOTFS"
    } > "$TEST_DIR/in.yaml"
    compile_spec app < "$TEST_DIR/in.yaml"
  }
  two_services /bin/sleep
  run -0 "$SCRIPT" up -d
  two_services /no/such/program
  run -1 --separate-stderr "$SCRIPT" restart
  [[ $stderr == *"$PROJECT-app-1 did not start: tupper-init: exec /no/such/program: No such file or directory"* ]]
  [[ $stderr == *"$PROJECT-other-1 restarted"* ]]
  wait_running "$PROJECT-other-1"
  run -0 "$SCRIPT" stop
  run -1 --separate-stderr "$SCRIPT" start
  [[ $stderr == *"$PROJECT-app-1 did not start: "* ]]
  [[ $stderr == *"$PROJECT-other-1 started"* ]]
  wait_running "$PROJECT-other-1"
  run -0 "$SCRIPT" down
  [ -z "$(leftovers_of "$PROJECT")" ]
}

@test "tupper-init takes --report-fd only as an open descriptor above 2" {
  run -125 "$TUPPER_HELPER" --rootfs / --unshare mount,uts,pid,cgroup --report-fd 2 -- /bin/true
  [[ $output == *"--report-fd takes a descriptor above 2, not 2"* ]]
  run -125 "$TUPPER_HELPER" --rootfs / --unshare mount,uts,pid,cgroup --report-fd 57 -- /bin/true
  [[ $output == *"--report-fd 57: Bad file descriptor"* ]]
}

@test "run without --rm keeps the stopped container until rm" {
  compile_app 'command: ["/bin/sh", "-c", "echo kept > /marker"]'
  run -0 "$SCRIPT" run app
  run --separate-stderr "$SCRIPT" ps -a
  [[ ${lines[1]} == "$PROJECT-app-run-"*" app "*" exited "* ]]
  [ -z "$(find /sys/fs/cgroup -maxdepth 8 -type d -name "$PROJECT-*")" ] # no cgroup for a stopped container
  run -0 "$SCRIPT" rm
  run --separate-stderr "$SCRIPT" ps -a
  [ "${#lines[@]}" -eq 1 ]
}

@test "up -d, ps, logs, stop with the stop signal, start keeps the filesystem, down removes all" {
  compile_app 'stop_signal: SIGUSR1' 'init: true' \
    'command: ["/bin/sh", "-c", "trap \"echo got USR1; exit 0\" USR1; cat /data 2>/dev/null || echo first > /data; while :; do sleep 0.1; done"]'
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  run --separate-stderr "$SCRIPT" ps
  [[ ${lines[1]} =~ ^$PROJECT-app-1\ +app\ +running\ +[0-9]+\ +-$ ]]
  pid=$(awk '{print $4}' <<< "${lines[1]}")
  [ -e "/proc/$pid" ]
  run -0 "$SCRIPT" stop
  [ ! -e "/proc/$pid" ]
  run --separate-stderr "$SCRIPT" logs app
  [ "$output" = $'got USR1' ]
  run -0 "$SCRIPT" start app
  wait_running "$PROJECT-app-1"
  sleep 0.2
  run -0 "$SCRIPT" stop
  run --separate-stderr "$SCRIPT" logs app
  [ "$output" = $'got USR1\nfirst\ngot USR1' ]
  run -0 "$SCRIPT" down
  [ ! -e "$TUPPER_ROOT/containers/$PROJECT" ]
  [ ! -e "$TUPPER_RUN/$PROJECT" ]
}

@test "stop sends SIGKILL when the grace period passes" {
  compile_app 'stop_grace_period: 300ms' 'init: true' 'command: ["/bin/sh", "-c", "trap \"\" TERM; while :; do sleep 1; done"]'
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  run -0 "$SCRIPT" stop
  run --separate-stderr "$SCRIPT" ps
  [ "${#lines[@]}" -eq 1 ]
}

@test "init: true reaps orphaned zombies and forwards signals" {
  compile_app 'init: true' 'command: ["/bin/sh", "-c", "sh -c \"sleep 0.1 & exit 0\"; sleep 0.5; ps -o stat,comm | grep -c ^Z; ps -o pid,comm | head -2 | tail -1"]'
  run --separate-stderr "$SCRIPT" run --rm app
  [ "${lines[0]}" = 0 ]
  [[ ${lines[1]} == *"1 tupper-init"* ]]
}

@test "SIGTERM to a foreground run goes to the container" {
  compile_app 'init: true' 'command: ["/bin/sh", "-c", "trap \"echo terminated; exit 3\" TERM; while :; do sleep 0.1; done"]'
  "$SCRIPT" run --rm app > "$TEST_DIR/out" 2> /dev/null &
  local script_pid=$!
  for _ in $(seq 100); do grep -q . "$TUPPER_RUN/$PROJECT"/*/pid 2> /dev/null && break; sleep 0.05; done
  sleep 0.2
  kill -TERM "$script_pid"
  local status=0
  wait "$script_pid" || status=$?
  [ "$status" -eq 3 ]
  [ "$(cat "$TEST_DIR/out")" = terminated ]
}

@test "after the script is SIGKILLed during a run, down removes everything" {
  compile_app 'command: ["/bin/sh", "-c", "while :; do sleep 1; done"]'
  "$SCRIPT" run app > /dev/null 2>&1 &
  local script_pid=$!
  for _ in $(seq 100); do grep -q . "$TUPPER_RUN/$PROJECT"/*/pid 2> /dev/null && break; sleep 0.05; done
  kill -KILL "$script_pid"
  wait "$script_pid" || true
  [ -n "$(leftovers_of "$PROJECT")" ] # the container lives on, as a detached one would
  run -0 "$SCRIPT" down
  [ -z "$(leftovers_of "$PROJECT")" ]
}

@test "after up -d is SIGKILLed at any point of its start, down removes everything" {
  # A bridge network and a published port too: their bridge, veth, netns, leases, port
  # reservation and iptables chains must all go.
  compile_app 'mem_limit: 64m' 'pids_limit: 50' 'ports: ["18095:80"]' 'stop_grace_period: 500ms' 'command: ["/bin/sh", "-c", "while :; do sleep 1; done"]'
  "$SCRIPT" run --rm app /bin/true # import the image once, so the kills land in the start itself
  local delay
  for delay in 0 0.002 0.004 0.006 0.008 0.010 0.013 0.016 0.020 0.025 0.030 0.035 0.040 0.045 0.050 0.060 0.070 0.080 0.100; do
    "$SCRIPT" up -d > /dev/null 2>&1 &
    sleep "$delay"
    kill -KILL $! 2> /dev/null || true
    wait $! 2> /dev/null || true
    run -0 "$SCRIPT" down
    leftovers=$(leftovers_of "$PROJECT")
    [ -z "$leftovers" ] || { echo "after a kill at ${delay}s: $leftovers"; false; }
  done
}

@test "a start SIGKILLed right after it reserves its published port, or right after it leases its address, leaves nothing that down does not remove" {
  # The kill lands where a timed kill lands only by chance: between the reservation file and
  # the record down reads. BASH_ENV is read by bash before the script; its DEBUG trap (with -T,
  # in every function too) kills the start before its first command after the file is made.
  compile_app 'ports: ["18096:80"]' 'command: ["/bin/sleep", "600"]'
  "$SCRIPT" run --rm app /bin/true # the image imported, the network made and removed again
  local watch
  for watch in "$TUPPER_RUN/ports/tcp-18096" "$TUPPER_RUN/networks/${PROJECT}_default/leases/"; do
    printf '%s\n' 'set -T' "trap '[[ -z \$(compgen -G \"$watch*\") ]] || kill -KILL \$\$' DEBUG" > "$TEST_DIR/kill-after-claim"
    BASH_ENV="$TEST_DIR/kill-after-claim" run -137 "$SCRIPT" up -d
    [ -n "$(compgen -G "$watch*")" ] # killed where it was meant to be
    run -0 "$SCRIPT" down
    leftovers=$(leftovers_of "$PROJECT")
    [ -z "$leftovers" ] || { echo "after a kill once $watch* was made: $leftovers"; false; }
  done
}

@test "a lone cgroup record (a start killed between writing it and its one mkdir) is enough for ps -a and down to find the container, and down removes the cgroups it names" {
  compile_app 'network_mode: none' 'mem_limit: 64m' 'command: ["/bin/sleep", "600"]'
  run -0 "$SCRIPT" up -d
  local supervisor _ dir record="$TUPPER_RUN/$PROJECT/.cgroups-$PROJECT-app-1"
  local -a dirs
  read -r supervisor _ < "$TUPPER_RUN/$PROJECT/$PROJECT-app-1/pid"
  mapfile -t dirs < <(awk '$1 == "c" {print $2}' "$record")
  [ "${#dirs[@]}" -gt 0 ]
  # the record, and cgroups without a process or a directory of the container's (more than
  # such a kill leaves: the cgroups would not be made yet; the supervisor takes PID 1 with it)
  kill -KILL "$supervisor"
  for _ in $(seq 100); do [ -d "/proc/$supervisor" ] || break; sleep 0.05; done
  rm -rf "${TUPPER_ROOT:?}/containers/$PROJECT/$PROJECT-app-1" "${TUPPER_RUN:?}/$PROJECT/$PROJECT-app-1"
  for dir in "${dirs[@]}"; do [ -d "$dir" ]; done
  run -0 --separate-stderr "$SCRIPT" ps -a
  [[ $output == *"$PROJECT-app-1 "* ]]
  run -0 "$SCRIPT" down
  for dir in "${dirs[@]}"; do [ ! -e "$dir" ]; done
  [ ! -e "$record" ]
  [ -z "$(leftovers_of "$PROJECT")" ]
}

@test "a container started by a script compiled before the cgroup record moved is still stopped whole: its record in the state directory is read" {
  compile_app 'network_mode: none' 'init: true' 'command: ["/bin/sh", "-c", "sleep 600 & exec sleep 600"]'
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  local record="$TUPPER_RUN/$PROJECT/.cgroups-$PROJECT-app-1" dir
  local -a dirs
  mapfile -t dirs < <(awk '$1 == "c" {print $2}' "$record")
  [ "${#dirs[@]}" -gt 0 ]
  mv "$record" "$TUPPER_RUN/$PROJECT/$PROJECT-app-1/cgroups" # where the record was before
  run -0 "$SCRIPT" down
  for dir in "${dirs[@]}"; do [ ! -e "$dir" ]; done
  [ -z "$(leftovers_of "$PROJECT")" ]
}

@test "a start that fails halfway is undone by the exit trap" {
  compile_app 'cpuset: "4095"' 'command: ["/bin/true"]' # no host has CPU 4095: the cgroup write fails
  run -1 --separate-stderr "$SCRIPT" up -d
  [[ $stderr == *"the kernel refused 4095 in "*"/cpuset.cpus"* ]]
  [[ $stderr == *"removing $PROJECT-app-1: its start did not complete"* ]]
  [ -z "$(leftovers_of "$PROJECT")" ]
}

@test "verbs and services that do not exist are clear errors" {
  compile_app 'command: ["/bin/true"]'
  run -1 --separate-stderr "$SCRIPT" frobnicate
  [[ $stderr == *"unknown verb 'frobnicate'"* ]]
  run -1 --separate-stderr "$SCRIPT" run nope
  [[ $stderr == *"there is no service 'nope' in this project; services: app"* ]]
  run -0 --separate-stderr "$SCRIPT" --help
  [[ $output == *"up [-d] [SERVICE...]"* ]]
}

@test "up in the foreground prints each service's output after its name and returns when they exit" {
  printf 'name: %s\nservices:\n  one:\n    image: rootfs:%s\n    command: ["/bin/echo", "hello from one"]\n  two:\n    image: rootfs:%s\n    command: ["/bin/sh", "-c", "sleep 0.3; echo hello from two"]\n' \
    "$PROJECT" "$ROOTFS" "$ROOTFS" > "$TEST_DIR/in.yaml"
  compile_spec multi < "$TEST_DIR/in.yaml"
  run -0 --separate-stderr timeout 20 "$SCRIPT" up
  [[ $output == *"one | hello from one"* ]]
  [[ $output == *"two | hello from two"* ]]
  run --separate-stderr "$SCRIPT" ps
  [ "${#lines[@]}" -eq 1 ]
}

@test "attach: false: up in the foreground prints the other services' output, not that one's, which logs still has" {
  printf 'name: %s\nservices:\n  quiet:\n    image: rootfs:%s\n    attach: false\n    command: ["/bin/echo", "hello from quiet"]\n  loud:\n    image: rootfs:%s\n    command: ["/bin/sh", "-c", "sleep 0.3; echo hello from loud"]\n' \
    "$PROJECT" "$ROOTFS" "$ROOTFS" > "$TEST_DIR/in.yaml"
  compile_spec multi < "$TEST_DIR/in.yaml"
  run -0 --separate-stderr timeout 20 "$SCRIPT" up
  [[ $output == *"loud | hello from loud"* ]]
  [[ $output != *"hello from quiet"* ]]
  run -0 "$SCRIPT" logs quiet
  [[ $output == *"hello from quiet"* ]]
  run -0 "$SCRIPT" down
}

@test "TUPPER_TRACE=FILE appends a timestamped log of every command with its values and exit statuses" {
  compile_app 'network_mode: none' 'command: ["/bin/sh", "-c", "exit 3"]'
  # (the script forks tupper-init and waits: TUPPER_RUN_EXEC=0; by default it becomes
  # tupper-init, and its trace ends there: below)
  run -3 env TUPPER_TRACE="$TEST_DIR/audit.log" TUPPER_RUN_EXEC=0 "$SCRIPT" run --rm app
  run -3 env TUPPER_TRACE="$TEST_DIR/audit.log" TUPPER_RUN_EXEC=0 "$SCRIPT" run --rm app
  # the commands that change the host (each through a host wrapper, then as it ran), with
  # the values they ran with
  # (in the foreground, tupper-init removes the container's cgroups when the workload ends)
  local cgroups="( --leave-cgroup /sys/fs/cgroup/[^ ]*/cgroup.procs)+( --remove-cgroup /sys/fs/cgroup/[^ ]*)+( --remove-cgroup-parent /sys/fs/cgroup/[^ ]*)*( --remove-tree [^ ]*)*"
  grep -E '^\++ [0-9]+\.[0-9]+ enter_container \[0\] host exec .*/tupper-init --unshare mount,uts,ipc,pid,cgroup,net'"$cgroups"' --rootfs .*/containers/'"$PROJECT"'/' "$TEST_DIR/audit.log"
  grep -E '^\++ [0-9]+\.[0-9]+ host \[0\] exec .*/tupper-init --unshare mount,uts,ipc,pid,cgroup,net'"$cgroups"' --rootfs .*/containers/'"$PROJECT"'/' "$TEST_DIR/audit.log"
  grep -E -- "--remove-cgroup /sys/fs/cgroup/[^ ]*/$PROJECT-app-run-[0-9a-f]+ " "$TEST_DIR/audit.log"
  # (one mkdir: the container's directories, then its cgroups)
  grep -E '^\++ [0-9.]+ container_create \[[0-9]+\] host mkdir -p -- .*/containers/'"$PROJECT/$PROJECT"'-app-run-.* /sys/fs/cgroup/.*/'"$PROJECT"'-app-run-' "$TEST_DIR/audit.log"
  # (and, run --rm with network none, its directories: --remove-tree; nothing of it is left)
  grep -E -- "--remove-tree [^ ]*/run/$PROJECT/$PROJECT-app-run-[0-9a-f]+ --remove-tree [^ ]*/containers/$PROJECT/$PROJECT-app-run-[0-9a-f]+ " "$TEST_DIR/audit.log"
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
  # both runs are there, each exiting with the workload's status, which the next line shows
  [ "$(grep -cE ' cmd_run \[[0-9]+\] exit 3$' "$TEST_DIR/audit.log")" -eq 2 ]
  [ "$(grep -cE ' cmd_run \[3\] on_exit$' "$TEST_DIR/audit.log")" -eq 2 ]
  # the default: the script becomes tupper-init (exec, --finish to hand back what it cannot
  # remove), so its trace ends with that exec, and the run's status is tupper-init's
  run -3 env TUPPER_TRACE="$TEST_DIR/exec.log" "$SCRIPT" run --rm app
  grep -qE -- "^\++ [0-9.]+ host \[0\] exec .*/tupper-init .* --finish [^ ]+/bash $SCRIPT $PROJECT-app-run-[0-9a-f]+ --rootfs " "$TEST_DIR/exec.log"
  [[ $(tail -n 1 "$TEST_DIR/exec.log") == *" host [0] exec "*"/tupper-init "* ]]
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
  # the workload does not inherit the log's descriptor
  compile_app 'command: ["/bin/sh", "-c", "ls /proc/self/fd | tr \"\\n\" \" \""]'
  run -0 --separate-stderr env TUPPER_TRACE="$TEST_DIR/audit.log" "$SCRIPT" run --rm app
  [ "$output" = "0 1 2 3 " ] # 3 is ls's own directory descriptor
}

@test "prune: a container whose supervisor was killed leaves cgroups, NAT and leases (its network namespace and veth go with its processes); prune names each and removes them, and keeps what runs" {
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  web:\n    image: rootfs:%s\n    ports: ["127.0.0.1:18230:80"]\n    command: ["/bin/httpd", "-f", "-p", "80", "-h", "/etc"]\n' "$ROOTFS"
    printf '  keep:\n    image: rootfs:%s\n    network_mode: none\n    command: ["/bin/sleep", "1000"]\n' "$ROOTFS"
    printf '  done:\n    image: rootfs:%s\n    network_mode: none\n    command: ["/bin/true"]\n' "$ROOTFS"
  } > "$TEST_DIR/app.yaml.in"
  compile_spec app < "$TEST_DIR/app.yaml.in"
  "$SCRIPT" up -d
  wait_running "$PROJECT-web-1"
  wait_running "$PROJECT-keep-1"
  # the web container's supervisor (tupper-init on the host side), killed as a crash would
  local supervisor
  read -r supervisor _ < "$TUPPER_RUN/$PROJECT/$PROJECT-web-1/pid"
  kill -KILL "$supervisor"
  for _ in $(seq 100); do "$SCRIPT" ps | grep -q "^$PROJECT-web-1 " || break; sleep 0.05; done
  run -0 --separate-stderr "$SCRIPT" prune
  [[ $stderr == *"$PROJECT-web-1 was not shut down properly; removing what it left:"* ]]
  [[ $stderr == *"  cgroup /sys/fs/cgroup/"*"/$PROJECT-web-1"* ]]
  [[ $stderr != *"network namespace"* ]] # tupper-init's own, gone with it and PID 1
  [[ $stderr == *"  iptables chain "*" (published ports)"* ]]
  [[ $stderr == *"  address "*" on network default"* ]]
  [[ $stderr == *"$PROJECT-web-1 removed"* && $stderr == *"$PROJECT-done-1 removed"* ]]
  [[ $stderr != *"$PROJECT-keep-1 removed"* ]]
  # what runs stays; of web nothing is left: no NAT rule, no veth, no cgroup, no record
  run -0 "$SCRIPT" ps
  [[ $output == *"$PROJECT-keep-1 "*running* ]]
  [ -z "$(iptables-save | grep "tupper:$PROJECT-web-1")" ]
  [ -z "$(find /sys/fs/cgroup -maxdepth 8 -type d -name "$PROJECT-web-1")" ]
  [ ! -e "$TUPPER_RUN/$PROJECT/$PROJECT-web-1" ] && [ ! -e "$TUPPER_ROOT/containers/$PROJECT/$PROJECT-web-1" ]
  ! grep -q "$PROJECT-web-1" /proc/self/mountinfo || false
  run ! curl -s --max-time 1 http://127.0.0.1:18230/hostname
  # the kernel deletes the veth pair with the namespace, on its own time
  for _ in $(seq 100); do [ -n "$(ip -o link show type veth)" ] || break; sleep 0.05; done
  [ -z "$(ip -o link show type veth)" ]
}
