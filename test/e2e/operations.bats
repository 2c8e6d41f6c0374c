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

@test "stats shows CPU, memory, processes and network of running containers; ps and stats speak JSON" {
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  busy:\n    image: rootfs:%s\n    stop_signal: SIGKILL\n    command: ["/bin/sh", "-c", "while :; do :; done"]\n' "$ROOTFS"
    printf '  hog:\n    image: rootfs:%s\n    mem_limit: 64m\n    stop_signal: SIGKILL\n    command: ["/bin/sh", "-c", "ping -c 1 -W 1 192.0.2.1; head -c 30m /dev/zero > /dev/shm/fill; touch /tmp/filled; sleep 600"]\n' "$ROOTFS"
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-busy-1"
  wait_running "$PROJECT-hog-1"
  # hog has sent its packet and holds its 30 MiB, and from now on sleeps
  local i
  for ((i = 0; i < 150; i++)); do "$SCRIPT" exec hog test -e /tmp/filled && break; sleep 0.2; done
  run -0 --separate-stderr "$SCRIPT" stats --no-stream --json
  [ "${#lines[@]}" -eq 2 ] || { echo "$output $stderr"; false; }
  node -e '
    const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const by = Object.fromEntries(rows.map((r) => [r.Name.replace(/^.*-(busy|hog)-1$/, "$1"), r]));
    const fail = (m) => { console.error(m, JSON.stringify(rows)); process.exit(1); };
    // busy spins on one CPU: on a loaded machine it gets a share of one, never more than one
    // (a unit error would show as 1000 times too much); hog sleeps, so it uses far less
    if (!(by.busy.CPUPerc > 5 && by.busy.CPUPerc <= 110)) fail("busy should use up to one CPU");
    if (!(by.hog.CPUPerc < by.busy.CPUPerc / 4)) fail("hog sleeps: far less CPU than busy");
    if (!(by.hog.MemUsage > 25 * 2 ** 20)) fail("hog should hold 30 MiB");
    if (by.hog.MemLimit !== 64 * 2 ** 20) fail("hog has a 64 MiB limit");
    if (!(by.hog.Pids >= 2)) fail("hog has sh and sleep");
    if (!(by.hog.NetTx > 0)) fail("hog sent a packet");
  ' <<< "$output"
  run -0 --separate-stderr "$SCRIPT" stats --no-stream busy
  [[ ${lines[0]} == NAME*"CPU %"*"MEM USAGE / LIMIT"*PIDS ]]
  [[ ${lines[1]} == "$PROJECT-busy-1 "* ]]
  run -0 --separate-stderr "$SCRIPT" ps --json
  node -e 'const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    if (rows.length !== 2 || rows.some((r) => r.State !== "running" || !(r.Pid > 0))) process.exit(1);' <<< "$output"
}

@test "exec runs in the container: its processes, root, hostname, network, environment and cgroup; status passes through" {
  compile_app 'hostname: box' 'environment: {MODE: test}' 'working_dir: /srv' 'init: true' \
    'command: ["/bin/sh", "-c", "echo from-workload > /marker; exec sleep 600"]'
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  sleep 0.2
  run -0 --separate-stderr "$SCRIPT" exec app sh -c 'cat /marker; hostname; echo "$MODE $HOSTNAME $(pwd) $(id -u):$(id -g)"; ps -o args | grep -c "^sleep 600"; ip -4 -o addr show eth0 | grep -c inet'
  [ "${lines[0]}" = from-workload ]
  [ "${lines[1]}" = box ]
  [ "${lines[2]}" = "test box /srv 0:0" ]
  [ "${lines[3]}" -eq 1 ] # the workload's sleep, seen from inside its PID namespace
  [ "${lines[4]}" -eq 1 ]
  run -0 --separate-stderr "$SCRIPT" exec -u 1000:1001 -e EXTRA=1 -w /tmp app sh -c 'echo "$(id -u):$(id -g) $EXTRA $(pwd)"'
  [ "$output" = "1000:1001 1 /tmp" ]
  run -7 "$SCRIPT" exec app sh -c 'exit 7'
  # while it runs, the exec'd command is in the container's cgroup
  "$SCRIPT" exec app sleep 2 &
  local exec_pid=$!
  sleep 0.5
  local procs
  procs=$(cgroup_file "$PROJECT-app-1" cgroup.procs)
  grep -qx "$exec_pid" "$procs" # the host side of exec, like the supervisor
  [ "$(xargs -n1 < "$procs" | wc -l)" -ge 5 ] # supervisor, init, sleep 600, exec's host side, sleep 2
  wait "$exec_pid"
  run -1 --separate-stderr "$SCRIPT" exec nope true
  # -u takes names too (looked up in the container's /etc/passwd), as in Docker
  run -0 --separate-stderr "$SCRIPT" exec -u root app id -u
  [ "$output" = 0 ]
  run -1 --separate-stderr "$SCRIPT" exec -u 'root;x' app true
  [[ $stderr == *"-u takes a user name or UID, optionally :GROUP or :GID, not root;x"* ]]
}

@test "exec -t: a shell inside the container works from a real terminal" {
  command -v script > /dev/null || skip "script (util-linux) is not installed"
  compile_app 'network_mode: none' 'init: true' 'command: ["/bin/sleep", "600"]'
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  # (the command gets a pty of the container's own devpts, relayed with script's: see
  # terminal.bats)
  run script -qec "$SCRIPT exec -t app sh -i" /dev/null <<< $'[ -t 0 ] && [ -t 1 ] && echo on-a-terminal\necho in-$((6*7))\nexit 3'
  [ "$status" -eq 3 ]
  [[ $output == *$'\n'on-a-terminal* ]]
  [[ $output == *$'\n'in-42* ]]
  [[ $output == *"/ # "* ]] # the interactive prompt
}

@test "inspect prints the container as JSON: config, state, mounts, addresses, ports, cgroups" {
  mkdir -p "$TEST_DIR/spec/data"
  compile_app 'environment: {MODE: x}' 'mem_limit: 64m' 'volumes: ["./data:/data:ro"]' 'ports: ["18210:80"]' 'init: true' \
    'command: ["/bin/httpd", "-f", "-p", "80", "-h", "/etc"]'
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  run -0 --separate-stderr "$SCRIPT" inspect app
  local pid lease
  pid=$("$SCRIPT" ps | awk -v n="$PROJECT-app-1" '$1 == n {print $4}')
  lease=$(ls "$TUPPER_RUN/networks/${PROJECT}_default/leases")
  PID=$pid LEASE=$lease DATA="$TEST_DIR/spec/data" node -e '
    const [c] = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const want = (ok, what) => { if (!ok) { console.error(what, JSON.stringify(c, null, 1)); process.exit(1); } };
    want(c.State.Status === "running" && c.State.Running && c.State.Pid === Number(process.env.PID), "state");
    want(c.Config.Env.includes("MODE=x") && c.Config.Cmd[0] === "/bin/httpd" && c.Config.Init === true, "config");
    want(c.HostConfig.Memory === 64 * 2 ** 20 && c.HostConfig.NetworkMode === "bridge", "host config");
    want(c.Mounts.length === 1 && c.Mounts[0].Source === process.env.DATA && c.Mounts[0].Destination === "/data" && c.Mounts[0].RW === false, "mounts");
    want(c.NetworkSettings.Networks.default.IPAddress === process.env.LEASE, "address");
    want(c.NetworkSettings.Ports["80/tcp"][0].HostPort === "18210", "ports");
    want(c.Cgroups.length > 0 && c.Cgroups.every((p) => p.endsWith("/" + c.Name)), "cgroups");
  ' <<< "$output"
  [ "$(fetch "http://$lease/hostname")" = "$PROJECT-app-1" ]
}

@test "restart: on-failure:3 restarts a crashing service exactly 3 times; always restarts until stop, and stop is final" {
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  crash:\n    image: rootfs:%s\n    network_mode: none\n    restart: on-failure:3\n' "$ROOTFS"
    printf '    command: ["/bin/sh", "-c", "echo started; exit 3"]\n'
    printf '  forever:\n    image: rootfs:%s\n    network_mode: none\n    restart: always\n    stop_grace_period: 1s\n' "$ROOTFS"
    printf '    command: ["/bin/sh", "-c", "echo up; sleep 0.3"]\n'
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  "$SCRIPT" up -d
  local i
  for ((i = 0; i < 100; i++)); do
    "$SCRIPT" ps -a | grep -q "^$PROJECT-crash-1 .* exited " && break
    sleep 0.1
  done
  # the first start and 3 restarts, then it stays exited with the workload's status
  [ "$("$SCRIPT" logs crash | grep -c '^started$')" -eq 4 ]
  run -0 "$SCRIPT" ps -a --json
  [[ $output == *'"Name":"'"$PROJECT"'-crash-1","Service":"crash","State":"exited","Health":"","RestartCount":3,'* ]]
  sleep 1
  [ "$("$SCRIPT" logs crash | grep -c '^started$')" -eq 4 ]
  # always: it keeps coming back (a new PID 1 each time, same supervisor) until stop
  local starts
  starts=$("$SCRIPT" logs forever | grep -c '^up$')
  [ "$starts" -ge 3 ]
  "$SCRIPT" ps | grep -qE "^$PROJECT-forever-1 .* (running|restarting) "
  "$SCRIPT" stop forever
  starts=$("$SCRIPT" logs forever | grep -c '^up$')
  sleep 1
  [ "$("$SCRIPT" logs forever | grep -c '^up$')" -eq "$starts" ]
  run -0 "$SCRIPT" ps -a
  [[ $output == *"$PROJECT-forever-1"*" exited "* ]]
  # a restarted PID 1 has a PID namespace of its own and the same filesystem
  "$SCRIPT" down
}

@test "healthcheck: starting, healthy while the check passes, unhealthy after retries failures; the check runs inside the container" {
  compile_app 'network_mode: none' 'init: true' 'command: ["/bin/sh", "-c", "touch /tmp/ready; exec sleep 3600"]' \
    'healthcheck: {test: ["CMD-SHELL", "test -O /tmp/ready"], interval: 200ms, timeout: 1s, retries: 2}' \
    'user: "1000:1000"'
  "$SCRIPT" up -d app
  run -0 "$SCRIPT" ps
  [[ $output == *"$PROJECT-app-1"*" running (starting) "* || $output == *" running (healthy) "* ]]
  local i
  for ((i = 0; i < 50; i++)); do
    "$SCRIPT" ps | grep -q "^$PROJECT-app-1 .* running (healthy) " && break
    sleep 0.1
  done
  "$SCRIPT" ps | grep -q "^$PROJECT-app-1 .* running (healthy) "
  # the check sees the container's /tmp, not the host's: remove the file inside
  "$SCRIPT" exec app rm /tmp/ready
  for ((i = 0; i < 50; i++)); do
    "$SCRIPT" ps | grep -q "^$PROJECT-app-1 .* running (unhealthy) " && break
    sleep 0.1
  done
  "$SCRIPT" ps | grep -q "^$PROJECT-app-1 .* running (unhealthy) "
  run -0 "$SCRIPT" inspect app
  [[ $output == *'"Health":"unhealthy"'* ]]
  # and healthy again once the check passes
  "$SCRIPT" exec app touch /tmp/ready
  for ((i = 0; i < 50; i++)); do
    "$SCRIPT" ps | grep -q "^$PROJECT-app-1 .* running (healthy) " && break
    sleep 0.1
  done
  "$SCRIPT" ps | grep -q "^$PROJECT-app-1 .* running (healthy) "
}

@test "logs --tail N prints the last N lines of the output; --tail all and no option print all" {
  compile_app 'network_mode: none' 'command: ["/bin/sh", "-c", "for i in 1 2 3 4 5; do echo line $$i; done"]'
  "$SCRIPT" up -d app
  local i
  for ((i = 0; i < 50; i++)); do
    "$SCRIPT" ps -a | grep -q "^$PROJECT-app-1 .* exited " && break
    sleep 0.1
  done
  run -0 "$SCRIPT" logs --tail 2 app
  [ "$output" = $'line 4\nline 5' ]
  run -0 "$SCRIPT" logs --tail=all app
  [ "${#lines[@]}" -eq 5 ]
  run -0 "$SCRIPT" logs app
  [ "${#lines[@]}" -eq 5 ]
  run -1 --separate-stderr "$SCRIPT" logs --tail many app
  [[ $stderr == *"--tail takes a number of lines or all, not many"* ]]
}

@test "logging: each line kept with its time (-t) and stream, rotated at max-size keeping max-file files; -f follows across rotations" {
  compile_app 'network_mode: none' 'init: true' \
    'command: ["/bin/sh", "-c", "sleep 1; printf %020000d 7; echo; i=0; while [ $$i -lt 300 ]; do echo out-$$i; echo err-$$i >&2; i=$((i + 1)); sleep 0.01; done; echo last"]' \
    'logging: {options: {max-size: 2k, max-file: "3"}}'
  "$SCRIPT" up -d app
  wait_running "$PROJECT-app-1"
  # started before the first line: it must see every line, through every rotation, in order
  # (a reader of a rotated log keeps up while the log rotates fewer than max-file times
  # before it reads on: here about 4 rotations a second)
  "$SCRIPT" logs -f app > "$TEST_DIR/followed"
  local dir="$TUPPER_ROOT/containers/$PROJECT/$PROJECT-app-1" f
  [ "$(grep -c '^out-' "$TEST_DIR/followed")" -eq 300 ]
  [ "$(grep -c '^err-' "$TEST_DIR/followed")" -eq 300 ]
  grep '^out-' "$TEST_DIR/followed" | awk -F- '$2 != NR - 1 { exit 1 }'
  [ "$(tail -n 1 "$TEST_DIR/followed")" = last ]
  # the 20000-byte line came as a part record (16 KiB) and a full one: logs joins them again
  [ "$(grep -E '^0+7$' "$TEST_DIR/followed" | wc -c)" -eq 20001 ]
  # three files, the current one and two rotated, none past 2000 bytes
  [ -s "$dir/log.1" ] && [ -s "$dir/log.2" ] && [ ! -e "$dir/log.3" ]
  for f in "$dir/log" "$dir/log.1" "$dir/log.2"; do (($(stat -c %s "$f") <= 2000)); done
  # what is kept is the end: the first lines are gone, the last are there
  run -0 "$SCRIPT" logs app
  [[ $output != *$'\nout-0\n'* && $output == *$'\nout-299\n'* && ${lines[-1]} == last ]]
  # -t: each line after its time, RFC 3339 in UTC with nanoseconds, as docker logs -t
  run -0 "$SCRIPT" logs -t --tail 1 app
  [[ $output =~ ^$(date -u +%Y-%m-%d)T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z\ last$ ]]
  # in the file, each record names its stream
  cat "$dir"/log* | grep -q ' stderr F err-299$'
  cat "$dir"/log* | grep -q ' stdout F out-299$'
  "$SCRIPT" rm app
}

@test "logging: driver none keeps nothing, and logs says why" {
  compile_app 'network_mode: none' 'command: ["/bin/sh", "-c", "echo secret; exec sleep 60"]' \
    'stop_signal: SIGKILL' 'logging: {driver: none}'
  "$SCRIPT" up -d app
  wait_running "$PROJECT-app-1"
  sleep 0.2
  [ ! -e "$TUPPER_ROOT/containers/$PROJECT/$PROJECT-app-1/log" ]
  ! grep -rqs secret "$TUPPER_ROOT/containers/$PROJECT/$PROJECT-app-1" --exclude-dir=rootfs || false
  run -1 --separate-stderr "$SCRIPT" logs app
  [[ $stderr == *"service app has logging driver none: its output is not kept"* ]]
  "$SCRIPT" rm -f app
}

@test "kill: SIGKILL and the stop signal rest the restart policy until the next start; another signal leaves it in place" {
  compile_app 'network_mode: none' 'init: true' 'restart: always' \
    'command: ["/bin/sh", "-c", "echo up; while :; do sleep 0.05; done"]'
  "$SCRIPT" up -d app
  wait_running "$PROJECT-app-1"
  local i
  # (PID 1 ignores a signal that comes before its handlers are in place, as any namespace's
  # init does: wait for the workload's first line, which comes after them)
  for ((i = 0; i < 50; i++)); do [ "$("$SCRIPT" logs app | grep -c '^up$')" -ge 1 ] && break; sleep 0.1; done
  # SIGHUP ends the workload (no trap) but is not a stop: restart: always brings it back
  "$SCRIPT" kill -s HUP app
  for ((i = 0; i < 50; i++)); do [ "$("$SCRIPT" logs app | grep -c '^up$')" -ge 2 ] && break; sleep 0.1; done
  [ "$("$SCRIPT" logs app | grep -c '^up$')" -eq 2 ]
  wait_running "$PROJECT-app-1"
  # SIGKILL (kill's default): it stays exited
  "$SCRIPT" kill app
  sleep 1
  run -0 "$SCRIPT" ps -a
  [[ $output == *"$PROJECT-app-1"*" exited "* ]]
  [ "$("$SCRIPT" logs app | grep -c '^up$')" -eq 2 ]
  # started again, the policy is back; the stop signal (SIGTERM) rests it too
  "$SCRIPT" start app
  wait_running "$PROJECT-app-1"
  "$SCRIPT" kill -s 15 app
  sleep 1
  run -0 "$SCRIPT" ps -a
  [[ $output == *"$PROJECT-app-1"*" exited "* ]]
  [ "$("$SCRIPT" logs app | grep -c '^up$')" -eq 3 ]
}

@test "systemd: a unit per service that systemd-analyze accepts; its ExecStart and ExecStop start and stop the container" {
  command -v systemd-analyze > /dev/null || skip "systemd-analyze is not installed"
  compile_app 'network_mode: none' 'stop_grace_period: 2s' 'command: ["/bin/sh", "-c", "exec sleep 600"]'
  mkdir "$TEST_DIR/units"
  run -0 --separate-stderr "$SCRIPT" systemd "$TEST_DIR/units"
  local unit="$TEST_DIR/units/tupper-$PROJECT-app.service"
  [ -f "$unit" ]
  [[ $stderr == *"wrote $unit"* ]]
  run -0 --separate-stderr systemd-analyze verify "$unit"
  [ -z "$stderr$output" ]
  grep -qx 'TimeoutStopSec=32' "$unit"
  # systemd cannot run on this machine (PID 1 is not systemd): run what the unit would, with
  # its environment, parsed from the unit (values here have no % or $ for systemd to expand)
  local line start=() stop=() env=()
  while IFS= read -r line; do
    case $line in
      Environment=*) eval "env=(${line#Environment=})" ;;
      ExecStart=*) eval "start=(${line#ExecStart=})" ;;
      ExecStop=*) eval "stop=(${line#ExecStop=})" ;;
    esac
  done < "$unit"
  [ "${start[0]}" = "$SCRIPT" ] && [ "${start[*]:1}" = "up -d app" ]
  [[ " ${env[*]} " == *" TUPPER_ROOT=$TUPPER_ROOT "* && " ${env[*]} " == *" TUPPER_RUN=$TUPPER_RUN "* ]]
  env -i PATH="$PATH" "${env[@]}" "${start[@]}"
  wait_running "$PROJECT-app-1"
  env -i PATH="$PATH" "${env[@]}" "${stop[@]}"
  run -0 "$SCRIPT" ps -a
  [[ $output == *"$PROJECT-app-1"*" exited "* ]]
}
