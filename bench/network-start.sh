#!/usr/bin/env bash
# Start latency by network mode, side by side in one hyperfine run: network none, a bridge
# network (already made by another container of the project), and a bridge with a published
# port. Runs in a network namespace of its own, so the host's network is not touched.
# Usage (root, after `make build rootfs`): bench/network-start.sh [RESULT.md]
set -euo pipefail
repo=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)
work=$(mktemp -d /tmp/tupper-bench.XXXXXX)
out=${1:-$work/network-start.md}
export TUPPER_ROOT="$work/root" TUPPER_RUN="$work/run" TUPPER_HELPER="$repo/helper/tupper-init"

spec() { # NAME MODE-LINES...
  local name=$1
  shift
  {
    printf 'name: %s\nservices:\n  app:\n    image: rootfs:%s\n    command: ["/bin/true"]\n' "$name" "$repo/build/rootfs"
    printf '    %s\n' "$@"
    printf '  keeper:\n    image: rootfs:%s\n    init: true\n    command: ["/bin/sleep", "3600"]\n' "$repo/build/rootfs"
  } > "$work/$name.yaml"
  node "$repo/dist/src/cli.js" compile "$work/$name.yaml" -o "$work/$name.sh" 2> /dev/null
}
spec none 'network_mode: none'
spec bridge
spec port 'ports: ["18090:80"]'

# shellcheck disable=SC2016 # the inner script expands its own arguments
unshare --net -- bash -c '
  set -e
  cd "$1"
  ip link set lo up
  for m in none bridge port; do ./$m.sh up -d keeper > /dev/null 2>&1; done
  hyperfine -N -w 5 -r 40 --export-markdown "$2" \
    --prepare true --prepare true --prepare "./none.sh rm -f app" --prepare "./bridge.sh rm -f app" --prepare "./port.sh rm -f app" \
    -n "run --rm, network none" "./none.sh run --rm app" \
    -n "run --rm, bridge" "./bridge.sh run --rm app" \
    -n "up -d, network none" "./none.sh up -d app" \
    -n "up -d, bridge" "./bridge.sh up -d app" \
    -n "up -d, bridge + published port" "./port.sh up -d app"
  for m in none bridge port; do ./$m.sh down > /dev/null 2>&1; done
' bench "$work" "$out"
cat "$out"
rm -rf "$work/root" "$work/run"
