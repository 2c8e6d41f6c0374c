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

# The words of $@, sorted: a list of programs, whatever order they ran in.
sorted_words() {
  printf '%s\n' $* | sort | paste -sd' '
}

# How many children of the script's own process run no program (a subshell, a process
# substitution: a fork of the whole script, 2 to 3 ms here) on the path of verb "$@" of
# $SCRIPT, as strace sees them. (Only for verbs that end with their processes: strace waits.)
forks_without_exec() {
  strace -f -qq -e trace=execve,clone,clone3,fork,vfork -o "$TEST_DIR/strace-forks" "$SCRIPT" "$@" > /dev/null
  awk 'NR == 1 { main = $1 }
    $1 == main && /clone|fork/ && match($0, /= [0-9]+$/) { child[substr($0, RSTART + 2)] = 1 }
    /execve/ && / = 0$/ { ran[$1] = 1 } # (an execve strace splits ends "<... execve resumed>) = 0")
    END { n = 0; for (c in child) if (!(c in ran)) n++; print n }' "$TEST_DIR/strace-forks"
}

@test "run --rm with network none runs tupper-init (which makes the namespaces itself, and removes the cgroups and directories at the end) and the workload, and mkdir once (directories and cgroups) where bash's loadable mkdir is not there" {
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  run -0 "$SCRIPT" run --rm app # imports the image and checks the helper's sha256, once
  # Debian's bash-builtins (make deps installs it): mkdir is a builtin
  [ -f /usr/lib/bash/mkdir ]
  run -0 programs_of run --rm app
  [ "$output" = "app.sh tupper-init true" ]
  # the script becomes tupper-init (exec): no fork of the script's, the supervisor is its PID
  local script_pid
  script_pid=$(sed -nE 's/^([0-9]+) +execve\("[^"]*app\.sh".*/\1/p' "$TEST_DIR/strace" | head -n1)
  grep -Eq "^$script_pid +execve\(\"[^\"]*/tupper-init\"" "$TEST_DIR/strace"
  # without it, or told not to use it: /bin/mkdir, once
  TUPPER_BASH_LOADABLES=0 run -0 programs_of run --rm app
  [ "$output" = "app.sh mkdir tupper-init true" ]
  # told to fork (TUPPER_RUN_EXEC=0): tupper-init in a child of the script's, which waits
  TUPPER_RUN_EXEC=0 run -0 programs_of run --rm app
  [ "$output" = "app.sh tupper-init true" ]
  script_pid=$(sed -nE 's/^([0-9]+) +execve\("[^"]*app\.sh".*/\1/p' "$TEST_DIR/strace" | head -n1)
  ! grep -Eq "^$script_pid +execve\(\"[^\"]*/tupper-init\"" "$TEST_DIR/strace" || false
  # the run's status is the workload's either way
  run -7 "$SCRIPT" run --rm app /bin/sh -c 'exit 7'
  TUPPER_RUN_EXEC=0 run -7 "$SCRIPT" run --rm app /bin/sh -c 'exit 7'
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
}

# run --rm's tupper-init is the script's own process (exec, run_exec_wanted): what it cannot
# remove, and its own failure, it hands back to the script (--finish, helper/tupper-init.c).
@test "run --rm's tupper-init, exec'd by the script, hands back to it on its own failure: SCRIPT --finish-run NAME 125, with the same PID; --finish-run refuses a name not of a run of its project" {
  printf '#!/bin/sh\nprintf "%%s\\n" "$$" "$@" > "%s/handed"\n' "$TEST_DIR" > "$TEST_DIR/finisher"
  chmod +x "$TEST_DIR/finisher"
  # a failure while its arguments are read (an option it does not know), after the script's exec
  run --separate-stderr bash -c 'echo $$ > "$1/pid"; exec "$2" --finish /bin/sh "$1/finisher" demo-app-run-0000abcd --rootfs /nonexistent --no-such-option' sh "$TEST_DIR" "$TUPPER_HELPER"
  [ "$status" -eq 0 ] # the finisher's
  [[ $stderr == *"--no-such-option"* ]]
  # (the last word: tupper-init's descriptor of the script that started, for the finisher to
  # compare with the file bash runs)
  [[ $(cat "$TEST_DIR/handed") =~ ^$(cat "$TEST_DIR/pid")$'\n'--finish-run$'\n'demo-app-run-0000abcd$'\n'125$'\n'[0-9]+$ ]]
  # relative paths are refused: nothing to hand back to
  run -125 --separate-stderr "$TUPPER_HELPER" --finish sh finisher demo-app-run-0000abcd --rootfs /nonexistent
  [[ $stderr == *"--finish takes absolute paths"* ]]
  # "--finish" as a value of an option that is not the script's (an image's WorkingDir, say)
  # is that value, not a hand-back
  run -125 --separate-stderr "$TUPPER_HELPER" --unshare mount,uts,ipc,pid,cgroup --rootfs /nonexistent --chdir --finish /bin/sh "$TEST_DIR/finisher" x -- /bin/true
  [[ $stderr != *"--finish takes"* ]]
  # a failure after the container's namespaces are made (its root cannot be mounted): the
  # finisher runs in the host's namespaces and the script's working directory, not the
  # container's, with its children in the host's PID namespace
  mkdir "$TEST_DIR/wd"
  printf '#!/bin/sh\nprintf "%%s\\n" "$*" "$(readlink /proc/self/ns/net) $(readlink /proc/self/ns/uts) $(readlink /proc/self/ns/mnt)" "$(pwd)" > "%s/handed"\n' "$TEST_DIR" > "$TEST_DIR/finisher"
  run --separate-stderr bash -c 'cd "$1/wd" && exec "$2" --unshare mount,uts,ipc,pid,cgroup,net --finish /bin/sh "$1/finisher" demo-app-run-0000abcd --rootfs /nonexistent -- /bin/true' sh "$TEST_DIR" "$TUPPER_HELPER"
  [ "$status" -eq 0 ]
  [[ $(sed -n 1p "$TEST_DIR/handed") =~ ^"--finish-run demo-app-run-0000abcd 125 "[0-9]+$ ]]
  [ "$(sed -n 2p "$TEST_DIR/handed")" = "$(readlink /proc/self/ns/net) $(readlink /proc/self/ns/uts) $(readlink /proc/self/ns/mnt)" ]
  [ "$(sed -n 3p "$TEST_DIR/handed")" = "$TEST_DIR/wd" ]
  # the script as it started, only: one renamed onto its path since (a recompile) is not run;
  # what is left stays for down, and the run's status is the workload's
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  cp "$SCRIPT" "$TEST_DIR/started.sh"
  printf '#!/bin/sh\necho "the new script ran" > "%s/new-ran"\n' "$TEST_DIR" > "$TEST_DIR/new.sh"
  chmod +x "$TEST_DIR/new.sh"
  # (70 levels: deeper than tupper-init removes, so it hands back)
  # shellcheck disable=SC2016 # expanded in the container
  "$SCRIPT" run --rm app /bin/sh -c 'd=/deep; i=0; while [ $i -lt 70 ]; do d=$d/d; i=$((i + 1)); done; mkdir -p $d; touch /made; sleep 2; exit 3' > "$TEST_DIR/run.out" 2>&1 &
  local runner=$! i status=0
  for ((i = 0; i < 100; i++)); do
    [[ -z $(find "$TUPPER_ROOT/containers/$PROJECT" -maxdepth 3 -name made -print -quit 2> /dev/null) ]] || break
    sleep 0.05
  done
  mv "$TEST_DIR/new.sh" "$SCRIPT"
  wait "$runner" || status=$?
  [ "$status" -eq 3 ]
  [ ! -e "$TEST_DIR/new-ran" ]
  grep -q "is not the script that started $PROJECT-app-run-[0-9a-f]* any more" "$TEST_DIR/run.out"
  cp "$TEST_DIR/started.sh" "$SCRIPT"
  run -0 leftovers_of "$PROJECT"
  [ -n "$output" ]
  run -0 "$SCRIPT" down
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
  compile_app 'network_mode: none' 'command: ["/bin/sleep", "100"]'
  run -1 --separate-stderr "$SCRIPT" --finish-run other-app-run-0000abcd 0
  [[ $stderr == *"usage: --finish-run NAME STATUS"* ]]
  run -1 --separate-stderr "$SCRIPT" --finish-run "$PROJECT-app-1" 0 3 3< "$SCRIPT"
  [[ $stderr == *"usage: --finish-run NAME STATUS"* ]]
  # without the descriptor of the script that started, nothing is removed
  run -1 --separate-stderr "$SCRIPT" --finish-run "$PROJECT-app-run-0000abcd" 0
  [[ $stderr == *"usage: --finish-run NAME STATUS FD"* ]]
  # nor is a run container whose supervisor is another live process touched
  local name
  name=$("$SCRIPT" run -d app)
  run -1 --separate-stderr "$SCRIPT" --finish-run "$name" 42 3 3< "$SCRIPT"
  [[ $stderr == *"$name runs (PID "* ]]
  [[ $("$SCRIPT" ps) == *"$name "*running* ]]
  run -0 "$SCRIPT" down
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
}

# The loadable's mkdir -p fails where another process makes a parent between its stat and its
# mkdir (about 1 in 100 in a tight loop of two); host then runs coreutils' mkdir, which takes
# that as done. Starts are too slow to hit that window on purpose: this shows that six at
# once, each making the project's directories again, all start and all go.
@test "the loadable mkdir: six starts at once that make the same parents all start" {
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  run -0 "$SCRIPT" run --rm app
  local round i
  local -a pids
  for round in 1 2 3; do
    # the project's container and state directories gone, so that each start makes them again
    rm -rf "${TUPPER_ROOT:?}/containers/$PROJECT"
    rm -rf "${TUPPER_RUN:?}/$PROJECT"
    pids=()
    for i in 1 2 3 4 5 6; do
      "$SCRIPT" run --rm app > "$TEST_DIR/out-$i" 2>&1 & pids+=($!)
    done
    for i in "${!pids[@]}"; do
      wait "${pids[i]}" || { cat "$TEST_DIR/out-$((i + 1))"; false; }
    done
  done
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
}

# section_load reads the file bash runs (its descriptor 255), not the name: `tupper compile`
# renames a new script into place, and a start that loads a section after that must get its
# own, not one from the new file (whose sections are elsewhere, or hold other values).
@test "a start loads its lazy sections from the script it began with, even when a recompile has renamed another into its place meanwhile" {
  spec_of() { # $1: b's GREETING; $2: 1 for a third service (which moves every section)
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  a:\n    image: rootfs:%s\n    network_mode: none\n    init: true\n' "$ROOTFS"
    printf '    command: ["/bin/sleep", "600"]\n    volumes: ["%s:/gate:ro"]\n' "$TEST_DIR/gate"
    printf '    healthcheck: {test: ["CMD", "test", "-e", "/gate/go"], interval: 100ms, retries: 600}\n'
    printf '  b:\n    image: rootfs:%s\n    command: ["/bin/sleep", "600"]\n' "$ROOTFS"
    printf '    environment: {GREETING: %s}\n    depends_on: {a: {condition: service_healthy}}\n' "$1"
    if (($2)); then printf '  c:\n    image: rootfs:%s\n    command: ["/bin/true"]\n' "$ROOTFS"; fi
  }
  mkdir "$TEST_DIR/gate"
  spec_of v1 0 > "$TEST_DIR/v1.yaml"
  compile_spec app < "$TEST_DIR/v1.yaml"
  cp "$SCRIPT" "$TEST_DIR/v1.sh"
  # up waits for a to be healthy, which it is once the test opens the gate; b, on the
  # project's network, then loads bridge-attach
  "$SCRIPT" up -d > "$TEST_DIR/up.out" 2>&1 3>&- &
  local up=$! i recompiled=0 b_early=0
  for ((i = 0; i < 200; i++)); do [[ -e $TUPPER_RUN/$PROJECT/$PROJECT-a-1/pid ]] && break; sleep 0.05; done
  spec_of v2 1 > "$TEST_DIR/v2.yaml"
  if compile_spec app < "$TEST_DIR/v2.yaml" && ! cmp -s "$SCRIPT" "$TEST_DIR/v1.sh"; then recompiled=1; fi
  [[ ! -e $TUPPER_RUN/$PROJECT/$PROJECT-b-1 ]] || b_early=1
  touch "$TEST_DIR/gate/go"
  wait "$up" || { cat "$TEST_DIR/up.out"; false; }
  [ "$recompiled" = 1 ]
  [ "$b_early" = 0 ] # b started after the recompile
  # b as the first script made it; c, which only the second has, not started
  # (its workload's environment, read from the host: exec's would be the new script's)
  local supervisor workload
  read -r supervisor _ < "$TUPPER_RUN/$PROJECT/$PROJECT-b-1/pid"
  read -r workload _ < "/proc/$supervisor/task/$supervisor/children" || [[ -n $workload ]] # (no newline at its end)
  tr '\0' '\n' < "/proc/$workload/environ" | grep -qx GREETING=v1
  [ ! -e "$TUPPER_RUN/$PROJECT/$PROJECT-c-1" ]
  run -0 "$SCRIPT" down
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
}

# The other case: the file bash runs is written over in place (not renamed), which bash
# itself does not survive in general. A section no longer where it was stops the start with
# a message that says so; its undo may need a section too, so what is left, down removes,
# as after a SIGKILL.
@test "a start whose own file is written over in place stops at the section it cannot find, and down removes what it left" {
  spec_of() {
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  a:\n    image: rootfs:%s\n    network_mode: none\n    init: true\n' "$ROOTFS"
    printf '    command: ["/bin/sleep", "600"]\n    volumes: ["%s:/gate:ro"]\n' "$TEST_DIR/gate"
    printf '    healthcheck: {test: ["CMD", "test", "-e", "/gate/go"], interval: 100ms, retries: 600}\n'
    printf '  b:\n    image: rootfs:%s\n    command: ["/bin/sleep", "600"]\n' "$ROOTFS"
    printf '    depends_on: {a: {condition: service_healthy}}\n'
    if (($1)); then printf '  c:\n    image: rootfs:%s\n    command: ["/bin/true"]\n' "$ROOTFS"; fi
  }
  mkdir "$TEST_DIR/gate"
  spec_of 1 > "$TEST_DIR/v2.yaml"
  compile_spec app < "$TEST_DIR/v2.yaml"
  mv "$SCRIPT" "$TEST_DIR/v2.sh"
  spec_of 0 > "$TEST_DIR/v1.yaml"
  compile_spec app < "$TEST_DIR/v1.yaml"
  "$SCRIPT" up -d > "$TEST_DIR/up.out" 2>&1 3>&- &
  local up=$! i status=0
  for ((i = 0; i < 200; i++)); do [[ -e $TUPPER_RUN/$PROJECT/$PROJECT-a-1/pid ]] && break; sleep 0.05; done
  cat "$TEST_DIR/v2.sh" > "$SCRIPT" # the same file, other bytes
  touch "$TEST_DIR/gate/go"
  wait "$up" || status=$?
  cat "$TEST_DIR/up.out"
  [ "$status" = 1 ]
  # (the first section b's start loads after the file changed: bridge-attach came with the
  # preflight of b's bridge, before a started)
  grep -q "changed while it ran (its section network-create is not where it was); run it again" "$TEST_DIR/up.out"
  run -0 "$SCRIPT" down
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
}

@test "run --rm --service-ports on a bridge adds one iptables-restore, kept from the rules in to the rules out, and no ip (tupper-init makes the namespace and its veth pair, and checks the port), no rm (tupper-init removes the filesystem), and no fork that runs no program (the pipe it talks through is a FIFO)" {
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  app:\n    image: rootfs:%s\n    command: ["/bin/true"]\n    ports: ["127.0.0.1:18091:80"]\n' "$ROOTFS"
    printf '  keeper:\n    image: rootfs:%s\n    init: true\n    command: ["/bin/sleep", "600"]\n' "$ROOTFS"
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  run -0 "$SCRIPT" up -d keeper # the network exists, as on a running host
  run -0 "$SCRIPT" run --rm --service-ports app
  run -0 programs_of run --rm --service-ports app
  # (mkdir and rm -f: the loadables; no flock: the network is joined by keeper, so nothing
  # is to be removed; no ip: tupper-init makes the veth pair, --veth; the port is checked by
  # that tupper-init, --check-port, not by one of its own, and the DNAT rules go in once it
  # has said the port is free, --ports-free, while it sets the container up, so the workload
  # and iptables-restore race; that iptables-restore (stdbuf -oL's: its library preloaded,
  # without stdbuf's own exec), which tupper-init starts first thing (--feed: a fork of
  # tupper-init, not of the script), stays and takes the rules out when the workload ends
  # (host_feed -k), one process for both; no
  # rm: tupper-init removes the container's filesystem, --remove-tree, and the script its
  # record files, records_remove)
  [ "$(sorted_words "$output")" = "$(sorted_words app.sh tupper-init iptables-restore true)" ]
  # a workload that writes into its filesystem leaves nothing of it either
  run -0 "$SCRIPT" run --rm --service-ports app sh -c 'mkdir -p /a/b/c && echo x > /a/b/c/f && ln -s / /a/root'
  [ "$(ls -A "$TUPPER_ROOT/containers/$PROJECT")" = "$PROJECT-keeper-1" ]
  [ "$(ls -A "$TUPPER_RUN/$PROJECT")" = "$(printf '%s\n' ".cgroups-$PROJECT-keeper-1" "$PROJECT-keeper-1")" ]
  # without the loadables: coreutils' mkdir, and rm -f for the network records
  TUPPER_BASH_LOADABLES=0 run -0 programs_of run --rm --service-ports app
  [ "$(sorted_words "$output")" = "$(sorted_words app.sh mkdir tupper-init iptables-restore true rm rm)" ]
  # the pipe tupper-init says "ports" (free) through is a FIFO (loadable mkfifo), not a
  # process substitution: every child of the script runs a program; without the loadables,
  # the process substitution's fork
  run -0 forks_without_exec run --rm --service-ports app
  [ "$output" = 0 ]
  TUPPER_BASH_LOADABLES=0 run -0 forks_without_exec run --rm --service-ports app
  [ "$output" = 1 ]
  # and the records are gone either way: the lease and the port claim
  [ -z "$(ls "$TUPPER_RUN/ports")" ]
  [ "$(cat "$TUPPER_RUN/networks/${PROJECT}_default/leases"/*)" = "$PROJECT-keeper-1" ]
  run -0 "$SCRIPT" down
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
}

# host_feed -k: the iptables-restore that puts a foreground container's DNAT rules in stays,
# and takes them out when the workload ends. tupper-init starts it (--feed) where it goes back
# to the script's cgroups at the end (--leave-cgroup); elsewhere (pid: host), the script.
# Succeeds when process $1 has ended: gone, or a zombie (one that tupper-init started
# outlives its parent, the supervisor, and init reaps it when it will).
process_ended() {
  local state
  read -r _ _ state _ < "/proc/$1/stat" 2> /dev/null || return 0
  [[ $state == Z ]]
}

# waiting = the PID of the iptables-restore that script $1 or its tupper-init started, once
# the DNAT rules are in, or empty; parent = its parent's PID.
kept_restore() {
  local i supervisor
  for ((i = 0; i < 200; i++)); do
    if iptables-save -t nat | grep -q -e "--dport 18094"; then
      for supervisor in "$1" $(pgrep -P "$1" -x tupper-init || true); do
        waiting=$(pgrep -P "$supervisor" -f '^iptables-restore --wait --noflush --verbose$' || true)
        if [[ -n $waiting ]]; then parent=$supervisor && return 0; fi
      done
      return 0
    fi
    sleep 0.05
  done
}

@test "a foreground run with a published port: the iptables-restore that put its rules in waits while the workload runs, then takes them out, after ^C too; killed with the script, it changes nothing and down removes them" {
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  app:\n    image: rootfs:%s\n    command: ["/bin/sleep", "600"]\n    ports: ["127.0.0.1:18094:80"]\n' "$ROOTFS"
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  "$SCRIPT" run --rm --service-ports app /bin/sleep 2 > /dev/null 2>&1 &
  local script=$! waiting='' parent='' i
  kept_restore "$script"
  # while the workload runs: the rules are in, and the process that put them in waits
  [ -n "$waiting" ]
  [ "$(iptables-save -t nat | grep -c -e "--dport 18094")" = 1 ]
  # tupper-init started it (the script's child, the container's supervisor), and in the
  # script's cgroups: none of the container's limits, devices or freezer are its
  [ "$parent" != "$script" ]
  [ "$(cat "/proc/$parent/comm")" = tupper-init ]
  [ "$(cat "/proc/$waiting/cgroup")" = "$(cat "/proc/$script/cgroup")" ]
  ! grep -q "$PROJECT-app-run" "/proc/$waiting/cgroup" || false
  wait "$script"
  # the workload has ended: the rules are out, and that process is gone
  [ "$(iptables-save -t nat | grep -c -e "--dport 18094")" = 0 ]
  process_ended "$waiting"
  # ^C, a SIGINT to the whole process group: the waiting iptables-restore ignores it (bash
  # starts a script's background processes so; host_feed_keep ignores INT, QUIT and HUP
  # itself too), and takes the rules out: no rule-by-rule iptables, which a PATH wrapper
  # would log
  mkdir "$TEST_DIR/bin"
  printf '#!/bin/sh\necho "$*" >> %s\nexec %s "$@"\n' "$TEST_DIR/iptables.log" "$(command -v iptables)" > "$TEST_DIR/bin/iptables"
  chmod +x "$TEST_DIR/bin/iptables"
  PATH="$TEST_DIR/bin:$PATH" setsid "$SCRIPT" run --rm --service-ports app /bin/sleep 30 > /dev/null 2>&1 &
  script=$! waiting=''
  kept_restore "$script"
  [ -n "$waiting" ]
  kill -INT -- "-$script"
  wait "$script" || true
  [ "$(iptables-save -t nat | grep -c -e "--dport 18094")" = 0 ]
  [ ! -e "$TEST_DIR/iptables.log" ]
  process_ended "$waiting"
  # the script killed while the workload runs: the waiting iptables-restore reads the end of
  # its input and ends without a change; the rules stay for down, which removes everything
  "$SCRIPT" run --rm --service-ports app /bin/sleep 30 > /dev/null 2>&1 &
  script=$! waiting=''
  kept_restore "$script"
  [ -n "$waiting" ]
  kill -KILL "$script"
  wait "$script" || true
  for ((i = 0; i < 100; i++)); do ! process_ended "$waiting" || break; sleep 0.05; done
  process_ended "$waiting"
  [ "$(iptables-save -t nat | grep -c -e "--dport 18094")" = 1 ]
  run -0 "$SCRIPT" down
  [ "$(iptables-save -t nat | grep -c -e "--dport 18094")" = 0 ]
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
  # pid: host (tupper-init stays in the container's cgroups: no --leave-cgroup): the script
  # starts that iptables-restore itself, and it works the same
  compile_app 'pid: host' 'command: ["/bin/sleep", "600"]' 'ports: ["127.0.0.1:18094:80"]'
  "$SCRIPT" run --rm --service-ports app /bin/sleep 2 > /dev/null 2>&1 &
  script=$! waiting='' parent=''
  kept_restore "$script"
  [ -n "$waiting" ]
  [ "$parent" = "$script" ]
  wait "$script"
  [ "$(iptables-save -t nat | grep -c -e "--dport 18094")" = 0 ]
  process_ended "$waiting"
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
}

# The iptables-restore that tupper-init starts (--feed) fails: the script learns it from its
# output, which ends without the comment it echoes, runs the rules again itself for the
# message, and the start fails with it, leaving nothing.
@test "a foreground run whose iptables-restore refuses the rules fails with its message, and leaves nothing" {
  compile_app 'command: ["/bin/true"]' 'ports: ["127.0.0.1:18095:80"]'
  run -0 "$SCRIPT" up -d app # the network and the image exist
  run -0 "$SCRIPT" rm -f app
  # (it refuses the rules that forward a port, as it reads them; other rules, the
  # network's, go to the real one)
  mkdir "$TEST_DIR/refusing"
  cat > "$TEST_DIR/refusing/iptables-restore" << EOF
#!/bin/sh
rules=''
while IFS= read -r line; do
  case \$line in *--to-destination*) echo "iptables-restore (a test): refused" >&2; exit 1 ;; esac
  rules="\$rules\$line
"
done
printf '%s' "\$rules" | exec $(command -v iptables-restore) "\$@"
EOF
  chmod +x "$TEST_DIR/refusing/iptables-restore"
  PATH="$TEST_DIR/refusing:$PATH" run -1 "$SCRIPT" run --rm --service-ports app
  [[ $output == *"iptables-restore (a test): refused"* ]]
  [[ $output == *"could not publish the ports of $PROJECT-app-run-"* ]]
  [ "$(iptables-save -t nat | grep -c -e "--dport 18095")" = 0 ]
  run -0 "$SCRIPT" down
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
}

# records_remove (no rm process for a container of record files alone) must not follow a
# link: a container directory that is one is removed as the link it is, as rm -rf does.
@test "down: a container directory that is a symlink goes as a link; the files it points to stay" {
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  run -0 "$SCRIPT" run --rm app # the store and the project's directories exist
  mkdir -p "$TEST_DIR/victim" "$TUPPER_ROOT/containers/$PROJECT"
  printf 'keep\n' > "$TEST_DIR/victim/data"
  printf 'keep\n' > "$TEST_DIR/victim/.hidden"
  ln -s "$TEST_DIR/victim" "$TUPPER_ROOT/containers/$PROJECT/$PROJECT-app-9"
  run -0 "$SCRIPT" down
  [ ! -L "$TUPPER_ROOT/containers/$PROJECT/$PROJECT-app-9" ]
  [ "$(cat "$TEST_DIR/victim/data" "$TEST_DIR/victim/.hidden")" = "$(printf 'keep\nkeep')" ]
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
}

# The bridge's handshake (--await-net, with egress_rate): tupper-init waits while the script
# limits what its interfaces send, for as long as the script runs, and no longer.
@test "a bridge start with egress_rate: tupper-init waits for the script's tc batch; the script SIGKILLed meanwhile, tupper-init ends by itself, and down removes everything" {
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  app:\n    image: rootfs:%s\n    command: ["/bin/true"]\n    ports: ["127.0.0.1:18093:80"]\n' "$ROOTFS"
    printf '    x-tupper: {network: {egress_rate: 1mbit}}\n'
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  run -0 "$SCRIPT" up -d app # the network and the image exist
  run -0 "$SCRIPT" rm -f app
  # a tc that takes its time with the batch that limits the container (nsenter runs it from
  # PATH)
  mkdir "$TEST_DIR/slow"
  cat > "$TEST_DIR/slow/tc" << EOF
#!/bin/sh
echo \$\$ > "$TEST_DIR/in-tc"
exec sleep 30
EOF
  chmod +x "$TEST_DIR/slow/tc"
  PATH="$TEST_DIR/slow:$PATH" "$SCRIPT" run --rm --service-ports app > /dev/null 2>&1 &
  local script=$! i supervisor=''
  for ((i = 0; i < 200; i++)); do [[ ! -s $TEST_DIR/in-tc ]] || break; sleep 0.05; done
  [ -s "$TEST_DIR/in-tc" ]
  read -r supervisor _ < "$(echo "$TUPPER_RUN/$PROJECT/$PROJECT"-app-run-*/pid)"
  kill -0 "$supervisor"
  kill -KILL "$script"
  wait "$script" || true
  # its parent gone, it has no word to wait for: it ends (it looks once a second)
  for ((i = 0; i < 100; i++)); do kill -0 "$supervisor" 2> /dev/null || break; sleep 0.05; done
  ! kill -0 "$supervisor" 2> /dev/null || false
  kill "$(cat "$TEST_DIR/in-tc")" # the slow tc's sleep, which this test started
  run -0 "$SCRIPT" down
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
}

# A foreground run's end (cgroups_remove in helper/tupper-init.c): the supervisor removes the
# container's cgroups, and the script only what it could not.
@test "a foreground run: tupper-init removes the container's cgroups when the workload ends, and a parent another container uses is tried once; one still busy (a host process put in it) is left to the script (handed back, --finish-run, or after it forked), which ends that process and removes it" {
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  run -0 "$SCRIPT" run --rm app
  # the workload's view: its own cgroup namespace, rooted at the container's cgroup
  run -0 "$SCRIPT" run --rm app /bin/cat /proc/self/cgroup
  for line in "${lines[@]}"; do [[ $line == *:/ ]]; done
  # the common end: no rmdir of the script's, and nothing left
  strace -f -qq -e trace=execve,rmdir -o "$TEST_DIR/strace" "$SCRIPT" run --rm app
  grep -q 'rmdir(".*/'"$PROJECT"'-app-run-[0-9a-f]*") = 0' "$TEST_DIR/strace"
  ! grep -q 'execve("[^"]*/rmdir"' "$TEST_DIR/strace" || false
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
  # a parent that another container uses is tried once, and stays (a cgroup with children is
  # EBUSY, as a busy one is: no retries for it)
  compile_app 'network_mode: none' 'init: true' 'command: ["/bin/sleep", "600"]'
  "$SCRIPT" up -d app
  wait_running "$PROJECT-app-1"
  strace -f -qq -e trace=rmdir -o "$TEST_DIR/strace" "$SCRIPT" run --rm app /bin/true
  grep -q 'rmdir(".*/tupper") = -1 EBUSY' "$TEST_DIR/strace"
  [ "$(grep -o 'rmdir("[^"]*/tupper")' "$TEST_DIR/strace" | sort | uniq -d)" = "" ]
  [ -n "$(find /sys/fs/cgroup -maxdepth 8 -type d -name "$PROJECT-app-1" -print -quit)" ]
  "$SCRIPT" down
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  # a process of the host's in the container's cgroup keeps it busy past tupper-init's end:
  # handed back to the script (--finish-run), or, the script having forked, left to it
  local mode runner dir='' i lodger status
  for mode in 1 0; do
    TUPPER_RUN_EXEC=$mode "$SCRIPT" run --rm app /bin/sh -c 'sleep 2; exit 3' > /dev/null &
    runner=$! dir=''
    for ((i = 0; i < 100; i++)); do
      dir=$(find /sys/fs/cgroup -maxdepth 8 -type d -name "$PROJECT-app-run-*" -print -quit)
      [[ -z $dir ]] || break
      sleep 0.05
    done
    [ -n "$dir" ]
    sleep 60 &
    lodger=$!
    echo "$lodger" > "$dir/cgroup.procs"
    status=0
    wait "$runner" || status=$?
    # the script ended it and removed the cgroup; the run's status is the workload's
    [ "$status" -eq 3 ]
    run -0 leftovers_of "$PROJECT"
    [ -z "$output" ]
    ! kill -0 "$lodger" 2> /dev/null || false
    [ ! -d "$dir" ]
  done
}

# run --rm's end (--remove-tree, helper/remove.c): the supervisor removes what the workload
# wrote, so that is hostile data.
@test "run --rm: tupper-init removes the container's directories whatever the workload left there: a symlink to the host's files is unlinked, not followed; device nodes, odd names, a hard link go; a volume's files stay; a tree deeper than it walks, or more than a second's work, is left to the script's rm" {
  mkdir -p "$TEST_DIR/outside/sub" "$TEST_DIR/vol"
  echo keep > "$TEST_DIR/outside/sub/file"
  echo keep > "$TEST_DIR/vol/file"
  compile_app 'network_mode: none' "volumes: [\"$TEST_DIR/vol:/vol\"]" 'command: ["/bin/true"]'
  run -0 "$SCRIPT" run --rm app
  # shellcheck disable=SC2016 # expanded in the container
  strace -f -qq -e trace=execve -o "$TEST_DIR/strace" "$SCRIPT" run --rm app /bin/sh -ec '
    ln -s "$1/outside" /out; ln -s "$1/outside/sub/file" /out-file; mkdir -p /d/e; ln -s "$1/outside" /d/e/out
    mknod /null2 c 1 3; mkfifo /fifo; printf x > "/new
line"; printf h > /h1; ln /h1 /hard; mkdir "/x y"; touch "/x y/ a b" /vol/made; chmod 0 "/x y"' sh "$TEST_DIR"
  ! grep -q 'execve("[^"]*/rm"' "$TEST_DIR/strace" || false
  [ "$(cat "$TEST_DIR/outside/sub/file")" = keep ]
  [ "$(cat "$TEST_DIR/vol/file")" = keep ]
  [ -f "$TEST_DIR/vol/made" ]
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
  # deeper than tupper-init walks: the script's rm removes the rest
  # shellcheck disable=SC2016 # expanded in the container
  strace -f -qq -e trace=execve -o "$TEST_DIR/strace" "$SCRIPT" run --rm app /bin/sh -ec 'd=/deep; i=0; while [ $i -lt 100 ]; do d=$d/d; i=$((i + 1)); done; mkdir -p $d; touch $d/f'
  grep -q 'execve("[^"]*/rm"' "$TEST_DIR/strace"
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
  [ "$(cat "$TEST_DIR/outside/sub/file")" = keep ]
  # more files than a second of its work removes: the records went first, the rest is rm's
  # shellcheck disable=SC2016 # expanded in the container
  strace -f -qq -e trace=execve -o "$TEST_DIR/strace" "$SCRIPT" run --rm app /bin/sh -ec 'mkdir /many; cd /many; seq 300000 | xargs touch'
  grep -q 'execve("[^"]*/rm"' "$TEST_DIR/strace"
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
}

# Host facts (cgroups.sh.hbs): the cgroup hierarchies are found once a boot, not at each start.
@test "host facts: the first start finds the cgroup hierarchies and writes them; the next take them; a changed mount table, another boot or another owner makes a start find them again" {
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  local facts="$TUPPER_RUN/host-facts" boot
  read -r boot < /proc/sys/kernel/random/boot_id
  [ ! -e "$facts" ]
  # plan shows the write, and makes nothing
  run -0 "$SCRIPT" plan run --rm app
  [[ $output == *"write $facts.tmp-"* && $output == *"mv -T -- $facts.tmp-"*" $facts"* ]]
  [ ! -e "$TUPPER_RUN" ]
  run -0 "$SCRIPT" run --rm app
  [ -f "$facts" ] && [ -O "$facts" ]
  grep -q "^FACTS_FORMAT='1 memory cpu [a-z ]*' FACTS_BOOT=$boot FACTS_CGROUP_MOUNTS=$(grep -c ' - cgroup' /proc/self/mountinfo)\$" "$facts"
  # what it holds is what a start finds: the same hierarchies and this process's cgroups
  run -0 env TUPPER_TRACE="$TEST_DIR/taken.trace" "$SCRIPT" run --rm app
  grep -q ' host_facts_load ' "$TEST_DIR/taken.trace"
  ! grep -q ' cgroup_find ' "$TEST_DIR/taken.trace" || false
  ! grep -q "host_write $facts" "$TEST_DIR/taken.trace" || false
  # a mount table of its own (a mount namespace: every mount's ID is new), then one cgroup
  # hierarchy more in it (mounted again): found again each time, and the facts say so
  mkdir "$TEST_DIR/cg"
  # shellcheck disable=SC2016 # expanded by the inner shell
  run -0 unshare --mount --propagation private -- bash -c '
    TUPPER_TRACE=$1/ns.trace "$2" run --rm app || exit 1
    grep -c " - cgroup" /proc/self/mountinfo > "$1/ns.count"
    if grep -q " - cgroup2 " /proc/self/mountinfo; then mount -t cgroup2 none "$1/cg"; else mount -t cgroup -o pids none "$1/cg"; fi
    TUPPER_TRACE=$1/more.trace "$2" run --rm app || exit 1
    grep -c " - cgroup" /proc/self/mountinfo > "$1/more.count"
    cp "$3" "$1/more.facts"' ns "$TEST_DIR" "$SCRIPT" "$facts"
  grep -q ' cgroup_find ' "$TEST_DIR/ns.trace"
  grep -q ' cgroup_find ' "$TEST_DIR/more.trace"
  [ "$(cat "$TEST_DIR/more.count")" -eq $(($(cat "$TEST_DIR/ns.count") + 1)) ]
  grep -q " FACTS_CGROUP_MOUNTS=$(cat "$TEST_DIR/more.count")\$" "$TEST_DIR/more.facts"
  ! grep -q "$TEST_DIR/cg" "$TEST_DIR/more.facts" || false # the same hierarchy mounted twice is one
  # back in this mount table: its lines are not the namespace's, so found again
  run -0 env TUPPER_TRACE="$TEST_DIR/back.trace" "$SCRIPT" run --rm app
  grep -q ' cgroup_find ' "$TEST_DIR/back.trace"
  grep -q " FACTS_BOOT=$boot FACTS_CGROUP_MOUNTS=$(grep -c ' - cgroup' /proc/self/mountinfo)\$" "$facts"
  # a script of another tupper (other controllers in use) does not take these
  sed -i "s/^FACTS_FORMAT='1 /FACTS_FORMAT='1 rdma /" "$facts"
  run -0 env TUPPER_TRACE="$TEST_DIR/format.trace" "$SCRIPT" run --rm app
  grep -q ' cgroup_find ' "$TEST_DIR/format.trace"
  grep -q "^FACTS_FORMAT='1 memory " "$facts"
  # nor those whose v2 controllers are not the host's any more (moved to a v1 mount elsewhere)
  if grep -q "^CG_VERSION=(.*'2'" "$facts"; then
    sed -i "s/^CG_CONTROLLERS=(\(.*\)',\([a-z,]*\),')\$/CG_CONTROLLERS=(\1',\2,rdma,')/" "$facts"
    grep -q ",rdma,')\$" "$facts"
    run -0 env TUPPER_TRACE="$TEST_DIR/controllers.trace" "$SCRIPT" run --rm app
    grep -q ' cgroup_find ' "$TEST_DIR/controllers.trace"
    ! grep -q ",rdma,')\$" "$facts" || false
  fi
  # another boot's facts are not taken
  sed -i "s/FACTS_BOOT=$boot/FACTS_BOOT=00000000-0000-0000-0000-000000000000/" "$facts"
  run -0 env TUPPER_TRACE="$TEST_DIR/boot.trace" "$SCRIPT" run --rm app
  grep -q ' cgroup_find ' "$TEST_DIR/boot.trace"
  grep -q "FACTS_BOOT=$boot " "$facts"
  # nor a file that is not root's (TUPPER_RUN is root's alone: this cannot happen by accident)
  chown 65534 "$facts"
  run -0 env TUPPER_TRACE="$TEST_DIR/owner.trace" "$SCRIPT" run --rm app
  grep -q ' cgroup_find ' "$TEST_DIR/owner.trace"
  [ -O "$facts" ]
  # and after all of it, nothing of the containers is left
  run -0 leftovers_of "$PROJECT"
  [ -z "$output" ]
}
