#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# Escape attempts from inside a default container, each of which must fail, checked from
# inside (the errno the attempt gets) and from outside (the host did not change); then the
# keys that loosen the defaults, each shown to loosen what it names and nothing else.
# probe.c makes one attempt per subcommand and prints "ATTEMPT: ok" or "ATTEMPT: <error>".
load helpers
load probe

# Starts the app service detached (sleeping) and sets PID to its PID 1 on the host.
start_sleeper() {
  compile_probe 'init: true' 'command: ["/bin/sleep", "1000"]' "$@"
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  PID=$("$SCRIPT" ps | awk -v n="$PROJECT-app-1" '$1 == n {print $4}')
  [[ $PID =~ ^[0-9]+$ ]]
}

# The capability line $2 (CapEff, CapBnd, ...) of process $1's status.
cap_line() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

readonly DOCKER_CAPS=00000000a80425fb # Docker's default 14

@test "default container: Docker's 14 capabilities, no_new_privs and a seccomp filter, for the workload and for exec" {
  start_sleeper
  # outside: the workload's status as the host sees it
  [ "$(cap_line "$PID" CapBnd)" = "$DOCKER_CAPS" ]
  [ "$(cap_line "$PID" CapEff)" = "$DOCKER_CAPS" ]
  [ "$(cap_line "$PID" CapInh)" = 0000000000000000 ]
  [ "$(cap_line "$PID" CapAmb)" = 0000000000000000 ]
  grep -qx $'NoNewPrivs:\t1' "/proc/$PID/status"
  grep -qx $'Seccomp:\t2' "/proc/$PID/status"
  # inside, through exec: no stronger than the workload
  run -0 --separate-stderr "$SCRIPT" exec app /bin/grep -E '^(CapBnd|CapEff|NoNewPrivs|Seccomp):' /proc/self/status
  [ "$output" = $'CapEff:\t'"$DOCKER_CAPS"$'\nCapBnd:\t'"$DOCKER_CAPS"$'\nNoNewPrivs:\t1\nSeccomp:\t2' ]
  run -1 --separate-stderr "$SCRIPT" exec app /probe/probe mount
  [ "$output" = "mount: Operation not permitted" ]
}

@test "mounting a filesystem fails, and no mount appears in the container" {
  start_sleeper
  local before
  before=$(wc -l < "/proc/$PID/mountinfo")
  run -1 --separate-stderr "$SCRIPT" exec app /probe/probe mount
  [ "$output" = "mount: Operation not permitted" ]
  run -1 --separate-stderr "$SCRIPT" exec app /probe/probe mount-cgroup
  [ "$output" = "mount-cgroup: Operation not permitted" ]
  run --separate-stderr "$SCRIPT" exec app /bin/mount -t proc proc /mnt
  [ "$status" -ne 0 ]
  [ "$(wc -l < "/proc/$PID/mountinfo")" -eq "$before" ]
}

@test "a disk node made with mknod cannot be opened (devices cgroup), and /dev has no disks" {
  compile_probe
  run -1 --separate-stderr "$SCRIPT" run --rm app /probe/probe mknod-disk
  [ "$output" = "open-disk: Operation not permitted" ]
  compile_probe 'command: ["/bin/sh", "-c", "ls /dev"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [[ $output != *sd* && $output != *vd* && $output != *nvme* && $output != *loop* && $output != *mem* ]]
}

@test "cgroup v2 only: the same device allow-list, as a BPF program on the container's cgroup" {
  [ -n "$(awk '$9 == "cgroup2"' /proc/self/mountinfo)" ] || skip "no cgroup2 mount on this host"
  # /dev/kmsg (1:11) is a device this host has, outside the list
  compile_probe 'command: ["/bin/sh", "-c", "/probe/probe mknod-disk; echo x > /dev/null && head -c 1 /dev/zero | wc -c; mknod /tmp/kmsg c 1 11 && /probe/probe open /tmp/kmsg"]'
  run --separate-stderr v2_only "$SCRIPT" run --rm app
  [ "${lines[0]}" = "open-disk: Operation not permitted" ] || { echo "$output $stderr"; false; }
  [ "${lines[1]}" = 1 ]
  [ "${lines[2]}" = "open: Operation not permitted" ]
  # privileged: no program, every device
  compile_probe 'privileged: true' 'command: ["/bin/sh", "-c", "mknod /tmp/kmsg c 1 11 && /probe/probe open /tmp/kmsg"]'
  run -0 --separate-stderr v2_only "$SCRIPT" run --rm app
  [ "$output" = "open: ok" ] || { echo "$output $stderr"; false; }
}

# devices: the loop device appears as /dev/xvdc with the host node's numbers; it reads the
# file's first bytes, and (with w) writes through to the file on the host.
@test "devices: a host disk is usable in the container with rw, read-only with r (v1 devices cgroup)" {
  make_loop
  local numbers
  numbers=$(stat -c '%t:%T' "$LOOP")
  compile_probe "devices: [\"$LOOP:/dev/xvdc:rw\"]" 'command: ["/bin/sh", "-c", "stat -c \"%t:%T %F\" /dev/xvdc; head -c 5 /dev/xvdc; echo; printf WORLD | dd of=/dev/xvdc conv=notrunc,fsync 2>/dev/null && echo written"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "${lines[0]}" = "$numbers block special file" ] || { echo "$output $stderr"; false; }
  [ "${lines[1]}" = HELLO ]
  [ "${lines[2]}" = written ]
  [ "$(head -c 5 "$TEST_DIR/disk.img")" = WORLD ]
  compile_probe "devices: [\"$LOOP:/dev/xvdc:r\"]" 'command: ["/bin/sh", "-c", "head -c 5 /dev/xvdc; echo; /probe/probe open-write /dev/xvdc"]'
  run -1 --separate-stderr "$SCRIPT" run --rm app
  [ "${lines[0]}" = WORLD ]
  [ "${lines[1]}" = "open-write: Operation not permitted" ]
}

@test "cgroup v2 only: devices and device_cgroup_rules extend the BPF program" {
  [ -n "$(awk '$9 == "cgroup2"' /proc/self/mountinfo)" ] || skip "no cgroup2 mount on this host"
  make_loop
  local major minor
  read -r major minor < <(stat -c '%t %T' "$LOOP")
  major=$((16#$major)) minor=$((16#$minor))
  compile_probe "devices: [\"$LOOP:/dev/xvdc:r\"]" 'command: ["/bin/sh", "-c", "head -c 5 /dev/xvdc; echo; /probe/probe open-write /dev/xvdc"]'
  run -1 --separate-stderr v2_only "$SCRIPT" run --rm app
  [ "${lines[0]}" = HELLO ] || { echo "$output $stderr"; false; }
  [ "${lines[1]}" = "open-write: Operation not permitted" ]
  # a node the container makes itself: usable only as far as device_cgroup_rules says
  compile_probe "device_cgroup_rules: [\"b $major:* rw\"]" "command: [\"/bin/sh\", \"-c\", \"mknod /tmp/d b $major $minor && /probe/probe open-write /tmp/d && mknod /tmp/kmsg c 1 11 && /probe/probe open /tmp/kmsg\"]"
  run -1 --separate-stderr v2_only "$SCRIPT" run --rm app
  [ "${lines[0]}" = "open-write: ok" ] || { echo "$output $stderr"; false; }
  [ "${lines[1]}" = "open: Operation not permitted" ]
}

@test "device_cgroup_rules: a node made with mknod opens as far as the rule says (v1)" {
  make_loop
  local major minor
  read -r major minor < <(stat -c '%t %T' "$LOOP")
  major=$((16#$major)) minor=$((16#$minor))
  compile_probe "device_cgroup_rules: [\"b $major:$minor r\"]" "command: [\"/bin/sh\", \"-c\", \"mknod /tmp/d b $major $minor && head -c 5 /tmp/d && echo && /probe/probe open-write /tmp/d\"]"
  run -1 --separate-stderr "$SCRIPT" run --rm app
  [ "${lines[0]}" = HELLO ] || { echo "$output $stderr"; false; }
  [ "${lines[1]}" = "open-write: Operation not permitted" ]
}

@test "devices: a path that is no device node stops before anything is made" {
  compile_probe 'devices: ["/etc/hostname:/dev/xvdc"]'
  run -1 --separate-stderr "$SCRIPT" run --rm app
  [[ $stderr == *"the device /etc/hostname of service app (devices:): there is no such device node on this host"* ]] || { echo "$stderr"; false; }
  [ -z "$(leftovers_of "$PROJECT")" ]
}

@test "host processes are out of reach: not listed, not signalled, not traced, /proc/1/root is the container's" {
  sleep 1000 &
  local host_pid=$!
  start_sleeper
  run -0 --separate-stderr "$SCRIPT" exec app /bin/sh -c 'ls /proc | grep -c "^[0-9]"; readlink /proc/$$/root; ls /proc/$$/root/probe'
  kill "$host_pid"
  [ "${lines[0]}" -le 5 ] # init, sleep, sh, ls, grep
  [ "${lines[1]}" = / ]
  [ "${lines[2]}" = probe ] # the container's own root
  run -1 --separate-stderr "$SCRIPT" exec app /probe/probe ptrace "$host_pid"
  [ "$output" = "ptrace: No such process" ]
  run -1 --separate-stderr "$SCRIPT" exec app /probe/probe kill "$host_pid"
  [ "$output" = "kill: No such process" ]
}

@test "/proc/sys, /proc/sysrq-trigger are read-only and /proc/keys, /proc/timer_list are masked" {
  local panic
  panic=$(cat /proc/sys/kernel/panic)
  compile_probe 'command: ["/bin/sh", "-c", "echo 42 > /proc/sys/kernel/panic; [ ! -e /proc/sysrq-trigger ] || echo h > /proc/sysrq-trigger; wc -c < /proc/keys; wc -c < /proc/timer_list; grep -E \" /proc/(sys|keys) \" /proc/self/mounts"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [[ $stderr == *"/proc/sys/kernel/panic: Read-only file system"* ]]
  # (this VM's kernel has no sysrq; where it has one, the write must fail as read-only)
  [[ ! -e /proc/sysrq-trigger || $stderr == *"/proc/sysrq-trigger: Read-only file system"* ]]
  [ "${lines[0]}" -eq 0 ]
  [ "${lines[1]}" -eq 0 ]
  [[ $output == *"/proc/sys proc ro,"* ]]
  [ "$(cat /proc/sys/kernel/panic)" = "$panic" ]
  [ "$(wc -c < /proc/timer_list)" -gt 0 ] # the host's is not empty: the mask is the container's
}

@test "loading a kernel module fails (no CAP_SYS_MODULE, and the filter)" {
  local modules=none # (this VM's kernel has no module support: the filter answers first)
  if [[ -e /proc/modules ]]; then modules=$(wc -l < /proc/modules); fi
  compile_probe
  run -1 --separate-stderr "$SCRIPT" run --rm app /probe/probe finit-module
  [ "$output" = "finit-module: Operation not permitted" ]
  if [[ -e /proc/modules ]]; then [ "$(wc -l < /proc/modules)" -eq "$modules" ]; fi
}

@test "the seccomp filter refuses what Docker's profile refuses, even where the kernel would allow it" {
  compile_probe
  # keyctl, user namespaces and personality need no capability: only the filter stops them
  local attempt
  for attempt in keyctl userfaultfd bpf personality vsock unshare-user clone-user setns sethostname; do
    run -1 --separate-stderr "$SCRIPT" run --rm app /probe/probe "$attempt"
    [ "$output" = "$attempt: Operation not permitted" ] || { echo "$attempt: $output $stderr"; false; }
  done
  # seccomp:unconfined lifts exactly the filter: keyctl and userfaultfd then work, mount still fails (no CAP_SYS_ADMIN)
  compile_probe 'security_opt: ["seccomp:unconfined"]'
  # each of these is the filter's doing: without it, the kernel lets root in the container do them
  for attempt in keyctl unshare-user clone-user personality vsock; do
    run --separate-stderr "$SCRIPT" run --rm app /probe/probe "$attempt"
    [[ $output == "$attempt: ok" || ($attempt == vsock && $output == "vsock: Address family not supported by protocol") ]] || { echo "$attempt: $output $stderr"; false; }
  done
  run -1 --separate-stderr "$SCRIPT" run --rm app /probe/probe mount
  [ "$output" = "mount: Operation not permitted" ]
}

@test "a raw socket works by default and fails after cap_drop NET_RAW" {
  compile_probe
  run -0 --separate-stderr "$SCRIPT" run --rm app /probe/probe raw-socket
  [ "$output" = "raw-socket: ok" ]
  compile_probe 'cap_drop: [NET_RAW]'
  run -1 --separate-stderr "$SCRIPT" run --rm app /probe/probe raw-socket
  [ "$output" = "raw-socket: Operation not permitted" ]
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/grep CapBnd /proc/self/status
  [ "$output" = $'CapBnd:\t00000000a80405fb' ] # Docker's 14 without bit 13
}

@test "the container cannot change its own cgroup limits" {
  start_sleeper 'mem_limit: 64m'
  local limit
  limit=$(cgroup_file "$PROJECT-app-1" memory.limit_in_bytes || cgroup_file "$PROJECT-app-1" memory.max)
  run -0 --separate-stderr "$SCRIPT" exec app /bin/sh -c 'ls /sys/fs/cgroup | wc -l; echo max > /sys/fs/cgroup/memory.max; echo rc=$?'
  [ "${lines[0]}" -eq 0 ] # no cgroup filesystem in the container
  [ "${lines[1]}" = rc=1 ]
  run -1 --separate-stderr "$SCRIPT" exec app /probe/probe mount-cgroup
  [ "$(cat "$limit")" = 67108864 ]
}

@test "capabilities do not survive a change to a non-root user; setuid binaries grant nothing under no_new_privs" {
  compile_probe 'user: "1000:1000"' 'command: ["/bin/grep", "-E", "^Cap(Prm|Eff|Bnd)", "/proc/self/status"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = $'CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t'"$DOCKER_CAPS" ]
  # root that drops to 1000 itself loses them too
  compile_probe
  run -0 --separate-stderr "$SCRIPT" run --rm app /probe/probe setuid 1000
  [ "${lines[0]}" = $'after-setuid CapPrm:\t0000000000000000' ]
  [ "${lines[1]}" = $'after-setuid CapEff:\t0000000000000000' ]
  # a setuid-root copy of the probe, run by uid 1000: no_new_privs keeps euid 1000
  compile_probe 'command: ["/bin/sh", "-c", "cp /probe/probe /tmp/suid && chmod 4755 /tmp/suid && exec /probe/probe as 1000 /tmp/suid ids"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "uid=1000 euid=1000" ] || { echo "$output $stderr"; false; }
  # no-new-privileges:false lifts exactly that: the setuid bit works again
  compile_probe 'security_opt: ["no-new-privileges:false"]' 'command: ["/bin/sh", "-c", "cp /probe/probe /tmp/suid && chmod 4755 /tmp/suid && exec /probe/probe as 1000 /tmp/suid ids"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "uid=1000 euid=0" ] || { echo "$output $stderr"; false; }
}

@test "exec -u 1000 has no capabilities; exec as root has the workload's and no more" {
  start_sleeper 'cap_drop: [CHOWN]'
  run -0 --separate-stderr "$SCRIPT" exec -u 1000 app /bin/grep -E '^Cap(Prm|Eff)' /proc/self/status
  [ "$output" = $'CapPrm:\t0000000000000000\nCapEff:\t0000000000000000' ]
  run -0 --separate-stderr "$SCRIPT" exec app /bin/grep CapEff /proc/self/status
  [ "$output" = $'CapEff:\t'"$(cap_line "$PID" CapEff)" ]
  [ "$(cap_line "$PID" CapEff)" = 00000000a80425fa ] # without CHOWN (bit 0)
}

@test "cap_add NET_ADMIN allows network configuration and nothing else" {
  compile_probe 'command: ["/bin/ip", "link", "set", "lo", "mtu", "1400"]'
  run --separate-stderr "$SCRIPT" run --rm app
  [ "$status" -ne 0 ]
  [[ $stderr == *"Operation not permitted"* ]]
  compile_probe 'cap_add: [CAP_NET_ADMIN]' 'command: ["/bin/sh", "-c", "ip link set lo mtu 1400 && cat /sys/class/net/lo/mtu"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = 1400 ]
  run -1 --separate-stderr "$SCRIPT" run --rm app /probe/probe mount
  [ "$output" = "mount: Operation not permitted" ]
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/grep CapBnd /proc/self/status
  [ "$output" = $'CapBnd:\t00000000a80435fb' ] # plus bit 12
}

@test "cap_drop ALL with cap_add keeps only what cap_add names" {
  compile_probe 'cap_drop: [ALL]' 'cap_add: [KILL, net_bind_service]' 'command: ["/bin/grep", "-E", "^Cap(Eff|Bnd)", "/proc/self/status"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = $'CapEff:\t0000000000000420\nCapBnd:\t0000000000000420' ]
}

@test "privileged lifts the confinement: all capabilities, no filter, unmasked and writable /proc/sys and /sys" {
  compile_probe 'privileged: true' 'command: ["/bin/sh", "-c", "grep -E \"^(CapBnd|NoNewPrivs|Seccomp):\" /proc/self/status; /probe/probe mount; grep \" /sys \" /proc/self/mounts; grep -c \" /proc/sys \" /proc/self/mounts; wc -c < /proc/timer_list"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "${lines[0]}" = $'CapBnd:\t'"$(awk '$1 == "CapBnd:" {print $2}' /proc/self/status)" ] # all this host gives root
  [ "${lines[1]}" = $'NoNewPrivs:\t0' ]
  [ "${lines[2]}" = $'Seccomp:\t0' ]
  [ "${lines[3]}" = "mount: ok" ]
  [[ ${lines[4]} == "sysfs /sys sysfs rw,"* ]]
  [ "${lines[5]}" -eq 0 ] # no read-only bind over /proc/sys
  [ "${lines[6]}" -gt 0 ]
}

@test "systempaths=unconfined unmasks /proc and nothing else" {
  # (it makes /proc/sys writable for root, as in Docker: the test only looks)
  compile_probe 'security_opt: ["systempaths=unconfined"]' 'command: ["/bin/sh", "-c", "wc -c < /proc/timer_list; grep -c \" /proc/sys \" /proc/self/mounts; grep -E \"^(CapBnd|NoNewPrivs|Seccomp):\" /proc/self/status"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "${lines[0]}" -gt 0 ]
  [ "${lines[1]}" -eq 0 ]
  [ "${lines[2]}" = $'CapBnd:\t'"$DOCKER_CAPS" ]
  [ "${lines[3]}" = $'NoNewPrivs:\t1' ]
  [ "${lines[4]}" = $'Seccomp:\t2' ]
}

@test "read_only root with tmpfs: the root refuses writes, the tmpfs and volumes take them" {
  mkdir -p "$TEST_DIR/spec/data"
  compile_probe 'read_only: true' 'tmpfs: ["/run:size=4m,mode=1777", "/scratch:exec"]' 'volumes: ["./data:/data"]' \
    'command: ["/bin/sh", "-c", "touch /new; echo x > /run/x && echo run-ok; echo y > /data/y && echo data-ok; grep -E \" /(run|scratch) \" /proc/self/mounts; cp /bin/busybox /run/busybox && /run/busybox true; echo exec-run=$?; cp /bin/busybox /scratch/busybox && /scratch/busybox true && echo exec-scratch=0"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [[ $stderr == *"/new: Read-only file system"* ]]
  [ "${lines[0]}" = run-ok ]
  [ "${lines[1]}" = data-ok ]
  [[ ${lines[2]} == "tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=4096k"* ]]
  [[ ${lines[3]} == "tmpfs /scratch tmpfs rw,nosuid,nodev,relatime"* ]]
  [ "${lines[4]}" = exec-run=126 ]
  [ "${lines[5]}" = exec-scratch=0 ]
  [ "$(cat "$TEST_DIR/spec/data/y")" = y ]
}

@test "sysctls set the container's own values; the host's stay" {
  local host_value
  host_value=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)
  compile_probe 'sysctls: {net.ipv4.ip_unprivileged_port_start: "80", kernel.shmmni: 1000}' \
    'command: ["/bin/sh", "-c", "cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmni"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = $'80\n1000' ]
  [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" = "$host_value" ]
  [ "$(cat /proc/sys/kernel/shmmni)" != 1000 ]
}

@test "the helper on the host cannot be reached through /proc from inside (the CVE-2019-5736 class)" {
  # With init: true, the container's PID 1 is tupper-init, a host binary. It is not dumpable,
  # so a root process in the container can neither open its /proc/1/exe nor read its links.
  start_sleeper
  local sum
  sum=$(sha256sum < "$TUPPER_HELPER")
  run --separate-stderr "$SCRIPT" exec app /bin/sh -c 'readlink /proc/1/exe; echo x >> /proc/1/exe; cat /proc/1/exe > /dev/null; readlink /proc/1/fd/1; readlink /proc/1/cwd'
  [ "$status" -ne 0 ]
  [ -z "$output" ]
  [[ $stderr == *"/proc/1/exe: Permission denied"* ]]
  [ "$(sha256sum < "$TUPPER_HELPER")" = "$sum" ]
}

@test "user: a name from the image's /etc/passwd, with its groups and home; group_add adds more; unknown names fail" {
  # an image of our own with a user and groups in it
  cp -a "$ROOTFS" "$TEST_DIR/image"
  printf 'web:x:1500:1600:web server:/srv/web:/bin/sh\n' >> "$TEST_DIR/image/etc/passwd"
  printf 'webgrp:x:1600:\naudio:x:29:web\nvideo:x:44:other,web\nstaff:x:50:\n' >> "$TEST_DIR/image/etc/group"
  compile_spec app << EOF
name: $PROJECT
services:
  app:
    image: rootfs:$TEST_DIR/image
    network_mode: none
    user: web
    group_add: [staff, 4242]
    init: true
    command: ["/bin/sh", "-c", "id -u; id -g; id -G; env | grep ^HOME=; exec sleep 1000"]
EOF
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  sleep 0.2
  run -0 "$SCRIPT" logs app
  [ "$output" = $'1500\n1600\n1600 29 44 50 4242\nHOME=/srv/web' ] || { echo "$output"; false; }
  # exec runs as the same user, with the same groups; -u takes a name too
  run -0 --separate-stderr "$SCRIPT" exec app /bin/id -G
  [ "$output" = "1600 29 44 50 4242" ]
  run -0 --separate-stderr "$SCRIPT" exec -u root:staff app /bin/sh -c 'id -u; id -g'
  [ "$output" = $'0\n50' ]
  run -125 --separate-stderr "$SCRIPT" exec -u nobody-here app /bin/true
  [[ $stderr == *"unable to find user nobody-here: no matching entries in the container's /etc/passwd"* ]]
}

@test "x-tupper.userns: container root is an unprivileged host uid, owns the image's files, and cannot read host root's" {
  mkdir -p "$TEST_DIR/secret" "$TEST_DIR/shared"
  echo s3cret > "$TEST_DIR/secret/key"
  chmod 600 "$TEST_DIR/secret/key"
  chmod 777 "$TEST_DIR/shared"
  start_sleeper 'x-tupper: {userns: {host_uid: 300000, size: 65536}}' "volumes: [\"$TEST_DIR/secret:/secret:ro\", \"$TEST_DIR/shared:/shared\"]"
  # outside: PID 1 runs as host uid 300000, in a namespace that maps 0..65535 there
  [ "$(stat -c %u:%g "/proc/$PID")" = 300000:300000 ]
  [ "$(awk '{print $1, $2, $3}' "/proc/$PID/uid_map")" = "0 300000 65536" ]
  # inside (exec joins the namespace): root, owning the image's files and what it makes
  run -0 --separate-stderr "$SCRIPT" exec app /bin/sh -c 'id -u; stat -c %u:%g /bin/busybox /; touch /made && stat -c %u /made; touch /shared/f'
  [ "$output" = $'0\n0:0\n0:0\n0' ] || { echo "$output $stderr"; false; }
  [ "$(stat -c %u:%g "$TEST_DIR/shared/f")" = 300000:300000 ]
  # host root's private file, bound in, is not container root's to read
  run -1 --separate-stderr "$SCRIPT" exec app /bin/cat /secret/key
  [[ $stderr == *"Permission denied"* ]]
  # capabilities are Docker's, over the namespace's own things only; ports below 1024 still bind
  [ "$(cap_line "$PID" CapEff)" = "$DOCKER_CAPS" ]
  run -0 --separate-stderr "$SCRIPT" exec app /probe/probe bind 80
  [ "$output" = "bind: ok" ]
  run -0 --separate-stderr "$SCRIPT" exec -u 1000 app /bin/touch /shared/g
  [ "$(stat -c %u "$TEST_DIR/shared/g")" = 301000 ]
}

@test "x-tupper.userns on btrfs storage: the snapshot is idmapped, the image's files are root's inside" {
  use_btrfs_root
  compile_probe 'x-tupper: {userns: {host_uid: 300000, host_gid: 400000}}' 'command: ["/bin/sh", "-c", "id -u; id -g; stat -c %u:%g /bin/busybox; touch /made && stat -c %u:%g /made; cat /proc/self/gid_map"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "${lines[0]}" = 0 ] || { echo "$output $stderr"; false; }
  [ "${lines[1]}" = 0 ]
  [ "${lines[2]}" = 0:0 ]
  [ "${lines[3]}" = 0:0 ]
  [ "$(echo "${lines[4]}" | awk '{print $1, $2, $3}')" = "0 400000 65536" ]
}

# test/fixtures/seccomp/narrow.json: allow by default; each rule shows one part of the format.
@test "seccomp=PATH: a Docker-format profile's rules, argument conditions, capability and kernel conditions apply" {
  compile_probe "security_opt: [\"seccomp=$REPO/test/fixtures/seccomp/narrow.json\"]" 'command: ["/bin/sh", "-c", "mkdir /tmp/x 2>&1; /probe/probe personality; /probe/probe clone-user; /probe/probe bind 80; /probe/probe sethostname; chroot / /bin/true && echo chroot ok; mkdir -p /tmp 2>/dev/null; rmdir /tmp/nothing 2>&1; grep Seccomp: /proc/self/status"]'
  run --separate-stderr "$SCRIPT" run --rm app
  [ "${lines[0]}" = "mkdir: can't create directory '/tmp/x': Permission denied" ] || { echo "$output"; echo "$stderr"; false; }
  [ "${lines[1]}" = "personality: Operation not permitted" ]
  [ "${lines[2]}" = "clone-user: Operation not permitted" ]
  [ "${lines[3]}" = "bind: Address family not supported by protocol" ]
  [ "${lines[4]}" = "sethostname: Invalid argument" ]
  [ "${lines[5]}" = "chroot ok" ]
  [ "${lines[6]}" = "rmdir: '/tmp/nothing': No such file or directory" ]
  [ "${lines[7]}" = $'Seccomp:\t2' ]
  # the same probes without the profile: the default filter's answers
  compile_probe 'command: ["/bin/sh", "-c", "mkdir /tmp/x && echo made; /probe/probe bind 80; /probe/probe sethostname"]'
  run -1 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = $'made\nbind: ok\nsethostname: Operation not permitted' ] || { echo "$output"; false; }
}

# svc_confine's last line, privileged's, gives --caps and --seccomp again: the later ones win,
# a profile given before included (tupper-init drops it at a later --seccomp).
@test "privileged: true lifts a seccomp=PATH profile as it lifts the default filter, for the workload and for exec" {
  compile_probe "privileged: true" "security_opt: [\"seccomp=$REPO/test/fixtures/seccomp/narrow.json\"]" 'command: ["/bin/sh", "-c", "mkdir /tmp/x && echo made; grep -E \"^(Seccomp|NoNewPrivs):\" /proc/self/status; sleep 30"]'
  run -0 "$SCRIPT" up -d
  local tries=0
  until [[ $("$SCRIPT" logs app 2> /dev/null) == *NoNewPrivs* ]]; do ((tries++ < 100)) || break; sleep 0.1; done
  run -0 "$SCRIPT" logs app
  [ "$output" = $'made\nNoNewPrivs:\t0\nSeccomp:\t0' ] || { echo "$output"; false; }
  run -0 "$SCRIPT" exec app /bin/sh -c 'mkdir /tmp/y && echo made; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status'
  [ "$output" = $'made\nNoNewPrivs:\t0\nSeccomp:\t0' ] || { echo "$output"; false; }
  run -0 "$SCRIPT" down
}

@test "seccomp=PATH: an allow-list profile of every x86_64 syscall but mkdir runs busybox, and mkdir gets the default action" {
  node -e '
    import(process.argv[1]).then(({ SYSCALLS_X86_64 }) => {
      const names = Object.keys(SYSCALLS_X86_64).filter((n) => n !== "mkdir" && n !== "mkdirat");
      console.log(JSON.stringify({ defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 38, syscalls: [{ names, action: "SCMP_ACT_ALLOW" }] }));
    });' "$REPO/dist/src/model/syscalls.js" > "$TEST_DIR/allow-list.json"
  compile_probe "security_opt: [\"seccomp=$TEST_DIR/allow-list.json\"]" 'command: ["/bin/sh", "-c", "ls / > /dev/null && echo listed; mkdir /tmp/x"]'
  run -1 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = listed ] || { echo "$output $stderr"; false; }
  [[ $stderr == *"mkdir: can't create directory '/tmp/x': Function not implemented"* ]]
}

@test "seccomp=PATH: a profile that cannot be used is a compile error naming the file and the entry" {
  printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}' > "$TEST_DIR/spec/bad.json"
  run -2 node "$CLI" compile /dev/stdin -o "$TEST_DIR/bad.sh" <<< "services: {app: {image: rootfs:/, command: [/bin/true], security_opt: [\"seccomp=$TEST_DIR/spec/bad.json\"]}}"
  [[ $output == *"security_opt[0]: seccomp profile $TEST_DIR/spec/bad.json: syscalls[0].action: SCMP_ACT_NOTIFY needs a listener process"* ]] || { echo "$output"; false; }
  [ ! -e "$TEST_DIR/bad.sh" ]
}

@test "ulimits apply to the workload and to exec" {
  start_sleeper 'ulimits: {nofile: {soft: 100, hard: 200}, nproc: 300}'
  grep -E '^Max open files +100 +200 ' "/proc/$PID/limits"
  run -0 --separate-stderr "$SCRIPT" exec app /bin/sh -c 'ulimit -n; ulimit -Hn; ulimit -u'
  [ "$output" = $'100\n200\n300' ]
}
