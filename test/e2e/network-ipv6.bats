#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# Dual-stack networks (enable_ipv6) for real: IPv6 addresses, routes, names, published ports
# and isolation, with traffic only inside this suite's network namespace (the "host", see the
# Makefile) and the namespaces made here.
load helpers

# A spec with a dual-stack network "front" (IPv4 172.30.N.0/24, IPv6 fd00:N:1::/64, bridge
# tpc-N), web on it at the pinned fd00:N:1::10 publishing $1, a client on it, "other" on
# a second dual-stack network with a subnet tupper derives, and "plain" on the IPv4-only
# default network.
dual_stack_spec() {
  local n=$BATS_TEST_NUMBER
  cat << EOF
name: $PROJECT
services:
  web:
    image: rootfs:$ROOTFS
    init: true
    command: ["/bin/httpd", "-f", "-p", "80", "-h", "/etc"]
    ports: ["$1:80"]
    networks:
      front:
        ipv6_address: fd00:$n:1::10
  client:
    image: rootfs:$ROOTFS
    init: true
    command: ["/bin/true"]
    networks: [front]
  other:
    image: rootfs:$ROOTFS
    init: true
    command: ["/bin/true"]
    networks: [back]
  plain:
    image: rootfs:$ROOTFS
    init: true
    command: ["/bin/true"]
networks:
  front:
    enable_ipv6: true
    driver_opts:
      com.docker.network.bridge.name: tpc-$n
    ipam:
      config:
        - subnet: 172.30.$n.0/24
        - subnet: fd00:$n:1::/64
  back:
    enable_ipv6: true
EOF
}

# Whether process $1 ends (or is a zombie) within a few seconds of being signalled.
process_ends() {
  local i state
  for ((i = 0; i < 100; i++)); do
    state=$(awk '{print $3}' "/proc/$1/stat" 2> /dev/null) || return 0
    [[ $state != Z ]] || return 0
    sleep 0.05
  done
  return 1
}

@test "containers on a dual-stack network reach each other over IPv6 by name and by address, at the address the spec pinned" {
  local n=$BATS_TEST_NUMBER
  compile_spec app < <(dual_stack_spec 18180)
  run -0 "$SCRIPT" up -d web
  wait_running "$PROJECT-web-1"
  # outside: the bridge the spec named holds the gateway, the lease names web's container
  run -0 ip -6 addr show dev "tpc-$n"
  [[ $output == *"inet6 fd00:$n:1::1/64 scope global"* ]]
  [ "$(cat "$TUPPER_RUN/networks/${PROJECT}_front/leases/fd00:$n:1::10")" = "$PROJECT-web-1" ]
  # inside: its address, IPv6 on, the default route through the gateway
  run -0 --separate-stderr "$SCRIPT" run --rm client sh -c 'ip -6 addr show dev eth0; ip -6 route; cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6'
  [[ $output == *"inet6 fd00:$n:1::"*"/64 scope global"* ]]
  [[ $output == *"default via fd00:$n:1::1 dev eth0"* ]]
  [ "${lines[-1]}" = 0 ]
  # by name: /etc/hosts names web by both of its addresses; ping6 resolves the IPv6 one
  run -0 --separate-stderr "$SCRIPT" run --rm client cat /etc/hosts
  [[ $output == *$'\n'"fd00:$n:1::10"$'\t'"web $PROJECT-web-1"* ]]
  [[ $output == *$'\n'"172.30.$n.2"$'\t'"web $PROJECT-web-1"* ]]
  run -0 --separate-stderr "$SCRIPT" run --rm client ping6 -c 1 -W 3 web
  [[ $output == *"PING web (fd00:$n:1::10)"*"1 packets received"* ]]
  # by address: web's httpd answers over IPv6
  run -0 --separate-stderr "$SCRIPT" run --rm client timeout 3 wget -qO- "http://[fd00:$n:1::10]/hostname"
  [ "$output" = "$PROJECT-web-1" ]
  # and the host reaches it through its bridge
  [ "$(fetch "http://[fd00:$n:1::10]/hostname")" = "$PROJECT-web-1" ]
}

@test "an interface on an IPv4-only network has IPv6 disabled, as in Docker" {
  compile_spec app < <(dual_stack_spec 18181)
  run -0 --separate-stderr "$SCRIPT" run --rm plain sh -c 'cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6; ip -6 addr show dev eth0'
  [ "${lines[0]}" = 1 ]
  [[ $output != *inet6* ]]
}

@test "a port published on a dual-stack network answers over IPv6 on [::1], the host's address and from another host" {
  local n=$BATS_TEST_NUMBER
  make_peer
  ip addr add "fd98:$n::1/64" dev "$PEER_LINK" nodad
  on_peer ip addr add "fd98:$n::2/64" dev eth0 nodad
  compile_spec app < <(dual_stack_spec 18182)
  run -0 "$SCRIPT" up -d web
  wait_running "$PROJECT-web-1"
  [ "$(fetch_up "http://[fd98:$n::1]:18182/hostname")" = "$PROJECT-web-1" ]
  [ "$(on_peer curl -sS --max-time 3 "http://[fd98:$n::1]:18182/hostname")" = "$PROJECT-web-1" ]
  [ "$(fetch http://127.0.0.1:18182/hostname)" = "$PROJECT-web-1" ]
  # [::1]: through the relay (the kernel routes no loopback IPv6 to a bridge), twice at once
  local first second
  first=$(fetch "http://[::1]:18182/hostname") &
  second=$(fetch "http://[::1]:18182/hostname")
  wait
  [ "$second" = "$PROJECT-web-1" ]
  [ "$(fetch "http://[::1]:18182/hostname")" = "$PROJECT-web-1" ]
  local relay
  relay=$(awk '$1 == "proxy6" {print $2}' "$TUPPER_RUN/$PROJECT/$PROJECT-web-1/net")
  [ -n "$relay" ] && kill -0 "$relay"
  # the DNAT rule is in a chain of the container's own, gone with the container
  ip6tables-save -t nat | grep -q -- "--to-destination \[fd00:$n:1::10\]:80"
  # a one-off run --rm --service-ports on it starts too: its port is checked before the
  # relay binds it on [::1], not by tupper-init after (web's own container is stopped first)
  run -0 "$SCRIPT" stop web
  run -0 --separate-stderr "$SCRIPT" run --rm --service-ports web /bin/echo ran
  [ "$output" = ran ]
  run -0 "$SCRIPT" down
  run -0 ip6tables-save
  [[ $output != *TUPPER* ]]
  run fetch "http://[fd98:$n::1]:18182/hostname"
  [ "$status" -ne 0 ]
  run fetch "http://[::1]:18182/hostname"
  [ "$status" -eq 7 ]
  process_ends "$relay"
}

@test "after the script that started them is killed (SIGKILL), down removes the [::1] relay, the ip6tables rules and the bridge" {
  local n=$BATS_TEST_NUMBER
  compile_spec app < <(dual_stack_spec 18184)
  "$SCRIPT" up web > "$TEST_DIR/up.out" 2>&1 &
  local up=$!
  wait_running "$PROJECT-web-1"
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(fetch "http://[::1]:18184/hostname" 2> /dev/null)" != "$PROJECT-web-1" ] || break
    sleep 0.05
  done
  [ "$(fetch "http://[::1]:18184/hostname")" = "$PROJECT-web-1" ]
  local relay
  relay=$(awk '$1 == "proxy6" {print $2}' "$TUPPER_RUN/$PROJECT/$PROJECT-web-1/net")
  kill -KILL "$up"
  wait "$up" || true
  run -0 "$SCRIPT" down
  process_ends "$relay"
  run fetch "http://[::1]:18184/hostname"
  [ "$status" -eq 7 ]
  run -0 ip6tables-save
  [[ $output != *TUPPER* ]]
  run -0 ip -br link
  [[ $output != *"tpc-$n"* ]]
}

@test "a start SIGKILLed after its [::1] relay listens, before it records the relay's PID: down ends the relay, and not a user's process that forged its command line" {
  local n=$BATS_TEST_NUMBER forged user_pid
  compile_spec app < <(dual_stack_spec 18185)
  # an unprivileged user's process with the relay's very command line, leading a session
  forged=$(mktemp -d /tmp/tupper-forged.XXXXXX)
  chmod 0755 "$forged"
  printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' | gcc -x c -o "$forged/tupper-init" -
  setpriv --reuid=65534 --regid=65534 --clear-groups setsid "$forged/tupper-init" --proxy6 18185 "fd00:$n:1::10" 80 3>&- &
  user_pid=$!
  run_killed_at '"proxy6 $pid $port"' "$SCRIPT" up -d web
  [[ $(leftovers_of "$PROJECT") == *"process: "*"/run/helpers/"*" --proxy6 18185 "* ]] # the relay listens
  run -0 "$SCRIPT" down
  kill -0 "$user_pid" # the user's process is left alone
  kill "$user_pid" && wait "$user_pid" || true
  rm -rf "$forged"
  leftovers=$(leftovers_of "$PROJECT")
  [ -z "$leftovers" ] || { echo "$leftovers"; false; }
}

@test "a start SIGKILLed before its launch leaves what the next start undoes first: up -d works again, its relay answers, and down leaves nothing" {
  compile_spec app < <(dual_stack_spec 18186)
  # its ports, address, ip6tables rules and [::1] relay are made by then
  run_killed_at 'container_launch "$name"' "$SCRIPT" up -d web
  [[ $(leftovers_of "$PROJECT") == *"process: "*" --proxy6 18186 "* ]]
  run -0 "$SCRIPT" up -d web
  wait_running "$PROJECT-web-1"
  [ "$(fetch_up "http://[::1]:18186/hostname")" = "$PROJECT-web-1" ]
  run -0 "$SCRIPT" down
  leftovers=$(leftovers_of "$PROJECT")
  [ -z "$leftovers" ] || { echo "$leftovers"; false; }
}

@test "a dual-stack network is isolated from another one over IPv6; down leaves no bridge, rule or record" {
  local n=$BATS_TEST_NUMBER
  compile_spec app < <(dual_stack_spec 18183)
  run -0 "$SCRIPT" up -d web
  wait_running "$PROJECT-web-1"
  # other's network gets a ULA /64 derived from the names, and cannot reach web's
  run --separate-stderr "$SCRIPT" run --rm other sh -c 'ip -6 addr show dev eth0; timeout 2 wget -qO- "http://[fd00:'"$n"':1::10]/hostname"'
  [ "$status" -ne 0 ]
  [[ $output == *"inet6 fd"*"::"*"/64 scope global"* ]]
  [[ $output != *"$PROJECT-web-1"* ]]
  run -0 "$SCRIPT" down
  run -0 ip -br link
  [[ $output != *"tpc-$n"* && $output != *tpb-* ]]
  run -0 ip6tables-save
  [[ $output != *TUPPER* ]]
  [ -z "$(find "$TUPPER_RUN/networks" -mindepth 1 -maxdepth 1 -name "${PROJECT}_*")" ]
}
