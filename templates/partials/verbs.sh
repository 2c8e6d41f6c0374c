
# ---- Other verbs ---------------------------------------------------------------------

# stop [SERVICE...]: stop the services' containers (one-off run containers included):
# stop_signal, then SIGKILL after stop_grace_period. Their filesystems stay.
cmd_stop() {
  local name
  local -a names=()
  for name in "$@"; do require_service "$name"; done
  list_containers
  for name in "${CONTAINERS[@]}"; do
    if container_matches "$name" "$@"; then names+=("$name"); fi
  done
  containers_signal "${names[@]}"
  for name in "${CONTAINERS[@]}"; do
    if container_matches "$name" "$@"; then
      container_stop "$name"
      note "$name stopped"
    fi
  done
}

# rm [-f] [SERVICE...]: remove the services' stopped containers; -f stops running ones first.
cmd_rm() {
  local force=0 name
  if [[ ${1:-} == -f || ${1:-} == --force ]]; then force=1 && shift; fi
  for name in "$@"; do require_service "$name"; done
  list_containers
  if ((force)); then
    local -a names=()
    for name in "${CONTAINERS[@]}"; do
      if container_matches "$name" "$@"; then names+=("$name"); fi
    done
    containers_signal "${names[@]}"
  fi
  for name in "${CONTAINERS[@]}"; do
    container_matches "$name" "$@" || continue
    if container_pid "$name" && ((!force)); then
      note "$name is running; stop it first or use rm -f"
      continue
    fi
    container_remove "$name"
    note "$name removed"
  done
}

# --finish-run NAME STATUS [FD]: not a verb for people. The tupper-init that `run --rm` became
# (exec: run_exec_wanted) comes back here, with its own PID, when it could not remove its
# container whole (a cgroup kept busy by a process of the host's, a tree deeper or bigger
# than its removal walks, its own failure): removed here as rm removes a container, then
# this exits with STATUS, the run's. Its pid record names this very process: gone first,
# so that the stop does not signal it; a container whose supervisor is another live process
# is refused. FD: tupper-init's descriptor of the script that started, which must be the
# file this bash runs (descriptor 255), not one renamed onto its path since.
cmd_finish_run() {
  local name=${1:-} status=${2:-} started=${3:-} pid
  if (($# != 3)) || [[ $name != "$PROJECT"-*-run-* || ! ${name##*-run-} =~ ^[0-9a-f]{8}$ || $name == */* || ! $status =~ ^[0-9]{1,3}$ || ! $started =~ ^[0-9]+$ ]]; then
    die "usage: --finish-run NAME STATUS FD (tupper-init's, at the end of a run --rm of this project; FD: the script that started, open)"
  fi
  # FD: tupper-init's descriptor of the script that started; bash reads this one from 255
  [[ /proc/self/fd/$started -ef /proc/self/fd/255 ]] || die "$SCRIPT_NAME is not the script that started $name any more; down with its project's script removes what is left"
  exec {started}<&-
  if read_file "$STATE_DIR/$name/pid"; then
    read -r pid _ <<< "$REPLY"
    if [[ $pid == "$$" ]]; then
      host rm -f -- "$STATE_DIR/$name/pid"
    elif container_pid "$name"; then
      die "$name runs (PID $pid): --finish-run is for its own tupper-init, at its end"
    fi
  fi
  # interrupted, the exit trap tries again, as after a run --rm that forked
  RM_ON_EXIT=$name
  container_remove "$name" || true
  RM_ON_EXIT=''
  exit "$status"
}

# down [-v]: stop and remove every container of the project, as `docker compose down`
# does; named and anonymous volumes stay unless -v.
cmd_down() {
  local name volumes=0 volume svc
  case ${1:-} in
    -v | --volumes) volumes=1 && shift ;;
  esac
  (($# == 0)) || die "usage: down [-v]"
  list_containers
  containers_signal "${CONTAINERS[@]}"
  for name in "${CONTAINERS[@]}"; do
    container_remove "$name"
    note "$name removed"
  done
  network_gc # also the networks of starts that were killed before their container existed
  host rmdir --ignore-fail-on-non-empty -- "$STATE_DIR" "$CONTAINERS_DIR" 2>/dev/null || true
  # -v: the project's named volumes too (never external ones); without it they stay
  if ((volumes)); then
    for svc in "${SERVICES[@]}"; do
      service_containers "$svc"
      for name in "${NAMES_OF[@]}"; do anonymous_volumes_remove "$name"; done
    done
    for volume in "${PROJECT_VOLUMES[@]}"; do
      if exists "$VOLUMES_DIR/$volume"; then
        host rm -rf --one-file-system -- "${VOLUMES_DIR:?}/$volume"
        note "volume $volume removed"
      fi
    done
  fi
}

# plan VERB [ARGS...]: print the commands that change the host which VERB would run now,
# in order, with their values, and change nothing. Locks are not taken, so the plan is
# of this moment: another script working at the same time can change what runs.
cmd_plan() {
  local verb=${1:-}
  (($#)) || die "usage: plan VERB [ARGS...], e.g. plan up -d"
  shift
  PLAN=1
  printf '# %s %s: the commands that change the host, in order. Nothing has been changed.\n' "$SCRIPT_NAME" "$verb${*:+ $*}"
  printf '# PID, STARTTIME and N stand for values only the real run has (a process, a descriptor).\n'
  case $verb in
    up | run | start | stop | rm | down | pause | unpause | kill | restart | exec | systemd) "cmd_$verb" "$@" ;;
    build) # (a spec without build: has no such verb)
      ((${#BUILD_SERVICES[@]})) || die "plan: unknown verb 'build'; run $SCRIPT_NAME --help for the list"
      cmd_build "$@" ;;
    ps | logs | top | stats | inspect | plan | -h | --help | help) printf '# %s changes nothing on the host\n' "$verb" ;;
    *) die "plan: unknown verb '$verb'; run $SCRIPT_NAME --help for the list" ;;
  esac
}

# Whether container $1 belongs to one of the services named after it (any, if none are).
container_matches() {
  local name=$1 svc
  shift
  (($#)) || return 0
  service_of "$name"
  for svc; do [[ $svc != "$REPLY" ]] || return 0; done
  return 1
}

# ps [-a] [--json]: the project's running containers, paused and restarting ones included, as Docker lists them (-a: all of them); --json: one JSON
# object per line (Name, Service, State, Health, Pid, Labels, Ports...), as `docker compose ps --format json`.
cmd_ps() {
  local all=0 json=0 name status pid service health restarts exit_code oom
  while (($#)); do
    case $1 in
      -a | --all) all=1 ;;
      --json) json=1 ;;
      *) die "usage: ps [-a] [--json]" ;;
    esac
    shift
  done
  list_containers
  ((json)) || printf '%-44s %-16s %-20s %-8s %s\n' NAME SERVICE STATUS PID PORTS
  for name in "${CONTAINERS[@]}"; do
    pid=''
    if container_pid "$name"; then
      status=running pid=$REPLY
      if container_init_pid "$name"; then pid=$REPLY; else status=restarting; fi # between restarts
      if container_paused "$name"; then status=paused; fi
    elif [[ -d $CONTAINERS_DIR/$name ]]; then status=exited
    else status=dead # records of a start that was killed: `down` clears them
    fi
    [[ $status == running || $status == paused || $status == restarting ]] || ((all)) || continue
    service_of "$name"
    service=${REPLY:--}
    container_health "$name"
    health=$REPLY restarts=$REPLY_RESTARTS
    exit_code=0 # tupper-init records it when the container has ended
    if [[ $status == exited ]] && read_file "$STATE_DIR/$name/exit"; then exit_code=$REPLY; fi
    container_oom_killed "$name"
    oom=$REPLY
    published_ports "$name"
    if ((json)); then
      local ports=$REPLY
      json_string "$name" && printf '{"Name":%s,' "$REPLY"
      json_string "$service" && printf '"Service":%s,"State":"%s","Health":"%s","RestartCount":%s,"Pid":%s,"ExitCode":%s,"OOMKilled":%s,' "$REPLY" "$status" "$health" "$restarts" "${pid:-null}" "$exit_code" "$oom"
      svc_labels=()
      if is_service "$service"; then load_service "$service"; fi
      json_labels && printf '"Labels":%s,' "$REPLY"
      json_string "$ports" && printf '"Ports":%s}\n' "$REPLY"
    else
      if [[ -n $health && $status != exited ]]; then status+=" ($health)"; fi
      if [[ $status == exited && $oom == true ]]; then status+=" ($exit_code, OOMKilled)"
      elif [[ $status == exited ]]; then status+=" ($exit_code)"
      fi
      printf '%-44s %-16s %-20s %-8s %s\n' "$name" "$service" "$status" "${pid:--}" "${REPLY:--}"
    fi
  done
}

# REPLY = true when the OOM killer acted in container $1 during PID 1's last run (tupper-init
# records it when PID 1 ends, as Docker's OOMKilled), false otherwise.
container_oom_killed() {
  if read_file "$STATE_DIR/$1/oom-killed" && [[ $REPLY == true ]]; then REPLY=true; else REPLY=false; fi
}

# REPLY = container $1's published ports as Docker prints them: 0.0.0.0:8080->80/tcp, ...
published_ports() {
  local kind protocol port host_ip target
  REPLY=''
  [[ -f $STATE_DIR/$1/net ]] || return 0
  while read -r kind protocol port host_ip target; do
    [[ $kind == port ]] || continue
    REPLY+="${REPLY:+, }$host_ip:$port->$target/$protocol"
  done < "$STATE_DIR/$1/net"
}

# logs [-f] [-t] [--tail N] SERVICE: the output of the service's detached container (-f:
# follow it; -t: each line after the time it came, in UTC; --tail N: only its last N lines,
# "all" for every line, as in Compose).
cmd_logs() {
  local follow=0 timestamps=0 tail=all index=1 usage="usage: logs [-f] [-t] [--tail N] [--index N] SERVICE"
  while (($# > 1)); do
    case $1 in
      --index)
        if (($# <= 2)) || [[ ! $2 =~ ^[1-9][0-9]*$ ]]; then die "$usage"; fi
        index=$2 && shift
        ;;
      -f | --follow) follow=1 ;;
      -t | --timestamps) timestamps=1 ;;
      -n | --tail) (($# > 2)) || die "$usage"; tail=$2 && shift ;;
      --tail=*) tail=${1#--tail=} ;;
      *) die "$usage" ;;
    esac
    shift
  done
  (($# == 1)) || die "$usage"
  [[ $tail == all || $tail =~ ^[0-9]+$ ]] || die "logs: --tail takes a number of lines or all, not $tail"
  require_service "$1"
  load_service "$1"
  if [[ $svc_log_driver == none ]]; then
    die "service $1 has logging driver none: its output is not kept (as in Docker); use json-file to keep it"
  fi
  ((index <= ${SERVICE_SCALE[$1]})) || die "logs: service $1 runs ${SERVICE_SCALE[$1]} container(s), so there is no --index $index"
  container_name_of "$1" "$index"
  log_files "$REPLY"
  ((${#LOG_FILES[@]})) || die "service $1 has no container output yet; start it with up -d"
  log_read "$REPLY" "$tail" "$follow" "$timestamps"
}

usage() {
  printf '%s\n' \
    "Usage: $SCRIPT_NAME [--profile NAME]... VERB [OPTIONS] [ARGS]" \
    "" \
    "The container runtime of project $PROJECT (services: ${SERVICES[*]}), generated by tupper" \
    "from the spec in $SPEC_DIR." \
    "" \
    "Verbs:" \
    "  up [-d] [SERVICE...]              create and start containers; without -d, follow their output" \
    "                                    (without SERVICE: those without profiles or with an active one)" \
    "  run [--rm] [-d] [--service-ports] SERVICE [CMD...]" \
    "                                    run a one-off container; CMD replaces the service's command" \
    "  start [SERVICE...]                start stopped containers again" \
    "  stop [SERVICE...]                 stop containers (stop_signal, SIGKILL after stop_grace_period)" \
    "  rm [-f] [SERVICE...]              remove stopped containers (-f: running ones too)" \
    "  down [-v]                         stop and remove all containers and networks of the project (-v: volumes too)" \
    "  ps [-a] [--json]                  list running containers, with their published ports (-a: all)" \
    "  logs [-f] [-t] [--tail N] [--index N] SERVICE" \
    "                                    print (-f: follow; -t: with times) a detached container's output" \
    "                                    (--index: which of a scaled service's containers, default 1)" \
    "  pause | unpause [SERVICE...]      freeze or thaw containers (their cgroup's freezer)" \
    "  kill [-s SIGNAL] [SERVICE...]     send a signal (default SIGKILL) to containers' PID 1" \
    "  restart [SERVICE...]              stop, then start the services' containers" \
    "  exec [-u USER[:GROUP]] [-e K=V] [-w DIR] [--index N] SERVICE CMD...  run CMD in the service's running container" \
    "  top SERVICE                       the processes of the service's container" \
    "  inspect SERVICE                   the service's container as JSON: config, state, mounts, addresses" \
    "  stats [--no-stream] [--json] [SERVICE...]  CPU, memory, network, block I/O, processes" \
    "  systemd [DIR]                     write a systemd unit per service (default /etc/systemd/system)" \
    "  prune                             remove stopped containers, and what those not shut down properly left" \
    "  commit [--index N] SERVICE REFERENCE  the container's filesystem as a local image, for image: REFERENCE" \
    "  checkpoint | restore [--index N] SERVICE DIR  CRIU's dump and restore (where CRIU works on the host)" \
    "  pull [SERVICE...]                 fetch the services' images (a registry tag is resolved again)" \
    "  images                            the services' images: source, ID, size" \
    "  rmi [SERVICE...]                  remove the services' images, unless a container uses them" \
    "  image prune [-a]                  remove images no reference names (-a: no container uses), and unused layers" \
    "" \
    "Environment: COMPOSE_PROFILES (profiles to activate, a,b), TUPPER_ROOT (default /var/lib/tupper), TUPPER_RUN (/run/tupper)," \
    "TUPPER_HELPER (/usr/local/libexec/tupper/tupper-init), TUPPER_CGROUP_PARENT," \
    "TUPPER_TRACE (a file: append an audit log of every command this run executes)." \
    "Pulls: TUPPER_REGISTRY_USER, TUPPER_REGISTRY_PASSWORD (a registry login), TUPPER_INSECURE_REGISTRIES (HOST:PORT ... over plain HTTP)."
}
