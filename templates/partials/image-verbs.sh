
# ---- Image verbs: pull, images, rmi, image prune ----

# pull [SERVICE...]: fetch the services' images. A registry tag is resolved again, as
# `docker compose pull` does (a lock file pins it instead); an archive or rootfs: import is
# taken when the store lacks it.
cmd_pull() {
  local svc
  local -a services=("$@")
  ((${#services[@]})) || services=("${SERVICES[@]}")
  for svc in "${services[@]}"; do require_service "$svc"; done
  helper_ready
  for svc in "${services[@]}"; do
    load_service "$svc"
    image_ensure pull
    note "$svc: image ${REPLY:0:12} from $svc_image_source"
  done
}

# images: each service's image: where it comes from, its ID in the store and its size on disk.
cmd_images() {
  local svc id size
  (($# == 0)) || die "usage: images"
  printf '%-16s %-56s %-14s %s\n' SERVICE IMAGE ID SIZE
  for svc in "${SERVICES[@]}"; do
    load_service "$svc"
    id='' size='not pulled'
    if image_known; then
      id=$REPLY
      if read_file "$IMAGES_DIR/$id/size"; then size=$REPLY; else size=$(du -sb -- "$IMAGES_DIR/$id" | cut -f1); fi
      size=$(numfmt --to=iec --suffix=B -- "$size")
    fi
    printf '%-16s %-56s %-14s %s\n' "$svc" "$svc_image_source" "${id:0:12}" "$size"
  done
}

# REPLY = the ID of the loaded service's image if the store has it.
image_known() {
  case $svc_image_kind in
    dir | tar) image_id ;;
    *) # a registry image or an archive (a spec with none never comes here)
      if [[ -n $svc_image_lock_config ]]; then REPLY=${svc_image_lock_config#sha256:}
      else image_ref "$svc_image_source${svc_image_name:+:$svc_image_name}" || return 1
      fi ;;
  esac
  [[ -d $IMAGES_DIR/$REPLY ]]
}

# rmi [SERVICE...]: remove the services' images from the store, and the layers no other image
# shares, unless a container (of any project on this host) still uses the image. It waits for
# a running build (of any project): the layers a build has made are listed by no image until
# its last step, and a prune meanwhile would take them from under it.
cmd_rmi() {
  local svc
  local -a services=("$@")
  ((${#services[@]})) || services=("${SERVICES[@]}")
  for svc in "${services[@]}"; do require_service "$svc"; done
  if ((!PLAN)) && [[ -d $IMAGES_DIR ]]; then store_lock; fi
  for svc in "${services[@]}"; do
    load_service "$svc"
    if ! image_known; then note "$svc: its image ($svc_image_source) is not in the store"; continue; fi
    image_remove "$REPLY" || die "the image of $svc ($svc_image_source) is used by container $REPLY; remove that first (rm or down)"
  done
  layers_prune
}

# image prune [-a]: remove the images no reference names any more (a tag pulled again left
# the old one), with -a every image no container uses, then the layers no image uses (a
# build's intermediate layers and its other stages' too) and the builds' cache mounts
# (RUN --mount=type=cache), as docker builder prune does, and what killed imports and pulls
# left. It waits for a running build.
cmd_image() {
  local all=0 id dir lock
  [[ ${1:-} == prune ]] || die "usage: image prune [-a]"
  shift
  if [[ ${1:-} == -a ]]; then all=1; shift; fi
  (($# == 0)) || die "usage: image prune [-a]"
  if ((!PLAN)) && [[ -d $IMAGES_DIR ]]; then
    store_lock
    builds_sweep
    # what killed imports and pulls left (under the lock each holds: none is under way then)
    exec {lock}> "$IMAGES_DIR/.lock"
    flock "$lock"
    image_scratch_sweep
    exec {lock}>&-
  fi
  for dir in "$IMAGES_DIR"/cache/*/; do
    [[ -d $dir ]] || continue
    note "removing build cache ${dir%/}"
    host rm -rf --one-file-system -- "${dir%/}"
  done
  local -A named=()
  images_named
  for id in "${IMAGE_NAMED[@]}"; do named[$id]=1; done
  for id in "$IMAGES_DIR"/*/; do
    id=${id%/}
    id=${id##*/}
    [[ $id != refs && $id != layers && $id != blobs && -e $IMAGES_DIR/$id/source ]] || continue
    if ((all)) || [[ -z ${named[$id]:-} ]]; then image_remove "$id" || true; fi
  done
  layers_prune
}

# Takes the image store's build lock (STORE_LOCK_FD, held until exit), saying so when a
# build holds it and this waits for its end.
STORE_LOCK_FD=''
store_lock() {
  exec {STORE_LOCK_FD}> "$IMAGES_DIR/.build-lock"
  if ! flock -n "$STORE_LOCK_FD"; then
    note "waiting for the build that runs on this host to end"
    flock "$STORE_LOCK_FD"
  fi
}

# IMAGE_NAMED = the IDs the refs in the store point at.
images_named() {
  local ref id
  IMAGE_NAMED=()
  for ref in "$IMAGES_DIR"/refs/*; do
    [[ -f $ref ]] || continue
    read -r id _ < "$ref" || true
    IMAGE_NAMED+=("$id")
  done
}
declare -a IMAGE_NAMED=()

# Removes image $1 and the refs that name it; fails (REPLY = the container) while a
# container of any project uses it.
image_remove() {
  local id=$1 file ref
  for file in "$TUPPER_ROOT"/containers/*/*/image; do
    [[ -f $file ]] || continue
    read_file "$file" || continue
    [[ $REPLY == "$id" ]] || continue
    file=${file%/image}
    REPLY=${file##*/}
    return 1
  done
  for file in "$IMAGES_DIR"/refs/*; do
    [[ -f $file ]] || continue
    read -r ref _ < "$file" || true
    if [[ $ref == "$id" ]]; then host rm -f -- "$file"; fi
  done
  read_file "$IMAGES_DIR/$id/source" || REPLY=$id
  note "removing image ${id:0:12} ($REPLY)"
  if [[ -d $IMAGES_DIR/$id/rootfs ]] && command -v btrfs >/dev/null && [[ $(stat -f -c %T -- "$IMAGES_DIR/$id") == btrfs ]]; then
    host btrfs -q subvolume delete -- "$IMAGES_DIR/$id/rootfs"
  fi
  host rm -rf --one-file-system -- "${IMAGES_DIR:?}/$id"
  # a layered image's config, kept from its pull
  if [[ -e $IMAGES_DIR/blobs/sha256/$id ]]; then host rm -f -- "$IMAGES_DIR/blobs/sha256/$id"; fi
}

# Removes the layers no image in the store lists.
layers_prune() {
  local file key dir
  local -A used=()
  local -a keys
  for file in "$IMAGES_DIR"/*/layers; do
    [[ -f $file ]] || continue
    mapfile -t keys < "$file"
    for key in "${keys[@]}"; do used[$key]=1; done
  done
  for dir in "$IMAGES_DIR"/layers/*/*/; do
    dir=${dir%/}
    [[ -d $dir && -z ${used[${dir##*/}]:-} ]] || continue
    note "removing layer ${dir##*/}"
    if [[ $dir == */layers/snapshot/* ]]; then host btrfs -q subvolume delete -- "$dir/rootfs"; fi
    host rm -rf --one-file-system -- "$dir"
  done
}

# commit [--index N] SERVICE REFERENCE: the service's container's filesystem as it is now
# becomes a local image named REFERENCE (normalised as Docker does: app:snap is
# docker.io/library/app:snap), which `image: REFERENCE` in any spec on this host then uses
# without pulling. Its config is the container's: its command, environment, working
# directory and user. A running container is frozen while its files are taken, as Docker
# pauses it. The new layer is the cheapest the storage allows:
#   btrfs: a snapshot of the container's subvolume (Bocker's commit);
#   overlay on a layered image: the overlay's upper directory, one more lowerdir;
#   otherwise: a copy of the container's whole tree.
cmd_commit() {
  local index=1 name reference c image storage key id layout frozen=0 tree
  if [[ ${1:-} == --index ]]; then index=${2:-}; shift 2; fi
  (($# == 2)) || die "usage: commit [--index N] SERVICE REFERENCE"
  require_service "$1"
  load_service "$1"
  container_name_of "$1" "$index"
  name=$REPLY c="$CONTAINERS_DIR/$REPLY"
  image_reference "$2"
  reference=$REPLY
  read_file "$c/image" || die "service $1 has no container $name; start it with up -d"
  image=$REPLY
  read_file "$c/storage" && storage=$REPLY
  image_config_apply "$image"
  # the new layer's key: this commit's own (no blob digest to chain)
  hash_text "$name $reference $EPOCHREALTIME"
  key="commit-$REPLY"
  local -a keys=()
  if [[ -f $IMAGES_DIR/$image/layers ]]; then mapfile -t keys < "$IMAGES_DIR/$image/layers"; fi
  if container_pid "$name" && ! container_paused "$name"; then container_freeze "$name" 1; frozen=1; fi
  if [[ $storage == btrfs ]]; then
    layout='snapshot'
    host mkdir -p -- "$IMAGES_DIR/layers/snapshot/$key"
    host btrfs -q subvolume snapshot -- "$c/rootfs" "$IMAGES_DIR/layers/snapshot/$key/rootfs"
  elif [[ $storage == overlay && ${#keys[@]} -gt 0 ]] && read_file "$IMAGES_DIR/$image/layout" && [[ $REPLY == diff ]]; then
    layout='diff'
    host mkdir -p -- "$IMAGES_DIR/layers/diff/$key"
    host cp -a -- "$c/upper" "$IMAGES_DIR/layers/diff/$key/rootfs"
  else
    layout='copy' keys=()
    host mkdir -p -- "$IMAGES_DIR/layers/copy/$key"
    if [[ $storage == overlay ]]; then
      # the container's merged view: its upper directory over the image, mounted read-only
      if image_tree "$image"; then overlay_lowerdir "$c/upper" "$REPLY"; else overlay_lowerdir "$c/upper" "${IMAGE_LOWERS[@]}"; fi
      host mkdir -- "$c/merged"
      host mount -t overlay overlay -o "ro,lowerdir=$REPLY" "$c/merged"
      overlay_fds_close
      host cp -a -- "$c/merged" "$IMAGES_DIR/layers/copy/$key/rootfs"
      host umount -- "$c/merged"
      host rmdir -- "$c/merged"
    else
      host cp -a --reflink=auto -- "$c/rootfs" "$IMAGES_DIR/layers/copy/$key/rootfs"
    fi
  fi
  if ((frozen)); then container_freeze "$name" 0; fi
  keys+=("$key")
  # the image: its ID is the sha256 of what defines it, its layers and its config
  tree="$IMAGES_DIR/.commit-$$"
  host mkdir -p -- "$tree/config"
  host_write0 "$tree/config/entrypoint" "${svc_entrypoint[@]}"
  host_write0 "$tree/config/cmd" "${svc_command[@]}"
  host_write0 "$tree/config/env" "${svc_env[@]}"
  host_write "$tree/config/workdir" "$svc_workdir"
  if [[ -n $svc_user ]]; then host_write "$tree/config/user" "$svc_user"; else host_write "$tree/config/user" "$svc_uid:$svc_gid"; fi
  host_write "$tree/config/exposed"
  host_write "$tree/layers" "${keys[@]}"
  host_write "$tree/layout" "$layout"
  if [[ $layout == snapshot ]]; then host_write "$tree/fstype" btrfs; else fs_type "$IMAGES_DIR"; host_write "$tree/fstype" "$REPLY"; fi
  host_write "$tree/source" "$reference (commit of $name)"
  image_tree_id "$tree"
  id=$REPLY
  if exists "$IMAGES_DIR/$id"; then host rm -rf -- "$tree"; else host mv -T -- "$tree" "$IMAGES_DIR/$id"; fi
  host mkdir -p -- "$IMAGES_DIR/refs"
  hash_text "$reference"
  host_write "$IMAGES_DIR/refs/$REPLY" "$id $reference"
  note "$name committed as $reference: image ${id:0:12}, ${#keys[@]} layer(s), the new one a $layout layer"
}

# REPLY = reference $1 as Docker normalises it: docker.io when it names no registry,
# library/ for a one-part name there, :latest when it has neither tag nor digest.
image_reference() {
  local ref=$1 first
  [[ $ref =~ ^[a-z0-9][a-z0-9._/:@-]*$|^[A-Za-z0-9.-]+(:[0-9]+)?/[a-z0-9._/:@-]+$ ]] || die "$1 is not an image reference (e.g. app:snap, registry.example:5000/team/app:1)"
  first=${ref%%/*}
  if [[ $ref != */* ]]; then ref="docker.io/library/$ref"
  elif [[ $first != *.* && $first != *:* && $first != localhost ]]; then ref="docker.io/$ref"
  fi
  if [[ ${ref##*/} != *:* && $ref != *@* ]]; then ref+=":latest"; fi
  REPLY=$ref
}
