#!/usr/bin/env bash
# Builds what `make test-vm` boots, from Debian packages only: the generic kernel
# (linux-image-amd64 names today's version; the cloud flavour has no 9p), unpacked with
# dpkg-deb, and a small initramfs (static busybox, the modules that reach the host's tree
# over 9p and the guest's own disk, and test/vm/stage1-init). Everything lands in build/vm/KEY, KEY being the kernel
# package and its version, so a second run reuses it. Prints KEY's directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

# linux-image-amd64 depends on exactly one linux-image-VERSION-amd64: that is the kernel
pkg=$(apt-cache depends linux-image-amd64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
[[ -n $pkg ]] || { echo "build-image: apt-cache names no kernel for linux-image-amd64 (run apt-get update)" >&2; exit 1; }
version=$(apt-cache policy "$pkg" | awk '$1 == "Candidate:" { print $2 }')
kver=${pkg#linux-image-}
key="${pkg}_${version}"
dir=$repo/build/vm/$key
mkdir -p "$dir"

if [[ ! -e $dir/k/.unpacked ]]; then
  rm -rf "$dir/k" "$dir/dl"
  mkdir -p "$dir/dl"
  # apt-get download writes into the current directory; _apt cannot write to a root-only one
  (cd "$dir/dl" && apt-get download -q "$pkg=$version" >&2)
  dpkg-deb -x "$dir"/dl/*.deb "$dir/k"
  depmod -b "$dir/k" "$kver"
  rm -rf "$dir/dl"
  touch "$dir/k/.unpacked"
fi

# The initramfs: rebuilt when stage1-init changes (it takes a second)
initrd=$dir/initrd.img
if [[ ! -e $initrd || test/vm/stage1-init -nt $initrd || test/vm/build-image.sh -nt $initrd ]]; then
  work=$(mktemp -d "$repo/build/vm/initrd.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work"/{bin,proc,sys,dev,lower,rw,newroot,lib/modules}
  cp /bin/busybox "$work/bin/busybox"
  dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' ||
    { echo "build-image: the initramfs needs a static busybox (apt-get install busybox-static)" >&2; exit 1; }
  # the modules, dependencies first, in the order modprobe would load them
  : > "$work/modules"
  while read -r kind path _; do
    [[ $kind == insmod ]] || continue
    name=${path##*/}
    grep -qx "$name" "$work/modules" || { cp "$path" "$work/lib/modules/$name"; echo "$name" >> "$work/modules"; }
  done < <(for m in virtio_pci 9pnet_virtio 9p overlay virtio_blk ext4; do modprobe -d "$dir/k" -S "$kver" --show-depends "$m"; done)
  cp test/vm/stage1-init "$work/init"
  chmod 0755 "$work/init"
  (cd "$work" && find . -mindepth 1 | LC_ALL=C sort | busybox cpio -o -H newc -R 0:0 2>/dev/null | gzip -1) > "$initrd.tmp"
  mv "$initrd.tmp" "$initrd"
fi
echo "$dir"
