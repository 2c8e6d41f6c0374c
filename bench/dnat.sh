#!/usr/bin/env bash
# bench/dnat.sh: what publishing a port and taking it back costs, per way of writing the
# DNAT rules, in ONE hyperfine run, in a network namespace of its own (the host's tables are
# not touched). Each row adds a container's rule and removes it again, so that the table is
# the same before every run; N other containers' rules are present throughout.
#   chain:   today's (the container's own chain, made with its rules and two jumps to it from
#            PREROUTING and OUTPUT; removed with -D -D -F -X)
#   network: one chain per network, made with the network; the container's rule is added with
#            -A and removed with -D of the same rule
# Usage: bench/dnat.sh [OTHERS...] (default: 0 50 200). Run as root.
set -euo pipefail
if [[ ${1:-} != --inside ]]; then
  exec unshare --net -- "$0" --inside "${@:-0 50 200}"
fi
shift
command -v hyperfine > /dev/null || { echo "dnat.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
ip link set lo up
work=$(mktemp -d /tmp/tupper-dnat.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The rules of container $1 (a number), its port 20000+$1, in the form $2 (chain, network).
rules_add() {
  local i=$1 form=$2 chain="TUPPER-c$1-DNAT"
  printf '*nat\n'
  if [[ $form == chain ]]; then
    printf ':%s - [0:0]\n' "$chain"
    printf -- '-A %s -p tcp -m tcp --dport %d -j DNAT --to-destination 172.17.0.2:80\n' "$chain" $((20000 + i))
    printf -- '-A PREROUTING -m addrtype --dst-type LOCAL -m comment --comment tupper:c%d -j %s\n' "$i" "$chain"
    printf -- '-A OUTPUT -m addrtype --dst-type LOCAL -m comment --comment tupper:c%d -j %s\n' "$i" "$chain"
  else
    printf -- '-A TUPPER-net-DNAT -p tcp -m tcp --dport %d -m comment --comment tupper:c%d -j DNAT --to-destination 172.17.0.2:80\n' $((20000 + i)) "$i"
  fi
  printf 'COMMIT\n'
}
rules_del() {
  local i=$1 form=$2 chain="TUPPER-c$1-DNAT"
  printf '*nat\n'
  if [[ $form == chain ]]; then
    printf -- '-D PREROUTING -m addrtype --dst-type LOCAL -m comment --comment tupper:c%d -j %s\n' "$i" "$chain"
    printf -- '-D OUTPUT -m addrtype --dst-type LOCAL -m comment --comment tupper:c%d -j %s\n' "$i" "$chain"
    printf -- '-F %s\n-X %s\n' "$chain" "$chain"
  else
    printf -- '-D TUPPER-net-DNAT -p tcp -m tcp --dport %d -m comment --comment tupper:c%d -j DNAT --to-destination 172.17.0.2:80\n' $((20000 + i)) "$i"
  fi
  printf 'COMMIT\n'
}

for others in "$@"; do
  for form in chain network; do
    iptables -t nat -F
    iptables -t nat -X
    iptables -t nat -N TUPPER-net-DNAT
    iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j TUPPER-net-DNAT
    iptables -t nat -A OUTPUT -m addrtype --dst-type LOCAL -j TUPPER-net-DNAT
    for ((i = 1; i <= others; i++)); do rules_add "$i" "$form" | iptables-restore --noflush; done
    rules_add 0 "$form" > "$work/add"
    rules_del 0 "$form" > "$work/del"
    # each timing starts from the table it needs: --prepare, one per command
    hyperfine -N --runs "${DNAT_RUNS:-30}" --warmup 3 --style none --export-markdown "$work/table.md" \
      --prepare "sh -c 'iptables-restore --wait --noflush < $work/del 2> /dev/null; true'" \
      -n "$form, $others others: publish" "sh -c 'iptables-restore --wait --noflush < $work/add'" \
      --prepare "sh -c 'iptables-restore --wait --noflush < $work/del 2> /dev/null; iptables-restore --wait --noflush < $work/add'" \
      -n "$form, $others others: take back" "sh -c 'iptables-restore --wait --noflush < $work/del'" > /dev/null
    tail -n +3 "$work/table.md"
  done
done
