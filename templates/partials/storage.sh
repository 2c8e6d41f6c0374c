
# ---- Storage: each container's own copy of its image ------------------------------
# CONTAINERS_DIR/NAME/rootfs is the container's root: a btrfs snapshot of the image, the
# mount point of an overlay whose upper layer is NAME/upper (mounted by tupper-init inside
# the container's mount namespace only, so it vanishes with the container), or a full copy.

# REPLY = the lowerdir= value for overlay lower directories $@ (top first): the paths, or,
# where they would pass the page a mount's options fill (about 38 layers of the store),
# /proc/self/fd/N of descriptors opened here, which mount inherits (as tupper-init mounts
# them); overlay_fds_close closes those once the overlay is mounted.
overlay_lowerdir() {
  local dir fd
  printf -v REPLY '%s:' "$@"
  REPLY=${REPLY%:}
  if ((${#REPLY} <= 3000 || PLAN)); then return 0; fi
  REPLY=''
  for dir; do
    exec {fd}< "$dir" || die "cannot open the layer $dir"
    OVERLAY_FDS+=("$fd") REPLY+="/proc/self/fd/$fd:"
  done
  REPLY=${REPLY%:}
}
overlay_fds_close() {
  local fd
  for fd in "${OVERLAY_FDS[@]}"; do exec {fd}<&-; done
  OVERLAY_FDS=()
}
declare -a OVERLAY_FDS=()

# REPLY = btrfs, overlay or copy for image $1, following x-tupper.storage.
storage_kind() {
  local fstype
  # An image imported by this run (or only planned) is known without reading its record.
  if [[ -n ${IMAGE_FSTYPE[$1]:-} ]]; then fstype=${IMAGE_FSTYPE[$1]}; else read_file "$IMAGES_DIR/$1/fstype"; fstype=$REPLY; fi
  case $STORAGE_MODE in
    btrfs)
      [[ $fstype == btrfs ]] || die "x-tupper.storage is btrfs, but $IMAGES_DIR is on $fstype; put TUPPER_ROOT on a btrfs filesystem, or use storage: auto"
      REPLY=btrfs ;;
    overlay) REPLY=overlay ;;
    copy) REPLY=copy ;;
    auto)
      if [[ $fstype == btrfs ]] && command -v btrfs >/dev/null; then REPLY=btrfs
      elif [[ $fstype != overlayfs ]] && kernel_has_overlay; then REPLY=overlay
      else REPLY=copy
      fi ;;
  esac
}

# Gives container $1 its root filesystem from image $2, as storage kind $3.
storage_create() {
  local c="$CONTAINERS_DIR/$1" tree
  if image_tree "$2"; then tree=$REPLY; fi
  case $3 in
    btrfs) host btrfs -q subvolume snapshot -- "$tree" "$c/rootfs" ;;
    overlay) ;; # NAME/rootfs, upper and work were made with the container's directory
    copy)
      if [[ -n ${tree:-} ]]; then host cp -a --reflink=auto -- "$tree" "$c/rootfs"
      elif ((${#IMAGE_LOWERS[@]} == 1)); then host cp -a --reflink=auto -- "${IMAGE_LOWERS[0]}" "$c/rootfs"
      else
        # layers stored for overlayfs: their merged view, mounted read-only for the copy
        overlay_lowerdir "${IMAGE_LOWERS[@]}"
        host mkdir -- "$c/merged"
        host mount -t overlay overlay -o "ro,lowerdir=$REPLY" "$c/merged"
        overlay_fds_close
        host cp -a -- "$c/merged" "$c/rootfs"
        host umount -- "$c/merged"
        host rmdir -- "$c/merged"
      fi ;;
  esac
}

# Removes container $1's filesystem, directory and records. --one-file-system: never follow
# a mount out of it (a volume still mounted there must not be emptied).
storage_remove() {
  local c="$CONTAINERS_DIR/$1"
  [[ -d $c || -d $STATE_DIR/$1 || -f $STATE_DIR/.cgroups-$1 ]] || return 0
  read_file "$c/storage" || REPLY=''
  if [[ $REPLY == btrfs && -d $c/rootfs ]]; then
    host btrfs -q subvolume delete -- "$c/rootfs"
  fi
  # a start killed while it copied a layered image left the layers' merged view mounted
  # (storage_create), which rm --one-file-system would stop at; -l: the cp it was killed in
  # may still read it (read-only, it is detached now, and gone when cp ends)
  if [[ -d $c/merged ]]; then host umount -l -- "$c/merged" 2> /dev/null || true; fi
  # only record files left (a run --rm on a network: tupper-init removed its filesystem)
  if records_remove "$1"; then return 0; fi
  host rm -rf --one-file-system -- "$c" "${STATE_DIR:?}/$1" "$STATE_DIR/.cgroups-$1"
}
