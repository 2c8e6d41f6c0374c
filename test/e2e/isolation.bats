#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# What a container sees of the host: namespaces, the root, mounts, devices, identity.
load helpers

@test "the workload is PID 1 and sees only its own processes" {
  compile_app 'command: ["/bin/sh", "-c", "echo pid=$$$$; ls /proc | grep -c \"^[0-9]\""]'
  run --separate-stderr "$SCRIPT" run --rm app
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "pid=1" ]
  # sh, ls and grep at most; the host has far more
  [ "${lines[1]}" -le 3 ]
  [ "$(ls /proc | grep -c '^[0-9]')" -gt 10 ]
}

@test "hostname is the spec's, or the container's name by default" {
  compile_app 'hostname: box-1' 'command: ["/bin/sh", "-c", "hostname; echo $$HOSTNAME"]'
  run --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = $'box-1\nbox-1' ]
  compile_app 'command: ["/bin/hostname"]'
  run --separate-stderr "$SCRIPT" run --rm app
  [[ $output == "$PROJECT-app-run-"* ]]
  [ "$(hostname)" != "$output" ]
}

@test "root is pivoted: host paths are out of reach and the rootfs is the image" {
  echo secret > "$TEST_DIR/host-marker"
  compile_app 'command: ["/bin/sh", "-c", "cat '"$TEST_DIR"'/host-marker; ls /; cut -d\" \" -f5 /proc/self/mountinfo | grep -cx /"]'
  run --separate-stderr "$SCRIPT" run --rm app
  [[ $output != *secret* ]]
  [[ $stderr == *"No such file or directory"* ]]
  [[ $output == *bin* ]]
  [ "${lines[-1]}" -eq 1 ] # one root mount, no trace of the old root
}

@test "/proc, a tmpfs /dev with the standard nodes, devpts, shm and a read-only /sys" {
  compile_app 'command: ["/bin/sh", "-c", "ls /dev | tr \"\\n\" \" \"; echo; grep -E \" /(proc|dev|dev/pts|dev/shm|sys) \" /proc/self/mounts; echo x > /sys/kernel/x; echo rc=$?; head -c 4 /dev/zero | od -An -tx1"]'
  run --separate-stderr "$SCRIPT" run --rm app
  [[ ${lines[0]} == "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero " ]]
  [[ $output == *"proc /proc proc rw,nosuid,nodev,noexec"* ]]
  [[ $output == *"tmpfs /dev tmpfs rw,nosuid"* ]]
  [[ $output == *"devpts /dev/pts devpts"* ]]
  [[ $output == *"sysfs /sys sysfs ro,"* ]]
  [[ $stderr == *"Read-only file system"* ]]
  [[ $output == *" 00 00 00 00"* ]]
}

@test "network mode none: only lo, and it is up" {
  compile_app 'network_mode: none' 'command: ["/bin/sh", "-c", "ls /sys/class/net; ip -o link show lo; ping -c1 -W1 127.0.0.1 >/dev/null && echo ping-ok"]'
  run --separate-stderr "$SCRIPT" run --rm app
  [ "${lines[0]}" = "lo" ]
  [[ ${lines[1]} == *"<LOOPBACK,UP,LOWER_UP>"* ]]
  [ "${lines[2]}" = "ping-ok" ]
}

@test "user, working_dir and Docker's default environment apply" {
  compile_app 'user: "1000:1001"' 'working_dir: /srv/app' 'environment: {A: "1"}' \
    'command: ["/bin/sh", "-c", "id -u; id -g; id -G; pwd; env | sort"]'
  run --separate-stderr "$SCRIPT" run --rm app
  [ "${lines[0]}" = 1000 ]
  [ "${lines[1]}" = 1001 ]
  [ "${lines[2]}" = 1001 ] # supplementary groups cleared
  [ "${lines[3]}" = /srv/app ]
  [[ $output == *$'\nA=1\n'* ]]
  [[ $output == *$'\nHOME=/\n'* ]]
  [[ $output == *"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"* ]]
}

@test "no file descriptor of the host reaches the workload" {
  # The workload (PID 1, no shell, no pipeline that would hold descriptors of its own) lists
  # its own descriptors: 0 1 2 with their targets, and ls's one directory descriptor (whose
  # link busybox reads after closing it, so it has no target), nothing else.
  compile_app 'command: ["/bin/ls", "-l", "/proc/self/fd/"]'
  exec 7> "$TEST_DIR/open-file"
  run --separate-stderr "$SCRIPT" run --rm app
  exec 7>&-
  local fds
  fds=$(awk '/^l/ { if ($(NF - 1) == "->" && $NF !~ "^/proc/[0-9]+/fd$") printf "%s ", $(NF - 2); else printf "(ls) " }' <<< "$output")
  [ "$fds" = "0 1 2 (ls) " ]
}

@test "the cgroup namespace shows the container's cgroup as its root" {
  compile_app 'command: ["/bin/sh", "-c", "cut -d: -f3 /proc/self/cgroup | sort -u"]'
  run --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "/" ]
}

@test "uts and ipc namespaces are the container's own" {
  compile_app 'command: ["/bin/sh", "-c", "for n in uts ipc mnt net; do readlink /proc/self/ns/$$n; done"]'
  run --separate-stderr "$SCRIPT" run --rm app
  [ "${#lines[@]}" -eq 4 ]
  for ns in uts ipc mnt net; do
    [[ $output != *"$(readlink /proc/self/ns/$ns)"* ]]
  done
}
