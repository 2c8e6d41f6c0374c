
# ---- Process: into the cgroups, the namespaces, and tupper-init ---------------------

# HELPER_ARGS = tupper-init's command line for the loaded service in container $1, run
# detached or in the foreground ($2, as container_launch). Arguments after $2 replace the
# service's command, as `run SERVICE COMMAND...` does.
helper_args() {
  local name=$1 mode=$2 c="$CONTAINERS_DIR/$1" hostname storage image i file dir version
  shift 2
  container_hostname "$name"
  hostname=$REPLY
  storage=${CONTAINER_STORAGE[$name]:-} image=${CONTAINER_IMAGE[$name]:-}
  if [[ -z $storage ]]; then read_file "$c/storage" && storage=$REPLY; fi
  if [[ -z $image ]]; then read_file "$c/image" && image=$REPLY; fi
  # `run SERVICE COMMAND...`: the command replaces the image's Cmd, so an image without one
  # runs too (as `docker compose run` does)
  if (($#)); then svc_command=("$@") svc_command_set=1; fi
  image_config_apply "$image"
  HELPER_ARGS=(--rootfs "$c/rootfs")
  if [[ $storage == overlay ]]; then
    if image_tree "$image"; then
      HELPER_ARGS+=(--overlay "$REPLY" "$c/upper" "$c/work")
    else # the image's layers, each a lower layer of the overlay, top first
      HELPER_ARGS+=(--overlay "${IMAGE_LOWERS[0]}" "$c/upper" "$c/work")
      for ((i = 1; i < ${#IMAGE_LOWERS[@]}; i++)); do HELPER_ARGS+=(--lower "${IMAGE_LOWERS[i]}"); done
    fi
  fi
  # The container's own /etc/hostname, hosts and resolv.conf: tupper-init copies them into a
  # small tmpfs of the container's, so that writing them fills the container's memory, not
  # TUPPER_RUN; volumes come after, so a volume on one of these paths wins, as in Docker.
  # (network_mode: service:PEER: the peer's, as the network is)
  local etc="$STATE_DIR/$name"
  if [[ $svc_network_mode == service ]]; then container_name_of "$svc_network_peer" && etc="$STATE_DIR/$REPLY"; fi
  for file in hostname hosts resolv.conf; do HELPER_ARGS+=(--etc-file "$etc/$file" "/etc/$file"); done
  for i in "${!svc_bind_source[@]}"; do
    if [[ ${svc_bind_mode[i]} == ro ]]; then HELPER_ARGS+=(--ro-bind); else HELPER_ARGS+=(--bind); fi
    HELPER_ARGS+=("${svc_bind_source[i]}" "${svc_bind_target[i]}")
  done
  HELPER_ARGS+=("${NET_HELPER_ARGS[@]}" --hostname "$hostname")
  if [[ -n $svc_domainname ]]; then HELPER_ARGS+=(--domainname "$svc_domainname"); fi
  # what the spec settles, worked out by the compiler (load_service_N: svc_settled, a line
  # with its key each), the device cgroup and the spec's devices, and the confinement
  HELPER_ARGS+=("${svc_settled[@]}" "${DEVICE_ARGS[@]}")
  for ((i = 0; i < ${#svc_devices[@]}; i += 3)); do HELPER_ARGS+=(--device "${svc_devices[i]}" "${svc_devices[i + 1]}"); done
  HELPER_ARGS+=("${svc_confine[@]}")
  user_args HELPER_ARGS "$svc_uid" "$svc_gid" "$svc_user"
  HELPER_ARGS+=(--chdir "$svc_workdir")
  # the environment: on descriptor ENV_FD (see enter_container), not on the command line
  env_args "$hostname" "$svc_uid" "$svc_user"
  HELPER_ARGS+=(--env-fd "$ENV_FD")
  if ((svc_init)); then HELPER_ARGS+=(--init); fi
  # pid: host or service:PEER: a restart stays in that PID namespace
  if [[ $svc_pid != private ]]; then HELPER_ARGS+=(--keep-pidns); fi
  # Terminals: no host terminal ever reaches the workload (see helper/pty.h). Detached,
  # tty and stdin_open decide; in the foreground, run's -t/-T and the terminal (RUN_TTY).
  if [[ $mode == detached ]]; then
    if ((svc_tty || RUN_TTY)); then HELPER_ARGS+=(--tty); fi
    if ((svc_stdin_open)); then HELPER_ARGS+=(--stdin-open); fi
  elif ((RUN_TTY)); then
    HELPER_ARGS+=(--tty)
  fi
  # restart and healthcheck apply to the service's own container, not to one-off runs (as
  # in Compose). tupper-init restarts and checks it, and keeps the counts in STATE_DIR/NAME.
  replica_of "$name"
  if ((REPLICA)); then
    HELPER_ARGS+=(--status-dir "$STATE_DIR/$name" --stop-file "$STATE_DIR/$name/stopping")
    if [[ $svc_restart != no ]]; then HELPER_ARGS+=(--restart "$svc_restart"); fi
    if [[ -n $svc_restart_max ]]; then HELPER_ARGS+=(--max-restarts "$svc_restart_max"); fi
    # OOMKilled (ps, inspect): tupper-init compares the memory cgroup's oom_kill count
    # before and after PID 1's run
    if [[ -n ${CG_DIR_OF[memory]:-} ]]; then
      cgroup_dir_for memory dir version
      if ((version == 2)); then HELPER_ARGS+=(--oom-events "$dir/memory.events"); else HELPER_ARGS+=(--oom-events "$dir/memory.oom_control"); fi
    fi
    if ((${#svc_health[@]})); then
      for i in "${svc_health[@]}"; do HELPER_ARGS+=(--health-arg "$i"); done
      HELPER_ARGS+=(--health-timing "${svc_health_timing[@]}")
    fi
  fi
  if [[ $mode == detached && $svc_log_driver != none ]]; then
    # logging: tupper-init reads the workload's stdout and stderr through pipes and writes
    # them to the log, a timestamped line at a time, rotating it (no process of its own).
    HELPER_ARGS+=(--log "$c/log" --log-max-files "$svc_log_max_files")
    if [[ -n $svc_log_max_size ]]; then HELPER_ARGS+=(--log-max-size "$svc_log_max_size"); fi
  fi
  HELPER_ARGS+=(-- "${svc_entrypoint[@]}")
  if (($#)); then HELPER_ARGS+=("$@"); else HELPER_ARGS+=("${svc_command[@]}"); fi
}

# Appends to the array named $1 tupper-init's options for uid $2 and gid $3, or the user
# name $4 (name[:group], looked up inside the container), then the spec's group_add.
user_args() {
  local -n user_args_into=$1
  local group
  if [[ -n $4 ]]; then user_args_into+=(--user "$4"); else user_args_into+=(--uid "$2" --gid "$3"); fi
  for group in "${svc_group_add[@]}"; do user_args_into+=(--group-add "$group"); done
}

# The environment reaches tupper-init on this descriptor, never on its command line: any user
# of the host reads a process's arguments in /proc/PID/cmdline, and environment values hold
# secrets (x-tupper.runtime_env). Docker and runc pass it in config.json, which only root reads.
readonly ENV_FD=3

# ENV_VARS = the loaded service's workload's environment (NAME=VALUE each), with hostname
# $1 and uid $2 (or user name $3): Docker's defaults for PATH, HOSTNAME and HOME unless the
# spec sets them, then the spec's environment. ENV_PAYLOAD = the same as tupper-init's
# --env-fd reads it: a line each, a backslash escaping a newline (\n) and itself (\\).
# Its values stay out of TUPPER_TRACE's log.
env_args() {
  local - env
  set +x
  ENV_VARS=()
  if ((svc_env_default_path)); then ENV_VARS+=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin); fi
  if ((svc_env_default_hostname)); then ENV_VARS+=("HOSTNAME=$1"); fi
  # HOME: for a user name ($3), tupper-init takes the passwd entry's, as Docker does
  if ((svc_env_default_home)) && [[ -z ${3:-} ]]; then
    if (($2 == 0)); then ENV_VARS+=(HOME=/root); else ENV_VARS+=(HOME=/); fi
  fi
  ENV_VARS+=("${svc_env[@]}")
  # A variable named without a value takes the host's value, as in Compose; unset stays unset.
  for env in "${svc_env_pass[@]}"; do
    if [[ -v HOST_ENV[$env] ]]; then ENV_VARS+=("$env=${HOST_ENV[$env]}"); fi
  done
  env_payload
}

# ENV_PAYLOAD = ENV_VARS, encoded for --env-fd (see env_args), builtins only.
env_payload() {
  local - env
  set +x
  ENV_PAYLOAD=''
  for env in "${ENV_VARS[@]}"; do
    env=${env//\\/\\\\}
    ENV_PAYLOAD+=${env//$'\n'/\\n}$'\n'
  done
}

# REPLY = the hostname of container $1: the spec's, else the container's name (the host's
# name with network_mode host, as in Docker).
container_hostname() {
  if [[ -n $svc_hostname ]]; then REPLY=$svc_hostname
  elif [[ $svc_network_mode == host ]]; then read_file /proc/sys/kernel/hostname
  elif [[ $svc_network_mode == service ]]; then
    container_name_of "$svc_network_peer"
    read_file "$STATE_DIR/$REPLY/hostname" || REPLY=${1:0:63}
  else REPLY=${1:0:63}
  fi
}

# Opens a pipe on a new descriptor, its number into the variable named $1, for what
# tupper-init tells this script: FIFO $2 (in the container's records, root's alone; mode
# 0600 less the umask) made, opened for reading and writing, and unlinked at once, by bash's
# loadable mkfifo and rm (see loadable_builtin): no process. Without those loadables, or
# when $2 cannot be made, a process substitution's pipe: a fork of this script, about 2.8 ms
# here. Readers and writers see the same pipe either way (each opens it anew through
# /proc/self/fd). The FIFO exists only between these lines, so it does not go through host:
# neither plan nor TUPPER_TRACE lists it.
# shellcheck disable=SC2034 # pipe_fd is the caller's variable: the redirections set it
pipe_open() {
  local -n pipe_fd=$1
  local fifo=$2
  ((BUILTIN_LOADED[mkfifo])) || loadable_builtin mkfifo
  ((BUILTIN_LOADED[rm])) || loadable_builtin rm
  if ((BUILTIN_LOADED[mkfifo] == 1 && BUILTIN_LOADED[rm] == 1)) && mkfifo -m 0600 -- "$fifo" 2> /dev/null; then
    exec {pipe_fd}<> "$fifo"
    rm -f -- "$fifo" || : # (left, it goes with the records)
    # (the open creates a file where something removed the FIFO in between: not a pipe)
    [[ ! -p /proc/self/fd/$pipe_fd ]] || return 0
    exec {pipe_fd}<&-
  fi
  exec {pipe_fd}<> <(:)
}

# Starts container $1 of the loaded service, detached ($2 = detached: in a session of its
# own, its output in its log) or in the foreground ($2 = foreground: this script's stdin,
# stdout and stderr). Arguments after $2 replace the service's command.
# LAUNCHED_PID = the PID of the container's supervisor (this script's child, then tupper-init),
# LAUNCHED_START its start time. On a bridge network, it publishes the ports once
# tupper-init has found them free (net_plumb). Detached, it returns once the workload's exec
# has happened, or has failed (START_FAILED: see start_report).
LAUNCHED_START=''
container_launch() {
  local name=$1 mode=$2 log=/dev/null report
  shift 2
  helper_args "$name" "$mode" "$@"
  run_exec_wanted "$name" "$mode"
  # in the foreground, tupper-init starts the iptables-restore that publishes the ports, where
  # it goes back to this script's cgroups at the end (--leave-cgroup), there (feed_launch_args)
  FEED_ARGS=()
  if [[ $mode == foreground && $svc_pid == private && -z $CG_UNIT ]] && ((${#PUBLISH_RULES[@]})); then feed_launch_args "$name"; fi
  # Detached, the output goes to the log (see helper_args); what fails before tupper-init
  # opens it (its namespaces, enter_container) is appended to the same file as it is.
  if [[ $mode == detached && $svc_log_driver != none ]]; then log="$CONTAINERS_DIR/$name/log"; fi
  if ((PLAN)); then container_launch_plan "$name" "$mode" "$log"; return 0; fi
  # under systemd the child waits on this pipe until its scope and cgroup are ready
  if [[ -n $CG_UNIT ]]; then pipe_open CG_GATE "$STATE_DIR/$name/.gate"; fi
  # tupper-init's report of the workload's exec (start_report), and on a bridge network its
  # word that its ports are free or its namespace made (net_plumb, NET_READY), come through
  # this pipe
  if [[ $mode == detached || -n $NET_READY ]]; then pipe_open START_REPORT "$STATE_DIR/$name/.report"; fi
  # (the trap stays as it is: it undoes the start if this fails before the exec, and an exec
  # runs no trap)
  if ((RUN_EXEC)); then enter_container "$name" foreground; fi
  if [[ $mode == detached ]]; then
    enter_container "$name" detached >> "$log" 2>&1 < /dev/null &
  else
    enter_container "$name" foreground <&0 &
  fi
  LAUNCHED_PID=$! LAUNCHED_START=''
  if ((${#FEED_ARGS[@]})); then feed_launched; fi
  # network_mode service:X: the peer's namespace is the child's now (container_net_attach);
  # this script's copy would keep it alive in every process it starts later
  if [[ -n $NET_PEER_FD ]]; then exec {NET_PEER_FD}<&- && NET_PEER_FD=''; fi
  if [[ $mode == detached || -n $NET_READY ]]; then
    # this end reads; the child's, once tupper-init's descriptor 4, is the last that writes
    exec {report}< "/proc/self/fd/$START_REPORT" {START_REPORT}>&-
    START_REPORT=$report
  fi
  if [[ -n $CG_UNIT ]]; then cgroup_scope "$name" "$LAUNCHED_PID"; fi
  # The child writes this record first thing (so that a kill of this script at any point
  # leaves it); writing the same line here too means it exists once launch returns. (A run
  # --rm whose workload has already ended may find its directory removed by tupper-init.)
  if proc_start_time "$LAUNCHED_PID"; then
    LAUNCHED_START=$REPLY
    host_write "$STATE_DIR/$name/pid" "$LAUNCHED_PID $REPLY" 2> /dev/null || [[ $RM_ON_EXIT == "$name" ]]
  fi
  # what ends a foreground container, parsed while tupper-init makes it (the other core) and
  # before net_plumb waits for it (unless tupper-init waits for this script: tc, NET_SHAPING)
  if [[ $mode == foreground && -z $NET_SHAPING ]]; then section_preload teardown; fi
  START_REPORT_LINE=''
  if [[ $svc_network_mode == bridge ]]; then
    net_plumb "$name" "$mode"
    # a foreground run hears no more on it
    if [[ $mode != detached && -n $NET_READY ]]; then exec {START_REPORT}<&-; fi
  fi
  if [[ $mode == detached ]]; then start_report "$name"; fi
  if [[ $mode == foreground ]]; then section_preload teardown; fi
}

# RUN_EXEC = 1 when this script becomes the tupper-init of `run --rm` container $1 (mode $2)
# rather than forking it: a fork costs 2 to 4 ms here, and the script's work after the
# workload is tupper-init's already (the cgroups, then --remove-tree) where the workload runs
# in the foreground, in a PID namespace of its own, with network none, off systemd, on
# overlay or a copy, without anonymous volumes (--rm removes those: the script's work), and
# the script is a file it can run again: tupper-init hands back what it cannot remove to
# `SCRIPT --finish-run NAME STATUS` (--finish). TUPPER_RUN_EXEC=0 keeps the fork.
RUN_EXEC=0
run_exec_wanted() {
  local anonymous
  RUN_EXEC=0
  printf -v anonymous '%s' "${svc_bind_anon[@]}"
  [[ ${TUPPER_RUN_EXEC:-1} != 0 && $RM_ON_EXIT == "$1" && $2 == foreground && $svc_network_mode == none ]] || return 0
  [[ $svc_pid == private && -z $CG_UNIT && ${CONTAINER_STORAGE[$1]:-} != btrfs && -z $anonymous ]] || return 0
  if [[ $SCRIPT_FILE == /* && -f $SCRIPT_FILE && $BASH == /* ]]; then RUN_EXEC=1; fi
}

# Reads tupper-init's report (--report-fd) on START_REPORT for detached container $1: "ok"
# once the workload's exec has happened, or "fail STATUS MESSAGE" when it cannot (no such
# command: 127, not executable: 126, tupper-init failed: 125). A failed start is said, with
# the message, and left as it ended: ps -a shows it exited with STATUS, logs the message.
# START_FAILED = STATUS then ('' after a start that happened), for the verb to end with: `run
# -d` with STATUS, as `docker run` does; up at once, start and restart once the others are
# started, with 1, as docker compose does.
START_FAILED='' START_REPORT_LINE=''
start_report() {
  local line='' status=125 reason='tupper-init ended before it ran the workload' waited=0
  START_FAILED=''
  # (net_plumb may have read it: a failure before the network)
  line=$START_REPORT_LINE
  if [[ -z $line ]]; then read -r -t 60 -u "$START_REPORT" line || waited=$?; fi
  exec {START_REPORT}<&-
  if [[ $line == ok ]]; then return 0; fi
  if ((waited > 128)); then
    note "$1: tupper-init has not said in 60 s whether the workload started; it is still starting (see: $SCRIPT_NAME ps -a, logs)"
    return 0
  fi
  if [[ $line =~ ^fail\ ([0-9]{1,3})\ (.*)$ ]]; then status=${BASH_REMATCH[1]} reason=${BASH_REMATCH[2]}; fi
  # tupper-init has recorded the end (ps -a) and is exiting
  wait "$LAUNCHED_PID" || true
  UNDO_CONTAINER='' UNDO_STOP=''
  printf '%s: %s did not start: %s\n' "$SCRIPT_NAME" "$1" "$reason" >&2
  START_FAILED=$status
}

# Runs in the forked child (container $1, mode $2: detached or foreground). It records
# itself, joins the container's cgroups (so that all it will ever fork is counted and
# limited), then execs tupper-init, with the same PID, which first does what setsid, nsenter
# and unshare did, one exec each, before (enter_namespaces in helper/tupper-init.c):
#   --setsid (detached): a session of its own, away from the terminal of whoever started it;
#   --join-ns ipc=, pid= (ipc, pid: service:NAME): the IPC and PID namespaces of another
#     service's container;
#   --unshare: new mount, UTS and cgroup namespaces, IPC and PID ones unless shared (or
#     host), and a new network namespace with network_mode none or bridge (bridge: with the
#     veth pairs in it, --veth; it says when the ports it checked are free, --ports-free,
#     and, with egress_rate, when the namespace is ready for tc, --await-net: net_plumb;
#     service:NAME: the peer's, --netns; host: none).
# It then forks the container's PID 1 (mounts, pivot_root, privileges, then the workload)
# and waits for it on the host side, exiting with its status.
enter_container() {
  local name=$1 mode=$2 dir i pid=PID start=STARTTIME namespaces=mount,uts
  local -a entry=()
  if [[ $mode == detached ]]; then entry+=(--setsid); fi
  entry+=("${SHARE_ARGS[@]}")
  if [[ $svc_ipc == private ]]; then namespaces+=,ipc; fi
  if [[ $svc_pid == private ]]; then namespaces+=,pid; fi
  namespaces+=,cgroup
  if [[ $svc_network_mode == none || $svc_network_mode == bridge ]]; then namespaces+=,net; fi
  entry+=(--unshare "$namespaces")
  # A foreground run in a PID namespace of its own, off systemd: when the workload has ended,
  # and with it every process of the container, tupper-init goes back into this script's
  # cgroups and removes the container's, then the parents tupper made if no other container
  # uses them (cgroups_remove in helper/tupper-init.c). What it leaves, cgroup_remove_all removes.
  if [[ $mode == foreground && $svc_pid == private && -z $CG_UNIT ]]; then
    for dir in "${CG_HOME[@]}"; do entry+=(--leave-cgroup "$dir"); done
    for dir in "${CG_DIRS[@]}"; do entry+=(--remove-cgroup "$dir"); done
    for dir in "${CG_PARENTS[@]}"; do entry+=(--remove-cgroup-parent "$dir"); done
    # run --rm with network none (nothing to detach from a network) on overlay or a copy (a
    # btrfs snapshot is deleted with btrfs): its records and directories too, once the
    # cgroups are gone, as rm -rf --one-file-system would (helper/remove.c), the records first
    # (the pid record: ps and down no longer take it for running), the cgroup record last;
    # what it leaves (past a second's work, or when told to stop), container_remove removes.
    # On a network, the script detaches it after the workload, from the records: the
    # container's filesystem alone then, and the records are files that records_remove
    # takes without a process.
    if [[ $RM_ON_EXIT == "$name" && ${CONTAINER_STORAGE[$name]:-} != btrfs ]]; then
      if [[ $svc_network_mode == none ]]; then
        entry+=(--remove-tree "$STATE_DIR/$name" --remove-tree "$CONTAINERS_DIR/$name" --remove-tree "$STATE_DIR/.cgroups-$name")
      else
        entry+=(--remove-tree "$CONTAINERS_DIR/$name/rootfs" --remove-tree "$CONTAINERS_DIR/$name/upper" --remove-tree "$CONTAINERS_DIR/$name/work")
      fi
    fi
    # this script became tupper-init (run_exec_wanted): what that leaves comes back here
    if ((RUN_EXEC)); then entry+=(--finish "$BASH" "$SCRIPT_FILE" "$name"); fi
  fi
  # detached: whether the workload's exec happened, reported on 4 (start_report); on a
  # bridge network, first that its ports are free or its namespace made (net_plumb, NET_READY)
  if [[ $mode == detached ]]; then entry+=(--report-fd 4); fi
  if [[ $NET_READY == ports ]]; then entry+=(--ports-free 4); elif [[ $NET_READY == await ]]; then entry+=(--await-net 4); fi
  for ((i = 0; i < ${#PORT_CHECKS[@]}; i += 2)); do entry+=(--check-port "${PORT_CHECKS[i]}" "${PORT_CHECKS[i + 1]}"); done
  # in the foreground, with published ports: the iptables-restore that publishes them, which
  # tupper-init starts first thing, its input on 5 and its output on 6 (feed_launch_args)
  if ((${#FEED_ARGS[@]})); then
    entry+=("${FEED_ARGS[@]}")
    if ((!PLAN)); then exec 5< "/proc/self/fd/$FEED_PIPE_IN" 6> "/proc/self/fd/$FEED_PIPE_OUT" {FEED_PIPE_IN}>&- {FEED_PIPE_OUT}<&-; fi
  fi
  if [[ $mode == detached || -n $NET_READY ]] && ((!PLAN)); then exec 4> "/proc/self/fd/$START_REPORT" {START_REPORT}>&-; fi
  if ((!PLAN)); then
    pid=$BASHPID
    proc_start_time "$pid"
    start=$REPLY
  fi
  host_write "$STATE_DIR/$name/pid" "$pid $start"
  # under systemd: until the parent has put this process into its scope, then into the
  # container's cgroup, and written the limits (cgroup_scope)
  if [[ -n $CG_UNIT ]] && ((!PLAN)); then
    read -r -t 60 -u "$CG_GATE" _ || exit 1
    exec {CG_GATE}>&-
  fi
  for dir in "${CG_DIRS[@]}"; do host_write "$dir/cgroup.procs" "$pid"; done
  # a build step: the store's build lock stays the build's (a step that outlives a killed
  # build must not hold every later build on the host)
  if [[ -n ${BUILD_LOCK_FD:-} ]]; then exec {BUILD_LOCK_FD}>&-; fi
  # the environment on ENV_FD: a here-string is a pipe bash fills before exec (a deleted 0600
  # file in TMPDIR when larger than a pipe holds), no process of its own
  host exec "$TUPPER_HELPER" "${entry[@]}" "${HELPER_ARGS[@]}" 3<<< "${ENV_PAYLOAD%$'\n'}"
}

# SHARE_ARGS = tupper-init's --join-ns options that put container $1 into the IPC and PID
# namespaces of the services that ipc and pid name (service:NAME), or nothing. Joined before
# the container's PID 1 is forked, so that it, and all it forks, is in the peer's PID
# namespace, while the supervisor stays in the host's.
shared_namespaces() {
  SHARE_ARGS=()
  if [[ $svc_ipc == service ]]; then
    peer_init_pid "$svc_ipc_peer" ipc
    SHARE_ARGS+=(--join-ns "ipc=/proc/$REPLY/ns/ipc")
  fi
  if [[ $svc_pid == service ]]; then
    peer_init_pid "$svc_pid_peer" pid
    SHARE_ARGS+=(--join-ns "pid=/proc/$REPLY/ns/pid")
  fi
}

# REPLY = the host PID of PID 1 of service $1's container, whose namespace the loaded
# service shares by spec key $2; exits with a message when it is not running.
peer_init_pid() {
  if ((PLAN)); then REPLY=PEER_PID && return 0; fi
  local status=0
  container_name_of "$1"
  container_init_pid_wait "$REPLY" || status=$?
  ((status != 1)) || die "$svc_name shares a namespace of $1 ($2: service:$1), which has no running container; start $1 first (up starts it)"
  ((status != 2)) || die "$svc_name shares a namespace of $1 ($2: service:$1), whose container has had no first process for 10 s; see: $SCRIPT_NAME logs $1"
}

# Waits for the foreground container of `run` (name $1, supervisor PID $2); REPLY = its exit
# status. SIGTERM and SIGHUP sent to this script are passed on to the container's PID 1;
# SIGINT and SIGQUIT from a terminal reach tupper-init (same process group), which passes
# them on: the workload runs in a session of its own.
wait_foreground() {
  local status
  FOREGROUND=$1
  trap 'forward_signal TERM' TERM
  trap 'forward_signal HUP' HUP
  trap : INT QUIT
  while :; do
    status=0
    wait "$2" || status=$?
    # wait also returns when a trapped signal arrives; only a gone process has a status.
    if ! kill -0 "$2" 2>/dev/null; then break; fi
  done
  install_traps
  REPLY=$status
}

forward_signal() {
  if container_init_pid "$FOREGROUND"; then host kill -s "$1" "$REPLY" 2>/dev/null || true; fi
}
