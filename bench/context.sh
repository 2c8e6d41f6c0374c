#!/usr/bin/env bash
# make bench: how long tupper-init takes to hash a build context of 100,000 files (issue 23:
# "hashed in seconds, not minutes"), and, for scale, `tar -c | sha256sum` of the same tree
# (what sending a context to a builder costs at least), in one hyperfine run. The context is
# made once, in a directory of the benchmark's own: 1,000 directories of 100 files of 1 KiB,
# the page cache warm (the runs after hyperfine's warm-up read it from memory, as a rebuild
# does). Root not needed. Prints the table and appends it to bench/results/DATE-HOST.md.
set -euo pipefail
repo=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)
helper=$repo/helper/tupper-init
[[ -x $helper ]] || { echo "bench/context.sh: build the helper first (make build)" >&2; exit 1; }
command -v hyperfine > /dev/null || { echo "bench/context.sh: hyperfine is missing (scripts/install-deps.sh bench)" >&2; exit 1; }
work=$(mktemp -d /tmp/tupper-bench-context.XXXXXX)
trap 'rm -rf "$work"' EXIT
ctx=$work/ctx
# files written by bash itself (a cp per file would cost 100,000 forks)
kib=$(head -c 768 /dev/urandom | base64 -w 0)
for ((d = 0; d < 1000; d++)); do
  mkdir -p "$ctx/d$d"
  for ((f = 0; f < 100; f++)); do printf '%s\n' "$kib" > "$ctx/d$d/f$f"; done
done
printf 'x\n' > "$ctx/d0/changed" # so that no two runs share a cache of their own
count=$(find "$ctx" -type f | wc -l)
result="$repo/bench/results/$(date +%F)-$(hostname -s).md"
hyperfine --warmup 1 --runs "${BENCH_CONTEXT_RUNS:-5}" --export-markdown "$work/table.md" \
  -n "tupper-init context-hash ($count files)" "$helper context-hash --context $ctx" \
  -n "tar -c | sha256sum (the same tree)" "tar -C $ctx -cf - . | sha256sum"
{
  printf '\n## Hashing a build context of %d files\n\n' "$count"
  cat "$work/table.md"
} | tee -a "$result"
