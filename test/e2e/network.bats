#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# Networks for real: bridges, veth pairs, NAT and published ports, with traffic only inside
# this suite's network namespace (the "host", see the Makefile) and namespaces made here.
load helpers

# A spec of busybox services: name, then its YAML lines (each list is one service).
web_service() {
  # init: httpd as PID 1 would ignore SIGTERM, and every stop would wait out the grace period
  printf '  %s:\n    image: rootfs:%s\n    init: true\n    command: ["/bin/httpd", "-f", "-p", "80", "-h", "/etc"]\n' "$1" "$ROOTFS"
  shift
  printf '    %s\n' "$@"
}

# The address container $1 holds on network $2 of this project (from its lease).
address_of() {
  grep -lx "$1" "$TUPPER_RUN/networks/${PROJECT}_$2/leases/"* | xargs -n1 basename
}

@test "services on one network reach each other by name; services on another network cannot, by name or address" {
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    web_service web
    web_service hidden 'networks: [isolated]'
    # init: timeout's SIGTERM would not end wget as PID 1
    printf '  client:\n    image: rootfs:%s\n    init: true\n    command: ["/bin/true"]\n' "$ROOTFS"
    printf 'networks:\n  isolated: {}\n'
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  run -0 "$SCRIPT" up -d web hidden
  wait_running "$PROJECT-web-1"
  wait_running "$PROJECT-hidden-1"
  run -0 --separate-stderr "$SCRIPT" run --rm client timeout 3 wget -qO- http://web/hostname
  [ "$output" = "$PROJECT-web-1" ]
  # by container name too, as Docker's DNS answers
  run -0 --separate-stderr "$SCRIPT" run --rm client timeout 3 wget -qO- "http://$PROJECT-web-1/hostname"
  [ "$output" = "$PROJECT-web-1" ]
  run --separate-stderr "$SCRIPT" run --rm client timeout 3 wget -qO- http://hidden/hostname
  [ "$status" -ne 0 ]
  [[ $output != *hidden* ]]
  run -0 --separate-stderr "$SCRIPT" run --rm client cat /etc/hosts
  [[ $output == *$'\tweb '* && $output != *hidden* ]]
  local hidden_ip web_ip
  hidden_ip=$(address_of "$PROJECT-hidden-1" isolated)
  web_ip=$(address_of "$PROJECT-web-1" default)
  run -0 --separate-stderr "$SCRIPT" run --rm client timeout 3 wget -qO- "http://$web_ip/hostname"
  run --separate-stderr "$SCRIPT" run --rm client timeout 2 wget -qO- "http://$hidden_ip/hostname"
  [ "$status" -ne 0 ]
  [[ $output != *hidden* ]]
  # the host itself reaches both (it routes to its bridges)
  [ "$(fetch "http://$hidden_ip/hostname")" = "$PROJECT-hidden-1" ]
}

@test "a published port answers on the host's loopback, its own address, and from another host" {
  make_peer
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    web_service web 'ports: ["18080:80", "127.0.0.1:18081:80", "80"]'
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-web-1"
  [ "$(fetch_up http://127.0.0.1:18080/hostname)" = "$PROJECT-web-1" ]
  [ "$(fetch "http://$HOST_IP:18080/hostname")" = "$PROJECT-web-1" ]
  [ "$(on_peer curl -sS --max-time 3 "http://$HOST_IP:18080/hostname")" = "$PROJECT-web-1" ]
  # bound to 127.0.0.1: answers there, not from another host
  [ "$(fetch http://127.0.0.1:18081/hostname)" = "$PROJECT-web-1" ]
  run on_peer curl -sS --max-time 2 "http://$HOST_IP:18081/hostname"
  [ "$status" -ne 0 ]
  # no host port given: one from the ephemeral range, shown by ps
  run -0 --separate-stderr "$SCRIPT" ps
  [[ $output == *"0.0.0.0:18080->80/tcp, 127.0.0.1:18081->80/tcp, 0.0.0.0:"*"->80/tcp"* ]]
  local random_port
  random_port=$(grep -o '0\.0\.0\.0:[0-9]*->80/tcp$' <<< "${lines[1]}" | cut -d: -f2 | cut -d- -f1)
  ((random_port >= 32768 && random_port <= 60999))
  [ "$(on_peer curl -sS --max-time 3 "http://$HOST_IP:$random_port/hostname")" = "$PROJECT-web-1" ]
  # stop takes the ports away; start gives them back
  run -0 "$SCRIPT" stop
  run fetch http://127.0.0.1:18080/hostname
  [ "$status" -ne 0 ]
  ! iptables-save | grep -q "tupper:$PROJECT-web-1" || false
  run -0 "$SCRIPT" start
  wait_running "$PROJECT-web-1"
  [ "$(fetch_up http://127.0.0.1:18080/hostname)" = "$PROJECT-web-1" ]
}

@test "a udp port is published too: a datagram sent to it arrives in the container" {
  # busybox has no UDP server; the container's own UDP counters show the datagram arrived
  # (at a port nothing listens on: NoPorts counts it).
  compile_app 'ports: ["15353:53/udp"]' 'init: true' 'command: ["/bin/sleep", "600"]'
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  local pid before after
  pid=$("$SCRIPT" ps | awk -v n="$PROJECT-app-1" '$1 == n {print $4}')
  udp_no_ports() { awk '/^Udp: [0-9]/ {print $3}' "/proc/$pid/net/snmp"; }
  before=$(udp_no_ports)
  echo datagram > /dev/udp/127.0.0.1/15353
  echo datagram > /dev/udp/127.0.0.1/15354 # not published: does not arrive
  sleep 0.2
  after=$(udp_no_ports)
  [ "$after" -eq $((before + 1)) ]
}

@test "a port taken on the host stops the start with a clear error, and nothing is left" {
  mkdir -p "$TEST_DIR/www"
  busybox httpd -f -p 127.0.0.1:18082 -h "$TEST_DIR/www" > /dev/null 2>&1 3>&- &
  PEER_PIDS+=($!)
  sleep 0.2
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    web_service web 'ports: ["18082:80"]'
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  run --separate-stderr "$SCRIPT" up -d
  [ "$status" -eq 1 ]
  [[ $stderr == *"port 18082/tcp is taken by a process on this host"* ]]
  run -0 --separate-stderr "$SCRIPT" ps -a
  [ "${#lines[@]}" -eq 1 ] # the heading only: the failed start was undone
  [ -z "$(leftovers_of "$PROJECT")" ]
  # a foreground run without --rm is checked by the script, as up -d is: nothing is left
  run --separate-stderr "$SCRIPT" run --service-ports web /bin/true
  [ "$status" -eq 1 ]
  [[ $stderr == *"port 18082/tcp is taken by a process on this host"* ]]
  run -0 --separate-stderr "$SCRIPT" ps -a
  [ "${#lines[@]}" -eq 1 ]
  # run --rm's tupper-init checks the port itself (--check-port): 125, as docker run, with
  # the same words, and nothing left either; a range is still tried port by port. Its DNAT
  # rules wait for tupper-init's word that the port is free (--ports-free), so they never go
  # in, not even for a moment, in front of the process that holds the port: every
  # iptables-restore the script runs is logged here, and none had them.
  mkdir "$TEST_DIR/bin"
  printf '#!/bin/sh\ntee -a %s | exec %s "$@"\n' "$TEST_DIR/restore.log" "$(command -v iptables-restore)" > "$TEST_DIR/bin/iptables-restore"
  chmod +x "$TEST_DIR/bin/iptables-restore"
  PATH="$TEST_DIR/bin:$PATH" run --separate-stderr "$SCRIPT" run --rm --service-ports web /bin/true
  [ "$status" -eq 125 ]
  [[ $stderr == *"port 18082/tcp is taken by a process on this host"* ]]
  [ ! -e "$TEST_DIR/restore.log" ] || ! grep -q -e '--dport 18082' "$TEST_DIR/restore.log" || false
  run -0 --separate-stderr "$SCRIPT" ps -a
  [ "${#lines[@]}" -eq 1 ]
  [ -z "$(leftovers_of "$PROJECT")" ]
  [ -z "$(iptables-save -t nat | grep -e "tupper:$PROJECT" -e 18082)" ]
}

@test "tupper-init --port-free: a TCP listener on any address, an IPv6-only one and a bound UDP socket hold a port; TIME_WAIT does not" {
  run -0 "$TUPPER_HELPER" --port-free tcp 18083
  # A server on 127.0.0.1:18083 that closes its one connection first (so the connection waits
  # in TIME_WAIT on port 18083), then stops listening when it reads "stop" on its stdin.
  mkfifo "$TEST_DIR/control"
  node -e '
    const net = require("net");
    const server = net.createServer((c) => c.end("x")).listen(18083, "127.0.0.1", () => {
      const client = net.connect(18083, "127.0.0.1", () => console.log("up"));
      client.on("data", () => {}).on("end", () => client.end());
    });
    process.stdin.on("data", () => server.close(() => console.log("closed")));
  ' < "$TEST_DIR/control" > "$TEST_DIR/server" 3>&- &
  PEER_PIDS+=($!)
  exec {control}> "$TEST_DIR/control"
  for _ in $(seq 50); do grep -q up "$TEST_DIR/server" && break; sleep 0.1; done
  run -1 "$TUPPER_HELPER" --port-free tcp 18083
  run -0 "$TUPPER_HELPER" --port-free udp 18083 # another protocol's port
  echo stop >&"$control"
  for _ in $(seq 50); do grep -q closed "$TEST_DIR/server" && break; sleep 0.1; done
  exec {control}>&-
  [[ $(cat /proc/net/tcp) == *":46A3 "*" 06 "* ]] # 0x46A3 = 18083, 06 = TIME_WAIT
  run -0 "$TUPPER_HELPER" --port-free tcp 18083
  node -e 'require("net").createServer().listen({ port: 18084, host: "::1", ipv6Only: true }, () => console.log("up"))' > "$TEST_DIR/v6" 3>&- &
  PEER_PIDS+=($!)
  node -e 'require("dgram").createSocket("udp4").bind(18085, () => console.log("up"))' > "$TEST_DIR/udp" 3>&- &
  PEER_PIDS+=($!)
  for _ in $(seq 50); do grep -q up "$TEST_DIR/v6" && grep -q up "$TEST_DIR/udp" && break; sleep 0.1; done
  run -1 "$TUPPER_HELPER" --port-free tcp 18084
  run -1 "$TUPPER_HELPER" --port-free udp 18085
  run -125 "$TUPPER_HELPER" --port-free sctp 18085
  [[ $output == *"protocol sctp is not tcp or udp"* ]]
}

# helper/veth.c: a container's veth pairs, made by its tupper-init with route netlink. In a
# network namespace of the test's own, with a bridge of its own: both go with the namespace.
@test "tupper-init --veth: the host end is up on the bridge, the other end in the container with its MAC; a taken name, a master that is no bridge and a bad MAC stop it with the call and the reason" {
  cat > "$TEST_DIR/veth.sh" << 'EOF'
set -u
helper=$1 rootfs=$2
ip link add tvb0 type bridge && ip link set tvb0 up && ip addr add 10.77.0.1/24 dev tvb0
# the pair: inside, eth0 with its MAC and address, and the gateway through it
"$helper" --unshare mount,uts,ipc,pid,cgroup,net --rootfs "$rootfs" --veth eth0 tpv-t0 tvb0 --mac eth0 02:42:0A:4D:00:02 \
  --ip eth0 10.77.0.2/24 --gateway 10.77.0.1 -- /bin/sh -c 'cat /sys/class/net/eth0/address; ping -c 1 -W 2 10.77.0.1 > /dev/null && echo reached; ls /sys/class/net | tr "\n" " "; echo'
echo "status $?"
# outside, while a container holds it: the host end, on the bridge and up
"$helper" --unshare mount,uts,ipc,pid,cgroup,net --rootfs "$rootfs" --veth eth0 tpv-t1 tvb0 -- /bin/sleep 5 &
# (ip, not /sys/class/net: that shows the namespace that mounted /sys)
for _ in $(seq 100); do ip link show tpv-t1 > /dev/null 2>&1 && break; sleep 0.05; done
link=$(ip -o link show tpv-t1)
case $link in *[\<,]UP[,\>]*" master tvb0 "*) echo "master tvb0 up" ;; *) echo "$link" ;; esac
# a name that is taken on the host
"$helper" --unshare mount,uts,ipc,pid,cgroup,net --rootfs "$rootfs" --veth eth0 tpv-t1 tvb0 -- /bin/true
echo "status $?"
kill %1; wait
# a master that is no bridge
"$helper" --unshare mount,uts,ipc,pid,cgroup,net --rootfs "$rootfs" --veth eth0 tpv-t2 lo -- /bin/true
echo "status $?"
# a MAC that is not one
"$helper" --unshare mount,uts,ipc,pid,cgroup,net --rootfs "$rootfs" --veth eth0 tpv-t3 tvb0 --mac eth0 ' 2: 4:ac:11:00:02' -- /bin/true
echo "status $?"
EOF
  run -0 unshare --net -- bash "$TEST_DIR/veth.sh" "$TUPPER_HELPER" "$ROOTFS"
  [ "${lines[0]}" = 02:42:0a:4d:00:02 ]
  [ "${lines[1]}" = reached ]
  [ "${lines[2]}" = "eth0 lo " ]
  [ "${lines[3]}" = "status 0" ]
  [ "${lines[4]}" = "master tvb0 up" ]
  [ "${lines[5]}" = "tupper-init: RTM_NEWLINK veth pair tpv-t1 (master tvb0) and eth0 (in the container's network namespace) (an interface of that name exists on the host): File exists" ]
  [ "${lines[6]}" = "status 125" ]
  [[ ${lines[7]} == "tupper-init: RTM_NEWLINK veth pair tpv-t2 (master lo) and eth0 (in the container's network namespace) ("*"): "* ]]
  [ "${lines[8]}" = "status 125" ]
  [ "${lines[9]}" = "tupper-init: --mac needs an address such as 02:42:ac:11:00:02, got ' 2: 4:ac:11:00:02'" ]
  [ "${lines[10]}" = "status 125" ]
}

@test "outbound traffic is masqueraded to reach other hosts; an internal network reaches nothing outside" {
  make_peer
  mkdir -p "$TEST_DIR/www" && echo outside > "$TEST_DIR/www/index.html"
  peer_httpd "$TEST_DIR/www"
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  out:\n    image: rootfs:%s\n    command: ["/bin/true"]\n' "$ROOTFS"
    printf '  shut:\n    image: rootfs:%s\n    init: true\n    command: ["/bin/true"]\n    networks: [private]\n' "$ROOTFS"
    printf 'networks:\n  private: {internal: true}\n'
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  sleep 0.2
  # The peer has no route back to the container's subnet: only NAT lets the answer return.
  run -0 --separate-stderr "$SCRIPT" run --rm out timeout 3 wget -qO- "http://$PEER_IP/"
  [ "$output" = outside ]
  run --separate-stderr "$SCRIPT" run --rm shut sh -c "ip route; timeout 2 wget -qO- http://$PEER_IP/"
  [ "$status" -ne 0 ]
  [[ $output != *default* && $output != *outside* ]]
}

@test "network_mode none has only lo; host sees the host's interfaces" {
  compile_app 'network_mode: none' 'command: ["/bin/sh", "-c", "ls /sys/class/net | tr \"\\n\" \" \""]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "lo " ]
  make_peer # gives the host an interface of its own to look for
  compile_app 'network_mode: host' 'command: ["/bin/sh", "-c", "ls /sys/class/net | tr \"\\n\" \" \"; echo; hostname"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [[ ${lines[0]} == *"$PEER_LINK "* ]]
  [ "${lines[1]}" = "$(hostname)" ]
}

@test "/etc/hostname, /etc/hosts and /etc/resolv.conf follow hostname, domainname, dns, dns_search, dns_opt and extra_hosts" {
  compile_app 'hostname: box' 'domainname: example.test' 'dns: [10.0.0.53, 10.0.0.54]' 'dns_search: corp.test' 'dns_opt: [ndots:2]' \
    'extra_hosts: ["gw:host-gateway", "db.local=10.1.2.3"]' \
    'networks: {default: {aliases: [alias-a]}}' \
    'command: ["/bin/sh", "-c", "cat /etc/hostname /proc/sys/kernel/domainname; cat /etc/resolv.conf; ip route | grep default; cat /etc/hosts"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "${lines[0]}" = box ]
  [ "${lines[1]}" = example.test ]
  [ "${lines[2]}" = "nameserver 10.0.0.53" ]
  [ "${lines[3]}" = "nameserver 10.0.0.54" ]
  [ "${lines[4]}" = "search corp.test" ]
  [ "${lines[5]}" = "options ndots:2" ]
  local gateway
  gateway=$(awk '{print $3}' <<< "${lines[6]}")
  [[ $output == *$'\tbox.example.test box'* ]]
  [[ $output == *$'\tapp alias-a '"$PROJECT-app-1"* ]]
  [[ $output == *"$gateway"$'\tgw'* ]]
  [[ $output == *$'10.1.2.3\tdb.local'* ]]
}

@test "ipv4_address and mac_address are the container's; a subnet that overlaps a route is refused before anything starts" {
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    web_service web 'mac_address: 02:42:ac:11:00:99' 'networks: {fixed: {ipv4_address: 10.231.7.7}}'
    printf 'networks:\n  fixed: {ipam: {config: [{subnet: 10.231.0.0/16, gateway: 10.231.0.254}]}}\n'
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  run -0 "$SCRIPT" up -d
  wait_running "$PROJECT-web-1"
  [ "$(fetch_up http://10.231.7.7/hostname)" = "$PROJECT-web-1" ]
  run -0 --separate-stderr "$SCRIPT" run --rm web sh -c 'ip route | grep default'
  [[ $output == "default via 10.231.0.254 "* ]]
  local pid
  pid=$("$SCRIPT" ps | awk -v n="$PROJECT-web-1" '$1 == n {print $4}')
  nsenter --net="/proc/$pid/ns/net" ip -br link show eth0 | grep -q ' 02:42:ac:11:00:99 '
  run -0 "$SCRIPT" down

  make_peer # its link is a route to 10.199.N.0/24
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    web_service web
    printf 'networks:\n  default: {ipam: {config: [{subnet: 10.199.0.0/16}]}}\n'
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  run --separate-stderr "$SCRIPT" up -d
  [ "$status" -eq 1 ]
  [[ $stderr == *"network default: subnet 10.199.0.0/16 overlaps the route to 10.199.$BATS_TEST_NUMBER.0 on $PEER_LINK; choose another ipam.config subnet"* ]]
  [ -z "$(leftovers_of "$PROJECT")" ]
}

@test "20 containers started in parallel get 20 distinct addresses; down leaves no veth, bridge, rule, lease or netns" {
  compile_app 'command: ["/bin/sh", "-c", "ip -4 -o addr show eth0 | awk \"{print \\$4}\"; exec sleep 600"]' 'init: true'
  local i pids=()
  for ((i = 0; i < 20; i++)); do
    "$SCRIPT" run -d app > "$TEST_DIR/started.$i" 2> /dev/null &
    pids+=($!)
  done
  for i in "${pids[@]}"; do wait "$i"; done
  local name addresses=()
  for ((i = 0; i < 20; i++)); do
    name=$(cat "$TEST_DIR/started.$i")
    wait_running "$name"
    for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$TUPPER_ROOT/containers/$PROJECT/$name/log" ] && break; sleep 0.1; done
    addresses+=("$(log_text "$name")")
  done
  [ "$(printf '%s\n' "${addresses[@]}" | grep -c '^172\.\|^192\.168\.')" -eq 20 ]
  [ "$(printf '%s\n' "${addresses[@]}" | sort -u | wc -l)" -eq 20 ]
  [ "$(ls "$TUPPER_RUN/networks/${PROJECT}_default/leases" | wc -l)" -eq 20 ]
  [ "$(ip -br link | grep -c '^tpv-')" -eq 20 ]
  run -0 "$SCRIPT" down
  [ ! -e "$TUPPER_RUN/networks/${PROJECT}_default" ]
  ! grep -q "$TUPPER_RUN" /proc/self/mountinfo || false
  ! iptables-save | grep -q TUPPER || false
  ! ip -br link | grep -q '^tpb-' || false
  for ((i = 0; i < 40; i++)); do ip -br link | grep -q '^tpv-' || break; sleep 0.05; done
  ! ip -br link | grep -q '^tpv-' || false
}
