# A real OCI registry (Debian's docker-registry) on loopback, for the tests that pull or build.
#
#   registry_start PREFIX PORT   serves the directory PREFIX on 127.0.0.1:PORT, its config in
#                                PREFIX.yml, its log (one line per request) in PREFIX.log and
#                                its PID in PREFIX.pid; returns once /v2/ answers
#   registry_stop PREFIX         ends that registry (by the PID it recorded)
#   free_port OUT                OUT = a TCP port nothing listens on, for a registry in a
#                                network namespace that is not the test's own
# shellcheck shell=bash

registry_start() {
  local prefix=$1 port=$2 i
  mkdir -p "$prefix"
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\nlog:\n  level: info\n' \
    "$prefix" "$port" > "$prefix.yml"
  docker-registry serve "$prefix.yml" > "$prefix.log" 2>&1 3>&- < /dev/null &
  echo $! > "$prefix.pid"
  for ((i = 0; i < 200; i++)); do
    curl -sf "http://127.0.0.1:$port/v2/" > /dev/null && return 0
    kill -0 "$(cat "$prefix.pid")" 2> /dev/null || break
    sleep 0.05
  done
  echo "registry on 127.0.0.1:$port did not start; its log:" >&2
  cat "$prefix.log" >&2
  return 1
}

registry_stop() {
  local pid
  [[ -f $1.pid ]] || return 0
  pid=$(cat "$1.pid")
  kill "$pid" 2> /dev/null || true
  rm -f "$1.pid"
}

free_port() {
  local -n port_out=$1
  local candidate i
  for ((i = 0; i < 100; i++)); do
    candidate=$((20000 + RANDOM % 20000))
    if ! ss -Htln "sport = :$candidate" | grep -q .; then
      # shellcheck disable=SC2034 # a nameref: the caller's variable
      port_out=$candidate
      return 0
    fi
  done
  return 1
}
