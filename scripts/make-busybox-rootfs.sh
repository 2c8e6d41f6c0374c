#!/usr/bin/env bash
# Makes a minimal root filesystem from the host's static busybox: /bin/busybox, a link per
# applet, and the directories a container expects. Usage: make-busybox-rootfs.sh DIR
set -euo pipefail
dir=${1:?usage: make-busybox-rootfs.sh DIR}
busybox=/bin/busybox
[[ -x $busybox ]] || { echo "make-busybox-rootfs: $busybox missing: apt-get install busybox-static" >&2; exit 1; }
tmp="$dir.tmp-$$"
rm -rf -- "$tmp"
mkdir -p -- "$tmp"/{bin,dev,etc,proc,sys,tmp,root,var/log}
chmod 1777 "$tmp/tmp"
cp -- "$busybox" "$tmp/bin/busybox"
for applet in $("$busybox" --list); do
  [[ $applet == busybox ]] || ln -s busybox "$tmp/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$tmp/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$tmp/etc/group"
rm -rf -- "$dir"
mv -- "$tmp" "$dir"
