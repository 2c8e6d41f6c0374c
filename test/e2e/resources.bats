#!/usr/bin/env bats
# The rest of the cgroup surface and the process settings around it, each shown by its
# effect: inside the container (what the workload can and cannot do) and outside (the
# cgroup files, the kernel's counters), in the files of the host's cgroup version: v1 on a
# hybrid host, v2 on a pure v2 host (the VM lane, test/vm, runs the tests tagged vm there).
bats_require_minimum_version 1.5.0
load helpers

# The hugetlb test lends the host's pool two pages: teardown gives them back, however it ends.
eval "helpers_$(declare -f teardown)"
teardown() {
  if [[ -n ${HUGEPAGES_BEFORE:-} ]]; then echo "$HUGEPAGES_BEFORE" > /proc/sys/vm/nr_hugepages; fi
  helpers_teardown
}

HOG='x=0123456789abcdef; while :; do x=$$x$$x; done'

# bats test_tags=vm
@test "oom_kill_disable: at mem_limit the hog waits for memory instead of being killed; mem_reservation and mem_swappiness are the cgroup's" {
  if cgroup_v2_controller memory; then
    # v2 has no oom_control and no swappiness (the next but one test shows they are refused):
    # mem_reservation is memory.low, and at mem_limit the hog is killed, as memory.events says
    compile_app 'mem_limit: 32m' 'mem_reservation: 16m' "command: [\"/bin/sh\", \"-c\", \"until [ -e /tmp/go ]; do sleep 0.05; done; $HOG\"]"
    "$SCRIPT" up -d
    wait_running "$PROJECT-app-1"
    [ "$(cat "$(cgroup_file "$PROJECT-app-1" memory.low)")" = $((16 * 1024 * 1024)) ]
    [ "$(cat "$(cgroup_file "$PROJECT-app-1" memory.max)")" = $((32 * 1024 * 1024)) ]
    local events
    events=$(cgroup_file "$PROJECT-app-1" memory.events)
    "$SCRIPT" exec app touch /tmp/go
    for _ in $(seq 200); do "$SCRIPT" ps | grep -q running || break; sleep 0.05; done
    # (under systemd the cgroup goes with the container's scope when its last process ends:
    # then ps's OOMKilled below, which tupper-init read from memory.events, is the evidence)
    if [[ -e $events ]]; then grep -q '^oom_kill [1-9]' "$events"; else systemd_is_pid1; fi
    run -0 "$SCRIPT" ps -a
    [[ $output == *"$PROJECT-app-1 "*"exited (137, OOMKilled)"* ]]
    return 0
  fi
  compile_app 'mem_limit: 32m' 'mem_reservation: 16m' 'mem_swappiness: 0' 'oom_kill_disable: true' \
    "command: [\"/bin/sh\", \"-c\", \"$HOG\"]"
  "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  local control
  control=$(cgroup_file "$PROJECT-app-1" memory.oom_control)
  for _ in $(seq 100); do grep -q '^under_oom 1' "$control" && break; sleep 0.05; done
  # outside: the hog is at its limit, under OOM, and nothing was killed
  grep -q '^oom_kill_disable 1' "$control"
  grep -q '^under_oom 1' "$control"
  grep -q '^oom_kill 0' "$control"
  [ "$(cat "$(cgroup_file "$PROJECT-app-1" memory.soft_limit_in_bytes)")" = $((16 * 1024 * 1024)) ]
  [ "$(cat "$(cgroup_file "$PROJECT-app-1" memory.swappiness)")" = 0 ]
  # it is still there, still running
  sleep 0.3
  run -0 "$SCRIPT" ps
  [[ $output == *"$PROJECT-app-1 "*" running "* ]]
}

# bats test_tags=vm
@test "OOMKilled: ps and inspect say when the OOM killer ended the container, and only then" {
  # the hog waits for the test's go (and takes it, so that a start again waits anew)
  compile_app 'mem_limit: 16m' "command: [\"/bin/sh\", \"-c\", \"until [ -e /tmp/go ]; do sleep 0.05; done; rm /tmp/go; $HOG\"]"
  "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  "$SCRIPT" exec app touch /tmp/go
  for _ in $(seq 100); do "$SCRIPT" ps | grep -q running || break; sleep 0.05; done
  run -0 "$SCRIPT" ps -a
  [[ $output == *"$PROJECT-app-1 "*"exited (137, OOMKilled)"* ]]
  run -0 "$SCRIPT" inspect app
  [[ $output == *'"OOMKilled":true,"ExitCode":137'* ]]
  run -0 "$SCRIPT" ps -a --json
  [[ $output == *'"ExitCode":137,"OOMKilled":true'* ]]
  # SIGKILL from outside is also 137, but no OOM
  "$SCRIPT" start app
  wait_running "$PROJECT-app-1"
  "$SCRIPT" kill app
  for _ in $(seq 100); do "$SCRIPT" ps | grep -q running || break; sleep 0.05; done
  run -0 "$SCRIPT" ps -a
  [[ $output == *"$PROJECT-app-1 "*"exited (137)"* ]]
  run -0 "$SCRIPT" inspect app
  [[ $output == *'"OOMKilled":false,"ExitCode":137'* ]]
}

# bats test_tags=vm
@test "memswap_limit: memory plus swap, written after mem_limit; below mem_limit it is a compile error" {
  compile_app 'mem_limit: 32m' 'memswap_limit: 64m' 'command: ["/bin/sleep", "1000"]'
  "$SCRIPT" up -d
  if cgroup_v2_controller memory; then
    # v2 limits swap alone: what memswap_limit allows beyond mem_limit
    [ "$(cat "$(cgroup_file "$PROJECT-app-1" memory.swap.max)")" = $((32 * 1024 * 1024)) ]
    [ "$(cat "$(cgroup_file "$PROJECT-app-1" memory.max)")" = $((32 * 1024 * 1024)) ]
  else
    [ "$(cat "$(cgroup_file "$PROJECT-app-1" memory.memsw.limit_in_bytes)")" = $((64 * 1024 * 1024)) ]
    [ "$(cat "$(cgroup_file "$PROJECT-app-1" memory.limit_in_bytes)")" = $((32 * 1024 * 1024)) ]
  fi
  run ! compile_app 'mem_limit: 32m' 'memswap_limit: 16m' 'command: ["/bin/true"]'
  [[ $output == *"services.app.memswap_limit: is memory plus swap, so it cannot be below mem_limit"* ]]
}

# The CPU time container $1 has used, in ns: v1's cpuacct.usage, v2's cpu.stat usage_usec.
cpu_used_ns() {
  local file
  if file=$(cgroup_file "$1" cpuacct.usage); then cat "$file"; return; fi
  file=$(cgroup_file "$1" cpu.stat) && awk '$1 == "usage_usec" {print $2 "000"}' "$file"
}

# bats test_tags=vm
@test "cpu_shares: two busy loops on one CPU share it by their weights" {
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    for s in heavy:1024 light:256; do
      printf '  %s:\n    image: rootfs:%s\n    cpuset: "0"\n    cpu_shares: %s\n    network_mode: none\n' "${s%:*}" "$ROOTFS" "${s#*:}"
      printf '    command: ["/bin/sh", "-c", "while :; do :; done"]\n'
    done
  } > "$TEST_DIR/app.yaml.in"
  compile_spec app < "$TEST_DIR/app.yaml.in"
  "$SCRIPT" up -d
  wait_running "$PROJECT-heavy-1"
  wait_running "$PROJECT-light-1"
  if cgroup_v2_controller cpu; then
    # runc's conversion to cpu.weight: 1 + (shares - 2) * 9999 / 262142
    [ "$(cat "$(cgroup_file "$PROJECT-heavy-1" cpu.weight)")" = 39 ]
    [ "$(cat "$(cgroup_file "$PROJECT-light-1" cpu.weight)")" = 10 ]
    # under systemd each container's cgroup is alone in its scope: the weights count
    # between the scopes, which carry them as properties (docs/placement.md)
    if systemd_is_pid1; then
      [ "$(systemctl show -P CPUWeight "tupper-container-$PROJECT-heavy-1.scope")" = 39 ]
      [ "$(systemctl show -P CPUWeight "tupper-container-$PROJECT-light-1.scope")" = 10 ]
    fi
  else
    [ "$(cat "$(cgroup_file "$PROJECT-heavy-1" cpu.shares)")" = 1024 ]
    [ "$(cat "$(cgroup_file "$PROJECT-light-1" cpu.shares)")" = 256 ]
  fi
  local h0 l0
  h0=$(cpu_used_ns "$PROJECT-heavy-1") l0=$(cpu_used_ns "$PROJECT-light-1")
  sleep 2
  local h=$(($(cpu_used_ns "$PROJECT-heavy-1") - h0)) l=$(($(cpu_used_ns "$PROJECT-light-1") - l0))
  echo "heavy ${h}ns light ${l}ns" >&3
  # 1024:256 is 4:1; the test asks for at least 2.5:1, as other work on CPU 0 blurs it
  ((h * 10 >= l * 25))
}

# bats test_tags=vm
@test "cpu_quota and cpu_period: the CFS files, and a busy loop throttled by them" {
  compile_app 'cpu_quota: 20000' 'cpu_period: 50000' 'command: ["/bin/sh", "-c", "while :; do :; done"]'
  "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  if cgroup_v2_controller cpu; then
    [ "$(cat "$(cgroup_file "$PROJECT-app-1" cpu.max)")" = "20000 50000" ]
  else
    [ "$(cat "$(cgroup_file "$PROJECT-app-1" cpu.cfs_quota_us)")" = 20000 ]
    [ "$(cat "$(cgroup_file "$PROJECT-app-1" cpu.cfs_period_us)")" = 50000 ]
  fi
  # throttled once it has used its quota in a period (on a busy machine, that may take a while)
  for _ in $(seq 100); do grep -q '^nr_throttled [1-9]' "$(cgroup_file "$PROJECT-app-1" cpu.stat)" && break; sleep 0.1; done
  grep -q '^nr_throttled [1-9]' "$(cgroup_file "$PROJECT-app-1" cpu.stat)"
  run ! compile_app 'cpus: 0.5' 'cpu_quota: 20000' 'command: ["/bin/true"]'
  [[ $output == *"services.app.cpu_quota: says what cpus says (cpus is cpu_quota / cpu_period); keep one"* ]]
}

@test "oom_score_adj and shm_size: inside and outside" {
  compile_app 'oom_score_adj: 500' 'shm_size: 8m' 'command: ["/bin/sleep", "1000"]'
  "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  run -0 "$SCRIPT" exec app cat /proc/1/oom_score_adj
  [ "$output" = 500 ]
  run -0 "$SCRIPT" ps --json
  local pid
  pid=$(sed -E 's/.*"Pid":([0-9]+).*/\1/' <<< "$output")
  [ "$(cat "/proc/$pid/oom_score_adj")" = 500 ]
  run -0 "$SCRIPT" exec app df -k /dev/shm
  [[ ${lines[1]} == *" 8192 "* ]]
  run ! "$SCRIPT" exec app dd if=/dev/zero of=/dev/shm/big bs=1M count=9
  [[ $output == *"No space left on device"* ]]
}

# bats test_tags=vm
@test "x-tupper.cpuset_mems: the NUMA nodes the workload may allocate from" {
  compile_app 'x-tupper: {cpuset_mems: "0"}' 'command: ["/bin/sh", "-c", "grep Mems_allowed_list /proc/self/status"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [[ $output == *"Mems_allowed_list:"*"0" ]]
  [ "$(find /sys/fs/cgroup/cpuset -maxdepth 6 -type d -name "$PROJECT-*" | wc -l)" = 0 ]
  run ! compile_app 'x-tupper: {cpuset_mems: "a-b"}' 'command: ["/bin/true"]'
  [[ $output == *"services.app.x-tupper.cpuset_mems:"*"use e.g. 0 or 0-1"* ]]
}

# bats test_tags=vm
@test "cpu_rt_runtime: real-time scheduling works only with a budget of real-time time" {
  printf '#include <sched.h>\n#include <stdio.h>\nint main(void) { struct sched_param p = {.sched_priority = 10}; if (sched_setscheduler(0, SCHED_FIFO, &p) < 0) { perror("sched_setscheduler"); return 1; } puts("real-time"); return 0; }\n' > "$TEST_DIR/rt.c"
  gcc -static -o "$TEST_DIR/rt" "$TEST_DIR/rt.c"
  if cgroup_v2_controller cpu; then
    # cgroup v2 has no real-time budget per cgroup: the setting is named before anything is made
    compile_app 'cap_add: [SYS_NICE]' 'cpu_rt_runtime: 10000' "volumes: [\"$TEST_DIR/rt:/rt:ro\"]" 'command: ["/rt"]'
    run -1 --separate-stderr "$SCRIPT" up -d
    [[ $stderr == *"cpu_rt_runtime of service app: cgroup v2, which this host's cpu controller is, has no cpu file like cpu.rt_runtime_us; remove it on this host"* ]]
    [ -z "$(leftovers_of "$PROJECT")" ]
    return 0
  fi
  # SYS_NICE lets it ask; without cpu_rt_runtime its cgroup has no real-time time to give
  compile_app 'cap_add: [SYS_NICE]' "volumes: [\"$TEST_DIR/rt:/rt:ro\"]" 'command: ["/rt"]'
  run -1 --separate-stderr "$SCRIPT" run --rm app
  [[ $stderr == *"sched_setscheduler: Operation not permitted"* ]]
  compile_app 'cap_add: [SYS_NICE]' 'cpu_rt_runtime: 10000' "volumes: [\"$TEST_DIR/rt:/rt:ro\"]" 'command: ["/rt"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = real-time ]
}

# bats test_tags=vm
@test "a setting the host's cgroups cannot take is named before anything is made (v2 without a memory controller, or v2's memory without these files)" {
  compile_app 'mem_limit: 32m' 'mem_swappiness: 10' 'oom_kill_disable: true' 'command: ["/bin/true"]'
  run -1 --separate-stderr v2_only "$SCRIPT" up -d
  if cgroup_v2_controller memory; then
    # a pure v2 host: the memory controller is there, its swappiness and oom_control are not
    [[ $stderr == *"mem_swappiness of service app: cgroup v2, which this host's memory controller is, has no memory file like memory.swappiness; remove it on this host"* ]]
    [[ $stderr == *"oom_kill_disable of service app: cgroup v2, which this host's memory controller is, has no memory file like memory.oom_control; remove it on this host"* ]]
    [ -z "$(leftovers_of "$PROJECT")" ]
    return 0
  fi
  # a hybrid host: its v2 hierarchy has only hugetlb
  [[ $stderr == *"the memory cgroup controller, for mem_swappiness of service app: this host has none mounted or enabled"* ]]
  [[ $stderr == *"the memory cgroup controller, for oom_kill_disable of service app: this host has none mounted or enabled"* ]]
  [ -z "$(leftovers_of "$PROJECT")" ]
}

# The seconds, with 2 decimals, that command $@ took.
seconds_of() {
  local start=$EPOCHREALTIME
  "$@" > /dev/null 2>&1
  local end=$EPOCHREALTIME
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}

# The writes container app's block I/O cgroup counted on device $1 (MAJ:MIN), from its
# file $2 (v2's io.stat: "MAJ:MIN ... wios=N"; v1's io_serviced: "MAJ:MIN Write N").
device_writes() {
  local file
  file=$(cgroup_file "$PROJECT-app-1" "$2")
  if [[ $3 == wios= ]]; then
    awk -v dev="$1" '$1 == dev { for (i = 2; i <= NF; i++) if ($i ~ /^wios=/) { sub(/wios=/, "", $i); n = $i } } END { print n + 0 }' "$file"
  else
    awk -v dev="$1" '$1 == dev && $2 == "Write" { n = $3 } END { print n + 0 }' "$file"
  fi
}

# bats test_tags=vm
@test "blkio_config: direct writes and reads of a loop device slow to their limits, in bytes and in operations per second" {
  truncate -s 8M "$TEST_DIR/disk.img"
  LOOP=$(losetup -f --show "$TEST_DIR/disk.img")
  compile_app "devices: [\"$LOOP:/dev/xvdb\"]" \
    "blkio_config: {device_write_bps: [{path: \"$LOOP\", rate: 1mb}], device_read_bps: [{path: \"$LOOP\", rate: 1mb}], device_write_iops: [{path: \"$LOOP\", rate: 200}]}" \
    'command: ["/bin/sleep", "1000"]'
  "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  local numbers
  numbers=$(stat -c '%t %T' "$LOOP" | { read -r a b; echo "$((16#$a)):$((16#$b))"; })
  # outside: the limits, on the device's numbers
  if cgroup_v2_controller io; then
    grep -qx "$numbers rbps=1048576 wbps=1048576 riops=max wiops=200" "$(cgroup_file "$PROJECT-app-1" io.max)"
  else
    grep -qx "$numbers 1048576" "$(cgroup_file "$PROJECT-app-1" blkio.throttle.write_bps_device)"
    grep -qx "$numbers 1048576" "$(cgroup_file "$PROJECT-app-1" blkio.throttle.read_bps_device)"
    grep -qx "$numbers 200" "$(cgroup_file "$PROJECT-app-1" blkio.throttle.write_iops_device)"
  fi
  # inside: 2 MiB written directly takes about 2 s at 1 MiB/s (unthrottled: milliseconds)
  local t
  t=$(seconds_of "$SCRIPT" exec app dd if=/dev/zero of=/dev/xvdb bs=64k count=32 oflag=direct)
  echo "direct write of 2 MiB: $t s" >&3
  awk -v t="$t" 'BEGIN { exit !(t >= 1.5) }'
  t=$(seconds_of "$SCRIPT" exec app dd if=/dev/xvdb of=/dev/null bs=64k count=32 iflag=direct)
  echo "direct read of 2 MiB: $t s" >&3
  awk -v t="$t" 'BEGIN { exit !(t >= 1.5) }'
  # 200 writes a second: 300 direct writes take about 1.5 s (the first slice's few at once).
  # Timed inside the container by the kernel's clock (/proc/uptime), around dd alone: from
  # outside, the time of exec itself (seconds in the VM lane's guest) hid how fast dd went.
  # Of 4 KiB, not 512 bytes: busybox dd quietly drops O_DIRECT when a write fails with
  # EINVAL (its buffer is not aligned to the device's block), and then writes through the
  # page cache: 38 page-sized writes for 300 in the guest, so no iops limit could show.
  # The device's own count of writes (io.stat, blkio.throttle.io_serviced) says they were 300.
  local count before after
  if cgroup_v2_controller io; then count=(io.stat "wios="); else count=(blkio.throttle.io_serviced "Write"); fi
  before=$(device_writes "$numbers" "${count[@]}")
  run -0 --separate-stderr "$SCRIPT" exec app sh -c 'read -r a _ < /proc/uptime
    dd if=/dev/zero of=/dev/xvdb bs=4096 count=300 oflag=direct 2> /dev/null
    read -r b _ < /proc/uptime; echo "$a $b"'
  after=$(device_writes "$numbers" "${count[@]}")
  t=$(awk '{ printf "%.2f", $2 - $1 }' <<< "$output")
  echo "300 direct writes: $t s; the device counted $((after - before))" >&3
  ((after - before >= 300))
  awk -v t="$t" 'BEGIN { exit !(t >= 1.2) }'
}

# bats test_tags=vm
@test "blkio_config: a file's direct writes slow to the limit; v1 does not charge buffered writes to the container, v2 does" {
  truncate -s 32M "$TEST_DIR/disk.img"
  mkfs.ext4 -q "$TEST_DIR/disk.img"
  LOOP=$(losetup -f --show "$TEST_DIR/disk.img")
  mkdir "$TEST_DIR/mnt"
  mount "$LOOP" "$TEST_DIR/mnt"
  compile_app "volumes: [\"$TEST_DIR/mnt:/data\"]" "blkio_config: {device_write_bps: [{path: \"$LOOP\", rate: 1mb}]}" \
    'command: ["/bin/sleep", "1000"]'
  "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  local t
  t=$(seconds_of "$SCRIPT" exec app dd if=/dev/zero of=/data/direct bs=64k count=32 oflag=direct)
  echo "direct write of a 2 MiB file: $t s" >&3
  awk -v t="$t" 'BEGIN { exit !(t >= 1.5) }'
  if cgroup_v2_controller io; then
    # v2 charges writeback to the cgroup that dirtied the pages: the buffered file's bytes
    # reach the device on the container's account (io.stat), once written back
    local numbers stat
    numbers=$(stat -c '%t %T' "$LOOP" | { read -r a b; echo "$((16#$a)):$((16#$b))"; })
    stat=$(cgroup_file "$PROJECT-app-1" io.stat)
    "$SCRIPT" exec app dd if=/dev/zero of=/data/buffered bs=64k count=32
    "$SCRIPT" exec app sync
    awk -v dev="$numbers" '$1 == dev { for (i = 2; i <= NF; i++) if ($i ~ /^wbytes=/) { sub(/wbytes=/, "", $i); exit !($i >= 4 * 1024 * 1024) } } END { if (NR == 0) exit 1 }' "$stat"
    "$SCRIPT" down
    umount "$TEST_DIR/mnt"
    return 0
  fi
  # buffered: the page cache takes it at once; the kernel's writeback writes it out later,
  # outside the container's blkio cgroup, so the limit does not apply (cgroup v2 charges it)
  t=$(seconds_of "$SCRIPT" exec app dd if=/dev/zero of=/data/buffered bs=64k count=32)
  echo "buffered write of a 2 MiB file: $t s" >&3
  awk -v t="$t" 'BEGIN { exit !(t < 1.0) }'
  "$SCRIPT" down
  umount "$TEST_DIR/mnt"
}

# bats test_tags=vm
@test "blkio_config: a weight where the device's scheduler has none, or a path that is no block device, is named before anything is made" {
  compile_app 'blkio_config: {weight: 300, device_read_bps: [{path: /etc/hostname, rate: 1mb}]}' 'command: ["/bin/true"]'
  run -1 --separate-stderr "$SCRIPT" up -d
  [[ $stderr == *"/etc/hostname in blkio_config of service app: not a block device on this host"* ]]
  # the weight file the script looks for: v1's blkio one, or v2's io one in this shell's cgroup
  local own v2 weighs=0
  own=$(awk -F: '$1 == 0 {print $3}' /proc/self/cgroup) v2=$(findmnt -n -t cgroup2 -o TARGET | head -n 1)
  if cgroup_v2_controller io; then
    [[ ! -e $v2${own%/}/io.weight && ! -e $v2${own%/}/io.bfq.weight && $own != / ]] || weighs=1
  else
    [[ ! -e /sys/fs/cgroup/blkio/blkio.weight && ! -e /sys/fs/cgroup/blkio/blkio.bfq.weight ]] || weighs=1
  fi
  if ((!weighs)); then
    [[ $stderr == *"the weight in blkio_config of service app: this host's block I/O cgroup has no weight file (it needs the BFQ scheduler, or CFQ)"* ]]
  fi
  [ -z "$(leftovers_of "$PROJECT")" ]
}

# Compiles project $2 into SCRIPT2 from the lines $3...: one service app.
compile_second() {
  {
    printf 'name: %s\nservices:\n  app:\n' "$1"
    printf '    %s\n' "${@:2}"
  } > "$TEST_DIR/second.yaml"
  node "$CLI" compile "$TEST_DIR/second.yaml" -o "$TEST_DIR/second.sh" 2> /dev/null
  SCRIPT2="$TEST_DIR/second.sh"
}

@test "commit: a running container's files and command become an image that another spec runs; a deleted file stays deleted" {
  compile_app 'command: ["/bin/sh", "-c", "echo made > /made; rm /bin/vi; echo ready; exec sleep 1000"]'
  "$SCRIPT" up -d
  for _ in $(seq 100); do log_text "$PROJECT-app-1" | grep -q ready && break; sleep 0.05; done
  run -0 --separate-stderr "$SCRIPT" commit app "tupper-test/$PROJECT:snap"
  [[ $stderr == *"$PROJECT-app-1 committed as docker.io/tupper-test/$PROJECT:snap: image "* ]]
  # it still runs (it was frozen only while its files were taken)
  run -0 "$SCRIPT" ps
  [[ $output == *"$PROJECT-app-1 "*" running "* ]]
  # another project, from the committed image, never pulled: its files, and its command
  compile_second "${PROJECT}b" "image: tupper-test/$PROJECT:snap" 'pull_policy: never' 'network_mode: none'
  run -0 --separate-stderr "$SCRIPT2" run --rm app /bin/sh -c 'cat /made; ls /bin/vi 2>&1; true'
  [ "${lines[0]}" = made ]
  [ "${lines[1]}" = "ls: /bin/vi: No such file or directory" ]
  "$SCRIPT2" up -d
  for _ in $(seq 100); do [ -s "$TUPPER_ROOT/containers/${PROJECT}b/${PROJECT}b-app-1/log" ] && break; sleep 0.05; done
  run -0 "$SCRIPT2" inspect app
  [[ $output == *'"Cmd":["/bin/sh","-c","echo made > /made; rm /bin/vi; echo ready; exec sleep 1000"]'* ]]
  "$SCRIPT2" down
  run -0 --separate-stderr "$SCRIPT2" rmi
  [ -z "$(find "$TUPPER_ROOT/images/layers" -mindepth 2 -maxdepth 2 -name 'commit-*')" ]
}

@test "commit on btrfs is a snapshot of the container's subvolume, as Bocker's was" {
  use_btrfs_root
  compile_app 'command: ["/bin/sh", "-c", "echo on-btrfs > /made; exec sleep 1000"]'
  "$SCRIPT" up -d
  for _ in $(seq 100); do "$SCRIPT" exec app cat /made > /dev/null 2>&1 && break; sleep 0.05; done
  "$SCRIPT" commit app "tupper-test/$PROJECT:btrfs"
  btrfs subvolume list "$TUPPER_ROOT" | grep -q 'images/layers/snapshot/commit-'
  compile_second "${PROJECT}b" "image: tupper-test/$PROJECT:btrfs" 'network_mode: none'
  run -0 --separate-stderr "$SCRIPT2" run --rm app /bin/cat /made
  [ "$output" = on-btrfs ]
  "$SCRIPT2" rmi
  "$SCRIPT" down
}

@test "checkpoint: where CRIU cannot work with the kernel, it says so, names CRIU's reason, and changes nothing" {
  compile_app 'network_mode: none' 'command: ["/bin/sleep", "1000"]'
  "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  if criu check > /dev/null 2>&1; then skip "CRIU works on this host; the unsupported path cannot be shown here"; fi
  run -1 --separate-stderr "$SCRIPT" checkpoint app "$TEST_DIR/checkpoint"
  [[ $stderr == *"checkpoint is unsupported on this host: CRIU cannot work with this kernel (criu check: "*"); nothing was changed"* ]]
  echo "$stderr" >&3
  [ ! -e "$TEST_DIR/checkpoint" ]
  run -0 "$SCRIPT" ps
  [[ $output == *"$PROJECT-app-1 "*" running "* ]]
  run -1 --separate-stderr "$SCRIPT" restore app "$TEST_DIR/checkpoint"
  [[ $stderr == *"restore is unsupported on this host"* ]]
}

@test "x-tupper.network.egress_rate: what the container sends is held to the rate; its neighbour's is not" {
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  slow:\n    image: rootfs:%s\n    x-tupper: {network: {egress_rate: 1mbit}}\n    command: ["/bin/sleep", "1000"]\n' "$ROOTFS"
    printf '  fast:\n    image: rootfs:%s\n    command: ["/bin/sleep", "1000"]\n' "$ROOTFS"
  } > "$TEST_DIR/app.yaml.in"
  compile_spec app < "$TEST_DIR/app.yaml.in"
  "$SCRIPT" up -d
  wait_running "$PROJECT-slow-1"
  wait_running "$PROJECT-fast-1"
  local gateway
  gateway=$("$SCRIPT" inspect slow | grep -o '"Gateway":"[0-9.]*"' | head -n1 | cut -d'"' -f4)
  # a token bucket on the container's end of its veth (in its network namespace, its
  # supervisor's), not the neighbour's
  local slow_pid fast_pid
  read -r slow_pid _ < "$TUPPER_RUN/$PROJECT/$PROJECT-slow-1/pid"
  read -r fast_pid _ < "$TUPPER_RUN/$PROJECT/$PROJECT-fast-1/pid"
  run -0 nsenter --net="/proc/$slow_pid/ns/net" tc qdisc show dev eth0
  [[ $output == *"tbf"*"rate 1Mbit"* ]]
  [[ $(nsenter --net="/proc/$fast_pid/ns/net" tc qdisc show dev eth0) != *tbf* ]]
  mkfifo "$TEST_DIR/fifo"
  local service listener fd bytes
  for service in slow fast; do
    # a listener on the host whose stdin never ends, so it reads until the sender is done
    exec {fd}<> "$TEST_DIR/fifo"
    busybox nc -l -p 18950 > "$TEST_DIR/$service.received" <&"$fd" &
    listener=$!
    sleep 0.2
    "$SCRIPT" exec "$service" sh -c "dd if=/dev/zero bs=1k count=512 2> /dev/null | nc $gateway 18950 > /dev/null &"
    sleep 1
    bytes=$(stat -c %s "$TEST_DIR/$service.received")
    echo "$service: $bytes bytes in 1 s" >&3
    kill "$listener" 2> /dev/null || true
    wait "$listener" 2> /dev/null || true
    exec {fd}>&-
    if [[ $service == slow ]]; then ((bytes < 200000)); else ((bytes == 524288)); fi
  done
}

# bats test_tags=vm
@test "x-tupper.hugetlb: past its limit a process gets SIGBUS on the next huge page (shown on this host's v2 hugetlb controller)" {
  # two 2 MB pages in the host's pool for the test, returned after it
  HUGEPAGES_BEFORE=$(cat /proc/sys/vm/nr_hugepages)
  echo $((HUGEPAGES_BEFORE + 2)) > /proc/sys/vm/nr_hugepages
  printf '%s\n' '#include <stdio.h>' '#include <sys/mman.h>' \
    'int main(void) { char *p = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);' \
    '  if (p == MAP_FAILED) { perror("mmap"); return 1; }' \
    '  for (int i = 0; i < 2; i++) { p[i << 21] = 1; printf("touched %d\n", i + 1); fflush(stdout); } return 0; }' > "$TEST_DIR/huge.c"
  gcc -static -o "$TEST_DIR/huge" "$TEST_DIR/huge.c"
  compile_app 'x-tupper: {hugetlb: {2MB: 2m}}' "volumes: [\"$TEST_DIR/huge:/huge:ro\"]" 'command: ["/huge"]'
  run -135 --separate-stderr "$SCRIPT" run --rm app
  local limited=$output
  compile_app "volumes: [\"$TEST_DIR/huge:/huge:ro\"]" 'command: ["/huge"]'
  run --separate-stderr "$SCRIPT" run --rm app
  echo $HUGEPAGES_BEFORE > /proc/sys/vm/nr_hugepages
  [ "$limited" = "touched 1" ]
  [ "$status" = 0 ] && [ "$output" = $'touched 1\ntouched 2' ]
}
