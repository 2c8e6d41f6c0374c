#!/usr/bin/env bash
# Prints how the helper was built, for helper/tupper-init.buildinfo: the exact command (run in
# tupper's source tree), the compiler and C library it used, and each source's sha256. The
# compiler copies these lines into every script it writes, so that a reviewer can rebuild the
# helper and compare its sha256 with the one the script pins.
# Usage: helper-buildinfo.sh COMMAND SOURCE...
set -euo pipefail
command=$1
shift
os=$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2>/dev/null || true)
libc=$(dpkg-query -W -f '${Version}' libc6-dev 2>/dev/null || ldd --version 2>/dev/null | head -n 1)
sources=''
for source in "$@"; do sources+="${sources:+, }$source sha256 $(sha256sum < "$source" | cut -d' ' -f1)"; done
printf '%s\n' \
  "tupper-init built in tupper's source tree with: $command" \
  "compiler: $(gcc --version | head -n 1); C library: libc6-dev $libc ($os)" \
  "sources: $sources" \
  "rebuild and compare: make helper && sha256sum helper/tupper-init"
