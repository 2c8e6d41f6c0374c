#!/usr/bin/env bash
# Installs what building and testing tupper need on a Debian host, skipping what is there.
# Used by `make deps` (and so by `make demo`, `make test` and .ci/run).
set -euo pipefail

# command that must exist → the Debian package that gives it
declare -A NEEDS=(
  [gcc]=gcc [make]=make [node]=nodejs [npm]=npm
  [unshare]=util-linux [setsid]=util-linux [flock]=util-linux [losetup]=mount
  [nsenter]=util-linux [ip]=iproute2 [iptables]=iptables [iptables-restore]=iptables [curl]=curl [mkfs.btrfs]=btrfs-progs [btrfs]=btrfs-progs
  [shellcheck]=shellcheck [zstd]=zstd [tar]=tar [gzip]=gzip [strace]=strace
  [docker-registry]=docker-registry [skopeo]=skopeo [umoci]=umoci [setfattr]=attr [mkfs.ext4]=e2fsprogs [criu]=criu
  [clang]=clang [debootstrap]=debootstrap [openssl]=openssl
)
# `install-deps.sh vm` (make test-vm): the test guest too. QEMU, kmod (modprobe and depmod
# for the guest's modules) and systemd, which the guest boots as PID 1 from this host's tree.
if [[ ${1:-} == vm ]]; then
  NEEDS+=([qemu-system-x86_64]=qemu-system-x86 [modprobe]=kmod [depmod]=kmod [systemctl]=systemd)
fi
# `install-deps.sh bench` (make bench): the peers of bench/build.sh. podman with runc (crun
# refuses hybrid cgroup hosts), and hyperfine.
if [[ ${1:-} == bench ]]; then
  NEEDS+=([podman]=podman [runc]=runc [hyperfine]=hyperfine)
fi
missing=()
for cmd in "${!NEEDS[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEEDS[$cmd]}")
done
# busybox-static: a one-file root filesystem for the demo and the tests
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || missing+=(busybox-static)
# bash's loadable builtins: the scripts make directories with its mkdir, and remove network
# records with its rm, where it is there (see loadable_builtin in templates/partials/host.sh); start-path.bats tests with and without
dpkg-query -W -f='${Status}' bash-builtins 2>/dev/null | grep -q 'ok installed' || missing+=(bash-builtins)
# libFuzzer (libclang_rt.fuzzer), for make test-fuzz
dpkg-query -W -f='${Status}' libclang-rt-dev 2>/dev/null | grep -q 'ok installed' || missing+=(libclang-rt-dev)
# glibc's static libraries, for the static helper
[[ -e /usr/lib/x86_64-linux-gnu/libc.a || -e /usr/lib/aarch64-linux-gnu/libc.a ]] || missing+=(libc6-dev)

if ((${#missing[@]})); then
  if [[ $EUID -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}; run as root or install them yourself" >&2
    exit 1
  fi
  mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "install-deps: installing ${packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

# npm packages, exactly as locked, when node_modules is missing or older than the lock file
if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules
fi
