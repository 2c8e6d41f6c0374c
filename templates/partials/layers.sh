
# ---- Layered images: OCI and Docker images, from a registry or an archive -----------
# IMAGES_DIR/
#   ID/                 an image; ID is the hex of its config's sha256, as Docker's image ID
#     layers            its layers' keys, bottom first; layout: snapshot, diff or copy
#     config/           the image config's Entrypoint, Cmd, Env (NUL-separated), WorkingDir,
#                       User and ExposedPorts, as this script reads them at each start
#     source, size      where it came from; its size on disk, unpacked, in bytes
#   refs/HASH           "ID SOURCE": the image a reference or archive path (hashed) names
#   layers/LAYOUT/KEY/  a layer; KEY chains the blob digests below it (OCI's ChainID, over
#     rootfs            blob digests): the same bottom layers are stored once, for every image.
#                       snapshot: a btrfs subvolume, the parent's snapshot plus this layer;
#                       copy: the same as a plain copy; diff: this layer alone, one lowerdir
#                       of an overlay, its whiteouts in overlayfs's form
#   blobs/sha256/HEX    verified configs and manifests (layer blobs go once applied);
#   blobs/partial/HEX   downloads under way, resumed by the next pull
# Every blob is checked against its sha256 before it is used. A pull works in
# IMAGES_DIR/.pull-PID and renames what it completed into place, under IMAGES_DIR/.lock.

readonly BLOBS_DIR="$IMAGES_DIR/blobs"

# The digest of the layered image's layers, bottom first: digest, media type, size, key.
declare -a PULL_LAYERS=()

# ---- Values from registries, archives and layouts: hostile until checked ----
# A digest names files (BLOBS_DIR/sha256/HEX, a layout's blobs/sha256/HEX) and URLs, so it is
# checked before it is used for either: "sha256:" and exactly 64 lowercase hex digits, nothing
# else (a newline, a '/', '..', uppercase, another length or algorithm are all refused). This
# is what go-digest's Digest.Validate (used by Docker and containers/image) checks for sha256:
# a known algorithm, then the encoded part against ^[a-f0-9]{64}$; tupper knows only sha256.
# The class spelled out here, not [a-f], so that no locale's collation can widen it.
readonly DIGEST_RE='^sha256:[0123456789abcdef]{64}$'
# A media type as RFC 6838 writes one (type/subtype, restricted names), as the OCI image
# spec's JSON schema checks it: no '/' beyond the one, no space, no control character.
readonly MEDIA_TYPE_RE='^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$'
# A size in bytes: a JSON integer, 0 or more, below 2^53 (what a JSON number holds exactly).
readonly SIZE_RE='^(0|[123456789][0123456789]{0,14})$'
# At most this many layers in an image: Docker's layer store refuses more (maxLayerDepth
# 125 in moby's layer/layer_store.go), and an overlay's lowerdir list is bounded too.
readonly MAX_LAYERS=125
# The largest manifest, index, image config, token or archive manifest.json tupper reads:
# 32 KiB. containers/image allows 4 MiB (iolimits), but json_parse is quadratic in bash (every
# ${s:i:n} copies the text): measured on a loaded 2-core host, a config-shaped document of
# 10 KB parses in 0.14 s, 20 KB 0.4 s, 32 KB 2-4 s, 64 KB 24 s; the worst shape (["","",...])
# 8 KB 1.2 s, 16 KB 3.7 s, 32 KB 29 s; at 4 MiB it would hold the image lock for hours. Real
# manifests are a few KB (125 layers: about 25 KB), indexes a few KB, configs a few KB (the
# largest on Docker Hub tens of KB, rare): 32 KiB takes those and bounds a hostile one.
readonly MAX_DOCUMENT=32768

# REPLY = value $1 as a message may show it: quoted for the shell, so that a control
# character or an escape sequence from a registry reaches the terminal as text, and cut short.
untrusted_text() {
  local value=${1:0:160}
  REPLY=${value@Q}
  if ((${#1} > 160)); then REPLY+='...'; fi
}

# Fails, with REPLY the message, unless $1 is a sha256 digest (see DIGEST_RE).
digest_valid() {
  [[ $1 =~ $DIGEST_RE ]] && return 0
  untrusted_text "$1"
  REPLY="$REPLY is not a sha256 digest (sha256: and 64 lowercase hex digits)"
  return 1
}

# Ends the script unless $1 is a sha256 digest; $2 says where it came from.
digest_check() {
  digest_valid "$1" || die "$2: $REPLY; tupper refuses it, and nothing was fetched or written under its name"
}

# Ends the script unless $1 is a size in bytes (SIZE_RE); $2 says whose.
size_check() {
  [[ $1 =~ $SIZE_RE ]] && return 0
  untrusted_text "$1"
  die "$2: $REPLY is not a size in bytes (a whole number, 0 or more); tupper refuses it"
}

# Ends the script unless $1 is a media type (MEDIA_TYPE_RE); $2 says whose.
media_type_check() {
  [[ $1 =~ $MEDIA_TYPE_RE ]] && return 0
  untrusted_text "$1"
  die "$2: $REPLY is not a media type; tupper refuses it"
}

# Ends the script unless file $1 (a document $2 names) is at most MAX_DOCUMENT bytes.
document_size_check() {
  local size
  size=$(stat -c %s -- "$1") || die "cannot read $2"
  ((size <= MAX_DOCUMENT)) || die "$2 is $size bytes, larger than the $MAX_DOCUMENT bytes tupper reads in a manifest or config (its JSON reader in bash is slow on larger ones); it was refused"
}

# Fails, with REPLY the message, unless file $1 has sha256 digest $2 ($3 names it).
# Without $4 (keep), the mismatch ends the script.
blob_verify() {
  local sum
  if ! digest_valid "$2"; then REPLY="$3: $REPLY"; [[ -n ${4:-} ]] && return 1; die "$REPLY"; fi
  ((!PLAN)) || return 0
  sum=$(sha256sum < "$1") || die "cannot read $1 to verify it"
  [[ "sha256:${sum%% *}" == "$2" ]] && return 0
  REPLY="$3 does not match its digest: its sha256 is ${sum%% *}. It is corrupt or was tampered with on the way: it was deleted, and the image was not imported"
  [[ -n ${4:-} ]] && return 1
  die "$REPLY"
}

# Reads manifest file $1 (of image $2): MANIFEST_KIND is index or image; for an image,
# MANIFEST_CONFIG is its config's digest and PULL_LAYERS its layers. Every digest, media type
# and size in it is checked here, before any of them names a file or a URL.
manifest_read() {
  local text type i layer_type digest size count
  document_size_check "$1" "the manifest of $2"
  read -r -d '' text < "$1" || true
  json_parse "$text" || die "the manifest of $2 is not JSON ($REPLY)"
  type=${JSON[.mediaType]:-}
  [[ ${JSON[.schemaVersion]:-} == 2 ]] || { untrusted_text "${JSON[.schemaVersion]:-?}"; die "$2 has a schema $REPLY manifest, which no current registry client writes: push the image again with a current one"; }
  if [[ $type == *manifest.list* || $type == *image.index* || -z $type && -n ${JSON_TYPE[.manifests]:-} ]]; then
    MANIFEST_KIND=index
    return 0
  fi
  MANIFEST_KIND=image MANIFEST_CONFIG=${JSON[.config.digest]:-} PULL_LAYERS=()
  [[ -n $MANIFEST_CONFIG ]] || die "the manifest of $2 names no config"
  digest_check "$MANIFEST_CONFIG" "the config digest in the manifest of $2"
  count=${JSON_LENGTH[.layers]:-0}
  ((count <= MAX_LAYERS)) || die "$2 has $count layers; tupper takes at most $MAX_LAYERS, as Docker does"
  for ((i = 0; i < count; i++)); do
    layer_type=${JSON[.layers[$i].mediaType]:-} digest=${JSON[.layers[$i].digest]:-} size=${JSON[.layers[$i].size]:-}
    digest_check "$digest" "layer $i in the manifest of $2"
    media_type_check "$layer_type" "the media type of layer $i in the manifest of $2"
    # a size the manifest leaves out is unknown; one it gives bounds the download
    case ${JSON_TYPE[.layers[$i].size]:-none} in
      none) ;;
      number) size_check "$size" "the size of layer $i in the manifest of $2" ;;
      *) size_check "\"$size\"" "the size of layer $i in the manifest of $2" ;; # a JSON string is no size
    esac
    case $layer_type in
      *nondistributable* | *foreign*) die "$2 has a layer ($layer_type) that registries do not serve; tupper cannot pull it" ;;
      *tar | *tar+gzip | *tar.gzip | *tar+zstd) ;;
      *) die "$2 has a layer of type '$layer_type', which is not a filesystem layer tupper can apply" ;;
    esac
    PULL_LAYERS+=("$digest" "$layer_type" "$size" '')
  done
  ((${#PULL_LAYERS[@]})) || die "$2 has no layers"
}

# HOST_ARCH, HOST_VARIANT = this host's machine type as images name it (Go's names: amd64,
# arm64...), from bash's own HOSTTYPE.
host_platform() {
  HOST_ARCH=$HOSTTYPE HOST_VARIANT=''
  case $HOST_ARCH in
    x86_64) HOST_ARCH=amd64 ;;
    aarch64) HOST_ARCH=arm64 ;;
    arm*) HOST_ARCH=arm HOST_VARIANT=v7 ;;
    i?86) HOST_ARCH=386 ;;
  esac
}

# REPLY = the digest of this host's image in the index just read (JSON), for $1's messages.
platform_choose() {
  local arch variant i seen=''
  host_platform
  arch=$HOST_ARCH variant=$HOST_VARIANT
  for ((i = 0; i < ${JSON_LENGTH[.manifests]:-0}; i++)); do
    seen+=" ${JSON[.manifests[$i].platform.os]:-?}/${JSON[.manifests[$i].platform.architecture]:-?}"
    seen=${seen//[!A-Za-z0-9._\/ ?-]/?} # the registry's words, shown as text only
    [[ ${JSON[.manifests[$i].platform.os]:-} == linux && ${JSON[.manifests[$i].platform.architecture]:-} == "$arch" ]] || continue
    [[ -z $variant || -z ${JSON[.manifests[$i].platform.variant]:-} || ${JSON[.manifests[$i].platform.variant]} == "$variant" ]] || continue
    REPLY=${JSON[.manifests[$i].digest]:-}
    digest_check "$REPLY" "the entry for linux/$arch in the index of $1"
    return 0
  done
  die "$1 has no image for linux/$arch${variant:+/$variant} (it has:${seen:- none})"
}

# The layout layered images take in this store: snapshot on btrfs, diff where overlayfs
# can stack the layers (unless the project wants copies), copy otherwise.
layers_layout() {
  fs_type "$IMAGES_DIR"
  if [[ $REPLY == btrfs ]] && command -v btrfs > /dev/null; then REPLY='snapshot'
  elif [[ $STORAGE_MODE != copy && $REPLY != overlayfs ]] && kernel_has_overlay; then REPLY='diff'
  else REPLY='copy'
  fi
}

# REPLY = the key of the layer with blob digest $2 on the layer whose key is $1 ('' at the
# bottom): OCI's ChainID formula, applied to blob digests.
layer_key() {
  if [[ -z $1 ]]; then REPLY=${2#sha256:}; return 0; fi
  REPLY=$(printf 'sha256:%s %s' "$1" "$2" | sha256sum)
  REPLY=${REPLY%% *}
}

# Fills the keys of PULL_LAYERS (bottom first).
layer_keys() {
  local i parent=''
  for ((i = 0; i < ${#PULL_LAYERS[@]}; i += 4)); do
    if [[ -z ${PULL_LAYERS[i + 3]} ]]; then layer_key "$parent" "${PULL_LAYERS[i]}"; PULL_LAYERS[i + 3]=$REPLY; fi
    parent=${PULL_LAYERS[i + 3]}
  done
}

# Applies blob file $1 (media type $2) as the layer with key $4 on parent key $3, in layout $5.
layer_apply() {
  local blob=$1 type=$2 parent=$3 key=$4 layout=$5 tmp="$PULL_DIR/layer-$4"
  local -a untar=("$TUPPER_HELPER" --untar "$tmp/rootfs")
  host mkdir -p -- "$tmp" "$IMAGES_DIR/layers/$layout"
  case $layout in
    snapshot)
      if [[ -n $parent ]]; then host btrfs -q subvolume snapshot -- "$IMAGES_DIR/layers/$layout/$parent/rootfs" "$tmp/rootfs"
      else host btrfs -q subvolume create -- "$tmp/rootfs"
      fi ;;
    copy)
      if [[ -n $parent ]]; then host cp -a --reflink=auto -- "$IMAGES_DIR/layers/$layout/$parent/rootfs" "$tmp/rootfs"
      else host mkdir -- "$tmp/rootfs"
      fi ;;
    diff) host mkdir -- "$tmp/rootfs"; untar+=(--overlay-whiteouts) ;;
  esac
  # tupper-init chroots into the layer before it reads the archive: see helper/untar.c
  case $type in
    *gzip) host_pipe gzip -dc -- "$blob" "|" "${untar[@]}" ;;
    *zstd) host_pipe zstd -dcq -- "$blob" "|" "${untar[@]}" ;;
    docker-archive) host_pipe gzip -dcf -- "$blob" "|" "${untar[@]}" ;;
    *) host_pipe "${untar[@]}" "<" "$blob" ;;
  esac || die "layer ${key:0:12} (blob ${blob##*/}) could not be applied (see above); nothing of it was kept"
  host_write "$tmp/blob" "$blob"
  host_write "$tmp/parent" "$parent"
  host mv -T -- "$tmp" "$IMAGES_DIR/layers/$layout/$key"
}

# Records image config file $1 in directory $2 (the image's config/), as the files a start
# reads without parsing JSON. Fails unless the image is for this host's machine.
image_config_record() {
  local text i
  local -a exposed_list
  document_size_check "$1" "the image config ${1##*/}"
  read -r -d '' text < "$1" || true
  json_parse "$text" || die "the image config ${1##*/} is not JSON ($REPLY)"
  host_platform
  if [[ -n ${JSON[.architecture]:-} && ${JSON[.architecture]} != "$HOST_ARCH" ]]; then
    die "$svc_image_source is an image for ${JSON[.os]:-linux}/${JSON[.architecture]}, and this host is linux/$HOST_ARCH${svc_image_lock_config:+ (lock it again with tupper lock --platform linux/$HOST_ARCH)}"
  fi
  host mkdir -p -- "$2"
  ((!PLAN)) || return 0
  local -a config_entrypoint=() config_cmd=() config_env=()
  for ((i = 0; i < ${JSON_LENGTH[.config.Entrypoint]:-0}; i++)); do config_entrypoint+=("${JSON[.config.Entrypoint[$i]]}"); done
  for ((i = 0; i < ${JSON_LENGTH[.config.Cmd]:-0}; i++)); do config_cmd+=("${JSON[.config.Cmd[$i]]}"); done
  for ((i = 0; i < ${JSON_LENGTH[.config.Env]:-0}; i++)); do config_env+=("${JSON[.config.Env[$i]]}"); done
  host_write0 "$2/entrypoint" "${config_entrypoint[@]}"
  host_write0 "$2/cmd" "${config_cmd[@]}"
  host_write0 "$2/env" "${config_env[@]}"
  host_write "$2/workdir" "${JSON[.config.WorkingDir]:-}"
  host_write "$2/user" "${JSON[.config.User]:-}"
  mapfile -t exposed_list < <(printf '%s' "${JSON_KEYS[.config.ExposedPorts]:-}")
  host_write "$2/exposed" "${exposed_list[@]}"
  host_write "$2/architecture" "${JSON[.architecture]:-}"
  # HEALTHCHECK: its Test (NUL-separated) and, in ms ('-': not set), Interval, Timeout,
  # Retries (a count), StartPeriod, StartInterval (the config's durations are nanoseconds)
  local -a config_health=() health_timing=()
  local key value
  for ((i = 0; i < ${JSON_LENGTH[.config.Healthcheck.Test]:-0}; i++)); do config_health+=("${JSON[.config.Healthcheck.Test[$i]]}"); done
  for key in Interval Timeout Retries StartPeriod StartInterval; do
    value=${JSON[.config.Healthcheck.$key]:-0}
    [[ $value =~ ^[0-9]{1,19}$ ]] || value=0
    if ((10#$value == 0)); then health_timing+=(-)
    elif [[ $key == Retries ]]; then health_timing+=("$((10#$value))")
    else health_timing+=("$((10#$value / 1000000))")
    fi
  done
  host_write0 "$2/health" "${config_health[@]}"
  host_write "$2/health_timing" "${health_timing[*]}"
}

# Assembles the layered image with config file $1 and PULL_LAYERS (blobs in BLOBS_DIR or,
# for an archive, at the paths in $3...) from source $2: applies the layers it lacks, then
# renames the image into place and points the source's ref at it. REPLY = its ID.
image_assemble() {
  local config=$1 source=$2 id layout i key parent='' blob size=0
  shift 2
  local -a keys=()
  blob_sum "$config"
  id=$REPLY
  layers_layout
  layout=$REPLY
  layer_keys
  for ((i = 0; i < ${#PULL_LAYERS[@]}; i += 4)); do
    key=${PULL_LAYERS[i + 3]}
    keys+=("$key")
    if exists "$IMAGES_DIR/layers/$layout/$key"; then
      note "layer ${PULL_LAYERS[i]:7:12} already present"
    else
      if (($#)); then blob=$1; else blob="$BLOBS_DIR/sha256/${PULL_LAYERS[i]#sha256:}"; fi
      if [[ -z ${ARCHIVE_DIR:-} ]] && ! exists "$blob"; then registry_blob "$PULL_REGISTRY" "$PULL_REPOSITORY" "${PULL_LAYERS[i]}" "${PULL_LAYERS[i + 2]}" layer; fi
      note "applying layer ${PULL_LAYERS[i]:7:12}"
      layer_apply "$blob" "${PULL_LAYERS[i + 1]}" "$parent" "$key" "$layout"
      if [[ -z ${ARCHIVE_DIR:-} ]]; then host rm -f -- "$blob"; fi
    fi
    (($# == 0)) || shift
    parent=$key
  done
  if ! exists "$IMAGES_DIR/$id"; then
    host mkdir -p -- "$PULL_DIR/image"
    image_config_record "$config" "$PULL_DIR/image/config"
    host_write "$PULL_DIR/image/layers" "${keys[@]}"
    host_write "$PULL_DIR/image/layout" "$layout"
    if [[ $layout == snapshot ]]; then host_write "$PULL_DIR/image/fstype" btrfs; else fs_type "$IMAGES_DIR"; host_write "$PULL_DIR/image/fstype" "$REPLY"; fi
    host_write "$PULL_DIR/image/source" "$source"
    # its size on disk, unpacked: the top layer's tree, or all the layers of an overlay
    if ((!PLAN)); then
      if [[ $layout == diff ]]; then size=$(du -sbc -- "${keys[@]/#/$IMAGES_DIR/layers/diff/}" | tail -n1)
      else size=$(du -sb -- "$IMAGES_DIR/layers/$layout/$key/rootfs")
      fi
    fi
    host_write "$PULL_DIR/image/size" "${size%%[[:space:]]*}"
    host mv -T -- "$PULL_DIR/image" "$IMAGES_DIR/$id"
  fi
  host mkdir -p -- "$IMAGES_DIR/refs"
  hash_text "$source"
  host_write "$IMAGES_DIR/refs/$REPLY" "$id $source"
  REPLY=$id
}

# REPLY = the sha256 hex of file $1.
blob_sum() {
  if ((PLAN)) && [[ ! -e $1 ]]; then REPLY=${svc_image_lock_config#sha256:}; REPLY=${REPLY:-unknown}; return 0; fi
  REPLY=$(sha256sum < "$1") || die "cannot read $1"
  REPLY=${REPLY%% *}
}

# ---- where each image comes from ----

# Pulls the loaded service's registry image (pinned by the lock file when it has one).
image_pull_registry() {
  PULL_REGISTRY=$svc_image_registry PULL_REPOSITORY=$svc_image_repository
  local config
  if [[ -n $svc_image_lock_config ]]; then
    # the lock file pinned the manifest: its config and layers are known, nothing to resolve
    note "pulling $svc_image_source (locked: manifest $svc_image_lock_manifest)"
    PULL_LAYERS=("${svc_image_lock_layers[@]}")
    config=$svc_image_lock_config
    local i
    for ((i = 0; i < ${#PULL_LAYERS[@]}; i += 4)); do digest_check "${PULL_LAYERS[i]}" "layer $((i / 4)) pinned by the lock file"; done
  else
    note "pulling $svc_image_source"
    registry_manifest "$svc_image_registry" "$svc_image_repository" "${svc_image_digest:-$svc_image_tag}"
    config=$MANIFEST_CONFIG
  fi
  digest_check "$config" "the config of $svc_image_source"
  registry_blob "$svc_image_registry" "$svc_image_repository" "$config" '' config
  document_size_check "$BLOBS_DIR/sha256/${config#sha256:}" "the config of $svc_image_source"
  image_assemble "$BLOBS_DIR/sha256/${config#sha256:}" "$svc_image_source"
}

# Imports an OCI image layout (oci:DIR, or oci-archive:FILE unpacked into one), choosing
# the image named $2 when the layout holds several. Each document and blob is copied once
# into the pull's directory and verified there (pull_private). Every digest from index.json
# and the manifests is checked before it names a blob, and
# each blob is read through layout_blob: a file inside the layout, never a link out of it.
image_import_layout() {
  local dir=$1 name=$2 text i count manifest='' config file
  archive_file "$dir" index.json layout || die "$svc_image_source is not an OCI image layout: its index.json $REPLY"
  pull_private "$REPLY" index.json "$dir/index.json"
  document_size_check "$REPLY" "$dir/index.json"
  read -r -d '' text < "$REPLY" || [[ -n $text ]] || die "$dir is not an OCI image layout: it has no index.json"
  json_parse "$text" || die "$dir/index.json is not JSON ($REPLY)"
  count=${JSON_LENGTH[.manifests]:-0}
  for ((i = 0; i < count; i++)); do
    if [[ -z $name && $count == 1 || -n $name && ${JSON[.manifests[$i].annotations.org.opencontainers.image.ref.name]:-} == "$name" ]]; then
      manifest=${JSON[.manifests[$i].digest]:-}
      digest_check "$manifest" "entry $i of $dir/index.json"
    fi
  done
  if [[ -z $manifest && -n $name ]]; then die "${svc_image_source}: has no image named '$name'"; fi
  [[ -n $manifest ]] || die "${svc_image_source}: holds $count images; name one as oci:DIR:NAME"
  layout_blob "$dir" "$manifest" "the manifest $manifest"
  file=$REPLY
  manifest_read "$file" "$svc_image_source"
  if [[ $MANIFEST_KIND == index ]]; then
    platform_choose "$svc_image_source"
    manifest=$REPLY
    layout_blob "$dir" "$manifest" "the manifest $manifest"
    manifest_read "$REPLY" "$svc_image_source"
  fi
  layout_blob "$dir" "$MANIFEST_CONFIG" "the config"
  config=$REPLY
  document_size_check "$config" "the config of $svc_image_source"
  local -a files=()
  for ((i = 0; i < ${#PULL_LAYERS[@]}; i += 4)); do
    layout_blob "$dir" "${PULL_LAYERS[i]}" "layer ${PULL_LAYERS[i]}"
    files+=("$REPLY")
  done
  # (the ref names the image taken: oci:DIR:NAME is one of the layout's images)
  ARCHIVE_DIR=$dir image_assemble "$config" "$svc_image_source${name:+:$name}" "${files[@]}"
}

# REPLY = the file of blob $2 (a digest, checked here) in layout $1, resolved inside it, copied
# into the pull's directory and verified against the digest; $3 names it. Ends the script
# otherwise.
layout_blob() {
  local dir=$1 digest=$2 what=$3
  digest_check "$digest" "$what in $dir"
  archive_file "$dir" "blobs/sha256/${digest#sha256:}" layout || die "$what in $svc_image_source: blobs/sha256/${digest#sha256:} $REPLY"
  pull_private "$REPLY" "blobs/${digest#sha256:}" "$what in $svc_image_source"
  local file=$REPLY
  blob_verify "$file" "$digest" "$what in $dir"
  REPLY=$file
}

# REPLY = a copy of file $1 (a path archive_file resolved) at $2 in the pull's private
# directory (mode 0700), or $1 itself when it is already there (an archive unpacked there);
# $3 names it. An oci: layout or an archive is a user's: it can rename another file over
# the one that was checked, or a symlink to a root-only file, at any time (the red team's
# swap-on-read waits for the check's read with inotify). So each is read exactly once, into
# the copy, and the copy is what is verified, parsed and applied: a swap afterwards changes
# nothing. dd opens $1 with O_NOFOLLOW (a symlink swapped in is refused, never followed)
# and O_NONBLOCK (a FIFO swapped in reads as empty, and the sum then fails, instead of
# holding the store's lock). containers/image likewise reads each blob of a layout once,
# through a digesting reader, into its own storage, and verifies what it stored.
# What is left: a directory on the way swapped for a link still leads the open, and the
# copy then holds a file of the same name whose sha256 the user named: only a file the
# user could hash already (a check of every component needs openat2's RESOLVE_NO_SYMLINKS).
pull_private() {
  local file=$1 copy="$PULL_DIR/$2"
  if [[ $file == "$PULL_DIR"/* ]]; then REPLY=$file; return 0; fi
  host mkdir -p -- "${copy%/*}"
  host dd if="$file" of="$copy" iflag=nofollow,nonblock bs=1M status=none \
    || die "cannot read $3 ($file): it was replaced while it was read, or is no regular file; nothing of it was kept"
  REPLY=$copy
}

# Imports a `docker save` archive unpacked in $1: its manifest.json names the config and
# the layer files, whose digests are their sha256 (Docker's own archives are also OCI
# layouts now: those go through image_import_layout). Every path in manifest.json is the
# archive's word, so each must be a plain relative path to a regular file that resolves
# inside the archive (archive_file): containers/image's docker-archive reader likewise
# refuses a path that leaves the archive (its tarfile source's path checks).
image_import_docker_archive() {
  local dir=$1 text i file count
  if [[ -e $dir/index.json && -d $dir/blobs ]]; then image_import_layout "$dir" ''; return; fi
  archive_file "$dir" manifest.json archive || die "$svc_image_source is not a docker save archive: its manifest.json $REPLY"
  document_size_check "$REPLY" "manifest.json of $svc_image_source"
  read -r -d '' text < "$REPLY" || [[ -n $text ]] || die "$svc_image_source is not a docker save archive: it has no manifest.json"
  json_parse "$text" || die "manifest.json of $svc_image_source is not JSON ($REPLY)"
  ((${JSON_LENGTH[.]:-0} == 1)) || die "$svc_image_source holds ${JSON_LENGTH[.]:-0} images; save one image per archive"
  archive_file "$dir" "${JSON[.[0].Config]:-}" archive || die "$svc_image_source: the Config of its manifest.json: $REPLY; it was refused"
  local config=$REPLY
  document_size_check "$config" "the config of $svc_image_source"
  local -a files=()
  count=${JSON_LENGTH[.[0].Layers]:-0}
  ((count <= MAX_LAYERS)) || die "$svc_image_source has $count layers; tupper takes at most $MAX_LAYERS, as Docker does"
  PULL_LAYERS=()
  for ((i = 0; i < count; i++)); do
    archive_file "$dir" "${JSON[.[0].Layers[$i]]:-}" archive || die "$svc_image_source: layer $i of its manifest.json: $REPLY; it was refused"
    file=$REPLY
    files+=("$file")
    blob_sum "$file"
    PULL_LAYERS+=("sha256:$REPLY" docker-archive '' '')
  done
  ARCHIVE_DIR=$dir image_assemble "$config" "$svc_image_source" "${files[@]}"
}
