#!/usr/bin/env bats
# The example specs in specs/, run through their checked-in scripts in generated/.
bats_require_minimum_version 1.5.0
load helpers

@test "specs/hello.yaml greets from an isolated container" {
  SCRIPT="$REPO/generated/hello.sh"
  PROJECT=hello
  run -0 --separate-stderr "$SCRIPT" run --rm hello
  [[ ${lines[0]} == "Hello from hello-hello-run-"*", a tupper container." ]]
  [[ ${lines[1]} == "I am PID 1, running as 0:0, and I see "[1-9]" processes." ]]
  [ "${lines[2]}" = "My network: eth0 lo " ]
}

@test "specs/worker.yaml reads its jobs as an unprivileged user within its limits" {
  SCRIPT="$REPO/generated/worker.sh"
  PROJECT=worker
  run -0 --separate-stderr "$SCRIPT" run --rm worker
  [ "$output" = $'worker-1: a.txt has 10 bytes\nworker-1: b.txt has 7 bytes' ]
  run -0 --separate-stderr "$SCRIPT" run --rm worker 'id -u; touch /jobs/x || echo read-only'
  [ "$output" = $'1000\nread-only' ]
}

@test "specs/service.yaml runs under init and stops on SIGINT, its stop_signal" {
  SCRIPT="$REPO/generated/service.sh"
  PROJECT=service
  run -0 "$SCRIPT" up -d
  wait_running service-ticker-1
  run --separate-stderr "$SCRIPT" run --rm ticker ps -o pid,comm
  [[ $output == *"1 tupper-init"* ]]
  run -0 "$SCRIPT" stop
  run --separate-stderr "$SCRIPT" logs ticker
  [ "${lines[-1]}" = bye ]
}

@test "specs/web.yaml publishes its web server on loopback; the check finds it by name" {
  SCRIPT="$REPO/generated/web.sh"
  PROJECT=web
  run -0 "$SCRIPT" up -d web
  wait_running web-web-1
  [ "$(fetch_up http://127.0.0.1:8080/)" = "<h1>Served by a tupper container</h1>" ]
  run -0 --separate-stderr "$SCRIPT" run --rm check
  [ "$output" = "<h1>Served by a tupper container</h1>" ]
}
