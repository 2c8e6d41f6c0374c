#!/usr/bin/env bash
# bench/phases.sh: where `run --rm none` of specs/bench.yaml spends its time, phase by phase.
# Copies of generated/bench.sh each stop at one point of the start path (`trap - EXIT; exit
# 0` put at the start of one of its lines, so that no line moves and the lazy sections stay
# where SECTIONS says), and each copy runs RUNS times; the median of each, and the
# difference from the one before, is what that phase costs. A copy that stops before the
# container is removed leaves its records, which `down` removes at the end.
# It answers "what should the compiler settle next?". Run as root after `make build rootfs`.
# Each copy runs in a block of its own: in a loop that alternates them, the kernel's
# asynchronous end of one run's network namespace lands on the next copy's time.
set -euo pipefail
repo=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)
runs=${BENCH_RUNS:-60}
script="$repo/generated/bench.sh"

work=$(mktemp -d /tmp/tupper-phases.XXXXXX)
export TUPPER_ROOT="$work/root" TUPPER_RUN="$work/run" TUPPER_HELPER="$repo/helper/tupper-init"
cleanup() {
  "$work/gen/full.sh" down > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# the copies resolve the spec's ../build/rootfs from their own directory, as the script does
mkdir "$work/gen"
ln -s "$repo/build" "$work/build"

# NAME, then the start of the line (after its indentation) where that copy stops: the
# script's own text, in single quotes on purpose
# shellcheck disable=SC2016
points=(
  'parsed' '  require_service "$svc"'
  'preflight' "  printf -v name '%s-%s-run-%04x%04x'"
  'created' '  if ((remove)); then RM_ON_EXIT=$name; fi'
  'set up' '  container_launch "$name" "$@"'
  'launched' '  host exec "$TUPPER_HELPER" "${entry[@]}" "${HELPER_ARGS[@]}"'
)
names=('bash starts (bash -c :)') copies=(-)
for ((i = 0; i < ${#points[@]}; i += 2)); do
  line=$(awk -v start="${points[i + 1]}" 'index($0, start) == 1 { print NR; exit }' "$script")
  [[ -n $line ]] || { echo "phases: no line of $script starts with: ${points[i + 1]}" >&2; exit 1; }
  awk -v n="$line" 'NR == n { sub(/^ */, "&trap - EXIT; exit 0; ") } { print }' "$script" > "$work/gen/$i.sh"
  chmod 0755 "$work/gen/$i.sh"
  names+=("${points[i]}") copies+=("$work/gen/$i.sh")
done
cp "$script" "$work/gen/full.sh"
names+=('ended (tupper-init, the workload, its removal)') copies+=("$work/gen/full.sh")

printf '# Phases of run --rm none (specs/bench.yaml), %s on %s, %s runs each, median ms\n\n' "$(date +%F)" "$(hostname -s)" "$runs"
printf '| stops after | median | this phase |\n|---|---:|---:|\n'
previous=0
for i in "${!names[@]}"; do
  sleep 1
  samples=()
  for ((run = 0; run < runs + 3; run++)); do
    start=$EPOCHREALTIME
    if [[ ${copies[i]} == - ]]; then
      /bin/bash -c :
    elif ! "${copies[i]}" run --rm none > "$work/out" 2>&1; then # (each copy exits 0 where it stops)
      echo "phases: the copy that stops after '${names[i]}' failed:" >&2 && cat "$work/out" >&2 && exit 1
    fi
    end=$EPOCHREALTIME
    if ((run >= 3)); then samples+=("$((${end/./} - ${start/./}))"); fi
  done
  median=$(printf '%s\n' "${samples[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  awk -v name="${names[i]}" -v m="$median" -v p="$previous" 'BEGIN { printf "| %s | %.1f | %.1f |\n", name, m / 1000, (m - p) / 1000 }'
  previous=$median
done
