#!/usr/bin/env bats
# build: images built from Dockerfiles in tupper's own containers, with the layer cache
# (issue 23). The base is the busybox rootfs the other tests use, named through
# build.additional_contexts (base: rootfs:PATH); FROM base then uses it.
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
  ! grep -q '\] container_create ' "$TEST_DIR/trace"
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
  run "$SCRIPT" build --no-cache
  [ "$(count_of CACHED)" -eq 0 ]
  [ "$(count_of DONE)" -eq 4 ]
  [ -z "$(build_containers)" ]
}

@test "build: RUN heredocs, and a cache mount that survives a rebuild" {
  compile_build << 'DOCKERFILE'
FROM base
RUN <<SCRIPT
echo line1 > /heredoc
echo line2 >> /heredoc
SCRIPT
RUN --mount=type=cache,target=/cache echo run >> /cache/runs && wc -l < /cache/runs > /runs
CMD ["cat", "/heredoc", "/runs"]
DOCKERFILE
  run "$SCRIPT" build
  [ "$status" -eq 0 ]
  run "$SCRIPT" build --no-cache
  [ "$status" -eq 0 ]
  run "$SCRIPT" run --rm app
  echo "$output"
  [ "${lines[0]}" = line1 ]
  [ "${lines[1]}" = line2 ]
  [ "$(echo "${lines[2]}" | tr -d ' ')" = 2 ] # the second build saw the first one's cache
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
  echo outside > "$TEST_DIR/spec/x"
  compile_build << 'DOCKERFILE'
FROM base
COPY shadow /stolen
DOCKERFILE
  run "$SCRIPT" build
  echo "$output"
  [ "$status" -ne 0 ]
  ! grep -rqs '^root:' "$TUPPER_ROOT/images/layers/"
  compile_build << 'DOCKERFILE'
FROM base
COPY ../x /x
DOCKERFILE
  run "$SCRIPT" build
  echo "$output"
  # ../x is x in the context (BuildKit cleans it so), and there is none
  [ "$status" -ne 0 ]
  ! grep -rqs outside "$TUPPER_ROOT/images/layers/"
  [ -z "$(find "$TUPPER_ROOT/images" -maxdepth 1 -name '.build-[0-9]*')" ]
  [ -z "$(build_containers)" ]
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
  ! grep -rqs tupper-half-made-7f3 "$TUPPER_ROOT/images/layers/"
}
