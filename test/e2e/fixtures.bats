#!/usr/bin/env bats
bats_require_minimum_version 1.5.0
# Real-world compose files (test/fixtures/compose/*/original.yaml, each a public file as it
# is), compiled as they are to show what tupper rejects (or that it takes them whole), then
# in the rewrite beside them (compose.yaml: build: and registry images replaced by local
# images, since the tests run offline) run end to end with traffic between the services.
load helpers
load oci-layout

# Copies fixture $1 to a directory named after the test's project (so that it is the
# project's default name, as Compose takes it), makes its images (each images/NAME is
# the stand-in's files on top of the busybox root), and compiles compose.yaml to $SCRIPT.
prepare_fixture() {
  FIXTURE="$TEST_DIR/$PROJECT"
  cp -a "$REPO/test/fixtures/compose/$1" "$FIXTURE"
  local image
  for image in "$FIXTURE"/images/*/; do cp -an "$ROOTFS/." "$image"; done
  node "$CLI" compile "$FIXTURE/compose.yaml" -o "$TEST_DIR/app.sh"
  SCRIPT="$TEST_DIR/app.sh"
}

# The compile errors of fixture $1's original file, as "PATH: MESSAGE" lines, sorted.
# Fails unless the compiler refused it (exit 2) and wrote nothing.
original_errors() {
  local status=0
  node "$CLI" compile "$REPO/test/fixtures/compose/$1/original.yaml" -o "$TEST_DIR/original.sh" 2> "$TEST_DIR/original.err" || status=$?
  [ "$status" -eq 2 ] && [ ! -e "$TEST_DIR/original.sh" ] || return 1
  sed -nE 's/^[^ ]+:[0-9]+:[0-9]+: error: //p' "$TEST_DIR/original.err" | LC_ALL=C sort
}

# Fails unless fixture $1's original file compiles as it is (its registry images are pulled
# when the script runs; the tests, offline, run the rewrite).
original_compiles() {
  node "$CLI" compile "$REPO/test/fixtures/compose/$1/original.yaml" -o "$TEST_DIR/original.sh" 2> "$TEST_DIR/original.err" || {
    cat "$TEST_DIR/original.err" >&2
    return 1
  }
  grep -q "^load_service() {" "$TEST_DIR/original.sh"
}

# Fetches URL $1 until its body contains $2 (up to 20 s); prints the body.
fetch_until() {
  local i body=''
  for ((i = 0; i < 100; i++)); do
    body=$(curl -sS --max-time 2 "$1" 2> /dev/null) || body=''
    if [[ $body == *"$2"* ]]; then
      printf '%s\n' "$body"
      return 0
    fi
    sleep 0.2
  done
  printf 'last answer from %s: %s\n' "$1" "$body" >&2
  return 1
}

@test "voting app (worker queue): votes go through vote, redis, worker and db, and result counts them" {
  # the original builds three services; the fixture keeps the compose file, not their build contexts
  [ "$(original_errors voting-app)" = "services.result.build: cannot read the Dockerfile $REPO/test/fixtures/compose/voting-app/result/Dockerfile (ENOENT); write it, or fix build.dockerfile
services.vote.build: cannot read the Dockerfile $REPO/test/fixtures/compose/voting-app/vote/Dockerfile (ENOENT); write it, or fix build.dockerfile
services.worker.build: the context \"./worker\" is not a directory ($REPO/test/fixtures/compose/voting-app/worker); make it, or fix build.context" ]
  prepare_fixture voting-app
  "$SCRIPT" up -d
  fetch_until "http://127.0.0.1:5000/cgi-bin/vote?a" "voted a"
  fetch_until "http://127.0.0.1:5000/cgi-bin/vote?b" "voted b"
  fetch_until "http://127.0.0.1:5000/cgi-bin/vote?a" "voted a"
  fetch_until "http://127.0.0.1:5001/cgi-bin/result" "2 a"
  run -0 curl -sS http://127.0.0.1:5001/cgi-bin/result
  [ "$output" = "2 a
1 b" ]
  "$SCRIPT" logs worker | grep -qx "processed b"
  # ports: ["6379"]: a host port of the kernel's choosing
  run -0 "$SCRIPT" ps
  [[ $output =~ 0\.0\.0\.0:[0-9]+-\>6379/tcp ]]
  # the worker is on back-tier only: its names are those of back-tier's services
  run -0 "$SCRIPT" exec worker cat /etc/hosts
  [[ $output =~ [[:space:]]redis[[:space:]] && $output =~ [[:space:]]db[[:space:]] ]]
  [ "$(grep -cw vote <<< "$output")" -eq 1 ] # vote's back-tier address only
  # the votes are in db's named volume: down keeps them, up sees them again
  "$SCRIPT" down
  "$SCRIPT" up -d
  fetch_until "http://127.0.0.1:5001/cgi-bin/result" "1 b"
  "$SCRIPT" down -v
}

@test "reverse proxy in front of two apps: nginx takes turns between web1 and web2, which count visits in redis" {
  # the original builds three services; the fixture keeps the compose file, not their build contexts
  [ "$(original_errors proxy-two-apps)" = "services.nginx.build: the context \"./nginx\" is not a directory ($REPO/test/fixtures/compose/proxy-two-apps/nginx); make it, or fix build.context
services.web1.build: the context \"./web\" is not a directory ($REPO/test/fixtures/compose/proxy-two-apps/web); make it, or fix build.context
services.web2.build: the context \"./web\" is not a directory ($REPO/test/fixtures/compose/proxy-two-apps/web); make it, or fix build.context" ]
  prepare_fixture proxy-two-apps
  "$SCRIPT" up -d
  fetch_until http://127.0.0.1:80/cgi-bin/visits "web1: Number of visits is: 1"
  [ "$(curl -sS http://127.0.0.1:80/cgi-bin/visits)" = "web2: Number of visits is: 2" ]
  [ "$(curl -sS http://127.0.0.1:80/cgi-bin/visits)" = "web1: Number of visits is: 3" ]
  # each app on its own published port too; redis's count is shared
  [ "$(curl -sS http://127.0.0.1:82/cgi-bin/visits)" = "web2: Number of visits is: 4" ]
  [ "$(curl -sS http://127.0.0.1:6379/cgi-bin/incr)" = "5" ]
  "$SCRIPT" down
}

@test "web, database and cache on two networks: the app reaches both; the cache cannot see the database" {
  original_compiles web-db-cache
  prepare_fixture web-db-cache
  "$SCRIPT" up -d
  # the app's files came into its empty named volume from the image, as Docker seeds one
  run -0 fetch_until http://127.0.0.1:80/cgi-bin/status "db: "
  [ "$output" = "cache: PONG
db: nextcloud ok, --transaction-isolation=READ-COMMITTED --binlog-format=ROW" ]
  [ -x "$TUPPER_ROOT/volumes/${PROJECT}_nc_data/_data/cgi-bin/status" ]
  # redis is on redisnet only: db has no name there, and db's address does not answer it
  run -0 "$SCRIPT" exec redis cat /etc/hosts
  [[ $output != *" db "* && $output != *"	db "* && $output != *" db"$'\n'* ]]
  local db_ip
  db_ip=$("$SCRIPT" inspect db | grep -oE '"dbnet":\{"IPAddress":"[0-9.]+"' | grep -oE '[0-9.]+"$' | tr -d '"')
  [[ -n $db_ip ]]
  # (busybox-static's wget -T crashes; timeout(1) bounds it instead)
  run -0 "$SCRIPT" exec nc timeout 3 wget -q -O - "http://$db_ip:3306/cgi-bin/query"
  [ "$output" = "access denied" ]
  run ! "$SCRIPT" exec redis timeout 3 wget -q -O - "http://$db_ip:3306/cgi-bin/query"
  "$SCRIPT" down
}

@test "proxy, backend and database: a file secret, health checks gating each start, and the page through all three" {
  # the original compiles up to its builds, whose contexts this fixture does not hold (the
  # rewrite runs local images instead); its logging.options.labels are accepted: no label of
  # its services has those names, so Docker adds nothing to their log records either
  local fixture="$REPO/test/fixtures/compose/proxy-backend-db"
  [ "$(original_errors proxy-backend-db)" = "services.backend.build: the context \"backend\" is not a directory ($fixture/backend); make it, or fix build.context
services.proxy.build: the context \"proxy\" is not a directory ($fixture/proxy); make it, or fix build.context" ]
  prepare_fixture proxy-backend-db
  run -0 --separate-stderr "$SCRIPT" up -d
  [[ $stderr == *"backend waits until db is healthy"* && $stderr == *"proxy waits until backend is healthy"* ]]
  run -0 "$SCRIPT" ps
  [[ $output == *"$PROJECT-db-1"*"running (healthy)"* && $output == *"$PROJECT-backend-1"*"running (healthy)"* ]]
  run -0 fetch_until http://127.0.0.1:80/cgi-bin/index "Blog post #4"
  [ "${lines[0]}" = "Blog post #0" ]
  "$SCRIPT" logs db | grep -qx "mariadbd --default-authentication-plugin=mysql_native_password ready for connections"
  # the secret: the host file, read-only, in the services that name it and only there
  run -0 "$SCRIPT" exec backend cat /run/secrets/db-password
  [ "$output" = "db-78n9n" ]
  run ! "$SCRIPT" exec backend sh -c 'echo x > /run/secrets/db-password'
  run ! "$SCRIPT" exec proxy test -e /run/secrets/db-password
  [ "$(cat "$FIXTURE/db/password.txt")" = "db-78n9n" ]
  "$SCRIPT" down
}

# A push is not idempotent (it appends the repository and inserts its row), so it is made
# once, after the server answers at all (any HTTP status), never retried: a retry after a
# slow first answer would push twice. $1: the repository; $2: the answer expected.
push_once() {
  local i
  for ((i = 0; i < 100; i++)); do
    curl -s -o /dev/null --max-time 2 http://127.0.0.1:3000/ && break
    sleep 0.2
  done
  run -0 curl -sS --max-time 60 "http://127.0.0.1:3000/cgi-bin/push?$1"
  [ "$output" = "$2" ] || { echo "push $1 answered: $output" >&2; false; }
}

@test "git server and database: a push goes into both named volumes, which outlive down" {
  original_compiles git-server-db
  prepare_fixture git-server-db
  "$SCRIPT" up -d
  push_once alpha "pushed alpha; 1 rows in gitea"
  "$SCRIPT" down
  "$SCRIPT" up -d
  push_once beta "pushed beta; 2 rows in gitea"
  [ "$(cat "$TUPPER_ROOT/volumes/${PROJECT}_git_data/_data/repositories")" = "alpha
beta" ]
  "$SCRIPT" down -v
  [ ! -e "$TUPPER_ROOT/volumes/${PROJECT}_db_data" ]
}

@test "monitoring: the public file mounts two things on one path; the last is mounted, as Compose v2 does, with a warning" {
  original_compiles monitoring
  grep -q "warning: services.prometheus.volumes\[1\]: mounts on /prometheus as volumes\[0\] does" "$TEST_DIR/original.err"
  grep -q "services.prometheus.volumes\[1\]: prom_data:/prometheus" "$TEST_DIR/original.sh"
  ! grep -q "etc/prometheus:/prometheus" "$TEST_DIR/original.sh" || false
}

# ---- The corpus (test/fixtures/corpus): public compose files run as published ----------
# Each file is compiled as it is (its project's shipped files beside it), then run with its
# images replaced by the busybox root: corpus-standin.mjs keeps everything else of the file
# (anchors, networks, volumes, ports, depends_on, env_file, security and resource keys) and
# gives each service a stand-in that serves its own name on its TCP ports.

# Fails unless corpus file $1 (its stem) compiles as published, beside its project's files.
corpus_compiles() {
  local dir="$TEST_DIR/original/$PROJECT"
  mkdir -p "$dir"
  cp "$REPO/test/fixtures/corpus/$1.yaml" "$dir/"
  if [[ -d $REPO/test/fixtures/corpus/$1.files ]]; then cp -a "$REPO/test/fixtures/corpus/$1.files/." "$dir/"; fi
  node "$CLI" compile "$dir/$1.yaml" -o "$dir/original.sh" 2> "$TEST_DIR/original.err" || {
    cat "$TEST_DIR/original.err" >&2
    return 1
  }
}

# Makes corpus file $1's stand-in project in a directory named after the test's project and
# compiles it to $SCRIPT.
prepare_corpus() {
  FIXTURE="$TEST_DIR/$PROJECT"
  mkdir -p "$FIXTURE"
  node "$BATS_TEST_DIRNAME/corpus-standin.mjs" "$REPO/test/fixtures/corpus/$1.yaml" "$FIXTURE"
  cp -a "$ROOTFS/." "$FIXTURE/rootfs/"
  if [[ -f $FIXTURE/passwd.add ]]; then
    cat "$FIXTURE/passwd.add" >> "$FIXTURE/rootfs/etc/passwd"
    cat "$FIXTURE/group.add" >> "$FIXTURE/rootfs/etc/group"
  fi
  node "$CLI" compile "$FIXTURE/compose.yaml" -o "$TEST_DIR/app.sh"
  SCRIPT="$TEST_DIR/app.sh"
}

# Waits (up to 20 s) until `ps` shows every container name in $@ as running, and healthy
# where the name is followed by "(healthy)" as its own word.
wait_ps() {
  local i want ok
  for ((i = 0; i < 100; i++)); do
    run "$SCRIPT" ps
    ok=1
    for want; do
      if [[ $want == "(healthy)" ]]; then continue; fi
      [[ $output == *"$want"*running* ]] || ok=0
    done
    ((ok)) && return 0
    sleep 0.2
  done
  echo "ps: $output" >&2
  return 1
}

@test "corpus: nextcloud's example (SELinux :z and :Z, env_file, entrypoint) runs; the labels change nothing on the host" {
  corpus_compiles nextcloud__docker__.examples__docker-compose__insecure__postgres__apache__compose
  prepare_corpus nextcloud__docker__.examples__docker-compose__insecure__postgres__apache__compose
  grep -q "volumes\[0\]: nextcloud:/var/www/html:z (SELinux label not applied" "$SCRIPT"
  "$SCRIPT" up -d
  wait_ps "$PROJECT-db-1" "$PROJECT-redis-1" "$PROJECT-app-1" "$PROJECT-cron-1"
  fetch_until http://127.0.0.1:8080/ app
  # env_file: db.env beside the file; environment beside it
  run -0 "$SCRIPT" exec app env
  [[ $output == *POSTGRES_DB=nextcloud* && $output == *POSTGRES_HOST=db* && $output == *REDIS_HOST=redis* ]]
  # cron shares app's named volume (both :z): what one writes the other reads
  "$SCRIPT" exec app sh -c 'echo shared > /var/www/html/mark'
  [ "$("$SCRIPT" exec cron cat /var/www/html/mark)" = shared ]
  [ "$("$SCRIPT" exec cron timeout 3 wget -qO- http://app/)" = app ]
  # no relabelling: the volume's directory keeps the label (or the absence of one) it had
  local volume="$TUPPER_ROOT/volumes/${PROJECT}_nextcloud/_data"
  [ -d "$volume" ]
  run getfattr -n security.selinux "$volume"
  [[ $output != *container_file_t* ]]
  "$SCRIPT" down -v
}

@test "corpus: bunkerweb (merged anchors, named networks with a subnet, sysctls, a health check) runs" {
  corpus_compiles docker__awesome-compose__bunkerweb-mariadb__compose
  prepare_corpus docker__awesome-compose__bunkerweb-mariadb__compose
  "$SCRIPT" up -d
  wait_ps "$PROJECT-bunkerweb-1" "$PROJECT-bw-scheduler-1" "$PROJECT-bw-ui-1" "$PROJECT-bw-db-1" "$PROJECT-valkey-1" "$PROJECT-app-1"
  fetch_until http://127.0.0.1:80/ bunkerweb
  # <<: *bw-env, then the service's own keys
  run -0 "$SCRIPT" exec bw-scheduler env
  [[ $output == *"API_WHITELIST_IP=127.0.0.0/8 10.20.30.0/24"* && $output == *BUNKERWEB_INSTANCES=bunkerweb* && $output == *DATABASE_URI=mariadb+pymysql://* ]]
  # bw-universe (name: bw-universe) has the file's subnet; the scheduler reaches bunkerweb there
  run -0 "$SCRIPT" exec bw-scheduler ip -4 -o addr show
  [[ $output == *" 10.20.30."* ]]
  [ "$("$SCRIPT" exec bw-scheduler timeout 3 wget -qO- http://bunkerweb:8080/)" = bunkerweb ]
  # app is on bw-services only: the scheduler has no name for it
  run "$SCRIPT" exec bw-scheduler timeout 3 wget -qO- http://app:80/
  [ "$status" -ne 0 ]
  [ "$("$SCRIPT" exec valkey cat /proc/sys/net/core/somaxconn)" = 1024 ]
  fetch_until_healthy valkey
  "$SCRIPT" down -v
}

@test "corpus: umami (a health check gating the start, depends_on with a condition, a literal $ in a check) runs" {
  corpus_compiles umami-software__umami__docker-compose
  grep -qF "'pg_isready -U \${POSTGRES_USER} -d \${POSTGRES_DB}'" "$TEST_DIR/original/$PROJECT/original.sh" # $$ is a literal $
  prepare_corpus umami-software__umami__docker-compose
  run -0 --separate-stderr "$SCRIPT" up -d
  [[ $stderr == *"umami waits until db is healthy"* ]]
  wait_ps "$PROJECT-db-1" "$PROJECT-umami-1"
  fetch_until_healthy db
  fetch_until http://127.0.0.1:3000/ umami
  run -0 "$SCRIPT" exec umami env
  [[ $output == *DATABASE_URL=postgresql://umami:umami@db:5432/umami* && $output == *DATABASE_TYPE=postgresql* ]]
  # the database's named volume outlives down, and down -v removes it
  "$SCRIPT" exec db sh -c 'echo kept > /var/lib/postgresql/data/mark'
  "$SCRIPT" down
  [ "$(cat "$TUPPER_ROOT/volumes/${PROJECT}_umami-db-data/_data/mark")" = kept ]
  "$SCRIPT" down -v
  [ ! -e "$TUPPER_ROOT/volumes/${PROJECT}_umami-db-data" ]
}

@test "corpus: odoo (tty, stdin_open, platform, container_name) runs" {
  corpus_compiles docker__awesome-compose__odoo-postgres__compose
  prepare_corpus docker__awesome-compose__odoo-postgres__compose
  grep -q "svc_platform='linux/amd64'" "$SCRIPT"
  if [[ $HOSTTYPE != x86_64 ]]; then
    run ! "$SCRIPT" up -d
    [[ $output == *"service odoo is for linux/amd64 (platform:)"* ]]
    return 0
  fi
  "$SCRIPT" up -d
  wait_ps odoo postgres
  fetch_until http://127.0.0.1:8069/ odoo
  [ "$("$SCRIPT" exec odoo timeout 3 wget -qO- http://postgres:5432/)" = postgres ]
  # tty: true: the container's standard streams are a terminal of its own
  run -0 "$SCRIPT" exec odoo sh -c 'readlink /proc/1/fd/1; readlink /proc/1/fd/0'
  [[ ${lines[0]} == /dev/pts/* && ${lines[1]} == /dev/pts/* ]]
  "$SCRIPT" down -v
}

@test "corpus: paperless (env_file of comments only, five services, depends_on) runs" {
  corpus_compiles paperless-ngx__paperless-ngx__docker__compose__docker-compose.postgres-tika
  prepare_corpus paperless-ngx__paperless-ngx__docker__compose__docker-compose.postgres-tika
  "$SCRIPT" up -d
  wait_ps "$PROJECT-broker-1" "$PROJECT-db-1" "$PROJECT-webserver-1" "$PROJECT-gotenberg-1" "$PROJECT-tika-1"
  fetch_until http://127.0.0.1:8000/ webserver
  run -0 "$SCRIPT" exec webserver env
  [[ $output == *PAPERLESS_TIKA_ENABLED=1* && $output == *PAPERLESS_REDIS=redis://broker:6379* ]]
  [ -d "$FIXTURE/export" ] && [ -d "$FIXTURE/consume" ]
  "$SCRIPT" down -v
}

@test "corpus: searxng (network_mode host, cap_drop ALL with cap_add, tmpfs, log rotation) runs" {
  corpus_compiles searxng__searxng-docker__docker-compose
  prepare_corpus searxng__searxng-docker__docker-compose
  "$SCRIPT" up -d
  wait_ps caddy redis searxng
  fetch_until http://127.0.0.1:8080/ searxng
  # cap_drop ALL, cap_add SETGID SETUID DAC_OVERRIDE: those three and nothing else
  run -0 "$SCRIPT" exec redis grep CapEff /proc/self/status
  [[ $output == *00000000000000c2* ]]
  run -0 "$SCRIPT" exec redis grep " /var/lib/redis " /proc/mounts
  [[ $output == tmpfs* ]]
  # network_mode: host: caddy sees the host's (this test's namespace's) interfaces
  [ "$("$SCRIPT" exec caddy cat /proc/net/dev | wc -l)" = "$(wc -l < /proc/net/dev)" ]
  "$SCRIPT" down -v
}

# Waits (up to 20 s) until service $1's container is healthy.
fetch_until_healthy() {
  local i
  for ((i = 0; i < 100; i++)); do
    run "$SCRIPT" ps
    [[ $output == *"$PROJECT-$1-1"*"running (healthy)"* ]] && return 0
    sleep 0.2
  done
  echo "ps: $output" >&2
  return 1
}

# An OCI image layout at $1 named health: the busybox root, with a HEALTHCHECK that passes
# once /tmp/ready exists, checked every 30 s (as an image's would be), one retry.
make_health_layout() {
  make_oci_layout "$1" health gzip '{"Cmd":["/bin/sleep","2147483647"],"Healthcheck":{"Test":["CMD-SHELL","test -e /tmp/ready"],"Interval":30000000000,"Timeout":5000000000,"Retries":1}}'
}

@test "a healthcheck without test runs the image's HEALTHCHECK, at the interval the spec gives" {
  make_health_layout "$TEST_DIR/layout"
  compile_spec app <<SPEC
name: $PROJECT
services:
  app:
    image: oci:$TEST_DIR/layout:health
    network_mode: none
    healthcheck:
      interval: 1s
SPEC
  "$SCRIPT" up -d
  # the image's test fails (no /tmp/ready) and its one retry is spent within seconds: the
  # spec's 1s interval, not the image's 30s
  local i
  for ((i = 0; i < 100; i++)); do
    run "$SCRIPT" ps
    [[ $output == *"running (unhealthy)"* ]] && break
    sleep 0.2
  done
  [[ $output == *"running (unhealthy)"* ]]
  "$SCRIPT" exec app touch /tmp/ready
  fetch_until_healthy app
  "$SCRIPT" down
}
