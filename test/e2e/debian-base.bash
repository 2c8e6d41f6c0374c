# The Debian base image of the build tests and of bench/build.sh: a bookworm rootfs made by
# debootstrap (variant minbase) from this machine's Debian mirror, packed as a one-layer OCI
# image layout with umoci, in the shape of Docker Hub's debian:bookworm (Env PATH, Cmd bash,
# no apt lists). It is cached under the repository's build/ directory, keyed by everything it
# is made from, so a machine (and a CI run) pays for debootstrap once.
#
#   debian_base_layout OUT   OUT = the OCI image layout (tag bookworm); makes it if missing
#   debian_mirror OUT        OUT = the mirror: the URIs: line of the machine's apt sources
#
# Sourced by test/e2e/build-debian.bats and bench/build.sh (bash, set -e not assumed).
# shellcheck shell=bash

DEBIAN_BASE_SUITE=bookworm
DEBIAN_BASE_CACHE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/debian-base"

# OUT ($1) = the Debian mirror of this machine's apt sources (deb822 debian.sources, else the
# first deb line of sources.list), else deb.debian.org.
debian_mirror() {
  local -n mirror_out=$1
  local uri=''
  if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
    uri=$(awk '$1 == "URIs:" { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [[ -z $uri && -r /etc/apt/sources.list ]]; then
    uri=$(awk '$1 == "deb" && $2 !~ /^\[/ { print $2; exit } $1 == "deb" { print $3; exit }' /etc/apt/sources.list)
  fi
  # shellcheck disable=SC2034 # a nameref: the caller's variable
  mirror_out=${uri:-http://deb.debian.org/debian}
}

# Makes the layout in directory $1 (which must not exist) from mirror $2. Everything this
# function's text says is part of the cache key, so changing the recipe remakes the image.
debian_base_build() {
  local out=$1 mirror=$2 work
  work=$(mktemp -d "$DEBIAN_BASE_CACHE/.work.XXXXXX") || return 1
  # debootstrap mounts /proc and /sys in the target for package scripts; a mount namespace
  # of its own takes them away with it whatever happens
  if ! unshare --mount --propagation private -- \
    debootstrap --variant=minbase "$DEBIAN_BASE_SUITE" "$work/rootfs" "$mirror" > "$work/debootstrap.log" 2>&1; then
    echo "debian-base: debootstrap failed; its log:" >&2
    tail -n 20 "$work/debootstrap.log" >&2
    rm -rf "$work"
    return 1
  fi
  # as Docker's debian images: no downloaded packages, no package lists, no machine id
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"* "$work/rootfs/var/log/"*
  : > "$work/rootfs/etc/machine-id"
  rm -f "$work/rootfs/etc/hostname" "$work/rootfs/etc/resolv.conf"
  tar -C "$work/rootfs" --numeric-owner --xattrs --xattrs-include='*' -cf "$work/layer.tar" . &&
    umoci init --layout "$work/layout" &&
    umoci new --image "$work/layout:$DEBIAN_BASE_SUITE" &&
    umoci raw add-layer --image "$work/layout:$DEBIAN_BASE_SUITE" \
      --history.created_by "debootstrap --variant=minbase $DEBIAN_BASE_SUITE / $mirror" "$work/layer.tar" &&
    umoci config --image "$work/layout:$DEBIAN_BASE_SUITE" --no-history \
      --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.cmd bash &&
    umoci gc --layout "$work/layout" &&
    mv "$work/layout" "$out"
  local status=$?
  rm -rf "$work"
  return "$status"
}

# OUT ($1) = the cache key: sha256 of the suite, the mirror, the architecture, the versions of
# debootstrap and umoci, and the recipe above.
debian_base_key() {
  local -n key_out=$1
  local mirror=$2
  # shellcheck disable=SC2034 # a nameref: the caller's variable
  key_out=$({
    printf 'suite %s\nmirror %s\narch %s\n' "$DEBIAN_BASE_SUITE" "$mirror" "$(dpkg --print-architecture)"
    dpkg-query -W debootstrap umoci
    declare -f debian_base_build
  } | sha256sum | cut -c1-16)
}

# OUT ($1) = the path of the cached layout (tag bookworm), made first when it is missing.
# A lock makes concurrent callers (bats files, the benchmark) build it once; other keys'
# images are removed when a new one is made.
debian_base_layout() {
  local -n layout_out=$1
  local mirror key dir lock_fd status=0
  debian_mirror mirror
  debian_base_key key "$mirror"
  mkdir -p "$DEBIAN_BASE_CACHE" || return 1
  dir="$DEBIAN_BASE_CACHE/$key"
  exec {lock_fd}> "$DEBIAN_BASE_CACHE/.lock"
  flock "$lock_fd"
  if [[ ! -f $dir/index.json ]]; then
    find "$DEBIAN_BASE_CACHE" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
    echo "debian-base: making $DEBIAN_BASE_SUITE from $mirror with debootstrap into $dir (once per machine)" >&2
    debian_base_build "$dir" "$mirror" || status=$?
  fi
  exec {lock_fd}>&-
  # shellcheck disable=SC2034 # a nameref: the caller's variable
  layout_out=$dir
  return "$status"
}
