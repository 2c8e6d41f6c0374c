
# ---- The image store's own upkeep: image IDs, and what killed builds left ------------
# (A partial of its own: above the start verbs when the spec builds, since up and run may
# start a build; below them otherwise, so that a start of a spec without build: reads none of
# it. script.sh.hbs includes it in one place or the other.)

# REPLY = the ID of the image tree $1 (made by commit or build): the sha256 of its layer list
# and of each config file, each framed by its name and length. Unframed, the bytes of
# `CMD ["sh"]` and of `ENTRYPOINT ["sh"]` were the same (config/cmd and config/entrypoint
# side by side), and so were a CMD word and an ENV entry: two images had one ID, and the
# second, finding the ID taken, ran with the first one's config.
image_tree_id() {
  local tree=$1 file size
  if ((PLAN)); then REPLY=IMAGE_ID && return 0; fi
  REPLY=$(
    for file in "$tree/layers" "$tree"/config/*; do
      size=$(wc -c < "$file") || exit 1
      printf '%s %s\n' "${file#"$tree"/}" "$size"
      cat -- "$file" || exit 1
    done | sha256sum
  ) || die "cannot hash the new image in $tree"
  REPLY=${REPLY%% *}
}

# Removes what builds killed before their end left: in the store, their directories
# (IMAGES_DIR/.build-PID: the new layer being made, the overlays of its stage mounted below
# it); in TUPPER_RUN/.build-PID, the copies of their steps' secrets; in this project, their
# steps' containers (whose image record is .build-PID), stopped first. Called under the
# store's build lock: a build holds it until it ends (its steps' processes do not inherit
# it), and a killed one lost it with its process, so nothing found here is in use. Another
# project's steps wait for that project's next build or down. A directory that cannot be
# removed is said, not fatal: it must not stop every later build on the host.
builds_sweep() {
  local dir i path
  local -a mounts
  for dir in "$CONTAINERS_DIR"/*/; do
    dir=${dir%/}
    if ! read_file "$dir/image" || [[ $REPLY != .build-* ]]; then continue; fi
    note "removing ${dir##*/}, the step of a build that was killed"
    container_remove "${dir##*/}" || note "could not remove ${dir##*/}; down removes it"
  done
  for dir in "$IMAGES_DIR"/.build-*/; do
    dir=${dir%/}
    [[ -d $dir ]] || continue
    note "removing $dir, left by a build that was killed"
    # its mounts, from the mount table (which writes a space as \040, a tab \011, a newline
    # \012, a backslash \134), the last mounted first: an overlay before what is under it
    path=${dir//\\/\\134} path=${path// /\\040} path=${path//$'\t'/\\011} path=${path//$'\n'/\\012}
    mounts=()
    while read -r _ _ _ _ i _; do
      if [[ $i == "$path"/* ]]; then
        i=${i//\\040/ } i=${i//\\011/$'\t'} i=${i//\\012/$'\n'} i=${i//\\134/\\}
        mounts+=("$i")
      fi
    done < /proc/self/mountinfo
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
      host umount -- "${mounts[i]}" 2>/dev/null || host umount -l -- "${mounts[i]}" 2>/dev/null || true
    done
    image_import_abort "$dir" || note "could not remove $dir (see above); remove it by hand"
  done
  # the copies of its steps' secrets
  for dir in "$TUPPER_RUN"/.build-*/; do
    if [[ -d $dir ]]; then host rm -rf -- "${dir%/}"; fi
  done
}
