#!/usr/bin/env bats
# build: images built from Dockerfiles in tupper's own containers, with the layer cache
# (issue 23). The base is the busybox rootfs the other tests use, named through
# build.additional_contexts (base: rootfs:PATH); FROM base then uses it.
bats_require_minimum_version 1.5.0
load helpers

# Writes a Dockerfile (stdin) into the test's context and compiles a spec that builds it.
compile_build() {
  mkdir -p "$TEST_DIR/spec/ctx"
  cat > "$TEST_DIR/spec/ctx/Dockerfile"
  compile_spec app <<SPEC
name: $PROJECT
services:
  app:
    build:
      context: ./ctx
      additional_contexts:
        base: rootfs:$ROOTFS
SPEC
}

# How many lines of the last output say a step was $1 (CACHED, DONE).
count_of() { grep -c "^#[0-9]* $1" <<< "$output" || true; }

# The build containers this host still has (none after a build).
build_containers() { find "$TUPPER_ROOT/containers" -mindepth 2 -maxdepth 2 -name "*-build-*" 2> /dev/null; }

@test "build: multi-stage, COPY from the context and --from a stage, only the stages needed; the image runs with its config" {
  mkdir -p "$TEST_DIR/spec/ctx"
  echo from-context > "$TEST_DIR/spec/ctx/hello.txt"
  compile_build << 'DOCKERFILE'
FROM base AS builder
RUN echo built > /made.txt
FROM base AS unused
RUN echo never-run && exit 1
FROM base
WORKDIR /app
COPY hello.txt ./
COPY --from=builder /made.txt /app/
ENV GREETING=hi
USER 1000:1000
CMD ["/bin/sh", "-c", "cat /app/hello.txt /app/made.txt; echo $GREETING; id -u; pwd"]
DOCKERFILE
  # the script names each instruction's line, its values single-quoted
  grep -q "^ *# .*Dockerfile:2: RUN echo built > /made.txt" "$SCRIPT"
  grep -q "^ *build_run '.*Dockerfile:2' .* '/bin/sh' '-c' 'echo built > /made.txt'" "$SCRIPT"
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -eq 0 ]
  [[ $output != *never-run* ]]
  [ "$(count_of DONE)" -eq 3 ]
  [ -z "$(build_containers)" ]
  run "$SCRIPT" run --rm app
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = from-context ]
  [ "${lines[1]}" = built ]
  [ "${lines[2]}" = hi ]
  [ "${lines[3]}" = 1000 ]
  [ "${lines[4]}" = /app ]
}

@test "build: a rebuild with nothing changed runs no step and starts no container; a changed file reruns from its COPY on; --no-cache reruns all" {
  mkdir -p "$TEST_DIR/spec/ctx"
  echo one > "$TEST_DIR/spec/ctx/a.txt"
  echo x > "$TEST_DIR/spec/ctx/b.txt"
  compile_build << 'DOCKERFILE'
FROM base
RUN echo first > /first
COPY b.txt /b.txt
COPY a.txt /a.txt
RUN cat /a.txt > /copy-of-a
CMD ["cat", "/copy-of-a"]
DOCKERFILE
  run "$SCRIPT" build
  [ "$status" -eq 0 ]
  [ "$(count_of DONE)" -eq 4 ]
  # no step runs: a container would leave its trace in the trace of host commands
  run env TUPPER_TRACE="$TEST_DIR/trace" "$SCRIPT" build
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(count_of CACHED)" -eq 4 ]
  [ "$(count_of DONE)" -eq 0 ]
  [ -s "$TEST_DIR/trace" ]
  # (a `! cmd` in a test's middle never fails it: set -e ignores a negated status)
  if grep -q '\] container_create ' "$TEST_DIR/trace"; then echo "a cached build started a container" >&2 && false; fi
  touch "$TEST_DIR/spec/ctx/a.txt" # an mtime alone changes nothing
  run "$SCRIPT" build
  [ "$(count_of CACHED)" -eq 4 ]
  echo two > "$TEST_DIR/spec/ctx/a.txt"
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(count_of CACHED)" -eq 2 ]
  [ "$(count_of DONE)" -eq 2 ]
  run "$SCRIPT" run --rm app
  [ "$output" = two ]
  # --no-cache makes every layer again, each under a name of its own: the old ones stay as
  # they are, for the containers that run on them and the other images that list them
  local id old new
  id=$(grep -h " docker.io/library/$PROJECT-app:latest$" "$TUPPER_ROOT"/images/refs/* | cut -d' ' -f1)
  old=$(tail -n 1 "$TUPPER_ROOT/images/$id/layers")
  local layer_dir
  layer_dir=$(echo "$TUPPER_ROOT"/images/layers/*/"$old")
  touch "$layer_dir/rootfs/.tupper-old-layer" # gone if the layer were made again in place
  run "$SCRIPT" build --no-cache
  echo "$output"
  [ "$(count_of CACHED)" -eq 0 ]
  [ "$(count_of DONE)" -eq 4 ]
  [ -z "$(build_containers)" ]
  [ -e "$layer_dir/rootfs/.tupper-old-layer" ]
  id=$(grep -h " docker.io/library/$PROJECT-app:latest$" "$TUPPER_ROOT"/images/refs/* | cut -d' ' -f1)
  new=$(tail -n 1 "$TUPPER_ROOT/images/$id/layers")
  [ "$new" != "$old" ]
  run -0 "$SCRIPT" run --rm app
  [ "$output" = two ]
  # the next build takes what --no-cache made, not what it replaced
  run "$SCRIPT" build
  [ "$(count_of CACHED)" -eq 4 ]
  id=$(grep -h " docker.io/library/$PROJECT-app:latest$" "$TUPPER_ROOT"/images/refs/* | cut -d' ' -f1)
  [ "$(tail -n 1 "$TUPPER_ROOT/images/$id/layers")" = "$new" ]
}

@test "build: rmi in another project while a build runs waits for it; the layers the build has made are not pruned from under it" {
  compile_build << 'DOCKERFILE'
FROM base
RUN echo one > /one
RUN sleep 3 && echo two > /two
CMD ["cat", "/one", "/two"]
DOCKERFILE
  local builder=$SCRIPT other i
  compile_spec other < <(printf 'name: %s-other\nservices:\n  other:\n    image: rootfs:%s\n    command: ["/bin/true"]\n' "$PROJECT" "$ROOTFS")
  other=$SCRIPT
  "$builder" build > "$TEST_DIR/build.out" 2>&1 &
  local build=$!
  # the first step's layer is in the store, listed by no image yet: a prune now would take it
  for ((i = 0; i < 1200; i++)); do [[ $(grep -c '^#[0-9]* DONE' "$TEST_DIR/build.out") -ge 1 ]] && break; sleep 0.05; done
  grep -q '^#[0-9]* DONE' "$TEST_DIR/build.out"
  run -0 "$other" rmi
  # rmi returned only once the build had ended (it waited on the store's build lock, and said so)
  [[ $output == *"waiting for the build that runs on this host to end"* ]]
  grep -q 'naming to .* done' "$TEST_DIR/build.out"
  wait "$build"
  cat "$TEST_DIR/build.out"
  run -0 --separate-stderr "$builder" run --rm app
  [ "$output" = "one
two" ]
  [[ $stderr != *"building "* ]] # the image and every layer it lists were still there
}

@test "build: a build killed with SIGKILL in a RUN leaves nothing once down and the next build have run: no build directory, container or mount" {
  compile_build << 'DOCKERFILE'
FROM base
RUN echo one > /one
RUN sleep 30
DOCKERFILE
  setsid "$SCRIPT" build > "$TEST_DIR/build.out" 2>&1 &
  local build=$! i
  for ((i = 0; i < 1200; i++)); do grep -q "RUN .*sleep 30" "$TEST_DIR/build.out" && [[ -n $(build_containers) ]] && break; sleep 0.05; done
  grep -q "RUN .*sleep 30" "$TEST_DIR/build.out"
  sleep 0.5 # into the step's container
  kill -KILL -- "-$build"
  wait "$build" || true
  cat "$TEST_DIR/build.out"
  # what the killed build left: its directory in the store (and its step's container)
  [ -n "$(find "$TUPPER_ROOT/images" -maxdepth 1 -name '.build-[0-9]*')" ]
  "$SCRIPT" down
  [ -z "$(build_containers)" ]
  compile_build << 'DOCKERFILE'
FROM base
RUN echo one > /one
RUN echo two > /two
DOCKERFILE
  run -0 "$SCRIPT" build
  echo "$output"
  [[ $output == *"left by a build that was killed"* ]]
  [ -z "$(find "$TUPPER_ROOT/images" -maxdepth 1 -name '.build-[0-9]*')" ]
  [ -z "$(build_containers)" ]
  if grep -qF "$TUPPER_ROOT/images" /proc/self/mountinfo; then echo "a mount of the killed build is left" >&2 && false; fi
}

@test "build: RUN heredocs, one with #! run as its own file, and a cache mount that survives a rebuild" {
  compile_build << 'DOCKERFILE'
FROM base
RUN <<SCRIPT
echo line1 > /heredoc
echo line2 >> /heredoc
SCRIPT
RUN <<PROGRAM
#!/bin/sh -e
echo "line3 from $0" >> /heredoc
PROGRAM
RUN --mount=type=cache,target=/cache echo run >> /cache/runs && wc -l < /cache/runs > /runs
CMD ["cat", "/heredoc", "/runs"]
DOCKERFILE
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -eq 0 ]
  run "$SCRIPT" build --no-cache
  [ "$status" -eq 0 ]
  run "$SCRIPT" run --rm app
  echo "$output"
  [ "${lines[0]}" = line1 ]
  [ "${lines[1]}" = line2 ]
  [ "${lines[2]}" = "line3 from /dev/pipes/PROGRAM" ] # as BuildKit runs it
  [ "$(echo "${lines[3]}" | tr -d ' ')" = 2 ] # the second build saw the first one's cache
}

@test "build: RUN --mount options: a cache's uid, gid and mode; a secret's env, uid and mode, its text in no layer; a tmpfs's size" {
  mkdir -p "$TEST_DIR/spec/ctx"
  printf 'tupper-s3cret-41\n' > "$TEST_DIR/spec/token.txt"
  cat > "$TEST_DIR/spec/ctx/Dockerfile" << 'DOCKERFILE'
FROM base
RUN --mount=type=cache,target=/c,uid=1000,gid=2000,mode=0750 stat -c '%u:%g %a' /c > /cache-stat
RUN --mount=type=secret,id=tok,target=/run/secrets/tok,env=TOKEN,uid=1000,mode=0440 stat -c '%u:%g %a' /run/secrets/tok > /secret-stat && echo "${#TOKEN}" > /token-length
RUN --mount=type=tmpfs,target=/t,size=1m df -k /t | tail -n 1 > /tmpfs-df
DOCKERFILE
  compile_spec app << SPEC
name: $PROJECT
services:
  app:
    build:
      context: ./ctx
      additional_contexts:
        base: rootfs:$ROOTFS
      secrets: [tok]
secrets:
  tok:
    file: ./token.txt
SPEC
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -eq 0 ]
  run -0 "$SCRIPT" run --rm app cat /cache-stat /secret-stat /token-length /tmpfs-df
  echo "$output"
  [ "${lines[0]}" = "1000:2000 750" ]
  [ "${lines[1]}" = "1000:0 440" ]
  [ "${lines[2]}" = 17 ] # tupper-s3cret-41 and its newline: every byte, as BuildKit passes it
  [[ ${lines[3]} == "tmpfs "*" 1024 "* ]]
  if grep -rqs tupper-s3cret-41 "$TUPPER_ROOT/images/"; then echo "the secret is in the image store" >&2 && false; fi
  # the mount points of the cache, the secret and the tmpfs are not left in the image
  run -0 --separate-stderr "$SCRIPT" run --rm app sh -c 'for p in /c /t /run/secrets/tok /run/secrets; do if test -e "$p"; then echo "left: $p"; fi; done'
  [ -z "$output" ]
  # nor in the trace of what the build ran
  run env TUPPER_TRACE="$TEST_DIR/trace" "$SCRIPT" build --no-cache
  [ "$status" -eq 0 ]
  [ -s "$TEST_DIR/trace" ]
  if grep -qs tupper-s3cret-41 "$TEST_DIR/trace"; then echo "the secret is in TUPPER_TRACE" >&2 && false; fi
}

@test "build: RUN steps run on a build network of the project's own, with a route out, never on its compose networks where its services listen; the network goes with the build" {
  mkdir -p "$TEST_DIR/spec/ctx"
  printf 'FROM base\nRUN true\n' > "$TEST_DIR/spec/ctx/Dockerfile"
  cat > "$TEST_DIR/in.yaml" << SPEC
name: $PROJECT
services:
  db:
    image: rootfs:$ROOTFS
    init: true
    command: ["/bin/httpd", "-f", "-p", "80", "-h", "/etc"]
  app:
    build:
      context: ./ctx
      additional_contexts:
        base: rootfs:$ROOTFS
SPEC
  compile_spec app < "$TEST_DIR/in.yaml"
  "$SCRIPT" up -d db
  wait_running "$PROJECT-db-1"
  local addr gateway
  addr=$("$SCRIPT" inspect db | grep -oE '"IPAddress":"[0-9.]+"' | head -n 1 | cut -d'"' -f4)
  gateway=$("$SCRIPT" inspect db | grep -oE '"Gateway":"[0-9.]+"' | head -n 1 | cut -d'"' -f4)
  [[ $addr =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]
  # outside: the database answers on its address
  fetch "http://$addr/hostname" > /dev/null
  # inside a RUN step: a default route, an address on another subnet, and no way to the database
  printf 'FROM base\nRUN ip -4 route > /route; ip -4 -o addr show eth0 > /addr; if wget -q -T 2 -O /dev/null http://%s/hostname; then echo reached; else echo isolated; fi > /db\n' "$addr" > "$TEST_DIR/spec/ctx/Dockerfile"
  compile_spec app < "$TEST_DIR/in.yaml"
  run "$SCRIPT" build app
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$(find "$TUPPER_RUN/networks" -maxdepth 1 -name "${PROJECT}_.build")" ]
  run -0 --separate-stderr "$SCRIPT" run --rm app cat /route /addr /db
  echo "$output"
  [[ $output == *"default via "* ]]
  [[ $output != *"default via $gateway "* ]] # not through the database's network
  [ "${lines[-1]}" = isolated ]
  "$SCRIPT" down
}

@test "build: RUN --mount=type=bind of a context file, a context directory and a stage's file: read in the step, never in the layer; a changed bound file reruns the step" {
  mkdir -p "$TEST_DIR/spec/ctx/conf"
  printf 'flask==3\n' > "$TEST_DIR/spec/ctx/requirements.txt"
  printf 'a\n' > "$TEST_DIR/spec/ctx/conf/a.conf"
  compile_build << 'DOCKERFILE'
FROM base AS tool
RUN echo from-stage > /made
FROM base
RUN --mount=type=bind,source=requirements.txt,target=/tmp/req.txt cat /tmp/req.txt > /installed
RUN --mount=type=bind,source=conf,target=/c --mount=type=bind,from=tool,source=/made,target=/m cat /c/a.conf /m > /seen
RUN --mount=type=bind,source=conf,target=/c,rw touch /c/written && ls /c > /listed
CMD ["cat", "/installed", "/seen", "/listed"]
DOCKERFILE
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -eq 0 ]
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "flask==3
a
from-stage
a.conf
written" ]
  # what was bound is not in the image, nor are the mount points made for it (BuildKit
  # removes them too); a rw bind's writes went nowhere
  run -0 --separate-stderr "$SCRIPT" run --rm app sh -c 'for p in /c /m /tmp/req.txt; do if test -e "$p"; then echo "left: $p"; fi; done'
  [ -z "$output" ]
  [ ! -e "$TEST_DIR/spec/ctx/conf/written" ]
  # the bound file is part of the step's key: changed, its step and the ones after run again
  printf 'flask==4\n' > "$TEST_DIR/spec/ctx/requirements.txt"
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(count_of CACHED)" -eq 1 ] # stage tool's RUN
  [ "$(count_of DONE)" -eq 3 ]
  run -0 --separate-stderr "$SCRIPT" run --rm app cat /installed
  [ "$output" = "flask==4" ]
}

# Serves directory $1 over https on 127.0.0.1:$2 (in the test's own network namespace) with a
# certificate made for the test; CURL_CA_BUNDLE names it for the build's curl. The server is
# one of the test's PEER_PIDS, which teardown ends.
serve_https() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$TEST_DIR/tls.key" -out "$TEST_DIR/tls.crt" 2> /dev/null
  node -e '
    const [dir, port, key, cert] = process.argv.slice(1);
    const fs = require("fs"), path = require("path");
    require("https").createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, (req, res) => {
      console.log(`GET ${req.url}`);
      const file = path.join(dir, path.basename(req.url.split("?")[0]));
      fs.readFile(file, (err, data) => { if (err) { res.writeHead(404); res.end(); } else { res.writeHead(200); res.end(data); } });
    }).listen(Number(port), "127.0.0.1", () => console.log("listening"));
  ' "$1" "$2" "$TEST_DIR/tls.key" "$TEST_DIR/tls.crt" > "$TEST_DIR/https.out" 2>&1 3>&- &
  PEER_PIDS+=("$!") # ended by teardown
  local i
  for ((i = 0; i < 200; i++)); do grep -q listening "$TEST_DIR/https.out" && break; sleep 0.05; done
  grep -q listening "$TEST_DIR/https.out"
  export CURL_CA_BUNDLE="$TEST_DIR/tls.crt"
}

@test "build: ADD of an https URL downloads it, checked by --checksum; a cached rebuild does not download a checksummed URL again; a wrong checksum stops the build and keeps nothing" {
  mkdir -p "$TEST_DIR/www"
  printf 'tupper-downloaded-8d1\n' > "$TEST_DIR/www/tool.txt"
  local sum
  sum=$(sha256sum < "$TEST_DIR/www/tool.txt" | cut -d' ' -f1)
  serve_https "$TEST_DIR/www" 18443
  compile_build << DOCKERFILE
FROM base
ADD --checksum=sha256:$sum https://127.0.0.1:18443/tool.txt /opt/
ADD https://127.0.0.1:18443/tool.txt?x=1 /plain.txt
CMD ["sh", "-c", "cat /opt/tool.txt /plain.txt; stat -c %a /opt/tool.txt"]
DOCKERFILE
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -eq 0 ]
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "tupper-downloaded-8d1
tupper-downloaded-8d1
600" ]
  # a rebuild: the checksummed ADD is cached by its checksum and asks the server nothing (as
  # BuildKit); the plain one downloads again, as its key is what the server sends
  [ "$(grep -c '^GET /tool.txt$' "$TEST_DIR/https.out")" -eq 1 ]
  run -0 "$SCRIPT" build
  echo "$output"
  [ "$(count_of CACHED)" -eq 2 ]
  [ "$(grep -c '^GET /tool.txt$' "$TEST_DIR/https.out")" -eq 1 ]
  [ "$(grep -c '^GET /tool.txt?x=1$' "$TEST_DIR/https.out")" -eq 2 ]
  # the server now sends other bytes: the checksum stops the build (--no-cache: the cached
  # step would not download them), and no layer holds them
  printf 'tupper-tampered-8d1\n' > "$TEST_DIR/www/tool.txt"
  run "$SCRIPT" build --no-cache
  echo "$output"
  [ "$status" -ne 0 ]
  [[ $output == *"Dockerfile:2: ADD https://127.0.0.1:18443/tool.txt: what it sent is sha256:"*", not sha256:$sum (--checksum); nothing of it was kept"* ]]
  if grep -rqs tupper-tampered-8d1 "$TUPPER_ROOT/images/"; then echo "the tampered download is in the store" >&2 && false; fi
}

@test "build: COPY --from and a bind mount from a stage keep each file's owner, as Docker's do; the context's files, and a directory context's, are root's; --chown overrides" {
  mkdir -p "$TEST_DIR/spec/ctx" "$TEST_DIR/spec/assets"
  echo ctx > "$TEST_DIR/spec/ctx/ctx.txt"
  chown 4321:4321 "$TEST_DIR/spec/ctx/ctx.txt"
  echo asset > "$TEST_DIR/spec/assets/a.txt"
  chown -R 4321:4321 "$TEST_DIR/spec/assets"
  cat > "$TEST_DIR/spec/ctx/Dockerfile" << 'DOCKERFILE'
FROM base AS builder
RUN mkdir /out && echo built > /out/made.txt && chown -R 1234:5678 /out
FROM base
COPY --from=builder /out /kept
COPY --from=builder --chown=7:8 /out/made.txt /chowned.txt
COPY ctx.txt /ctx.txt
COPY --from=assets a.txt /asset.txt
RUN --mount=type=bind,from=builder,source=/out,target=/m stat -c %u:%g /m/made.txt > /bind-owner
RUN --mount=type=bind,from=assets,target=/am stat -c %u:%g /am/a.txt > /asset-bind-owner
CMD ["/bin/sh", "-c", "stat -c %u:%g /kept /kept/made.txt /chowned.txt /ctx.txt /asset.txt; cat /bind-owner /asset-bind-owner"]
DOCKERFILE
  compile_spec app << SPEC
name: $PROJECT
services:
  app:
    build:
      context: ./ctx
      additional_contexts:
        base: rootfs:$ROOTFS
        assets: ./assets
SPEC
  run -0 "$SCRIPT" build
  run -0 --separate-stderr "$SCRIPT" run --rm app
  # /kept is made by the copy (root's, as BuildKit makes it); what it holds keeps its owner;
  # assets is a local context (Docker's are root's), whoever owns its files here
  [ "$output" = $'0:0\n1234:5678\n7:8\n0:0\n0:0\n1234:5678\n0:0' ]
}

@test "build: an image of more layers than a mount's options can name by path (45) still takes COPY and RUN steps over them" {
  mkdir -p "$TEST_DIR/spec/ctx"
  echo copied > "$TEST_DIR/spec/ctx/f.txt"
  {
    echo "FROM base"
    for ((i = 1; i <= 44; i++)); do echo "RUN echo $i > /layer-$i"; done
    echo "COPY f.txt /f.txt"
    echo "RUN --mount=type=tmpfs,target=/new/mount/point cat /layer-1 /layer-44 /f.txt > /all"
    echo 'CMD ["cat", "/all"]'
  } > "$TEST_DIR/Dockerfile.in"
  compile_build < "$TEST_DIR/Dockerfile.in" # (not through a pipe: compile_build sets SCRIPT)
  run -0 "$SCRIPT" build
  # the layers are overlay directories (diff), the layout whose mounts name every layer
  [ -d "$TUPPER_ROOT/images/layers/diff" ]
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = $'1\n44\ncopied' ]
  # the tmpfs's mount point, made for the step, is not in the image (build_stubs read all 46 layers)
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/sh -c 'test -e /new && echo kept || echo gone'
  [ "$output" = gone ]
}

@test "build: COPY --chmod with symbolic clauses changes each file's own mode, as BuildKit does" {
  mkdir -p "$TEST_DIR/spec/ctx"
  printf '#!/bin/sh\necho ran\n' > "$TEST_DIR/spec/ctx/tool.sh"
  chmod 0644 "$TEST_DIR/spec/ctx/tool.sh"
  compile_build << 'DOCKERFILE'
FROM base
COPY --chmod=u+x,go-r tool.sh /usr/local/bin/tool
CMD ["/bin/sh", "-c", "stat -c %a /usr/local/bin/tool; /usr/local/bin/tool"]
DOCKERFILE
  run -0 "$SCRIPT" build
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = $'700\nran' ] # 0644, then u+x: 0744, then go-r: 0700
}

@test "build: COPY --from and RUN --mount from= an image (not a stage) take its files, the image made a stage of its own" {
  compile_build << 'DOCKERFILE'
FROM base
COPY --from=base /etc/passwd /copied-passwd
RUN --mount=type=bind,from=base,source=/etc/passwd,target=/mnt/passwd cmp /etc/passwd /copied-passwd && cmp /mnt/passwd /copied-passwd && echo same > /result
CMD ["cat", "/result"]
DOCKERFILE
  grep -q "the image base, which it takes files from, as a stage of its own" "$SCRIPT"
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -eq 0 ]
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = same ]
}

@test "build: up builds a missing image first; up --build builds again" {
  compile_build << 'DOCKERFILE'
FROM base
RUN echo up > /said
CMD ["sh", "-c", "cat /said; sleep 30"]
DOCKERFILE
  run "$SCRIPT" up -d
  echo "$output"
  [ "$status" -eq 0 ]
  [[ $output == *RUN* ]]
  run "$SCRIPT" images
  echo "$output"
  [[ $output == *"$PROJECT-app"* ]]
  run "$SCRIPT" up -d --build
  echo "$output"
  [ "$status" -eq 0 ]
  [[ $output == *CACHED* ]]
  run "$SCRIPT" down
  [ "$status" -eq 0 ]
}

@test "build: hostile context: a symlink to /etc/shadow and COPY ../x stay confined; nothing is left" {
  mkdir -p "$TEST_DIR/spec/ctx"
  ln -s /etc/shadow "$TEST_DIR/spec/ctx/shadow"
  echo tupper-outside-the-context-5c1 > "$TEST_DIR/spec/x"
  compile_build << 'DOCKERFILE'
FROM base
COPY shadow /stolen
DOCKERFILE
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -ne 0 ]
  # no layer holds the host's shadow file under the name the Dockerfile gave it
  [ -z "$(find "$TUPPER_ROOT/images/layers" -name stolen)" ]
  compile_build << 'DOCKERFILE'
FROM base
COPY ../x /x
DOCKERFILE
  run "$SCRIPT" build
  echo "$output"
  # ../x is x in the context (BuildKit cleans it so), and there is none
  [ "$status" -ne 0 ]
  if grep -rqs tupper-outside-the-context-5c1 "$TUPPER_ROOT/images/layers/"; then echo "the file outside the context reached a layer" >&2 && false; fi
  [ -z "$(find "$TUPPER_ROOT/images" -maxdepth 1 -name '.build-[0-9]*')" ]
  [ -z "$(build_containers)" ]
}

@test "build: attack: a context file rewritten in place between the step's hash and its copy fails the step; no layer holds it under the key of what was hashed" {
  gcc -static -O2 -o "$TEST_DIR/rewrite-on-read" "$BATS_TEST_DIRNAME/rewrite-on-read.c"
  mkdir -p "$TEST_DIR/spec/ctx"
  echo benign > "$TEST_DIR/spec/ctx/req.txt"
  compile_build << 'DOCKERFILE'
FROM base
COPY req.txt /req.txt
CMD ["cat", "/req.txt"]
DOCKERFILE
  # the user who owns the context rewrites the file as soon as the build's hash has read it
  "$TEST_DIR/rewrite-on-read" "$TEST_DIR/spec/ctx/req.txt" tupper-rewritten-5e2 > "$TEST_DIR/rewrite.out" 2>&1 &
  local rewriter=$! i
  for ((i = 0; i < 1200; i++)); do grep -q watching "$TEST_DIR/rewrite.out" && break; sleep 0.05; done
  grep -q watching "$TEST_DIR/rewrite.out"
  run "$SCRIPT" build
  echo "$output"
  for ((i = 0; i < 600; i++)); do kill -0 "$rewriter" 2> /dev/null || break; sleep 0.05; done
  if kill -0 "$rewriter" 2> /dev/null; then kill "$rewriter" && echo "the rewrite did not happen" >&2 && false; fi
  wait "$rewriter"
  [ "$status" -ne 0 ]
  [[ $output == *"changed while it was copied"* ]]
  if grep -rqs tupper-rewritten-5e2 "$TUPPER_ROOT/images/"; then echo "the rewritten file is in the image store" >&2 && false; fi
  [ -z "$(build_containers)" ]
  [ -z "$(find "$TUPPER_ROOT/images" -maxdepth 1 -name '.build-[0-9]*')" ]
  # the file as it is now builds under a key of its own
  run -0 "$SCRIPT" build
  run -0 "$SCRIPT" run --rm app
  [ "$output" = tupper-rewritten-5e2 ]
}

@test "build: two images that differ only in CMD against ENTRYPOINT, or a CMD word against an ENV entry, get IDs of their own and run their own config" {
  mkdir -p "$TEST_DIR/spec/a" "$TEST_DIR/spec/b" "$TEST_DIR/spec/c" "$TEST_DIR/spec/d"
  printf 'FROM base\nCMD ["/bin/echo", "from-cmd"]\n' > "$TEST_DIR/spec/a/Dockerfile"
  printf 'FROM base\nENTRYPOINT ["/bin/echo", "from-cmd"]\n' > "$TEST_DIR/spec/b/Dockerfile"
  printf 'FROM base\nCMD ["/bin/sh", "-c", "echo ${MARK:-unset}", "MARK=set"]\n' > "$TEST_DIR/spec/c/Dockerfile"
  printf 'FROM base\nCMD ["/bin/sh", "-c", "echo ${MARK:-unset}"]\nENV MARK=set\n' > "$TEST_DIR/spec/d/Dockerfile"
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    for s in a b c d; do
      printf '  %s:\n    build:\n      context: ./%s\n      additional_contexts:\n        base: rootfs:%s\n' "$s" "$s" "$ROOTFS"
    done
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  run -0 "$SCRIPT" build
  local s
  local -A id=()
  for s in a b c d; do
    id[$s]=$(grep -h " docker.io/library/$PROJECT-$s:latest$" "$TUPPER_ROOT"/images/refs/* | cut -d' ' -f1)
    [[ ${id[$s]} =~ ^[0-9a-f]{64}$ ]]
  done
  [ "${id[a]}" != "${id[b]}" ]
  [ "${id[c]}" != "${id[d]}" ]
  # each runs its own: b's ENTRYPOINT takes the run's arguments, a's CMD is replaced by them
  run -0 "$SCRIPT" run --rm a
  [ "$output" = from-cmd ]
  run -0 "$SCRIPT" run --rm b extra
  [ "$output" = "from-cmd extra" ]
  run -0 "$SCRIPT" run --rm c
  [ "$output" = unset ]
  run -0 "$SCRIPT" run --rm d
  [ "$output" = set ]
}

@test "build: an image whose /usr is a symlink to /: COPY to /usr/x lands in the image, not on the host" {
  mkdir -p "$TEST_DIR/spec/ctx"
  echo payload > "$TEST_DIR/spec/ctx/p"
  compile_build << 'DOCKERFILE'
FROM base
RUN rm -rf /usr && ln -s / /usr
COPY p /usr/tupper-build-escape
CMD ["cat", "/tupper-build-escape"]
DOCKERFILE
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -eq 0 ]
  [ ! -e /tupper-build-escape ]
  [ ! -e /usr/tupper-build-escape ]
  run "$SCRIPT" run --rm app
  [ "$output" = payload ]
}

@test "build: a failing RUN stops the build with its line, and leaves no container, mount or layer of it" {
  compile_build << 'DOCKERFILE'
FROM base
RUN echo tupper-half-made-7f3 > /p && exit 3
DOCKERFILE
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -ne 0 ]
  [[ $output == *"Dockerfile:2: RUN failed with status 3"* ]]
  [ -z "$(build_containers)" ]
  [ -z "$(find "$TUPPER_ROOT/images" -maxdepth 1 -name '.build-[0-9]*')" ]
  ! grep -rqs tupper-half-made-7f3 "$TUPPER_ROOT/images/layers/" || false
}

@test "build: .dockerignore with ** and ! exceptions: what the compiler writes is what the helper reads, for the copy and for the cache key" {
  mkdir -p "$TEST_DIR/spec/ctx/logs" "$TEST_DIR/spec/ctx/sub/deep" "$TEST_DIR/spec/ctx/node_modules/x"
  echo keep > "$TEST_DIR/spec/ctx/keep.txt"
  echo a > "$TEST_DIR/spec/ctx/logs/a.log"
  echo b > "$TEST_DIR/spec/ctx/sub/deep/b.log"
  echo important > "$TEST_DIR/spec/ctx/sub/deep/important.log"
  echo y > "$TEST_DIR/spec/ctx/node_modules/x/y.js"
  printf '# build noise\n**/*.log\n!sub/**/important.log\nnode_modules\n' > "$TEST_DIR/spec/ctx/.dockerignore"
  compile_build << 'DOCKERFILE'
FROM base
COPY . /ctx
CMD ["sh", "-c", "cd /ctx && find . -type f | sort"]
DOCKERFILE
  # the script holds the cleaned patterns, one a line, as helper/CONTEXT.md says the helper reads them
  grep -qF "BUILD_IGNORE='**/*.log" "$SCRIPT"
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -eq 0 ]
  run "$SCRIPT" run --rm app
  echo "$output"
  [ "$output" = "$(printf './.dockerignore\n./Dockerfile\n./keep.txt\n./sub/deep/important.log')" ]
  # an ignored file changes no key; a taken-back one does
  echo b2 > "$TEST_DIR/spec/ctx/sub/deep/b.log"
  echo y2 > "$TEST_DIR/spec/ctx/node_modules/x/y.js"
  run "$SCRIPT" build
  [ "$status" -eq 0 ]
  [ "$(count_of CACHED)" -eq 1 ]
  [ "$(count_of DONE)" -eq 0 ]
  echo important2 > "$TEST_DIR/spec/ctx/sub/deep/important.log"
  run "$SCRIPT" build
  [ "$status" -eq 0 ]
  [ "$(count_of DONE)" -eq 1 ]
  [ -z "$(build_containers)" ]
}

@test "build: COPY --chown names from the image's /etc/passwd and /etc/group; ADD of a local tar unpacks it, confined; RUN --network=none" {
  mkdir -p "$TEST_DIR/spec/ctx" "$TEST_DIR/tree/d"
  echo file > "$TEST_DIR/spec/ctx/f.txt"
  echo in-tar > "$TEST_DIR/tree/d/t.txt"
  tar -czf "$TEST_DIR/spec/ctx/files.tar.gz" -C "$TEST_DIR/tree" d
  # a hostile archive: ../ and an absolute name
  python3 - "$TEST_DIR/spec/ctx/evil.tar" << 'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    for name in ("../../../../../../tmp/tupper-add-escape-5d1", "/tupper-add-escape-5d1"):
        data = b"escaped\n"
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
PY
  compile_build << 'DOCKERFILE'
FROM base
RUN echo 'app:x:1234:2345::/home/app:/bin/sh' >> /etc/passwd && echo 'crew:x:3456:' >> /etc/group
COPY --chown=app f.txt /f-app
COPY --chown=app:crew f.txt /f-app-crew
ADD files.tar.gz /unpacked/
ADD --chown=app files.tar.gz /unpacked-app
ADD evil.tar /evil/
ADD --unpack=false files.tar.gz /kept/
ADD f*.t?t /txts/
RUN cat /proc/net/dev > /net-default
RUN --network=none cat /proc/net/dev > /net-none
CMD ["sh", "-c", "stat -c '%n %u:%g' /f-app /f-app-crew /unpacked-app/d/t.txt; cat /unpacked/d/t.txt; find /evil -type f | sort; ls /kept; grep -c eth0 /net-default; grep -c eth0 /net-none; cat /txts/f.txt"]
DOCKERFILE
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -eq 0 ]
  [ ! -e /tmp/tupper-add-escape-5d1 ]
  [ ! -e /tupper-add-escape-5d1 ]
  run "$SCRIPT" run --rm app
  echo "$output"
  [ "${lines[0]}" = "/f-app 1234:2345" ]
  [ "${lines[1]}" = "/f-app-crew 1234:3456" ]
  [ "${lines[2]}" = "/unpacked-app/d/t.txt 1234:2345" ]
  [ "${lines[3]}" = in-tar ]
  [ "${lines[4]}" = /evil/tmp/tupper-add-escape-5d1 ]
  [ "${lines[5]}" = /evil/tupper-add-escape-5d1 ]
  [ "${lines[6]}" = files.tar.gz ]
  [ "${lines[7]}" = 1 ]
  [ "${lines[8]}" = 0 ]
  [ "${lines[9]}" = file ]
  [ -z "$(build_containers)" ]
  [ -z "$(find "$TUPPER_ROOT/images" -maxdepth 1 -name '.build-[0-9]*')" ]
}

@test "build: --chown of a user the image lacks is an error at its line; the image's /etc/passwd is read inside the image, not through its link to the host's" {
  compile_build << 'DOCKERFILE'
FROM base
RUN rm /etc/passwd && ln -s /etc/shadow /etc/passwd
COPY --chown=root Dockerfile /d
DOCKERFILE
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -ne 0 ]
  [[ $output == *"Dockerfile:3: --chown=root: no such user or group in the image"* ]]
  [[ $output == *"unable to find user root"* ]]
  [ -z "$(build_containers)" ]
}

@test "build: build SERVICE and build.network: none; images lists the built image; tupper check notices a changed Dockerfile and .dockerignore; image prune removes unused build layers and caches" {
  mkdir -p "$TEST_DIR/spec/ctx" "$TEST_DIR/work/generated"
  cat > "$TEST_DIR/spec/ctx/Dockerfile" << 'DOCKERFILE'
FROM base AS tmp
RUN echo intermediate > /i
FROM base
COPY --from=tmp /i /i
RUN --mount=type=cache,target=/c grep -c eth0 /proc/net/dev > /net || echo 0 > /net; touch /c/was-here
ENV MODE=built
WORKDIR /srv
USER nobody
EXPOSE 8080
LABEL org.example.kind=test
STOPSIGNAL SIGINT
ENTRYPOINT ["sh", "-c"]
CMD ["echo $MODE; cat /net; pwd; id -u; sleep 30"]
DOCKERFILE
  compile_spec app << SPEC
name: $PROJECT
services:
  app:
    build:
      context: ./ctx
      network: none
      additional_contexts:
        base: rootfs:$ROOTFS
SPEC
  run "$SCRIPT" build nosuch
  [ "$status" -ne 0 ]
  # plan build prints the build's host commands, and changes nothing
  host_snapshot > "$TEST_DIR/snapshot.before"
  run "$SCRIPT" plan build app
  echo "$output"
  [ "$status" -eq 0 ]
  [[ $output == *"tupper-init context-copy --context '(stage 0)'"* ]]
  [[ $output == *"a container over layers"*"running '/bin/sh' '-c' 'echo intermediate > /i'"* ]]
  [[ $output == *"mv -T -- $TUPPER_ROOT/images/.build-"*"/image $TUPPER_ROOT/images/"* ]]
  host_snapshot > "$TEST_DIR/snapshot.after"
  diff "$TEST_DIR/snapshot.before" "$TEST_DIR/snapshot.after"
  run "$SCRIPT" build app
  echo "$output"
  [ "$status" -eq 0 ]
  run "$SCRIPT" images
  echo "$output"
  [[ $output == *"$PROJECT-app"* ]]
  [[ $output != *"not pulled"* ]]
  # the image's config, as up runs a pulled one
  run "$SCRIPT" up -d
  [ "$status" -eq 0 ]
  wait_running "$PROJECT-app-1"
  for ((i = 0; i < 100; i++)); do [ "$(log_text "$PROJECT-app-1" | wc -l)" -ge 4 ] && break; sleep 0.1; done
  run log_text "$PROJECT-app-1"
  echo "$output"
  [ "${lines[0]}" = built ]
  [ "${lines[1]}" = 0 ] # network: none: no eth0 in the RUN step
  [ "${lines[2]}" = /srv ]
  [ "${lines[3]}" = 65534 ]
  run "$SCRIPT" down
  [ "$status" -eq 0 ]
  # tupper check: the script is what the spec and its Dockerfile make, until either changes
  node "$CLI" compile "$TEST_DIR/spec/app.yaml" -o "$TEST_DIR/work/generated/app.sh"
  cd "$TEST_DIR/work"
  run node "$CLI" check "$TEST_DIR/spec/app.yaml"
  echo "$output"
  [ "$status" -eq 0 ]
  echo 'LABEL more=1' >> "$TEST_DIR/spec/ctx/Dockerfile"
  run node "$CLI" check "$TEST_DIR/spec/app.yaml"
  echo "$output"
  [ "$status" -eq 1 ]
  [[ $output == *"LABEL more=1"* ]]
  sed -i '$d' "$TEST_DIR/spec/ctx/Dockerfile"
  echo '*.tmp' > "$TEST_DIR/spec/ctx/.dockerignore"
  run node "$CLI" check "$TEST_DIR/spec/app.yaml"
  [ "$status" -eq 1 ]
  rm "$TEST_DIR/spec/ctx/.dockerignore"
  cd "$TEST_DIR"
  # prune: the stage tmp's layer and the cache mount are no image's; the image's layers stay
  [ -n "$(find "$TUPPER_ROOT/images/cache" -mindepth 1 -maxdepth 1)" ]
  layers_before=$(find "$TUPPER_ROOT"/images/layers/*/ -mindepth 1 -maxdepth 1 | wc -l)
  run "$SCRIPT" image prune
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$(find "$TUPPER_ROOT/images/cache" -mindepth 1 -maxdepth 1)" ]
  [ "$(find "$TUPPER_ROOT"/images/layers/*/ -mindepth 1 -maxdepth 1 | wc -l)" -lt "$layers_before" ]
  # what went was stage tmp's RUN layer: a rebuild runs it again, and finds the image's own layers
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(count_of DONE)" -eq 1 ]
  [ "$(count_of CACHED)" -eq 2 ]
}

@test "build: ADD of a git URL is an error of tupper compile at its line and column; nothing is built" {
  run compile_build << 'DOCKERFILE'
FROM base
ADD https://github.com/moby/buildkit.git#v0.12 /src
DOCKERFILE
  echo "$output"
  [ "$status" -ne 0 ]
  [[ $output == *"ctx/Dockerfile:2:5: error: ADD: https://github.com/moby/buildkit.git#v0.12 is a git repository; tupper does not fetch git sources"* ]]
  [ ! -e "$TEST_DIR/app.sh" ]
  [ ! -e "$TUPPER_ROOT/images" ]
}
