#!/usr/bin/env bash
# bench/compare.sh REV: tupper's start paths at commit REV and in this checkout, side by side
# in ONE hyperfine run (network none; bridge with a published port), then the same rows to
# the workload's first instruction (bench/first-instruction.sh, rows alternating run by run).
# It answers "did this change slow the start?" on a busy machine too: every row meets the
# same load. Each side runs in a network namespace of its own, with its own TUPPER_ROOT and a
# TUPPER_RUN on a tmpfs (a systemd host's /run), its keeper container holding the bridge up.
# Run as root after `make build rootfs`. Prints a Markdown report.
set -euo pipefail
repo=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)
rev=${1:?usage: bench/compare.sh REV}
runs=${BENCH_RUNS:-30}
command -v hyperfine > /dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine > /dev/null; }

work=$(mktemp -d /tmp/tupper-compare.XXXXXX)
base="$work/base"
cleanup() {
  local side
  for side in base head; do
    if [[ -e /run/netns/tpcmp-$$-$side ]]; then
      nsenter --net="/run/netns/tpcmp-$$-$side" env TUPPER_ROOT="$work/$side-root" TUPPER_RUN="$work/$side-run" \
        TUPPER_HELPER="$(helper_of "$side")" "$(script_of "$side")" down > /dev/null 2>&1 || true
      umount "$work/$side-run" 2> /dev/null || true
      ip netns delete "tpcmp-$$-$side"
    fi
  done
  git -C "$repo" worktree remove --force "$base" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
script_of() { if [[ $1 == base ]]; then echo "$base/generated/bench.sh"; else echo "$repo/generated/bench.sh"; fi; }
helper_of() { if [[ $1 == base ]]; then echo "$base/helper/tupper-init"; else echo "$repo/helper/tupper-init"; fi; }

# REV's compiler, helper and bench script, built in a worktree of its own
git -C "$repo" worktree add -q --detach "$base" "$rev"
cp -a "$repo/node_modules" "$base/"
mkdir -p "$base/build" && ln -s "$repo/build/rootfs" "$base/build/rootfs"
make -C "$base" -s dist/.built helper/tupper-init > /dev/null
node "$base/dist/src/cli.js" compile "$base/specs/bench.yaml" -o "$base/generated/bench.sh" 2> /dev/null
gcc -static -O2 -o "$work/stamp" "$repo/bench/stamp.c" && install -m 0755 "$work/stamp" "$repo/build/rootfs/bin/stamp"

declare -A run_of=()
for side in base head; do
  ip netns add "tpcmp-$$-$side"
  ip netns exec "tpcmp-$$-$side" ip link set lo up
  mkdir -p "$work/$side-run" "$work/$side-root"
  mount -t tmpfs -o mode=0700 "tpcmp-$side" "$work/$side-run"
  run_of[$side]="nsenter --net=/run/netns/tpcmp-$$-$side env TUPPER_ROOT=$work/$side-root TUPPER_RUN=$work/$side-run TUPPER_HELPER=$(helper_of "$side") $(script_of "$side")"
  ${run_of[$side]} up -d keeper > "$work/$side-keeper.log" 2>&1 || { cat "$work/$side-keeper.log" >&2; exit 1; }
done

label_base="$rev ($(git -C "$repo" rev-parse --short "$rev"))" label_head="this checkout ($(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo +))"
hyperfine -N -w 5 -r "$runs" --export-markdown "$work/start.md" \
  -n "$label_base: run --rm none" "${run_of[base]} run --rm none" \
  -n "$label_head: run --rm none" "${run_of[head]} run --rm none" \
  -n "$label_base: run --rm --service-ports web" "${run_of[base]} run --rm --service-ports web" \
  -n "$label_head: run --rm --service-ports web" "${run_of[head]} run --rm --service-ports web" > /dev/null
"$repo/bench/first-instruction.sh" "$runs" \
  "$label_base: none" "${run_of[base]} run --rm none /bin/stamp" \
  "$label_head: none" "${run_of[head]} run --rm none /bin/stamp" \
  "$label_base: bridge + port" "${run_of[base]} run --rm --service-ports web /bin/stamp" \
  "$label_head: bridge + port" "${run_of[head]} run --rm --service-ports web /bin/stamp" > "$work/first.md"

printf '# tupper %s against %s, %s on %s (load average %s)\n\n' "$label_head" "$label_base" "$(date +%F)" "$(hostname -s)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '## Start and exit (hyperfine, %s runs each, one run)\n\n' "$runs"
cat "$work/start.md"
printf '\n## To the workload'"'"'s first instruction (ms)\n\n| row | mean | σ | min | median | max |\n|---|---:|---:|---:|---:|---:|\n'
cat "$work/first.md"
