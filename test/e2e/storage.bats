#!/usr/bin/env bats
# Storage: btrfs snapshots, overlayfs upper layers, copies; tarball images; the image store.
bats_require_minimum_version 1.5.0
load helpers

@test "btrfs: each container is a snapshot of the image; down deletes it and keeps the image" {
  use_btrfs_root
  compile_app 'command: ["/bin/sh", "-c", "echo changed > /bin/marker; cat /bin/marker"]'
  run -0 --separate-stderr "$SCRIPT" run app
  [ "$output" = changed ]
  run btrfs subvolume list "$TUPPER_ROOT"
  [[ $output == *"path containers/$PROJECT/$PROJECT-app-run-"*"/rootfs"* ]]
  [[ $output == *"path images/rootfs-"*"/rootfs"* ]]
  [ ! -e "$TUPPER_ROOT"/images/rootfs-*/rootfs/bin/marker ] # the image is untouched
  run -0 "$SCRIPT" down
  run btrfs subvolume list "$TUPPER_ROOT"
  [[ $output != *containers* ]]
  [[ $output == *"path images/rootfs-"* ]]
  loop=$(losetup -j "$TEST_DIR/btrfs.img" | cut -d: -f1)
  umount "$TEST_DIR/btrfs"
  [ -z "$(losetup -j "$TEST_DIR/btrfs.img")" ] || { echo "loop device $loop left"; false; }
}

@test "overlay: the container writes to its upper layer only; rm removes it, the image stays" {
  compile_app 'command: ["/bin/sh", "-c", "rm /bin/vi; echo new > /etc/new; ls /bin/vi 2>&1; cat /etc/new"]'
  run -0 --separate-stderr "$SCRIPT" run app
  [ "${lines[1]}" = new ]
  [ "$(cat "$TUPPER_ROOT/containers/$PROJECT"/*/storage)" = overlay ]
  [ -e "$TUPPER_ROOT/containers/$PROJECT"/*/upper/etc/new ]
  [ -L "$TUPPER_ROOT"/images/rootfs-*/rootfs/bin/vi ]
  [ ! -e "$TUPPER_ROOT"/images/rootfs-*/rootfs/etc/new ]
  run -0 "$SCRIPT" rm
  [ -z "$(ls "$TUPPER_ROOT/containers/$PROJECT")" ]
  [ -d "$TUPPER_ROOT"/images/rootfs-*/rootfs/bin ]
}

@test "copy: storage: copy gives a full copy" {
  {
    printf 'name: %s\nx-tupper:\n  storage: copy\nservices:\n  app:\n    image: rootfs:%s\n' "$PROJECT" "$ROOTFS"
    printf '    command: ["/bin/sh", "-c", "echo copied > /etc/c; cat /etc/c"]\n'
  } > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  run -0 --separate-stderr "$SCRIPT" run app
  [ "$output" = copied ]
  [ "$(cat "$TUPPER_ROOT/containers/$PROJECT"/*/storage)" = copy ]
  [ -x "$TUPPER_ROOT/containers/$PROJECT"/*/rootfs/bin/busybox ]
}

@test "storage: btrfs on a store that is not btrfs stops before anything is made" {
  printf 'name: %s\nx-tupper: {storage: btrfs}\nservices:\n  app:\n    image: rootfs:%s\n    command: [/bin/true]\n' "$PROJECT" "$ROOTFS" > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  run -1 --separate-stderr "$SCRIPT" run --rm app
  [[ $stderr == *"x-tupper.storage is btrfs, but "*" is on "*"; put TUPPER_ROOT on a btrfs filesystem"* ]]
  [ -z "$(ls "$TUPPER_ROOT/containers/$PROJECT" 2> /dev/null)" ]
}

@test "tarball images (docker export style), plain, gzip and zstd, import once" {
  tar -C "$ROOTFS" -cf "$TEST_DIR/image.tar" .
  gzip -k "$TEST_DIR/image.tar"
  zstd -q -k "$TEST_DIR/image.tar"
  for image in image.tar image.tar.gz image.tar.zst; do
    printf 'name: %s\nservices:\n  app:\n    image: rootfs:../%s\n    command: ["/bin/echo", "from %s"]\n' "$PROJECT" "$image" "$image" > "$TEST_DIR/in.yaml"
    compile_spec app < "$TEST_DIR/in.yaml"
    run -0 --separate-stderr "$SCRIPT" run --rm app
    [ "$output" = "from $image" ]
    [[ $stderr == *"importing $TEST_DIR/$image"* ]]
    run -0 --separate-stderr "$SCRIPT" run --rm app
    [[ $stderr != *importing* ]] # the store has it now
  done
  [ "$(ls -d "$TUPPER_ROOT"/images/image.tar* | wc -l)" -eq 3 ]
}

@test "a broken tarball leaves no half-imported image" {
  head -c 10000 /dev/urandom > "$TEST_DIR/broken.tar"
  printf 'name: %s\nservices:\n  app:\n    image: rootfs:../broken.tar\n    command: [/bin/true]\n' "$PROJECT" > "$TEST_DIR/in.yaml"
  compile_spec app < "$TEST_DIR/in.yaml"
  run -2 --separate-stderr "$SCRIPT" run --rm app
  [ -z "$(ls -A "$TUPPER_ROOT/images" | grep -v '^\.lock$')" ]
}
