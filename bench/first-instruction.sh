#!/bin/bash
# Time to the workload's first instruction: for each row, RUNS times, take the clock, start
# the runtime with bench/stamp as the workload (it prints the clock first thing in main),
# and keep the difference. Teardown after the workload is not in it (hyperfine's table
# has start-and-exit). Rows alternate run by run, so a slow moment of the VM hits them all.
# Usage: first-instruction.sh RUNS NAME COMMAND [NAME COMMAND...]; COMMAND is split on spaces.
# Prints one Markdown table row per NAME: mean, σ, min, median, max in ms.
set -euo pipefail
runs=$1
shift
names=() commands=()
while (($#)); do names+=("$1") commands+=("$2"); shift 2; done

declare -A samples=()
for ((run = 0; run < runs + 3; run++)); do # the first 3 rounds warm up and are dropped
  for i in "${!names[@]}"; do
    read -r -a command <<< "${commands[i]}"
    start=$EPOCHREALTIME
    stamp=$("${command[@]}" 2> /dev/null | tail -n 1)
    [[ $stamp =~ ^[0-9]+\.[0-9]{6}$ ]] || { echo "first-instruction: ${names[i]} printed no time: '$stamp'" >&2; exit 1; }
    if ((run >= 3)); then samples[$i]+="$((${stamp/./} - ${start/./})) "; fi
  done
done

for i in "${!names[@]}"; do
  # shellcheck disable=SC2086 # the samples are numbers separated by spaces
  printf '%s\n' ${samples[$i]} | sort -n | awk -v name="${names[i]}" '
    { v[NR] = $1 / 1000; sum += v[NR]; sq += v[NR] * v[NR] }
    END {
      mean = sum / NR; sd = sqrt(sq / NR - mean * mean)
      printf "| %s | %.1f | %.1f | %.1f | %.1f | %.1f |\n", name, mean, sd, v[1], v[int((NR + 1) / 2)], v[NR]
    }'
done
