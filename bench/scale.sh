#!/usr/bin/env bash
# Scale: 100 bridge containers started one after another (time, then every one reachable by
# its address, then `down` must leave nothing), and 200 idle containers (host-side memory
# per container). Runs in a network namespace of its own. Root, after `make build rootfs`.
set -euo pipefail
repo=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)
work=$(mktemp -d /tmp/tupper-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT
export TUPPER_ROOT="$work/root" TUPPER_RUN="$work/run" TUPPER_HELPER="$repo/helper/tupper-init"
cat > "$work/scale.yaml" << SPEC
name: scale
services:
  web:
    image: rootfs:$repo/build/rootfs
    init: true
    command: ["/bin/httpd", "-f", "-p", "80", "-h", "/etc"]
  idle:
    image: rootfs:$repo/build/rootfs
    command: ["/bin/sleep", "86400"]
    stop_signal: SIGKILL
SPEC
node "$repo/dist/src/cli.js" compile "$work/scale.yaml" -o "$work/scale.sh" 2> /dev/null

# shellcheck disable=SC2016 # the inner script expands its own variables
unshare --net -- bash -c '
  set -euo pipefail
  script=$1
  ip link set lo up
  "$script" run --rm web /bin/true > /dev/null 2>&1 # the image, imported once

  start=$EPOCHREALTIME
  for ((i = 0; i < 100; i++)); do "$script" run -d web > /dev/null 2> /dev/null; done
  end=$EPOCHREALTIME
  printf "100 bridge containers, run -d one after another: %.2f s\n" "$(awk -v a="$start" -v b="$end" "BEGIN {print b - a}")"
  reachable=0
  for lease in "$TUPPER_RUN"/networks/scale_default/leases/*; do
    if curl -s --max-time 2 "http://${lease##*/}/hostname" | grep -q scale-web-run; then reachable=$((reachable + 1)); fi
  done
  echo "reachable over HTTP by address from the host: $reachable of 100"
  start=$EPOCHREALTIME
  "$script" down > /dev/null 2>&1
  end=$EPOCHREALTIME
  printf "down: %.2f s; " "$(awk -v a="$start" -v b="$end" "BEGIN {print b - a}")"
  sleep 1
  echo "left: $(ip -br link | grep -c "^tp[bv]-" || true) interfaces, $(iptables-save | grep -c TUPPER || true) iptables lines, $(find "$TUPPER_RUN" -type f ! -name .lock ! -path "$TUPPER_RUN/helpers/*" ! -name host-facts ! -name 'private%*' | wc -l) record files (besides the helper sha256 stamp, the host facts and the check of the state directories, kept until reboot), $(grep -c "$TUPPER_RUN" /proc/self/mountinfo || true) mounts"

  used() { awk "/^MemTotal/ {t=\$2} /^MemAvailable/ {a=\$2} END {print t - a}" /proc/meminfo; }
  sync; echo 1 > /proc/sys/vm/drop_caches
  before=$(used)
  for ((i = 0; i < 200; i++)); do "$script" run -d idle > /dev/null 2> /dev/null; done
  sleep 2
  after=$(used)
  supervisors=0 workloads=0 n=0
  for f in "$TUPPER_RUN"/scale/*/pid; do
    read -r pid _ < "$f"
    child=$(cut -d" " -f1 "/proc/$pid/task/$pid/children")
    supervisors=$((supervisors + $(awk "/^Pss:/ {print \$2}" "/proc/$pid/smaps_rollup")))
    workloads=$((workloads + $(awk "/^Pss:/ {print \$2}" "/proc/$child/smaps_rollup")))
    n=$((n + 1))
  done
  echo "$n idle containers: host memory in use grew by $(((after - before) / n)) KiB per container;" \
    "of that the supervisor (tupper-init on the host side) is $((supervisors / n)) KiB Pss and the workload $((workloads / n)) KiB Pss;" \
    "the rest is the kernel (netns, veth, cgroups, overlay mount, page cache)"
  "$script" down > /dev/null 2>&1
' scale "$work/scale.sh"
