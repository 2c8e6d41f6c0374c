#!/usr/bin/env bash
# make bench: the same Dockerfile (bench/build/Dockerfile, FROM the debootstrap'd Debian base
# of the build tests) built by tupper and by `podman build`, cold (--no-cache: every step runs;
# the base image is already local for both) and fully cached (nothing changed), in ONE
# hyperfine run. Prints the table and the ratios tupper/podman, and writes them to
# bench/results/DATE-HOST-build.md. Goal (issue 23): cached rebuild <= 1 s and no slower than
# podman; cold within 1.2x of podman.
#
# podman is Debian's, with runc and cgroupfs (crun refuses hybrid cgroup hosts), storage of its
# own under the benchmark's directory, images named localhost/NAME. Everything after making the
# base (debootstrap needs the mirror) runs in a network namespace and a mount namespace of the
# benchmark's own: the registry, both builders' RUN networks and mounts go with them.
# Root, after `make build`.
set -euo pipefail
repo=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)
runs=${BENCH_BUILD_RUNS:-10}
# shellcheck disable=SC1091 # checked on their own (make test-shellcheck)
source "$repo/test/e2e/registry.bash"
# shellcheck disable=SC1091
source "$repo/test/e2e/debian-base.bash"

if [[ ${1:-} != --inside ]]; then
  "$repo/scripts/install-deps.sh" bench
  debian_base_layout layout
  exec unshare --net --mount --propagation private -- "$0" --inside "$layout"
fi
layout=$2

work=$(mktemp -d /tmp/tupper-bench-build.XXXXXX)
ip link set lo up
export TUPPER_ROOT="$work/root" TUPPER_RUN="$work/run" TUPPER_HELPER="$repo/helper/tupper-init"
mkdir -p "$TUPPER_RUN"
mount -t tmpfs -o mode=0755 bench-run "$TUPPER_RUN" # as /run is on a systemd host
podman=(podman --runtime runc --cgroup-manager=cgroupfs --events-backend=file
  --root "$work/podman/root" --runroot "$work/podman/run" --storage-driver overlay)
script="$work/build.sh"
cleanup() {
  if [[ -x $script ]]; then "$script" down > /dev/null 2>&1 || true; fi
  registry_stop "$work/registry"
  "${podman[@]}" rmi -a -f > /dev/null 2>&1 || true
  # what is still mounted under the work directory (the mount namespace goes anyway)
  awk -v w="$work" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r | xargs -r umount -l
  rm -rf "$work"
}
trap cleanup EXIT

# The base, in a registry on the namespace's loopback; the context: the Dockerfile and 500
# small files.
registry_start "$work/registry" 5000
base=127.0.0.1:5000/debian:bookworm
skopeo copy -q --dest-tls-verify=false "oci:$layout:bookworm" "docker://$base"
mkdir -p "$work/context/src"
cp "$repo/bench/build/Dockerfile" "$work/context/"
for i in $(seq 1 500); do printf 'file %d\n' "$i" > "$work/context/src/f$i.txt"; done

# podman: the base pulled once; one build fills the cache
"${podman[@]}" pull -q --tls-verify=false "$base" > /dev/null
podman_build=("${podman[@]}" build -q --build-arg "BASE=$base" -t localhost/bench-build)
"${podman_build[@]}" "$work/context" > /dev/null

# tupper: the same Dockerfile and context, one build to fill the cache
cat > "$work/build.yaml" << SPEC
name: benchbuild
services:
  app:
    image: localhost/bench-build
    build:
      context: ./context
      args:
        BASE: $base
SPEC
node "$repo/dist/src/cli.js" compile "$work/build.yaml" -o "$script" > /dev/null
"$script" build > /dev/null
tupper_rows=1
rows=(-n "tupper build --no-cache (cold)" "$script build --no-cache")
rows+=(-n "podman build --no-cache (cold)" "${podman_build[*]} --no-cache $work/context")
rows+=(-n "tupper build (cached)" "$script build")
rows+=(-n "podman build (cached)" "${podman_build[*]} $work/context")
hyperfine -w 1 -r "$runs" -N --export-json "$work/hyperfine.json" "${rows[@]}" > /dev/null

mkdir -p "$repo/bench/results"
out="$repo/bench/results/$(date +%F)-$(hostname -s)-build.md"
node - "$work/hyperfine.json" "$tupper_rows" "$runs" "$(podman --version)" "$(runc --version | head -n 1)" > "$out" << 'NODE'
const fs = require("fs");
const os = require("os");
const [file, tupperRows, runs, podman, runc] = process.argv.slice(2);
const results = JSON.parse(fs.readFileSync(file, "utf8")).results;
const s = (x) => x.toFixed(2);
const row = (re) => results.find((r) => re.test(r.command));
const load = os.loadavg().map((l) => l.toFixed(1)).join(" ");
const lines = [
  `# Building one Dockerfile: tupper and podman, ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
  "",
  `Machine: ${os.hostname()}, Linux ${os.release()}, ${os.cpus().length} CPUs, load average ${load} at the end (a shared machine: other work ran beside this).`,
  `Peer: ${podman} with ${runc}, --cgroup-manager=cgroupfs, overlay storage of its own. One hyperfine run, ${runs} runs of each row after 1 warm-up; bench/build/Dockerfile (3 layer steps, 500 context files), FROM the debootstrap'd Debian base in a loopback registry, already pulled by both; cold = --no-cache.`,
  "",
  "| Command | Mean [s] | σ [s] | Min [s] | Max [s] |",
  "|:---|---:|---:|---:|---:|",
  ...results.map((r) => `| ${r.command} | ${s(r.mean)} | ${s(r.stddev)} | ${s(r.min)} | ${s(r.max)} |`),
  "",
];
if (tupperRows === "1") {
  const ratio = (a, b) => (row(a).mean / row(b).mean).toFixed(2);
  const cached = row(/^tupper.*cached/).mean;
  lines.push(
    "| tupper ÷ podman | ratio | goal |",
    "|:---|---:|:---|",
    `| cold (--no-cache) | ${ratio(/^tupper.*cold/, /^podman.*cold/)} | ≤ 1.20 |`,
    `| cached | ${ratio(/^tupper.*cached/, /^podman.*cached/)} | ≤ 1.00, and ≤ 1 s (${s(cached)} s) |`,
  );
} else {
  lines.push("The compiled script has no build verb yet (issue 23): tupper's rows are missing, podman's stand alone.");
}
console.log(lines.join("\n"));
NODE
cat "$out"
echo "bench: written to ${out#"$repo"/}"
