#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# Multi-service projects: depends_on and its conditions, start and stop order.
load helpers

# The project: db becomes ready after a while, migrate needs db ready and exits with
# $1, web needs the migration; each writes into the shared volume what it saw and when it
# was stopped.
compile_project() {
  local loop='while :; do sleep 0.05; done'
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  web:\n    image: rootfs:%s\n    network_mode: none\n    volumes: ["shared:/shared"]\n' "$ROOTFS"
    printf '    depends_on: {db: {condition: service_healthy}, migrate: {condition: service_completed_successfully}}\n'
    printf '    command: ["/bin/sh", "-c", "test -f /shared/migrated || exit 3; trap \\"echo web >> /shared/stops; exit 0\\" TERM; echo web-up; %s"]\n' "$loop"
    printf '  migrate:\n    image: rootfs:%s\n    network_mode: none\n    volumes: ["shared:/shared"]\n' "$ROOTFS"
    printf '    depends_on: {db: {condition: service_healthy}}\n'
    printf '    command: ["/bin/sh", "-c", "test -f /shared/ready || exit 4; touch /shared/migrated; exit %s"]\n' "$1"
    printf '  db:\n    image: rootfs:%s\n    network_mode: none\n    volumes: ["shared:/shared"]\n' "$ROOTFS"
    printf '    healthcheck: {test: ["CMD", "test", "-f", "/shared/ready"], interval: 100ms, retries: 50}\n'
    printf '    command: ["/bin/sh", "-c", "rm -f /shared/*; trap \\"echo db >> /shared/stops; exit 0\\" TERM; sleep 0.5; touch /shared/ready; %s"]\n' "$loop"
    printf 'volumes:\n  shared:\n'
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
}

@test "depends_on: up SERVICE starts its dependencies first and waits for healthy and completed; down -v takes the volume" {
  compile_project 0
  local shared="$TUPPER_ROOT/volumes/${PROJECT}_shared/_data"
  run -0 --separate-stderr "$SCRIPT" up -d web
  [[ $stderr == *"migrate waits until db is healthy"* ]]
  [[ $stderr == *"web waits until migrate is completed_successfully"* ]]
  # web started only after the migration, which ran only once db was ready
  wait_running "$PROJECT-web-1"
  "$SCRIPT" logs web | grep -qx web-up
  [ -f "$shared/migrated" ]
  run -0 "$SCRIPT" ps -a
  [[ $output == *"$PROJECT-migrate-1"*" exited (0) "* ]]
  [[ $output == *"$PROJECT-db-1"*" running (healthy) "* ]]
  # down: web is stopped (and has ended) before db is signalled
  "$SCRIPT" down -v
  [ ! -e "$shared" ]
}

@test "depends_on: a dependency that fails its condition keeps the dependent from starting, with the reason" {
  compile_project 1
  run -1 --separate-stderr "$SCRIPT" up -d web
  [[ $stderr == *"dependency migrate ended with status 1, not 0, so web was not started; see: app.sh logs migrate"* ]]
  [ ! -e "$TUPPER_ROOT/containers/$PROJECT/$PROJECT-web-1" ]
  run -0 "$SCRIPT" ps -a
  [[ $output == *"$PROJECT-migrate-1"*" exited (1) "* ]]
  # --no-deps: web alone, without waiting for anything
  run -0 "$SCRIPT" up -d --no-deps web
  wait_running "$PROJECT-web-1"
}

@test "depends_on: stop and down go in reverse start order, each service ended before what it depends on is signalled" {
  compile_project 0
  local shared="$TUPPER_ROOT/volumes/${PROJECT}_shared/_data"
  "$SCRIPT" up -d
  wait_running "$PROJECT-web-1"
  "$SCRIPT" stop
  [ "$(cat "$shared/stops")" = $'web\ndb' ]
}

@test "systemd: each unit comes after, and requires, the units of what its service depends on; systemd-analyze accepts them" {
  command -v systemd-analyze > /dev/null || skip "systemd-analyze is not installed"
  compile_project 0
  mkdir "$TEST_DIR/units"
  "$SCRIPT" systemd "$TEST_DIR/units" 2> /dev/null
  local web="$TEST_DIR/units/tupper-$PROJECT-web.service"
  grep -qx "After=network-online.target local-fs.target tupper-$PROJECT-db.service tupper-$PROJECT-migrate.service" "$web"
  grep -qx "Requires=tupper-$PROJECT-db.service tupper-$PROJECT-migrate.service" "$web"
  ! grep -q '^Requires=' "$TEST_DIR/units/tupper-$PROJECT-db.service" || false
  run -0 --separate-stderr systemd-analyze verify "$TEST_DIR"/units/*.service
  [ -z "$stderr$output" ]
}

@test ".env, env_file, container_name, labels and profiles: values from the files reach the workload, the name is reachable, up skips inactive profiles" {
  printf 'TAG=v7\nDB_NAME=%s-store\n' "$PROJECT" > "$TEST_DIR/spec/.env"
  printf '# shared\nMODE=production\nGREETING="hello, world"\n' > "$TEST_DIR/spec/web.env"
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  db:\n    image: rootfs:%s\n    container_name: ${DB_NAME}\n    init: true\n' "$ROOTFS"
    printf '    command: ["/bin/httpd", "-f", "-p", "80", "-h", "/etc"]\n'
    printf '    labels: {com.example.role: store, tier: "2"}\n'
    printf '  web:\n    image: rootfs:%s\n    init: true\n    env_file: [web.env, {path: absent.env, required: false}]\n' "$ROOTFS"
    printf '    environment: {GREETING: hi}\n    depends_on: [db]\n'
    printf '    command: ["/bin/sh", "-c", "echo $$MODE $$GREETING ${TAG}; wget -q -O - http://${DB_NAME}/hostname; exec sleep 600"]\n'
    printf '  debug:\n    image: rootfs:%s\n    profiles: [debug]\n    command: ["sleep", "600"]\n' "$ROOTFS"
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  grep -q "# services.web.env_file\[0\]: web.env → MODE, GREETING" "$SCRIPT"
  "$SCRIPT" up -d
  wait_running "$PROJECT-web-1"
  wait_running "$PROJECT-store"
  local i
  for ((i = 0; i < 50; i++)); do [[ $(log_text "$PROJECT-web-1" | wc -l) -ge 2 ]] && break; sleep 0.1; done
  # inside: the env_file's MODE, environment's GREETING over the file's, .env's TAG; db answers by its container_name
  [ "$(log_text "$PROJECT-web-1")" = "production hi v7
$PROJECT-store" ]
  # outside: the container's name, its labels, and debug not started (its profile is not active)
  run -0 "$SCRIPT" ps --json
  [[ $output == *'"Name":"'"$PROJECT"'-store","Service":"db"'*'"Labels":{"com.example.role":"store","tier":"2"}'* ]]
  [[ $output != *'"Service":"debug"'* ]]
  "$SCRIPT" inspect db | grep -q '"Labels":{"com.example.role":"store","tier":"2"}'
  [ -d "$TUPPER_RUN/$PROJECT/$PROJECT-store" ]
  # --profile (or COMPOSE_PROFILES) activates it
  COMPOSE_PROFILES=other,debug "$SCRIPT" up -d
  wait_running "$PROJECT-debug-1"
  "$SCRIPT" down
  # tupper config shows the same project, resolved
  run -0 node "$CLI" config "$TEST_DIR/spec/app.yaml"
  [[ $output == *"container_name: $PROJECT-store"* && $output == *"MODE: production"* && $output != *"debug:"* ]]
  run -0 node "$CLI" config --profile debug "$TEST_DIR/spec/app.yaml"
  [[ $output == *"  debug:"* ]]
}

@test "network_mode, ipc and pid: service:NAME share a container's namespaces as a pod does; pid: host sees the host" {
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  side:\n    image: rootfs:%s\n    network_mode: service:main\n    ipc: service:main\n    pid: service:main\n    restart: always\n' "$ROOTFS"
    printf '    command: ["/bin/httpd", "-f", "-p", "9090", "-h", "/etc"]\n'
    printf '  main:\n    image: rootfs:%s\n    hostname: pod-1\n    init: true\n    ports: ["18095:9090"]\n' "$ROOTFS"
    printf '    command: ["/bin/httpd", "-f", "-p", "8080", "-h", "/etc"]\n'
    printf '  lone:\n    image: rootfs:%s\n    network_mode: none\n    pid: host\n    init: true\n    command: ["sleep", "600"]\n' "$ROOTFS"
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  run -0 --separate-stderr "$SCRIPT" up -d side lone
  [[ $stderr == *"$PROJECT-main-1 started"*"$PROJECT-side-1 started"* ]] # main first: side shares its namespaces
  [[ $stderr == *"$PROJECT-side-1 started"*"$PROJECT-lone-1 started"* ]] # lone after side, by the same script
  wait_running "$PROJECT-side-1"
  local main side lone ns
  main=$("$SCRIPT" inspect main | grep -oE '"Pid":[0-9]+' | cut -d: -f2)
  side=$("$SCRIPT" inspect side | grep -oE '"Pid":[0-9]+' | cut -d: -f2)
  lone=$("$SCRIPT" inspect lone | grep -oE '"Pid":[0-9]+' | cut -d: -f2)
  # outside: one network, IPC and PID namespace for the two; lone has its own IPC namespace and the host's PIDs
  for ns in net ipc pid; do [ "$(readlink "/proc/$main/ns/$ns")" = "$(readlink "/proc/$side/ns/$ns")" ]; done
  # side joined main's network through a descriptor of the script's, which no supervisor
  # keeps (it would keep main's namespace alive after main is gone): neither side's own nor
  # lone's, started after it by the same script
  local service supervisor
  for service in side lone; do
    supervisor=$("$SCRIPT" inspect "$service" | grep -oE '"SupervisorPid":[0-9]+' | cut -d: -f2)
    [ -n "$supervisor" ]
    ! ls -l "/proc/$supervisor/fd" | grep -q 'net:\[' || false
  done
  [ "$(readlink "/proc/$main/ns/ipc")" != "$(readlink "/proc/$lone/ns/ipc")" ]
  [ "$(readlink "/proc/$lone/ns/pid")" = "$(readlink /proc/self/ns/pid)" ]
  # inside: side reaches main's server on localhost, and sees its processes; main's hostname
  run -0 "$SCRIPT" exec side wget -q -O - http://127.0.0.1:8080/hostname
  [ "$output" = pod-1 ]
  run -0 "$SCRIPT" exec side ps -o args
  [[ $output == *"httpd -f -p 8080"* && $output == *"httpd -f -p 9090"* ]]
  # side's server answers at the port main publishes
  [ "$(fetch http://127.0.0.1:18095/hostname)" = pod-1 ]
  # pid: host: lone sees this test's shell
  "$SCRIPT" exec lone test -d "/proc/$$"
  # a restart of side stays in main's PID namespace
  kill -KILL "$side"
  local i
  for ((i = 0; i < 50; i++)); do
    side=$("$SCRIPT" inspect side | grep -oE '"Pid":[0-9]+' | cut -d: -f2) || side=''
    [[ -n $side && -e /proc/$side ]] && break
    sleep 0.1
  done
  [ "$(readlink "/proc/$main/ns/pid")" = "$(readlink "/proc/$side/ns/pid")" ]
  "$SCRIPT" down
}

@test "scale: N containers with their own names, addresses and host ports; the service's name reaches them; stop, start and down take them all" {
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  web:\n    image: rootfs:%s\n    init: true\n    scale: 3\n    ports: ["18100-18102:80"]\n' "$ROOTFS"
    printf '    command: ["/bin/httpd", "-f", "-p", "80", "-h", "/etc"]\n'
    printf '  client:\n    image: rootfs:%s\n    init: true\n    depends_on: [web]\n    command: ["sleep", "600"]\n' "$ROOTFS"
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  "$SCRIPT" up -d
  local k port
  for k in 1 2 3; do wait_running "$PROJECT-web-$k"; done
  run -0 "$SCRIPT" ps
  [ "$(grep -c " web .* running " <<< "$output")" -eq 3 ]
  # outside: each replica answers with its own hostname on a port of the range
  local -A seen=()
  for port in 18100 18101 18102; do seen[$(fetch "http://127.0.0.1:$port/hostname")]=1; done
  [ "${#seen[@]}" -eq 3 ]
  # inside: by container name, three addresses; by the service's name, one of them
  for k in 1 2 3; do
    run -0 "$SCRIPT" exec client wget -q -O - "http://$PROJECT-web-$k/hostname"
    [ "$output" = "$PROJECT-web-$k" ]
  done
  run -0 "$SCRIPT" exec client wget -q -O - http://web/hostname
  [[ $output == "$PROJECT-web-"[123] ]]
  # exec --index: which replica
  run -0 "$SCRIPT" exec --index 2 web hostname
  [ "$output" = "$PROJECT-web-2" ]
  run -1 --separate-stderr "$SCRIPT" exec --index 4 web hostname
  [[ $stderr == *"service web runs 3 container(s), so there is no --index 4"* ]]
  run -0 "$SCRIPT" exec client cat /etc/hosts
  [ "$(awk '$2 == "web"' <<< "$output" | wc -l)" -eq 3 ]
  # stop and start take every replica
  "$SCRIPT" stop web
  run -0 "$SCRIPT" ps
  [[ $output != *" web "* ]]
  "$SCRIPT" start web
  for k in 1 2 3; do wait_running "$PROJECT-web-$k"; done
  "$SCRIPT" down
}

@test "x-tupper.runtime_env: the script reads the variable when it runs, as one word, never as code; a missing required one stops the start before anything is made" {
  {
    printf 'name: %s\nx-tupper: {runtime_env: [DB_PASSWORD, TAG]}\nservices:\n' "$PROJECT"
    printf '  app:\n    image: rootfs:%s\n    network_mode: none\n' "$ROOTFS"
    printf '    command: ["/bin/sh", "-c", "echo \\"$$DB_PASSWORD\\"; echo \\"$$URL\\"", "${TAG:-v1}"]\n'
    printf '    environment:\n      DB_PASSWORD: "${DB_PASSWORD:?the password of the database}"\n      URL: "postgres://app@db/${TAG}"\n'
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  grep -q "runtime_value 'DB_PASSWORD' ':?' 'the password of the database'" "$SCRIPT"
  run -1 --separate-stderr env -u DB_PASSWORD "$SCRIPT" run --rm app
  [[ $stderr == *"the variable DB_PASSWORD (x-tupper.runtime_env): the password of the database; set it in the environment of app.sh"* ]]
  [ -z "$(leftovers_of "$PROJECT")" ]
  [ ! -e "$TUPPER_ROOT/containers" ]
  # a value that would be code anywhere it were evaluated arrives as it is, and runs nowhere
  local value="s3cr\$(touch $TEST_DIR/pwned)\`touch $TEST_DIR/pwned\`'\" x"
  run -0 --separate-stderr env DB_PASSWORD="$value" "$SCRIPT" run --rm app
  [ "$output" = "$value
postgres://app@db/v1" ]
  [ ! -e "$TEST_DIR/pwned" ]
  ! grep -qF 's3cr' "$SCRIPT" || false
  run -0 --separate-stderr env DB_PASSWORD=x TAG=v2 "$SCRIPT" run --rm app
  [ "${lines[1]}" = "postgres://app@db/v2" ]
}
