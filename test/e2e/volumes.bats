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
  ! grep -qF "$TEST_DIR/rw" /proc/self/mountinfo || false # the bind lived in the container's mount namespace only
}

@test "mounts go shallowest first, as Docker sorts them: a volume inside a tmpfs is seen, not hidden by it" {
  mkdir -p "$TEST_DIR/spec/data"
  echo in-the-volume > "$TEST_DIR/spec/data/f"
  compile_app 'volumes: ["./data:/work/data:ro"]' 'tmpfs: ["/work"]' 'command: ["/bin/sh", "-c", "cat /work/data/f; grep -c \" /work \" /proc/self/mountinfo"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "${lines[0]}" = in-the-volume ]
  [ "${lines[1]}" = 1 ] # and the tmpfs is there, under it
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

@test "named volumes: a new one is filled from the image, services share it, down keeps it, down -v removes it; external ones must exist and stay" {
  # an image with a directory to copy, and a symlink that must not lead the copy to the host
  cp -a "$ROOTFS" "$TEST_DIR/img"
  mkdir "$TEST_DIR/img/seed"
  echo from-image > "$TEST_DIR/img/seed/file"
  chown 1234:1234 "$TEST_DIR/img/seed/file"
  ln -s /etc "$TEST_DIR/img/evil"
  local svc
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    for svc in writer reader bare outside trap; do
      printf '  %s:\n    image: rootfs:%s\n    network_mode: none\n    command: ["true"]\n' "$svc" "$TEST_DIR/img"
      case $svc in
        writer) printf '    volumes: ["data:/seed"]\n' ;;
        trap) printf '    volumes: ["evil:/evil"]\n' ;;
        reader) printf '    volumes: ["data:/seed:ro"]\n' ;;
        bare) printf '    volumes: [{type: volume, source: plain, target: /seed, volume: {nocopy: true}}]\n' ;;
        outside) printf '    volumes: ["ext:/ext"]\n' ;;
      esac
    done
    printf 'volumes:\n  data:\n  evil:\n  plain:\n  ext: {external: true, name: %s-ext}\n' "$PROJECT"
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  local volumes="$TUPPER_ROOT/volumes"
  # first use: the volume is made and filled from the image's /seed, owner kept
  run -0 --separate-stderr "$SCRIPT" run --rm writer cat /seed/file
  [ "$output" = from-image ]
  [ "$(stat -c %u:%g "$volumes/${PROJECT}_data/_data/file")" = 1234:1234 ]
  # /evil is a symlink to /etc in the image: tupper-init refuses to mount there, and the
  # host's /etc was not copied into the volume before it did
  run -125 "$SCRIPT" run --rm trap true
  [[ $output == *"open /evil (component evil is not a plain directory)"* ]]
  [ -d "$volumes/${PROJECT}_evil/_data" ]
  [ -z "$(ls -A "$volumes/${PROJECT}_evil/_data")" ]
  # shared: what one service writes, another sees; a read-only mount refuses writes
  "$SCRIPT" run --rm writer sh -c 'echo from-writer > /seed/mine'
  run -0 "$SCRIPT" run --rm reader cat /seed/mine
  [ "$output" = from-writer ]
  run -1 "$SCRIPT" run --rm reader touch /seed/other
  [[ $output == *"Read-only file system"* ]]
  # nocopy: the image's /seed is not copied
  run -0 "$SCRIPT" run --rm bare ls -A /seed
  [ -z "$output" ]
  # external: refused before anything is made while it is missing, mounted once it exists
  run -1 --separate-stderr "$SCRIPT" run --rm outside true
  [[ $stderr == *"the external volume $PROJECT-ext of service outside: $volumes/$PROJECT-ext/_data does not exist"* ]]
  mkdir -p "$volumes/$PROJECT-ext/_data"
  echo kept > "$volumes/$PROJECT-ext/_data/mark"
  run -0 "$SCRIPT" run --rm outside cat /ext/mark
  [ "$output" = kept ]
  # down keeps the volumes; a later container sees the data (not filled again). (up -d
  # fails, after the others: trap's container cannot start, and up says so, as compose does)
  run -1 --separate-stderr "$SCRIPT" up -d
  [[ $stderr == *"$PROJECT-trap-1 did not start: tupper-init: open /evil (component evil is not a plain directory)"* ]]
  [[ $stderr == *"$PROJECT-outside-1 started"* ]]
  "$SCRIPT" down
  [ -f "$volumes/${PROJECT}_data/_data/mine" ]
  run -0 "$SCRIPT" run --rm reader cat /seed/mine
  [ "$output" = from-writer ]
  # down -v removes the project's volumes, never an external one
  run -0 --separate-stderr "$SCRIPT" down -v
  [[ $stderr == *"volume ${PROJECT}_data removed"* ]]
  [ ! -e "$volumes/${PROJECT}_data" ] && [ ! -e "$volumes/${PROJECT}_evil" ] && [ ! -e "$volumes/${PROJECT}_plain" ]
  [ "$(cat "$volumes/$PROJECT-ext/_data/mark")" = kept ]
}

@test "anonymous volumes: each container's own, filled from the image; a service's survives down and comes back to its next container; run --rm takes its own; down -v takes the rest" {
  mkdir -p "$TEST_DIR/img"
  cp -a "$ROOTFS/." "$TEST_DIR/img/"
  mkdir -p "$TEST_DIR/img/data"
  echo from-image > "$TEST_DIR/img/data/seed"
  {
    printf 'name: %s\nservices:\n' "$PROJECT"
    printf '  app:\n    image: rootfs:%s\n    network_mode: none\n    init: true\n    scale: 2\n    volumes: ["/data"]\n' "$TEST_DIR/img"
    printf '    command: ["/bin/sh", "-c", "hostname >> /data/starts; exec sleep 600"]\n'
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  local volumes="$TUPPER_ROOT/volumes" k
  "$SCRIPT" up -d
  for k in 1 2; do wait_running "$PROJECT-app-$k"; done
  sleep 0.3
  # each replica has its own, filled from the image's /data
  for k in 1 2; do
    run -0 "$SCRIPT" exec --index "$k" app cat /data/seed
    [ "$output" = from-image ]
    [ "$(cat "$volumes/$PROJECT-app-$k".anon-*/_data/starts)" = "$PROJECT-app-$k" ]
  done
  run -0 "$SCRIPT" inspect app
  [[ $output == *'"Type":"volume","Name":"'"$PROJECT"'-app-1.anon-'* ]]
  # down keeps them; the next container of the same name finds its data again
  "$SCRIPT" down
  "$SCRIPT" up -d
  wait_running "$PROJECT-app-1"
  sleep 0.3
  [ "$(cat "$volumes/$PROJECT-app-1".anon-*/_data/starts)" = "$PROJECT-app-1
$PROJECT-app-1" ]
  # a one-off run's is gone with it
  run -0 "$SCRIPT" run --rm app ls /data
  [ "$(find "$volumes" -maxdepth 1 -name "*.anon-*" | wc -l)" -eq 2 ]
  run -0 --separate-stderr "$SCRIPT" down -v
  [ -z "$(find "$volumes" -maxdepth 1 -name "*.anon-*")" ]
}
