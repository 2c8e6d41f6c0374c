#!/usr/bin/env bash
# `make test-vm`: boots a pure cgroup-v2 guest with systemd as PID 1 (QEMU; KVM where
# /dev/kvm is usable, TCG otherwise), whose root is this host's tree read-only over 9p under
# a tmpfs overlay, runs there the tests tagged "vm" in the files test/vm/tests lists (or the
# files given as arguments), and prints their TAP and one line: "vm: N passed, N failed".
# TAP: build/vm.tap; the guest's console: build/vm/console.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
timeout_s=${TUPPER_VM_TIMEOUT:-2700}
tags=${TUPPER_VM_TAGS:-vm}

# one line per file: FILE [REGEX] (see test/vm/tests)
if [[ ${TUPPER_VM_PROBE:-} == only ]]; then files=()
elif (($#)); then files=("$@"); else mapfile -t files < <(grep -v '^#' test/vm/tests | grep .); fi
dir=$(test/vm/build-image.sh)
kver=$(basename "$dir") kver=${kver%%_*} kver=${kver#linux-image-}

out=$(mktemp -d "$repo/build/vm/out.XXXXXX")
qpid=''
cleanup() {
  # timeout(1) passes the signal to qemu, its only child
  if [[ -n $qpid ]] && kill -0 "$qpid" 2>/dev/null; then kill "$qpid"; wait "$qpid" || true; fi
  rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
printf '%s\n' "${files[@]}" | grep . > "$out/files" || true
printf '%s\n' "$tags" > "$out/tags"
if [[ -n ${TUPPER_VM_PROBE:-} ]]; then : > "$out/probe"; fi

# One vCPU: under TCG a second one makes every fork and exec dearer (the TLB shootdowns
# between vCPUs stop both), measured in the guest: fork 29 ms with 2 vCPUs against 5 ms with
# 1, fork+exec of /bin/true 172 against 47 ms; and it leaves the host's other core to the
# host's own tests, which make test runs alongside.
accel=tcg,thread=${TUPPER_VM_THREAD:-multi}
if [[ -r /dev/kvm && -w /dev/kvm ]]; then accel=kvm; fi

# The guest's disk: the upper layer of its root and /var/lib/tupper-vm (see stage1-init),
# empty for each lane, kept from the first boot to the second.
truncate -s 2G "$out/disk.img"
mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 "$out/disk.img"

# boot N: boots the guest (N = 1, then 2: a reboot of the same machine), which runs the
# tests of phase N and powers off. BOOT_STATUS[N], BOOT_SECONDS[N]: qemu's status and time.
BOOT_STATUS=() BOOT_SECONDS=()
boot() {
  local started
  started=$(date +%s)
  echo "$1" > "$out/phase"
  timeout -k 10 "$timeout_s" qemu-system-x86_64 -machine q35 -accel "$accel" -cpu "${TUPPER_VM_CPU:-max}" -smp "${TUPPER_VM_SMP:-1}" -m 2G \
    -display none -monitor none -serial "file:$out/console$1.log" -no-reboot -nic none \
    -kernel "$dir/k/boot/vmlinuz-$kver" -initrd "$dir/initrd.img" \
    -append "console=ttyS0 panic=-1 quiet cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1 systemd.unit=tupper-vm.target systemd.show_status=0 tupper.repo=$repo tupper.kdir=$dir/k" \
    -drive "file=$out/disk.img,format=raw,if=virtio,cache=unsafe" \
    -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
    -virtfs "local,path=$out,mount_tag=out,security_model=none,multidevs=remap" &
  qpid=$!
  BOOT_STATUS[$1]=0
  wait "$qpid" || BOOT_STATUS[$1]=$?
  qpid=''
  BOOT_SECONDS[$1]=$(($(date +%s) - started))
  cp "$out/console$1.log" "build/vm/console$1.log" 2>/dev/null || true
}

# The second boot runs the tests tagged vm-boot2 (what must hold after a reboot), in the
# files that have some.
: > "$out/files2"
for line in "${files[@]}"; do
  file=${line%% *}
  if grep -q '^# bats test_tags=.*vm-boot2' "$file"; then echo "$file" >> "$out/files2"; fi
done
start=$(date +%s)
boot 1
if [[ -s $out/files2 && -e $out/done1 ]]; then boot 2; fi
elapsed=$(($(date +%s) - start))
cp "$out/boot.txt" build/vm/boot.txt 2>/dev/null || true
cp "$out/progress" build/vm/progress 2>/dev/null || true
cp "$out/profile" build/vm/profile 2>/dev/null || true

sed "s/^/vm: /" "$out/boot.txt" 2>/dev/null || true
: > build/vm.tap
# collect FILE NAME-SUFFIX: the TAP of one file of one boot
collect() {
  local file=$1 tap=$out/$2.tap err=$out/$2.err
  if [[ ! -s $tap ]]; then echo "not ok 1 $file: no TAP came back from the guest" >> build/vm.tap
  else
    cat "$tap" >> build/vm.tap
    # a file cut short: fewer results than its plan announced
    awk -v f="$file" '/^1\.\./ { split($0, p, "."); n = p[3] } /^(not )?ok / { r++ }
      END { if (n == "" || r < n) printf "not ok %d %s: the guest ran %d of %s tests\n", r + 1, f, r, n }' "$tap" >> build/vm.tap
  fi
  if [[ -s $err ]]; then sed 's/^/# stderr: /' "$err" >> build/vm.tap; fi
}
for line in "${files[@]}"; do
  file=${line%% *} name=${file##*/} name=${name%.bats}
  echo "# $line" >> build/vm.tap
  collect "$file" "$name"
done
while read -r file; do
  name=${file##*/} name=${name%.bats}
  echo "# $file, after a reboot (tests tagged vm-boot2)" >> build/vm.tap
  collect "$file" "$name.boot2"
done < "$out/files2"
cat build/vm.tap
for phase in 1 2; do
  [[ $phase == 1 || -s $out/files2 ]] || continue
  if [[ ! -e $out/done$phase ]]; then
    echo "vm: boot $phase did not finish (qemu status ${BOOT_STATUS[phase]:-none} after ${BOOT_SECONDS[phase]:-0}s; console: build/vm/console$phase.log)"
    echo "not ok 1 boot $phase of the guest finished its run" >> build/vm.tap
  fi
done
echo "vm: qemu ran ${elapsed}s ($accel; boots: ${BOOT_SECONDS[*]} s)"
awk '/^ok /{p++} /^not ok /{f++} END{printf "vm: %d passed, %d failed\n", p, f; exit f > 0}' build/vm.tap
