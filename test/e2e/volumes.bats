#!/usr/bin/env bats
# Bind mounts: read-write, read-only, relative to the spec, created or required, and safe.
bats_require_minimum_version 1.5.0
load helpers

@test "a read-write bind shows writes on both sides; a read-only one refuses them" {
  mkdir -p "$TEST_DIR/rw" "$TEST_DIR/ro"
  echo host > "$TEST_DIR/ro/file"
  compile_app "volumes: [\"$TEST_DIR/rw:/rw\", \"$TEST_DIR/ro:/ro:ro\"]" \
    'command: ["/bin/sh", "-c", "echo inside > /rw/out; cat /ro/file; echo x > /ro/file || echo refused"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$(cat "$TEST_DIR/rw/out")" = inside ]
  [ "${lines[0]}" = host ]
  [ "${lines[1]}" = refused ]
  [[ $stderr == *"Read-only file system"* ]]
  [ "$(cat "$TEST_DIR/ro/file")" = host ]
  ! grep -qF "$TEST_DIR/rw" /proc/self/mountinfo # the bind lived in the container's mount namespace only
}

@test "relative sources resolve against the spec's directory, wherever the script is run from" {
  mkdir -p "$TEST_DIR/spec/data"
  echo beside-the-spec > "$TEST_DIR/spec/data/f"
  compile_app 'volumes: ["./data:/data"]' 'command: ["/bin/cat", "/data/f"]'
  cd /
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = beside-the-spec ]
}

@test "short syntax creates a missing host directory; long syntax requires it unless asked" {
  compile_app 'volumes: ["./made:/m"]' 'command: ["/bin/sh", "-c", "touch /m/x"]'
  run -0 "$SCRIPT" run --rm app
  [ -e "$TEST_DIR/spec/made/x" ]
  compile_app 'volumes: [{type: bind, source: ./absent, target: /a}]' 'command: ["/bin/true"]'
  run -1 --separate-stderr "$SCRIPT" run --rm app
  [[ $stderr == *"the source of volume /a of service app: $TEST_DIR/spec/absent does not exist (create it, or set bind.create_host_path: true)"* ]]
  [ ! -e "$TEST_DIR/spec/absent" ]
  [ -z "$(ls "$TUPPER_ROOT/containers/$PROJECT" 2> /dev/null)" ]
}

@test "a volume target that is a symlink in the image cannot point the mount at the host" {
  cp -a "$ROOTFS" "$TEST_DIR/evil-rootfs"
  mkdir -p "$TEST_DIR/victim"
  ln -s "$TEST_DIR/victim" "$TEST_DIR/evil-rootfs/escape"
  mkdir -p "$TEST_DIR/src"
  printf 'name: %s\nservices:\n  app:\n    image: rootfs:../evil-rootfs\n    volumes: ["../src:/escape/x"]\n    command: [/bin/true]\n' "$PROJECT" > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  run -125 --separate-stderr "$SCRIPT" run --rm app
  [[ $stderr == *"tupper-init: open /escape/x (component escape is not a plain directory)"* ]]
  [ -z "$(ls -A "$TEST_DIR/victim")" ]
}
