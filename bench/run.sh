#!/usr/bin/env bash
# make bench: start-and-exit of /bin/true with tupper, runc, crun, bwrap and the bare
# unshare+chroot floor, side by side in ONE hyperfine run, on one busybox rootfs.
# Prints the table and the ratios tupper/runc and tupper/crun, and writes them with the
# machine's facts to bench/results/DATE-HOST.md. Run as root after `make build rootfs`.
# Everything runs in a network namespace of its own: the host's network is not touched.
set -euo pipefail
repo=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)
runs=${BENCH_RUNS:-40}
rootfs="$repo/build/rootfs"
script="$repo/generated/bench.sh"

# The peers, from Debian's packages.
declare -A needs=([runc]=runc [crun]=crun [bwrap]=bubblewrap [hyperfine]=hyperfine [strace]=strace)
missing=()
for cmd in "${!needs[@]}"; do command -v "$cmd" > /dev/null || missing+=("${needs[$cmd]}"); done
if ((${#missing[@]})); then
  echo "bench: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

work=$(mktemp -d /tmp/tupper-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export TUPPER_ROOT="$work/root" TUPPER_RUN="$work/run" TUPPER_HELPER="$repo/helper/tupper-init"

# The workload of the first-instruction table (bench/stamp.c), in the rootfs every row uses.
gcc -static -O2 -Wall -Wextra -Werror -o "$work/stamp" "$repo/bench/stamp.c"
install -m 0755 "$work/stamp" "$rootfs/bin/stamp"

# The OCI bundles runc and crun run: runc's default spec on the same rootfs, no terminal;
# bundle runs /bin/true, bundle-stamp runs /bin/stamp.
for workload in true stamp; do
  bundle="$work/bundle"
  [[ $workload == true ]] || bundle+="-$workload"
  mkdir -p "$bundle"
  (cd "$bundle" && runc spec)
  node -e '
    const fs = require("fs"), [file, rootfs, program] = process.argv.slice(1);
    const c = JSON.parse(fs.readFileSync(file, "utf8"));
    c.root = { path: rootfs, readonly: true };
    c.process.args = [program];
    c.process.terminal = false;
    fs.writeFileSync(file, JSON.stringify(c, null, 2));
  ' "$bundle/config.json" "$rootfs" "/bin/$workload"
done

# crun 1.8 refuses hosts with cgroup v1 and v2 mounted together ("hybrid"): there it runs
# in a mount namespace of its own with the v2 mount hidden, and that wrapper is timed alone too.
hybrid=0
if grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/self/mounts; then hybrid=1; fi

# The processes tupper's start path spawns, counted with strace.
# $1: the verb's arguments. Prints "forks N, execs N".
count_processes() {
  # shellcheck disable=SC2016 # the inner script expands its own arguments
  unshare --net -- bash -c 'ip link set lo up; "$1" up -d keeper > /dev/null 2>&1
    strace -f -qq -e trace=clone,clone3,fork,vfork,execve -o "$2" "${@:3}" > /dev/null; "$1" down > /dev/null 2>&1' \
    count "$script" "$work/strace" "$script" "$@"
  printf 'forks %s, execs %s' "$(grep -cE 'clone|fork' "$work/strace")" "$(grep 'execve(' "$work/strace" | grep -vc ENOENT)"
}

# The runtimes keep their state where a host keeps it, on a tmpfs (/run on a systemd host;
# this VM has no tmpfs there): TUPPER_RUN, and runc's and crun's --root. The tmpfs is in a
# mount namespace of the benchmark's own, and goes with it.
# shellcheck disable=SC2016 # the inner script expands its own arguments
unshare --net --mount -- bash -c '
  set -e
  script=$1 bundle=$2 rootfs=$3 runs=$4 json=$5 hybrid=$6 first_instruction=$7 work=$8
  ip link set lo up
  mkdir -p "$TUPPER_RUN"
  mount -t tmpfs -o mode=0755 bench-run "$TUPPER_RUN"
  runc="runc --root $TUPPER_RUN/runc" crun="crun --root $TUPPER_RUN/crun"
  trap '"'"'"$script" down > /dev/null 2>&1'"'"' EXIT # also when a row fails
  "$script" up -d keeper > /dev/null 2>&1 # the project network exists, as on a running host
  unhide="umount /sys/fs/cgroup/unified"
  args=(
    -n "floor: unshare -m -u -i -p -n -f chroot" "unshare -m -u -i -p -n -f chroot $rootfs /bin/true"
    -n "bwrap --unshare-all" "bwrap --unshare-all --bind $rootfs / --proc /proc --dev /dev /bin/true"
    -n "runc run" "$runc run --bundle $bundle tb-runc"
  )
  if ((hybrid)); then
    args+=(-n "crun run (in its wrapper)" "unshare -m sh -c \"$unhide && exec $crun run --bundle $bundle tb-crun\""
      -n "crun wrapper alone (unshare -m, umount v2)" "unshare -m sh -c \"$unhide && exec true\"")
  else
    args+=(-n "crun run" "$crun run --bundle $bundle tb-crun")
  fi
  args+=(
    -n "tupper run --rm, network none" "$script run --rm none"
    -n "tupper run --rm --service-ports, bridge + port" "$script run --rm --service-ports web"
  )
  hyperfine -w 5 -r "$runs" -N --export-json "$json" "${args[@]}" > /dev/null

  # The same rows to the first instruction of /bin/stamp.
  rows=(
    "floor: unshare -m -u -i -p -n -f chroot" "unshare -m -u -i -p -n -f chroot $rootfs /bin/stamp"
    "bwrap --unshare-all" "bwrap --unshare-all --bind $rootfs / --proc /proc --dev /dev /bin/stamp"
    "runc run" "$runc run --bundle $bundle-stamp tb-runc"
  )
  if ((hybrid)); then
    printf "#!/bin/sh\nexec unshare -m sh -c \"$unhide && exec $crun run --bundle $bundle-stamp tb-crun\"\n" > "$work/crun-wrapped"
    chmod +x "$work/crun-wrapped"
    rows+=("crun run (in its wrapper, one sh more)" "$work/crun-wrapped")
  else
    rows+=("crun run" "$crun run --bundle $bundle-stamp tb-crun")
  fi
  rows+=(
    "tupper run --rm, network none" "$script run --rm none /bin/stamp"
    "tupper run --rm --service-ports, bridge + port" "$script run --rm --service-ports web /bin/stamp"
  )
  "$first_instruction" "$runs" "${rows[@]}" > "$work/first-instruction.md"
' bench "$script" "$work/bundle" "$rootfs" "$runs" "$work/hyperfine.json" "$hybrid" "$repo/bench/first-instruction.sh" "$work"

processes_none=$(count_processes run --rm none)
processes_bridge=$(count_processes run --rm --service-ports web)
mkdir -p "$repo/bench/results"
out="$repo/bench/results/$(date +%F)-$(hostname -s).md"
node "$repo/bench/summarise.mjs" "$work/hyperfine.json" "$processes_none" "$processes_bridge" "$work/first-instruction.md" > "$out"
cat "$out"
echo "bench: written to ${out#"$repo"/}"
