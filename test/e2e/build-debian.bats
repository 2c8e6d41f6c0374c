#!/usr/bin/env bats
# Builds of real images (issue 23) from a Debian base: bookworm made by debootstrap
# (debian-base.bash, cached under build/debian-base once per machine), served by a loopback
# registry of this file's own. RUN steps reach Debian's mirror through tupper's bridge and NAT,
# so this file runs in the host's network namespace, not in one of its own (the Makefile's
# E2E_HOST_NET): tupper makes only its own bridge (tpb-HASH of the project) and TUPPER-*
# chains there, and teardown checks that those are gone; setup_file notes the forwarding
# setting, which NAT turns on, and teardown_file puts it back.
#
# The tests share one image store (TUPPER_ROOT) of the file's own, so that the 50 MB base is
# pulled, applied and removed once, not once per test; each test has its own project, TUPPER_RUN
# and leftovers check as everywhere else. The Dockerfiles are in test/fixtures/build: two of this file's own (apt-get install;
# gcc in one stage, only the binary in scratch) and three published ones (see SOURCES.tsv)
# with only their FROM images replaced by the local one.
bats_require_minimum_version 1.5.0
load helpers
load registry
load debian-base

FIXTURES="$REPO/test/fixtures/build"

setup_file() {
  if ! ip route show default | grep -q .; then
    skip "no route out of this network namespace: this file must run in the host's (make test-e2e runs it there, see E2E_HOST_NET)"
  fi
  export BUILD_TMP="$BATS_FILE_TMPDIR"
  sysctl -n net.ipv4.ip_forward > "$BUILD_TMP/ip_forward"
  mkdir -p "$BUILD_TMP/root"
  local layout port
  debian_base_layout layout
  free_port port
  registry_start "$BUILD_TMP/registry" "$port"
  export REGISTRY="127.0.0.1:$port" BASE="127.0.0.1:$port/debian:bookworm"
  skopeo copy -q --dest-tls-verify=false "oci:$layout:bookworm" "docker://$BASE"
  # docker-elk's FROM, replaced by the local registry (the tag is the Dockerfile's default)
  skopeo copy -q --src-tls-verify=false --dest-tls-verify=false "docker://$BASE" "docker://$REGISTRY/elasticsearch:9.5.1"
  # Whether this tree's compiler takes build: and its scripts have the build verb (issue 23):
  # until they do, the build tests skip, saying so.
  mkdir -p "$BUILD_TMP/probe"
  printf 'FROM scratch\n' > "$BUILD_TMP/probe/Dockerfile"
  printf 'name: probe\nservices:\n  app:\n    build: .\n    command: ["true"]\n' > "$BUILD_TMP/probe/probe.yaml"
  export BUILD_VERB=0
  if node "$CLI" compile "$BUILD_TMP/probe/probe.yaml" -o "$BUILD_TMP/probe/probe.sh" 2> /dev/null &&
    { "$BUILD_TMP/probe/probe.sh" --help | grep -qE '^ +build\b' || grep -qE '^ +build\) ' "$BUILD_TMP/probe/probe.sh"; }; then
    BUILD_VERB=1
  fi
}

teardown_file() {
  registry_stop "$BUILD_TMP/registry"
  rm -rf "$BUILD_TMP/root"
  # NAT turned forwarding on (tupper leaves it on, as Docker does); put back what was here
  if [[ -f $BUILD_TMP/ip_forward ]]; then sysctl -qw net.ipv4.ip_forward="$(cat "$BUILD_TMP/ip_forward")"; fi
}

# In the host's network namespace, interfaces and iptables rules that were there before the
# test are not its leftovers: the helpers' check, less the interfaces and rules setup saw.
eval "namespace_$(declare -f leftovers_of)"
leftovers_of() {
  namespace_leftovers_of "$@" | grep -vxF -f "$TEST_DIR/before" || true
  # the shared store: the project's mounts and processes (the helpers' check looks in TEST_DIR);
  # one grep over every command line, its pattern in a file so that it does not find itself
  grep -F "$TUPPER_ROOT/containers/$1/" /proc/self/mountinfo | sed 's/^/mount: /'
  printf '%s\n' "$TUPPER_ROOT/containers/$1/" > "$TEST_DIR/process-pattern"
  grep -lsF -f "$TEST_DIR/process-pattern" /proc/[0-9]*/cmdline | sed -E 's,^/proc/([0-9]+)/cmdline$,process: \1,' || true
}
setup() {
  TEST_DIR=$(mktemp -d /tmp/tp-e2e.XXXXXX)
  export TUPPER_ROOT="$BUILD_TMP/root" TUPPER_RUN="$TEST_DIR/run"
  PROJECT="b${BATS_TEST_NUMBER}p$$"
  mkdir -p "$TEST_DIR/spec"
  SCRIPT='' PEER_NS='' PEER_PIDS=() LOOP='' CGROUP_PARENT_MADE=''
  # what the helpers' check would call leftovers before the test did anything
  {
    ip -br link | grep '^tp[bv]-' | sed 's/^/interface: /'
    iptables-save 2> /dev/null | grep -F TUPPER | sed 's/^/iptables: /'
  } > "$TEST_DIR/before" || true
}

require_build() {
  if ((!BUILD_VERB)); then skip "the compiled script has no build verb yet (issue 23's build verb, branch build/verb)"; fi
}

# Copies fixture directory $1 to the test's spec directory as $2 and compiles the spec on stdin.
compile_with_context() {
  cp -a "$FIXTURES/$1" "$TEST_DIR/spec/$2"
  compile_spec app
}

@test "the Debian base from the loopback registry runs in tupper, and its apt-get reaches Debian's mirror through the bridge and NAT" {
  compile_spec app <<- EOF
	name: $PROJECT
	services:
	  app:
	    image: $BASE
	  keeper:
	    image: $BASE
	    command: ["sleep", "600"]
	EOF
  # a container that keeps the project's network while app runs, so it can be looked at after
  "$SCRIPT" up -d keeper
  run -0 --separate-stderr "$SCRIPT" run --rm app bash -c '. /etc/os-release && echo "$VERSION_CODENAME"
    awk "\$2 == \"00000000\" { print \$3 }" /proc/net/route
    apt-get update -qq && apt-get install -y -qq --no-install-recommends hello > /dev/null && hello'
  [ "${lines[0]}" = bookworm ]
  [ "${lines[-1]}" = "Hello, world!" ]
  # the container's default route is this project's bridge, whose network masquerades
  local gateway bridge
  gateway=$(printf '%d.%d.%d.%d' "0x${lines[1]:6:2}" "0x${lines[1]:4:2}" "0x${lines[1]:2:2}" "0x${lines[1]:0:2}")
  bridge=$(cat "$TUPPER_RUN/networks/${PROJECT}_default/bridge")
  ip -4 -o addr show dev "$bridge" | grep -qF " $gateway/"
  iptables -t nat -S | grep -- "-o $bridge\b\|! -o $bridge " | grep -q MASQUERADE
  # outside: the image is the registry's, one layer
  run -0 "$SCRIPT" images
  local id
  id=$(grep -F "$BASE" <<< "$output" | awk 'NR == 1 { print $3 }')
  [[ $id =~ ^[0-9a-f]{12}$ ]]
  [ "$(wc -l < "$TUPPER_ROOT/images/$id"*/layers)" = 1 ]
}

@test "build: apt-get install from Debian's mirror; the result runs; a rebuild with nothing changed runs no step; --no-cache runs them again" {
  require_build
  compile_with_context debian-hello hello <<- EOF
	name: $PROJECT
	services:
	  app:
	    build:
	      context: ./hello
	      args:
	        BASE: $BASE
	EOF
  run -0 "$SCRIPT" build
  # docker build --progress=plain's shape: a numbered step per instruction ([STAGE I/N]),
  # the apt output under the step's number
  grep -qE '^#[0-9]+ \[([^] ]+ )?[0-9]+/[0-9]+\] RUN .*apt-get update' <<< "$output"
  grep -qE '^#[0-9]+ Setting up hello' <<< "$output"
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "Hello, world!" ]
  run -0 --separate-stderr "$SCRIPT" run --rm app sh -c 'dpkg-query -W -f "\${Status}\n" hello; cat /built-at'
  [ "${lines[0]}" = "install ok installed" ]
  local stamp=${lines[1]}
  # outside: the image has its project-service name; the base stays the registry's
  run -0 "$SCRIPT" images
  [[ $output == *"$PROJECT-app"* ]]
  # nothing changed: both RUN steps CACHED, no apt output, the same layers
  run -0 "$SCRIPT" build
  local steps step
  steps=$(sed -nE 's/^#([0-9]+) \[([^] ]+ )?[0-9]+\/[0-9]+\] RUN .*/\1/p' <<< "$output")
  [ "$(wc -w <<< "$steps")" = 2 ]
  for step in $steps; do grep -qx "#$step CACHED" <<< "$output"; done
  [[ $output != *"Setting up"* ]]
  run -0 --separate-stderr "$SCRIPT" run --rm app cat /built-at
  [ "$output" = "$stamp" ]
  # --no-cache: the RUN steps run again (a new stamp), and the result still works
  run -0 "$SCRIPT" build --no-cache
  [[ $output == *"Setting up hello"* ]]
  run -0 --separate-stderr "$SCRIPT" run --rm app cat /built-at
  [ "$output" != "$stamp" ]
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "Hello, world!" ]
}

@test "build: multi-stage, gcc from Debian's mirror in one stage, only the static binary copied into scratch" {
  require_build
  compile_with_context gcc-scratch gcc <<- EOF
	name: $PROJECT
	services:
	  app:
	    image: $PROJECT-hello:1
	    build:
	      context: ./gcc
	      args:
	        BASE: $BASE
	    command: ["from", "scratch"]
	EOF
  # up builds the missing image first, as Compose does, and runs it
  run -0 --separate-stderr timeout 900 "$SCRIPT" up
  [[ $output == *"hello from a static binary: from scratch"* ]]
  # inside: nothing of Debian came along
  [[ $output == *"/bin/sh absent"* ]]
  [[ $output == *"/usr absent"* ]]
  [[ $output == *"/etc/debian_version absent"* ]]
  # outside: the image is named by image:, and has one layer that holds one file: the binary
  run -0 "$SCRIPT" images
  local id layer
  id=$(grep -F "$PROJECT-hello:1" <<< "$output" | awk '{ print $3 }')
  [[ $id =~ ^[0-9a-f]{12}$ ]]
  [ "$(wc -l < "$TUPPER_ROOT/images/$id"*/layers)" = 1 ]
  layer=$(cat "$TUPPER_ROOT/images/$id"*/layers)
  [ "$(cd "$TUPPER_ROOT/images/layers/"*"/$layer/rootfs" && find . ! -type d)" = ./hello ]
}

@test "getsentry/self-hosted cron/Dockerfile, as published (BASE_IMAGE given as in its compose file): cron from Debian's mirror, the entrypoint, the service's command" {
  require_build
  compile_with_context getsentry__self-hosted/cron cron <<- EOF
	name: $PROJECT
	services:
	  symbolicator-cleanup:
	    image: symbolicator-cleanup-self-hosted-local
	    build:
	      context: ./cron
	      args:
	        BASE_IMAGE: "$BASE"
	    command: '"55 23 * * * gosu symbolicator symbolicator cleanup"'
	EOF
  run -0 "$SCRIPT" build symbolicator-cleanup
  [[ $output == *"Setting up cron"* ]]
  # the stand-in entrypoint.sh (the context's file, copied by the Dockerfile) reports what it sees
  run -0 --separate-stderr "$SCRIPT" run --rm symbolicator-cleanup
  [ "${lines[0]}" = "cron: /usr/sbin/cron" ]
  [ "${lines[1]}" = "uid: 0" ]
  [ "${lines[2]}" = "apt lists: 0" ] # the RUN removed them after the install
  # the string command is split as a shell would: its quotes make one argument
  [ "${lines[3]}" = 'args (1): 55 23 * * * gosu symbolicator symbolicator cleanup' ]
}

@test "getsentry/self-hosted clickhouse/Dockerfile, as published: COPY ./sentry.xml into the base given by BASE_IMAGE" {
  require_build
  compile_with_context getsentry__self-hosted/clickhouse clickhouse <<- EOF
	name: $PROJECT
	services:
	  clickhouse:
	    image: clickhouse-self-hosted-local
	    build:
	      context: ./clickhouse
	      args:
	        BASE_IMAGE: "$BASE"
	    command: ["cat", "/etc/clickhouse-server/config.d/sentry.xml"]
	EOF
  run -0 "$SCRIPT" build
  run -0 --separate-stderr "$SCRIPT" run --rm clickhouse
  [ "$output" = "$(cat "$FIXTURES/getsentry__self-hosted/clickhouse/sentry.xml")" ]
  run -0 --separate-stderr "$SCRIPT" run --rm clickhouse stat -c '%u:%g %a' /etc/clickhouse-server/config.d/sentry.xml
  [ "$output" = "0:0 644" ]
}

@test "deviantony/docker-elk elasticsearch/Dockerfile, FROM's registry replaced by the local one: the tag comes from \${ELASTIC_VERSION:-9.5.1}" {
  require_build
  mkdir -p "$TEST_DIR/spec/elasticsearch"
  sed "s|^FROM docker.elastic.co/elasticsearch/elasticsearch:|FROM $REGISTRY/elasticsearch:|" \
    "$FIXTURES/deviantony__docker-elk/elasticsearch/Dockerfile" > "$TEST_DIR/spec/elasticsearch/Dockerfile"
  # only the FROM line differs from the published file
  run diff "$FIXTURES/deviantony__docker-elk/elasticsearch/Dockerfile" "$TEST_DIR/spec/elasticsearch/Dockerfile"
  [ "$(grep -c '^[<>]' <<< "$output")" = 2 ]
  compile_spec app <<- EOF
	name: $PROJECT
	services:
	  elasticsearch:
	    build:
	      context: elasticsearch/
	    command: ["cat", "/etc/debian_version"]
	EOF
  run -0 "$SCRIPT" build
  [[ $output == *"$REGISTRY/elasticsearch:9.5.1"* ]]
  run -0 --separate-stderr "$SCRIPT" run --rm elasticsearch
  [[ $output == 12.* ]]
}
