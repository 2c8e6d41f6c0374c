#!/usr/bin/env bats
# The generated systemd units under a real systemd (PID 1): the VM lane (test/vm) runs
# these; on a host without systemd as PID 1 they skip (operations.bats and compose.bats run
# the units' commands by hand and check them with systemd-analyze there).
# bats file_tags=vm
bats_require_minimum_version 1.5.0
load helpers

# The units the test installed go, however it ends; then the helpers' teardown.
eval "helpers_$(declare -f teardown)"
teardown() {
  local unit status=0
  for unit in "${UNITS[@]}"; do
    systemctl disable --now "$unit" > /dev/null 2>&1 || true
    rm -f "/etc/systemd/system/$unit"
  done
  if ((${#UNITS[@]})); then systemctl daemon-reload; fi
  helpers_teardown || status=$?
  return "$status"
}
UNITS=()

# Writes the units of the compiled spec into /etc/systemd/system (UNITS lists them).
install_units() {
  run -0 --separate-stderr "$SCRIPT" systemd /etc/systemd/system
  mapfile -t UNITS < <(cd /etc/systemd/system && ls "tupper-$PROJECT-"*.service)
  ((${#UNITS[@]}))
}

@test "systemd: enable --now starts the container, systemctl stop stops it, and systemd-analyze verify is clean" {
  systemd_is_pid1 || skip "systemd is not PID 1 on this host (the VM lane runs this test)"
  compile_app 'network_mode: none' 'stop_grace_period: 2s' 'command: ["/bin/sh", "-c", "exec sleep 600"]'
  install_units
  local unit=tupper-$PROJECT-app.service
  run -0 --separate-stderr systemd-analyze verify "/etc/systemd/system/$unit"
  [ -z "$stderr$output" ]
  systemctl daemon-reload
  run -0 systemctl enable --now "$unit"
  wait_running "$PROJECT-app-1"
  systemctl is-active -q "$unit"
  systemctl is-enabled -q "$unit"
  [ -L "/etc/systemd/system/multi-user.target.wants/$unit" ]
  run -0 systemctl stop "$unit"
  run -0 "$SCRIPT" ps -a
  [[ $output == *"$PROJECT-app-1 "*" exited "* ]]
  ! systemctl is-active -q "$unit" || false
  # and start again: the same container runs
  run -0 systemctl start "$unit"
  wait_running "$PROJECT-app-1"
  run -0 systemctl disable --now "$unit"
  run -0 "$SCRIPT" ps -a
  [[ $output == *"$PROJECT-app-1 "*" exited "* ]]
}

@test "systemd: the restart policy stays tupper-init's; systemd neither restarts nor kills the container behind it" {
  systemd_is_pid1 || skip "systemd is not PID 1 on this host (the VM lane runs this test)"
  compile_app 'network_mode: none' 'restart: always' 'stop_grace_period: 2s' 'command: ["/bin/sh", "-c", "echo up; exec sleep 600"]'
  install_units
  local unit=tupper-$PROJECT-app.service pid
  systemctl daemon-reload
  systemctl start "$unit"
  wait_running "$PROJECT-app-1"
  # the workload dies: tupper-init restarts it; the unit stays active and systemd leaves it be
  pid=$("$SCRIPT" ps --json | sed -E 's/.*"Pid":([0-9]+).*/\1/')
  kill -KILL "$pid"
  for _ in $(seq 200); do [ "$(log_text "$PROJECT-app-1" | grep -c '^up$')" -ge 2 ] && break; sleep 0.05; done
  [ "$(log_text "$PROJECT-app-1" | grep -c '^up$')" -eq 2 ]
  wait_running "$PROJECT-app-1"
  systemctl is-active -q "$unit"
  # the container's processes are in its own cgroup, not the unit's (a oneshot that remains)
  [ -z "$(cat "/sys/fs/cgroup/system.slice/$unit/cgroup.procs" 2> /dev/null)" ]
  # systemctl stop stops it for good: no restart after it
  systemctl stop "$unit"
  sleep 1
  run -0 "$SCRIPT" ps -a
  [[ $output == *"$PROJECT-app-1 "*" exited "* ]]
  [ "$(log_text "$PROJECT-app-1" | grep -c '^up$')" -eq 2 ]
}

# A reboot of the guest (test/vm/run.sh boots the same disk twice): the first boot enables
# a project's unit and leaves it running; the second finds it started again by systemd at
# boot. The project lives in /var/lib/tupper-vm (the guest's own disk, kept across the
# reboot); its TUPPER_RUN is in /run, gone at reboot as on any host.
REBOOT_DIR=/var/lib/tupper-vm/reboot

# Sets PROJECT, SCRIPT, TUPPER_ROOT and TUPPER_RUN to the reboot test's project.
reboot_project() {
  PROJECT=vmreboot SCRIPT=$REBOOT_DIR/app.sh
  export TUPPER_ROOT=$REBOOT_DIR/root TUPPER_RUN=/run/tupper-vmreboot
  UNITS=(tupper-vmreboot-app.service)
}

# bats test_tags=vm
@test "systemd: before a reboot, enable --now starts the project (the next boot checks it came back)" {
  systemd_is_pid1 || skip "systemd is not PID 1 on this host (the VM lane runs this test)"
  [[ -d /var/lib/tupper-vm && -e /tupper-vm/out/phase ]] || skip "not the VM lane's guest (test/vm), whose disk outlives a reboot"
  rm -rf "$REBOOT_DIR"
  mkdir -p "$REBOOT_DIR/spec"
  local test_dir=$TEST_DIR
  reboot_project
  TEST_DIR=$REBOOT_DIR compile_spec app <<YAML
name: vmreboot
services:
  app:
    image: rootfs:$ROOTFS
    network_mode: none
    mem_limit: 24m
    command: ["/bin/sh", "-c", "echo booted; exec sleep 100000"]
YAML
  TEST_DIR=$test_dir
  run -0 --separate-stderr "$SCRIPT" systemd /etc/systemd/system
  systemctl daemon-reload
  systemctl enable --now tupper-vmreboot-app.service
  wait_running vmreboot-app-1
  # left running and enabled for the second boot: not this test's teardown's to remove
  UNITS=() SCRIPT='' PROJECT=none
}

# bats test_tags=vm-boot2
@test "systemd: after a reboot, the enabled unit has started the project again, under systemd's tupper.slice" {
  [[ $(cat /tupper-vm/out/phase 2> /dev/null) == 2 ]] || skip "runs in the VM lane's guest after its reboot (test/vm)"
  [[ -e $REBOOT_DIR/app.sh ]] || skip "no project of the first boot (its test did not run)"
  reboot_project
  # started by systemd during the boot, not by this test
  systemctl is-active -q tupper-vmreboot-app.service
  systemctl is-enabled -q tupper-vmreboot-app.service
  wait_running vmreboot-app-1
  log_text vmreboot-app-1 | grep -qx booted
  [ "$(cat "$(cgroup_file vmreboot-app-1 memory.max)")" = $((24 * 1024 * 1024)) ]
  [[ $(cgroup_file vmreboot-app-1 memory.max) == /sys/fs/cgroup/tupper.slice/tupper-container-vmreboot-app-1.scope/vmreboot-app-1/memory.max ]]
  systemctl stop tupper-vmreboot-app.service
  run -0 "$SCRIPT" ps -a
  [[ $output == *"vmreboot-app-1 "*" exited "* ]]
  systemctl disable tupper-vmreboot-app.service
  "$SCRIPT" down
  [ -z "$(leftovers_of vmreboot)" ]
  rm -rf "$REBOOT_DIR"
}
