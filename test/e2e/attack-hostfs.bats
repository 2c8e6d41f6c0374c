#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# Attacks from a container on the host's files and the host's loopback, each performed for
# real and each held: a container's setuid program and device node run and opened by a host
# user, a raw frame to the host's 127.0.0.1 through the bridge, and symlinks planted in a
# shared volume while it is filled from the image. hostfs-probe.c is the attacker's tool.
load helpers

setup_file() {
  PROBE_DIR="$BATS_FILE_TMPDIR/probe"
  mkdir -p "$PROBE_DIR"
  gcc -static -O2 -Wall -Wextra -Werror -o "$PROBE_DIR/hostfs-probe" "$BATS_TEST_DIRNAME/hostfs-probe.c"
  chmod -R a+rX "$BATS_FILE_TMPDIR"
  export PROBE_DIR
}

# helpers.bash's teardown, after this file's own listener is gone
eval "helpers_$(declare -f teardown)"
teardown() {
  if [[ -n ${LISTENER_PID:-} ]]; then
    kill "$LISTENER_PID" 2> /dev/null || true
    wait "$LISTENER_PID" 2> /dev/null || true
  fi
  helpers_teardown
}

# Runs command $@ as host user nobody (uid and gid 65534, no groups). Through a shell that
# already is nobody: setpriv's own execve still looks the command's path up with root's
# capabilities (CAP_DAC_OVERRIDE), and would get through a 0700 directory.
as_nobody() {
  setpriv --reuid 65534 --regid 65534 --clear-groups -- sh -c 'exec "$@"' as-nobody "$@"
}

@test "a host user can neither run a container's setuid-root program nor open its device node: TUPPER_ROOT and TUPPER_RUN are root's alone, even when an older tupper left them 0755" {
  # the test's directory is searchable by all, as /var/lib and /run are: the gate must be
  # TUPPER_ROOT and TUPPER_RUN themselves
  chmod 0755 "$TEST_DIR"
  mkdir -m 0755 "$TUPPER_ROOT" "$TUPPER_RUN"
  cat > "$TEST_DIR/in.yaml" <<- EOF
	name: $PROJECT
	services:
	  app:
	    image: rootfs:$ROOTFS
	    network_mode: none
	    volumes: ["$PROBE_DIR:/probe:ro", "vol:/vol"]
	    command: ["/bin/sh", "-c", "cp /probe/hostfs-probe /suid && chmod 4755 /suid && cp /probe/hostfs-probe /vol/suid && chmod 4755 /vol/suid && mknod /zero c 1 5 && chmod 0666 /zero && echo planted"]
	volumes:
	  vol:
	EOF
  compile_spec app < "$TEST_DIR/in.yaml"
  run -0 --separate-stderr "$SCRIPT" run app
  [ "$output" = planted ]
  # the container made them for real: setuid root in its own files and in its volume, and a
  # device node any user may open
  local suid vol_suid zero
  suid=$(find "$TUPPER_ROOT/containers" -name suid -type f)
  vol_suid="$TUPPER_ROOT/volumes/${PROJECT}_vol/_data/suid"
  zero=$(find "$TUPPER_ROOT/containers" -name zero -type c)
  [ -u "$suid" ]
  [ "$(stat -c %u "$suid")" = 0 ]
  [ -u "$vol_suid" ]
  [ "$(stat -c %u "$vol_suid")" = 0 ]
  [ -c "$zero" ]
  [ "$(stat -c %a "$zero")" = 666 ]
  # root runs the probe and gets euid 0, so a setuid copy would give it to whoever runs it
  # (before the fix, nobody's runs printed 0 here)
  [ "$("$suid" euid)" = 0 ]
  run as_nobody "$suid" euid
  echo "nobody ran the container's setuid copy: $output" >&2 # before the fix: 0
  [ "$status" -eq 126 ]
  [[ $output == *"Permission denied"* ]]
  run as_nobody "$vol_suid" euid
  [ "$status" -eq 126 ]
  [[ $output == *"Permission denied"* ]]
  run as_nobody head -c 1 "$zero"
  [ "$status" -ne 0 ]
  [[ $output == *"Permission denied"* ]]
  # the container's records (its /etc files are container-writable) are out of reach too
  run as_nobody ls "$TUPPER_RUN"
  [ "$status" -ne 0 ]
  [[ $output == *"Permission denied"* ]]
  [ "$(stat -c %a:%u "$TUPPER_ROOT")" = 700:0 ]
  [ "$(stat -c %a:%u "$TUPPER_RUN")" = 700:0 ]
}

@test "TUPPER_ROOT and TUPPER_RUN are made 0700; one owned by another user is refused before anything is made" {
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  run -0 "$SCRIPT" run --rm app
  [ "$(stat -c %a "$TUPPER_ROOT")" = 700 ]
  [ "$(stat -c %a "$TUPPER_RUN")" = 700 ]
  # checked once per boot: the mark in TUPPER_RUN spares later starts a fork
  [ -f "$TUPPER_RUN/private${TUPPER_ROOT//\//%}" ]
  export TUPPER_ROOT="$TEST_DIR/other-root"
  mkdir -m 0755 "$TUPPER_ROOT"
  chown 65534 "$TUPPER_ROOT"
  run -1 --separate-stderr "$SCRIPT" run --rm app
  [[ $stderr == *"$TUPPER_ROOT belongs to another user than root"* ]]
  [ -z "$(ls -A "$TUPPER_ROOT")" ]
  rmdir "$TUPPER_ROOT"
  export TUPPER_ROOT="$TEST_DIR/root"
}

@test "a host user who can change the path to TUPPER_ROOT or TUPPER_RUN is refused before anything is made: a planted symlink, a parent of its own, a parent others can write" {
  compile_app 'network_mode: none' 'command: ["/bin/true"]'
  chmod 0711 "$TEST_DIR"
  mkdir -m 0755 "$TEST_DIR/home" "$TEST_DIR/victim"
  chown 65534:65534 "$TEST_DIR/home"
  export TUPPER_RUN="$TEST_DIR/run-fresh"
  # (A) nobody plants TUPPER_ROOT as a symlink to a directory of root's, before the first run
  as_nobody ln -s "$TEST_DIR/victim" "$TEST_DIR/home/tupper"
  run -1 --separate-stderr env TUPPER_ROOT="$TEST_DIR/home/tupper" "$SCRIPT" pull
  [[ $stderr == *"$TEST_DIR/home/tupper is a symbolic link, not a directory"* ]]
  [ "$(stat -c %a "$TEST_DIR/victim")" = 755 ]
  [ -z "$(ls -A "$TEST_DIR/victim")" ]
  [ ! -e "$TUPPER_RUN" ]
  # the same at TUPPER_RUN, planted in a directory of root's too (a symlink of root's is refused all the same)
  ln -s "$TEST_DIR/victim" "$TEST_DIR/run-link"
  run -1 --separate-stderr env TUPPER_RUN="$TEST_DIR/run-link" "$SCRIPT" run --rm app
  [[ $stderr == *"$TEST_DIR/run-link is a symbolic link, not a directory"* ]]
  [ "$(stat -c %a "$TEST_DIR/victim")" = 755 ]
  [ -z "$(ls -A "$TEST_DIR/victim")" ]
  # (B) TUPPER_ROOT missing in a directory of nobody's, who could later rename it away and
  # put its own in its place
  as_nobody rm "$TEST_DIR/home/tupper"
  run -1 --separate-stderr env TUPPER_ROOT="$TEST_DIR/home/tupper" "$SCRIPT" run --rm app
  [[ $stderr == *"$TEST_DIR/home above it belongs to user 65534"* ]]
  [ -z "$(ls -A "$TEST_DIR/home")" ]
  [ ! -e "$TUPPER_RUN" ]
  # a directory of root's that others can write (not sticky) is as bad
  mkdir -m 0777 "$TEST_DIR/shared"
  run -1 --separate-stderr env TUPPER_ROOT="$TEST_DIR/shared/tupper" "$SCRIPT" run --rm app
  [[ $stderr == *"$TEST_DIR/shared can be written by other users (mode 777)"* ]]
  [ -z "$(ls -A "$TEST_DIR/shared")" ]
  [ ! -e "$TUPPER_RUN" ]
  # a sticky one of root's, as /tmp, is fine: tupper makes the directory itself, and one
  # nobody made there first is refused
  mkdir -m 1777 "$TEST_DIR/sticky"
  as_nobody mkdir "$TEST_DIR/sticky/planted"
  run -1 --separate-stderr env TUPPER_ROOT="$TEST_DIR/sticky/planted" "$SCRIPT" run --rm app
  [[ $stderr == *"$TEST_DIR/sticky/planted belongs to another user than root"* ]]
  [ ! -e "$TUPPER_RUN" ]
  run -0 env TUPPER_ROOT="$TEST_DIR/sticky/tupper" "$SCRIPT" run --rm app
  [ "$(stat -c %a:%u "$TEST_DIR/sticky/tupper")" = 700:0 ]
  # the mark vouches for this TUPPER_RUN alone, and a symlink is refused at every run
  [ "$(cat "$TUPPER_RUN/private${TEST_DIR//\//%}%sticky%tupper")" = "$TUPPER_RUN" ]
  mv "$TEST_DIR/sticky/tupper" "$TEST_DIR/sticky/moved"
  ln -s "$TEST_DIR/sticky/moved" "$TEST_DIR/sticky/tupper"
  run -1 --separate-stderr env TUPPER_ROOT="$TEST_DIR/sticky/tupper" "$SCRIPT" run --rm app
  [[ $stderr == *"$TEST_DIR/sticky/tupper is a symbolic link, not a directory"* ]]
  rm "$TEST_DIR/sticky/tupper"
  rm -rf "$TEST_DIR/sticky/moved" "$TUPPER_RUN"
  export TUPPER_RUN="$TEST_DIR/run"
}

@test "a container with NET_RAW cannot send to the host's 127.0.0.1 through its bridge; ports published on 127.0.0.1 and 0.0.0.0 still answer there" {
  cat > "$TEST_DIR/in.yaml" <<- EOF
	name: $PROJECT
	services:
	  web:
	    image: rootfs:$ROOTFS
	    init: true
	    command: ["/bin/httpd", "-f", "-p", "80", "-h", "/etc"]
	    ports: ["127.0.0.1:18091:80", "18092:80"]
	  attacker:
	    image: rootfs:$ROOTFS
	    volumes: ["$PROBE_DIR:/probe:ro"]
	    command: ["/bin/true"]
	EOF
  compile_spec app < "$TEST_DIR/in.yaml"
  run -0 "$SCRIPT" up -d web
  wait_running "$PROJECT-web-1"
  # a UDP service of the host's own on 127.0.0.1 (in this test's network namespace), which
  # writes down every datagram it gets
  local port=18093 got="$TEST_DIR/got" i
  node -e '
    const fs = require("fs"), socket = require("dgram").createSocket("udp4");
    socket.on("message", (m) => fs.appendFileSync(process.argv[1], m + "\n"));
    socket.bind(Number(process.argv[2]), "127.0.0.1", () => fs.writeFileSync(process.argv[1] + ".ready", ""));
  ' "$got" "$port" 3>&- &
  LISTENER_PID=$!
  for ((i = 0; i < 100; i++)); do [[ -e $got.ready ]] && break; sleep 0.05; done
  [ -e "$got.ready" ]
  # the attack: UDP to 127.0.0.1 in a frame to the bridge's MAC (the container's gateway,
  # asked by ARP), from the container's eth0
  for i in 1 2 3; do
    run -0 --separate-stderr "$SCRIPT" run --rm attacker /probe/hostfs-probe localnet eth0 127.0.0.1 "$port" "attack-$i"
    [ "$output" = sent ]
  done
  # then one from the host itself, which must arrive (the listener works) after them
  node -e 'const s = require("dgram").createSocket("udp4"); s.send("control", Number(process.argv[1]), "127.0.0.1", () => s.close());' "$port"
  for ((i = 0; i < 100; i++)); do grep -qx control "$got" 2> /dev/null && break; sleep 0.05; done
  grep -qx control "$got"
  run grep attack "$got"
  echo "received: $output" >&2
  [ "$status" -eq 1 ] # before the fix: attack-1, attack-2 and attack-3 were there
  # what route_localnet is on for still works: the published ports, through 127.0.0.1
  [ "$(fetch http://127.0.0.1:18091/hostname)" = "$PROJECT-web-1" ]
  [ "$(fetch http://127.0.0.1:18092/hostname)" = "$PROJECT-web-1" ]
  # the rule is the network's own, in a chain that goes with it
  local bridge
  bridge=$(ip -br link show type bridge | awk '$1 ~ /^tpb-/ {print $1}')
  iptables -S INPUT | grep -q -- "-i $bridge .* -j TUPPER-"
  run -0 "$SCRIPT" down
  run -1 bash -c 'iptables-save | grep -F TUPPER'
}

@test "symlinks a container plants in a shared volume while it is filled from the image do not lead the fill out of the volume" {
  # the image: a volume directory with a large file to copy first, then files the other
  # container will race for
  local image="$TEST_DIR/image" outside="$TEST_DIR/outside" n
  cp -a "$ROOTFS" "$image"
  mkdir "$image/data" "$outside"
  head -c 64M /dev/zero > "$image/data/big"
  for n in $(seq 1 16); do echo from-image > "$image/data/f$n"; done
  echo original > "$outside/victim"
  # planter shares the volume ($$: a literal $ in a Compose file): as soon as the fill shows (big appears), it plants a symlink
  # to the host's file at every name the fill has yet to write
  cat > "$TEST_DIR/in.yaml" <<- EOF
	name: $PROJECT
	services:
	  planter:
	    image: rootfs:$ROOTFS
	    init: true
	    volumes: ["shared:/data"]
	    command: ["/bin/sh", "-c", "i=0; while [ ! -e /data/big ] && [ \$\$i -lt 2000000 ]; do i=\$\$((i+1)); done; for n in \$\$(seq 1 16); do ln -s $outside/victim /data/f\$\$n; done; touch /data/.saw-fill; exec sleep 600"]
	  filler:
	    image: rootfs:$image
	    volumes: ["shared:/data"]
	    command: ["/bin/true"]
	volumes:
	  shared:
	EOF
  compile_spec app < "$TEST_DIR/in.yaml"
  run -0 "$SCRIPT" up -d planter
  wait_running "$PROJECT-planter-1"
  run -0 "$SCRIPT" run --rm filler
  local data="$TUPPER_ROOT/volumes/${PROJECT}_shared/_data"
  # the race was run: planter saw the fill begin and planted its links
  for ((n = 0; n < 100; n++)); do [[ -e $data/.saw-fill ]] && break; sleep 0.05; done
  [ -e "$data/.saw-fill" ]
  # the host's file is untouched (before the fix: "from-image", written through a link)
  [ "$(cat "$outside/victim")" = original ]
  # and no fill directory was left behind
  run -0 find "$TUPPER_ROOT/volumes/${PROJECT}_shared" -mindepth 1 -maxdepth 1 -name '.fill-*'
  [ -z "$output" ]
  [ "$(stat -c %s "$data/big")" = 67108864 ]
}
