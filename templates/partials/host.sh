
# ---- Host changes: every command that changes the host goes through one of these --------
# so that `plan VERB` can print the commands instead of running them (PLAN=1), and so that
# a reviewer finds them all with one search: host, host_write, host_append, host_create,
# host_feed. A plan prints each as one line of words quoted for the shell: host's command
# as it is, the others after "write", "append" or "create", with the fed text indented
# below. Locks (flock on a file under TUPPER_RUN) only serialise and are not listed, nor is
# pipe_open's FIFO, made and unlinked at once (a pipe, not a change the host keeps).
PLAN=0

# Runs command $@.
host() {
  if ((PLAN)); then
    plan_print "$@"
    plan_track "$@"
    return 0
  fi
  case $1 in
    mkdir | rm | rmdir)
      # the builtin for `mkdir -p -- DIR...`, `rm -f -- FILE...` and `rmdir -- DIR...` alone
      # (the loadable rmdir takes no options, not even --: it gets the directories alone);
      # coreutils' for the rest (mkdir -m, rm -r --one-file-system), and where the builtin
      # fails: mkdir's makes a missing parent after a stat, and fails where another process
      # made it in between, which coreutils' takes as done (and it says why in its own words)
      if [[ $1 == rm && $2 == -f && $3 == -- ]] && ((BUILTIN_LOADED[rm] == 0)); then loadable_builtin rm; fi
      if ((BUILTIN_LOADED[$1] == 1)); then
        if [[ $2$3 == -p-- && $1 == mkdir || $2$3 == -f-- && $1 == rm ]] && "$@" 2> /dev/null; then return 0; fi
        if [[ $1 == rmdir && $2 == -- ]] && rmdir "${@:3}" 2> /dev/null; then return 0; fi
        "${BUILTIN_FILE[$1]}" "${@:2}"
        return
      fi
      ;;
  esac
  "$@"
}

# mkdir and rm without a process, where bash's own loadable builtins are installed (Debian's
# bash-builtins, built for the very bash at /bin/bash, in root's /usr/lib/bash): a fork and
# an exec of /bin/mkdir cost 3 to 4 ms here, `enable -f` about 0.5 ms once. host uses them
# for `mkdir -p -- DIR...` (a new container's directories and cgroups) and `rm -f --
# FILE...` (a container's network records), and plan and TUPPER_TRACE show the same line.
# Start verbs load mkdir first (preflight); rm loads at its first such use. pipe_open uses
# mkfifo and rm for the pipe tupper-init talks to the script through (no fork);
# records_remove, rm and rmdir for what a run --rm on a network leaves (no fork either).
# TUPPER_BASH_LOADABLES=0 keeps their processes. BUILTIN_LOADED[NAME]: 0 not tried yet, 1
# loaded, 2 not to be had. Once loaded, a name is the builtin's
# everywhere, so every other use runs coreutils' by its path (BUILTIN_FILE): the builtin rm
# has no --one-file-system, and a directory given to its -f is quietly left.
declare -A BUILTIN_LOADED=([mkdir]=0 [rm]=0 [mkfifo]=0 [rmdir]=0) BUILTIN_FILE=()
loadable_builtin() {
  local name=$1 so=/usr/lib/bash/$1 file
  BUILTIN_LOADED[$name]=2
  [[ ${TUPPER_BASH_LOADABLES:-1} != 0 && $BASH -ef /bin/bash && -f $so && -O $so && -O ${so%/*} ]] || return 0
  for file in "/usr/bin/$name" "/bin/$name"; do [[ ! -x $file ]] || { BUILTIN_FILE[$name]=$file && break; }; done
  [[ -n ${BUILTIN_FILE[$name]:-} ]] || return 0
  if enable -f "$so" "$name" 2> /dev/null; then BUILTIN_LOADED[$name]=1; fi
}

# Runs a pipeline written as words with "|" between commands and a "<" FILE at the end, or
# in a plan prints it.
host_pipe() {
  local -a first=()
  if ((PLAN)); then plan_print "$@"; return 0; fi
  while (($#)) && [[ $1 != '|' && $1 != '<' ]]; do first+=("$1"); shift; done
  case ${1:-} in
    '|') shift; "${first[@]}" | "$@" ;;
    '<') "${first[@]}" < "$2" ;;
    *) "${first[@]}" ;;
  esac
}

# Replaces file $1 with the lines $2... (an empty file without them).
host_write() {
  local file=$1
  shift
  if ((PLAN)); then plan_print write "$file" "$@" && plan_track made "$file"; return 0; fi
  if (($#)); then printf '%s\n' "$@" > "$file"; else : > "$file"; fi
}

# Appends the lines $2... to file $1.
host_append() {
  local file=$1
  shift
  if ((PLAN)); then plan_print append "$file" "$@" && plan_track made "$file"; return 0; fi
  printf '%s\n' "$@" >> "$file"
}

# Replaces file $1 with the words $2..., each ended by a NUL: lists whose words may hold
# newlines (an image's Cmd), read back with mapfile -d ''.
host_write0() {
  local file=$1
  shift
  if ((PLAN)); then plan_print write0 "$file" "$@" && plan_track made "$file"; return 0; fi
  if (($#)); then printf '%s\0' "$@" > "$file"; else : > "$file"; fi
}

# Creates file $1 holding $2; fails if it exists (noclobber opens with O_EXCL, so two
# scripts racing for one address or port cannot both get it).
host_create() {
  local status=0
  if ((PLAN)); then
    ! exists "$1" || return 1
    plan_print create "$1" "$2"
    plan_track made "$1"
    return 0
  fi
  set -o noclobber
  { printf '%s\n' "$2" > "$1"; } 2>/dev/null || status=$?
  set +o noclobber
  return "$status"
}

# Runs command $@ with this function's stdin as its input (ip -batch -, tc -batch -). With
# -t NAME, the input is the text in the caller's variable NAME (none of the names local
# here) (iptables-restore), and with -k before it the command is kept: host_feed_keep.
# The text for a command line kept by host_feed -k goes to that process, which it ends.
host_feed() {
  local feed_line keep=0 text_of='' kept key
  local -a feed_lines
  if [[ $1 == -k ]]; then keep=1 && shift; fi
  if [[ $1 == -t ]]; then text_of=$2 && shift 2; fi
  printf -v key '%s ' "$@" # (the command line, its words joined by spaces whatever IFS is)
  key=${key% }
  if ((PLAN)); then
    if [[ -n $text_of ]]; then mapfile -t feed_lines <<< "${!text_of}"; else mapfile -t feed_lines; fi
    if ((keep)); then feed_lines+=("$FEED_MARK"); fi
    plan_print "$@"
    for feed_line in "${feed_lines[@]}"; do
      if [[ -n $feed_line ]]; then printf '    %s\n' "$feed_line"; fi
    done
    if ((keep)); then
      plan_note "(where tupper-init's command line above has --feed, tupper-init starts it; it stays, once it has echoed the last line: the rules are in then; the rules that take them out, when the workload ends, are its next input, and its last)"
    fi
    return 0
  fi
  if [[ -z $text_of ]]; then "$@"; return; fi
  kept=${FEED_KEPT[$key]:-}
  if [[ -n $kept ]]; then
    host_feed_end "$key" "${!text_of}" "$@"
  elif ((keep)); then
    host_feed_keep "${!text_of}" "$@"
  else
    "$@" <<< "${!text_of}"
  fi
}

# host_feed -k's comment line (FEED_MARK), the commands it keeps (FEED_KEPT), the last
# input host_feed_send gave one (FEED_SENT), and the one tupper-init starts for it
# (FEED_LAUNCHED, FEED_ARGS, FEED_LAUNCH_KEY and its pipes: feed_launch_args), for the
# functions of lazy section bridge-attach (only a start that publishes ports keeps a command).
readonly FEED_MARK='# tupper: the rules above are in'
declare -A FEED_KEPT=() FEED_SENT=() FEED_LAUNCHED=()
FEED_ARGS=() FEED_LAUNCH_KEY='' FEED_PIPE_IN='' FEED_PIPE_OUT=''

# A plan keeps track, on paper, of the paths its steps make and remove (PLAN_PATH[PATH] =
# made or gone, plan_track), so that later steps decide as they would after the real ones.
declare -A PLAN_PATH=()

# Whether path $1 exists (in a plan: or a step before has made it, and none removed it).
exists() {
  case ${PLAN_PATH[$1]:-} in
    made) return 0 ;;
    gone) return 1 ;;
  esac
  [[ -e $1 ]]
}

# A line of explanation in a plan (what happens between commands), ignored otherwise.
plan_note() {
  if ((PLAN)); then printf '# %s\n' "$*"; fi
}
