# Shared setup for the end-to-end tests (bats). Each test gets its own TUPPER_ROOT and
# TUPPER_RUN, a project name of its own (so its cgroups are its own, nested under this
# shell's cgroup), compiles its own spec, and must leave nothing behind.
# shellcheck shell=bash

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
ROOTFS="$REPO/build/rootfs"
CLI="$REPO/dist/src/cli.js"
export TUPPER_HELPER="$REPO/helper/tupper-init"

# TUPPER_E2E_PROFILE=FILE (the VM lane sets it): each test appends where its time went,
# "SECONDS WHAT TEST" lines: its setup, each compile, its teardown.
profile() {
  [[ -n ${TUPPER_E2E_PROFILE:-} ]] || return 0
  local s=${EPOCHREALTIME/./} t=${2/./}
  printf '%d.%06d %s %s\n' $(((s - t) / 1000000)) $(((s - t) % 1000000)) "$1" "${BATS_TEST_DESCRIPTION:0:60}" >> "$TUPPER_E2E_PROFILE"
}

setup() {
  local t0=$EPOCHREALTIME
  TEST_DIR=$(mktemp -d /tmp/tp-e2e.XXXXXX)
  export TUPPER_ROOT="$TEST_DIR/root" TUPPER_RUN="$TEST_DIR/run"
  PROJECT="t${BATS_TEST_NUMBER}p$$"
  mkdir -p "$TEST_DIR/spec"
  SCRIPT=''
  PEER_NS='' PEER_PIDS=() LOOP='' CGROUP_PARENT_MADE=''
  TEST_STARTED=$EPOCHREALTIME
  profile setup "$t0"
}

teardown() {
  local t0=$EPOCHREALTIME
  profile body "${TEST_STARTED:-$t0}"
  # SIGKILL first: a workload that ignores SIGTERM (a shell or sleep as PID 1) would hold
  # down for the whole stop grace period, 10 s, in most tests (the graceful stop has tests
  # of its own); down then removes what is left, which the leftover check below checks
  if [[ -n $SCRIPT && -x $SCRIPT ]]; then
    "$SCRIPT" kill > /dev/null 2>&1 || true
    "$SCRIPT" down > /dev/null 2>&1 || true
  fi
  drop_peer
  if mountpoint -q "$TEST_DIR/mnt" 2> /dev/null; then umount "$TEST_DIR/mnt"; fi # a test's filesystem on LOOP
  if [[ -n $LOOP ]]; then losetup -d "$LOOP"; fi
  # a TUPPER_CGROUP_PARENT the test had the script make (its containers' cgroups are gone with
  # down), and what the test made below it (deepest first)
  if [[ -n $CGROUP_PARENT_MADE ]]; then
    find /sys/fs/cgroup -maxdepth 6 -depth -type d \( -path "*/${CGROUP_PARENT_MADE#/}" -o -path "*/${CGROUP_PARENT_MADE#/}/*" \) -exec rmdir {} + 2> /dev/null || true
  fi
  local leftovers
  leftovers=$(leftovers_of "$PROJECT")
  if mountpoint -q "$TEST_DIR/btrfs" 2> /dev/null; then umount "$TEST_DIR/btrfs"; fi
  rm -rf "$TEST_DIR"
  profile teardown "$t0"
  if [[ -n $leftovers ]]; then
    echo "leftovers after down:" >&2
    echo "$leftovers" >&2
    return 1
  fi
}

# Writes the spec NAME from stdin into the test's spec directory and compiles it to $SCRIPT.
compile_spec() {
  local t0=$EPOCHREALTIME
  cat > "$TEST_DIR/spec/$1.yaml"
  tupper_cli compile "$TEST_DIR/spec/$1.yaml" -o "$TEST_DIR/$1.sh" 2> "$TEST_DIR/compile.err" || {
    cat "$TEST_DIR/compile.err" >&2
    return 1
  }
  SCRIPT="$TEST_DIR/$1.sh"
  profile compile "$t0"
}

# Runs `tupper ARGS...` (dist/src/cli.js): through the warm compiler of compile-server.mjs
# when TUPPER_COMPILE_SERVER names its FIFO and TUPPER_COMPILE_SERVER_PID is alive (the VM
# lane and make test-e2e start one: node's start and its first compile cost 1 s here, 13 s
# in the guest), else with a node of its own. Same arguments, environment, working
# directory, output and status either way.
tupper_cli() {
  if [[ -z ${TUPPER_COMPILE_SERVER:-} ]] || ! kill -0 "${TUPPER_COMPILE_SERVER_PID:-x}" 2> /dev/null; then
    node "$CLI" "$@"
    return
  fi
  # a request directory per test, made once (builtins from then on: forks are dear in the guest)
  local request=$TEST_DIR/cli status name text
  if [[ ! -p $request/done ]]; then mkdir -p "$request" && mkfifo "$request/done"; fi
  printf '%s\0' "$@" > "$request/argv"
  for name in $(compgen -e); do printf '%s=%s\0' "$name" "${!name}"; done > "$request/env"
  printf '%s' "$PWD" > "$request/cwd"
  printf '%s\n' "$request" > "$TUPPER_COMPILE_SERVER"
  read -r status < "$request/done"
  IFS= read -r -d '' text < "$request/stdout" || printf '%s' "$text"
  IFS= read -r -d '' text < "$request/stderr" || printf '%s' "$text" >&2
  return "$status"
}

# A one-service spec: SERVICE app from the busybox rootfs with the extra YAML lines given.
compile_app() {
  {
    printf 'name: %s\nservices:\n  app:\n    image: rootfs:%s\n' "$PROJECT" "$ROOTFS"
    printf '    %s\n' "$@"
  } > "$TEST_DIR/app.yaml.in"
  compile_spec app < "$TEST_DIR/app.yaml.in"
}

# Prints everything of project $1 still on the host: records, container directories,
# cgroups, mounts, processes, network records, interfaces and ip(6)tables rules. Empty when
# all is gone. (The tests run in a network namespace of their own, see the Makefile, so
# every tupper interface and rule in it is the test's.)
leftovers_of() {
  local project=$1
  find "$TUPPER_RUN/$project" "$TUPPER_ROOT/containers/$project" -mindepth 1 -maxdepth 1 2> /dev/null | sed 's/^/state: /'
  find "$TUPPER_RUN/networks/" -maxdepth 1 -name "${project}_*" 2> /dev/null | sed 's/^/network: /'
  find "$TUPPER_RUN/ports" -type f 2> /dev/null | sed 's/^/port: /'
  find /sys/fs/cgroup -maxdepth 8 -type d -name "$project-*" 2> /dev/null | sed 's/^/cgroup: /'
  grep -F -e "$TEST_DIR/root" -e "$TEST_DIR/run" /proc/self/mountinfo | sed 's/^/mount: /'
  # The kernel deletes a container's veth pair with its network namespace, shortly after.
  # (tpc-: the bridge names tests give with driver_opts com.docker.network.bridge.name)
  local i
  for ((i = 0; i < 40; i++)); do
    ip -br link | grep -q '^tp[bvc]-' || break
    sleep 0.05
  done
  ip -br link | grep '^tp[bvc]-' | sed 's/^/interface: /'
  iptables-save 2> /dev/null | grep -F TUPPER | sed 's/^/iptables: /'
  ip6tables-save 2> /dev/null | grep -F TUPPER | sed 's/^/ip6tables: /'
  # (builtins only: two forks a process cost seconds in the VM lane's guest)
  local pid
  local -a words
  for pid in /proc/[0-9]*; do
    # (TUPPER_RUN/helpers: tupper-init's copy, e.g. the [::1] relay of a published port)
    mapfile -d '' -t words 2> /dev/null < "$pid/cmdline" || continue
    if [[ "${words[*]}" == *"$TEST_DIR/root/containers"* || "${words[*]}" == *"$TEST_DIR/run/helpers"* ]]; then
      echo "process: ${pid#/proc/} ${words[*]}"
    fi
  done
}

# The container's cgroup directory that has FILE ($2) in it, for container $1.
cgroup_file() {
  local dir
  while read -r _ dir; do
    if [[ -e $dir/$2 ]]; then
      echo "$dir/$2"
      return 0
    fi
  done < <(grep '^c ' "$TUPPER_RUN/$PROJECT/.cgroups-$1")
  return 1
}

# A btrfs filesystem on a loop device, mounted as the test's TUPPER_ROOT.
use_btrfs_root() {
  truncate -s 1G "$TEST_DIR/btrfs.img"
  mkfs.btrfs -q "$TEST_DIR/btrfs.img" > /dev/null
  mkdir -p "$TEST_DIR/btrfs"
  mount -o loop "$TEST_DIR/btrfs.img" "$TEST_DIR/btrfs"
  export TUPPER_ROOT="$TEST_DIR/btrfs"
}

# Runs the given command line with only the cgroup2 hierarchy mounted (as on a pure v2 host).
# shellcheck disable=SC2016 # the inner bash expands these, in its own mount namespace
v2_only() {
  unshare --mount --propagation private bash -c '
    for m in $(awk "\$9 == \"cgroup\" {print \$5}" /proc/self/mountinfo); do umount -l "$m"; done
    exec "$@"' v2-only "$@"
}

# LOOP = a loop device of the test's own over a 1 MiB file ($TEST_DIR/disk.img) that
# starts with HELLO; teardown detaches it.
make_loop() {
  printf HELLO > "$TEST_DIR/disk.img"
  truncate -s 1M "$TEST_DIR/disk.img"
  LOOP=$(losetup -f --show "$TEST_DIR/disk.img")
}

# The text of container $1's log file: tupper-init writes CRI records (TIME STREAM F|P TEXT).
log_text() { sed -E 's/^[^ ]+ std(out|err) [PF] //' "$TUPPER_ROOT/containers/$PROJECT/$1/log"; }

# Runs the script ($2...) under bats' run, SIGKILLed just before the first command whose
# text holds $1 (as bash has it before expansion, e.g. 'container_launch "$name"'): a kill
# at a point of a start that a timed kill hits only by chance. BASH_ENV is read by bash
# before the script; its DEBUG trap (with set -T, in every function too) sees each command's
# text first. The status must be 137: the kill landed.
run_killed_at() {
  local at=$1
  shift
  # shellcheck disable=SC2016 # the trap's text, expanded when it runs
  printf '%s\n' 'set -T' 'kill_at() { [[ $BASH_COMMAND != *"$TUPPER_TEST_KILL_AT"* ]] || kill -KILL $$; }' 'trap kill_at DEBUG' > "$TEST_DIR/kill-at.bash"
  # (3>&-: a process the killed start leaves behind must not keep bats' descriptor open, or
  # bats would wait for it instead of failing the test)
  TUPPER_TEST_KILL_AT=$at BASH_ENV="$TEST_DIR/kill-at.bash" run -137 "$@" 3>&-
}

# Waits until container $1 of this project is running (its PID 1 exists).
wait_running() {
  local i
  for ((i = 0; i < 100; i++)); do
    if "$SCRIPT" ps | grep -q "^$1 .* running "; then return 0; fi
    sleep 0.05
  done
  return 1
}

# A second host for network tests: a network namespace joined to the test's host by a
# veth pair, with no route beyond it. The host end is HOST_IP, the peer's PEER_IP.
make_peer() {
  local n=$BATS_TEST_NUMBER
  PEER_NS="$TEST_DIR/peer.netns" HOST_IP="10.199.$n.1" PEER_IP="10.199.$n.2" PEER_LINK="tpt$n"
  : > "$PEER_NS"
  unshare --net="$PEER_NS" true
  ip link add "$PEER_LINK" type veth peer name eth0 netns "$PEER_NS"
  ip addr add "$HOST_IP/24" dev "$PEER_LINK"
  ip link set "$PEER_LINK" up
  nsenter --net="$PEER_NS" sh -c "ip link set lo up && ip addr add $PEER_IP/24 dev eth0 && ip link set eth0 up"
}

# Runs a command in the peer host's network namespace.
on_peer() {
  nsenter --net="$PEER_NS" -- "$@"
}

# Starts busybox httpd on the peer, serving directory $1 on port 80; PEER_PIDS gets its PID.
peer_httpd() {
  nsenter --net="$PEER_NS" -- busybox httpd -f -p "$PEER_IP:80" -h "$1" > /dev/null 2>&1 3>&- &
  PEER_PIDS+=($!)
}

drop_peer() {
  local pid
  for pid in "${PEER_PIDS[@]}"; do kill "$pid" 2> /dev/null || true; done
  for pid in "${PEER_PIDS[@]}"; do wait "$pid" 2> /dev/null || true; done
  if [[ -n $PEER_NS ]]; then umount "$PEER_NS" 2> /dev/null || true; fi # the veth pair goes with it
}

# Fetches URL $1 from the host (the test's network namespace), with a short timeout.
fetch() {
  curl -sS --max-time 3 "$1"
}

# fetch for the first request after a start: a container is running (wait_running) a moment
# before its server listens, so a refused connection is tried again, for up to 10 s.
fetch_up() {
  curl -sS --max-time 3 --retry 10 --retry-connrefused --retry-delay 1 --retry-max-time 10 "$1"
}

# Prints each host-changing command of a plan ($1 = plan) or of a TUPPER_TRACE log ($1 =
# trace) in file $2, one per line as quoted words, so that the two can be compared: from a
# trace, the calls of the host wrappers (host_write F V as "write F V", and so on); from a
# plan, its command lines (not its notes, not the text fed to a command). Values only a
# real run has become what the plan writes for them: the PIDs in pid records and
# cgroup.procs, the random veth names, the script's PID in the import directory's name and
# in the temporary name of the helper's checked copy.
host_commands() {
  local kind=$1 line command
  local -a words
  while IFS= read -r line; do
    if [[ $kind == trace ]]; then
      [[ $line =~ ^\++\ [0-9.]+\ [A-Za-z_]+\ \[[0-9]+\]\ (host|host_write|host_append|host_create|host_feed|host_pipe)\ (.*)$ ]] || continue
      command=${BASH_REMATCH[1]}
      eval "words=(${BASH_REMATCH[2]})"
      # host_feed's own options: -k (the process stays), -t NAME (its input's variable)
      if [[ $command == host_feed && ${words[0]} == -k ]]; then words=("${words[@]:1}"); fi
      if [[ $command == host_feed && ${words[0]} == -t ]]; then words=("${words[@]:2}"); fi
      case $command in
        host_write) words=(write "${words[@]}") ;;
        host_append) words=(append "${words[@]}") ;;
        host_create) words=(create "${words[@]}") ;;
      esac
    else
      [[ -n $line && $line != '#'* && $line != '    '* ]] || continue
      eval "words=($line)"
    fi
    if [[ ${words[0]} == write && ${words[1]} == */pid ]]; then words[2]='PID STARTTIME'; fi
    if [[ ${words[0]} == write && ${words[1]} == */cgroup.procs ]]; then words[2]=PID; fi
    if [[ ${words[0]} == kill && ${words[2]} == USR1 ]]; then words[3]=PID; fi # net_plumb's word to tupper-init
    line="${words[*]@Q}"
    line=${line//tpv-????????/tpv-X}
    [[ ! $line =~ (.*/\.import-[^/]*-)[0-9]+(.*) ]] || line="${BASH_REMATCH[1]}PID${BASH_REMATCH[2]}"
    [[ ! $line =~ (.*/\.tupper-init\.tmp-)[0-9]+(.*) ]] || line="${BASH_REMATCH[1]}PID${BASH_REMATCH[2]}"
    [[ ! $line =~ (.*/host-facts\.tmp-)[0-9]+(.*) ]] || line="${BASH_REMATCH[1]}PID${BASH_REMATCH[2]}"
    printf '%s\n' "$line"
  done < "$2"
}

# Everything on this host that a tupper script run by this test can change: its files, the
# interfaces, iptables rules and mounts of the test's network namespace, the project's cgroups.
host_snapshot() {
  find "$TEST_DIR" -name 'snapshot.*' -prune -o -printf '%p %M %s\n' | sort
  # a bridge's operational state (UNKNOWN, then UP) and an IPv6 address's DAD flags
  # (tentative, then none) settle by themselves a second or more after the bridge comes up:
  # the kernel's doing, not a change of the host by the script
  ip -o link | sed -e 's/^[0-9]*: //' -e 's/ state [A-Z]* / state - /' | sort
  ip -o addr | sed -e 's/ tentative\b//' -e 's/ dadfailed\b//' | sort
  iptables-save 2> /dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
  find /sys/fs/cgroup -maxdepth 8 -type d -name "$PROJECT-*" 2> /dev/null | sort
  grep -F -e "$TEST_DIR" /proc/self/mountinfo | cut -d' ' -f4- | sort
  sysctl -n net.ipv4.ip_forward
}

# Whether controller $1 is cgroup v2's on this host (as on a pure v2 host), not v1's.
cgroup_v2_controller() {
  local mnt
  mnt=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
  [[ -n $mnt ]] && grep -qw "$1" "$mnt/cgroup.controllers"
}

# Whether systemd is PID 1 here (sd_booted's test).
systemd_is_pid1() { [[ -d /run/systemd/system ]]; }
