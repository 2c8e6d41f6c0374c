
# ---- Pause, unpause, kill, restart, top --------------------------------------------
# (container_freeze and the other freezer functions are with the lifecycle: stop uses them.)

# REPLY = $1 as a JSON string (quotes, backslashes and control characters escaped).
json_string() {
  local s=$1 c escaped='' i
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  s=${s//$'\r'/\\r}
  if [[ $s == *[[:cntrl:]]* ]]; then
    for ((i = 0; i < ${#s}; i++)); do
      c=${s:i:1}
      if [[ $c == [[:cntrl:]] ]]; then printf -v c '\\u%04x' "'$c"; fi
      escaped+=$c
    done
    s=$escaped
  fi
  REPLY="\"$s\""
}

# pause [SERVICE...] / unpause [SERVICE...]: freeze or thaw the services' running containers.
cmd_pause() { freeze_containers 1 paused "$@"; }
cmd_unpause() { freeze_containers 0 unpaused "$@"; }

freeze_containers() {
  local want=$1 done=$2 name paused
  shift 2
  for name in "$@"; do require_service "$name"; done
  list_containers
  for name in "${CONTAINERS[@]}"; do
    container_matches "$name" "$@" || continue
    container_pid "$name" || continue
    paused=0
    if container_paused "$name"; then paused=1; fi
    ((paused != want)) || continue
    container_freeze "$name" "$want"
    note "$name $done"
  done
}

# kill [-s SIGNAL] [SERVICE...]: send a signal (default SIGKILL, as Compose) to the PID 1 of
# the services' running containers. As in Docker, SIGKILL and the service's stop signal
# stop the container for good: its restart policy rests until it is started again. Any
# other signal leaves the policy in place.
cmd_kill() {
  local signal=KILL name pid1
  if [[ ${1:-} == -s ]]; then
    (($# >= 2)) || die "usage: kill [-s SIGNAL] [SERVICE...]"
    signal=${2#SIG} && shift 2
  fi
  if [[ $signal =~ ^[0-9]+$ ]]; then signal=$(kill -l "$signal") || die "kill: no signal number $signal"; fi
  for name in "$@"; do require_service "$name"; done
  list_containers
  for name in "${CONTAINERS[@]}"; do
    container_matches "$name" "$@" || continue
    container_init_pid "$name" || continue
    pid1=$REPLY
    container_load_service "$name"
    if [[ $signal == KILL || $signal == "$svc_stop_signal" ]]; then host_write "$STATE_DIR/$name/stopping"; fi
    host kill -s "$signal" "$pid1" || die "could not send SIG$signal to $name"
    note "$name got SIG$signal"
  done
}

# restart [SERVICE...]: stop the services' containers (see containers_signal), then start
# them again in start order.
cmd_restart() {
  local svc name failed=0
  local -a names=()
  (($#)) || set -- "${SERVICES[@]}"
  for svc; do require_service "$svc"; done
  in_start_order 0 "$@"
  preflight "${ORDERED[@]}"
  for svc in "${ORDERED[@]}"; do
    service_containers "$svc"
    for name in "${NAMES_OF[@]}"; do
      if [[ -d $CONTAINERS_DIR/$name ]]; then names+=("$name"); fi
    done
  done
  containers_signal "${names[@]}"
  for name in "${names[@]}"; do
    container_stop "$name"
    container_load_service "$name"
    UNDO_STOP=$name
    container_start "$name" detached
    UNDO_STOP=''
    # (its reason said: the others are started again, then restart fails)
    if [[ -n $START_FAILED ]]; then failed=1 && continue; fi
    note "$name restarted"
  done
  ((!failed)) || exit 1
}

# top SERVICE: the processes of the service's container, as ps shows them.
cmd_top() {
  local kind dir pid supervisor name
  local -a pids=()
  (($# == 1)) || die "usage: top SERVICE"
  require_service "$1"
  container_name_of "$1"
  name=$REPLY
  container_pid "$name" || die "service $1 has no running container"
  supervisor=$REPLY
  command -v ps >/dev/null || die "top needs ps: apt-get install procps"
  local record
  cgroup_record_path "$name" record
  read -r kind dir < "$record" || die "$name has no cgroup record"
  # The container's cgroup holds its processes and tupper-init's host side: leave that out.
  while read -r pid; do [[ $pid == "$supervisor" ]] || pids+=("$pid"); done < "$dir/cgroup.procs"
  ((${#pids[@]})) || die "service $1 has no processes"
  ps -o pid,user,etime,args -p "${pids[*]}"
}

# stats [--no-stream] [--json] [SERVICE...]: CPU, memory, network and block I/O and process
# count of the running containers, read from their cgroups and network namespace. CPU % is
# measured over half a second (100% = one CPU busy). Without --no-stream: a new sample every
# second until interrupted. --json: one object per container and line, numbers in bytes.
cmd_stats() {
  local stream=1 json=0 name
  local -a services=() names
  while (($#)); do
    case $1 in
      --no-stream) stream=0 ;;
      --json) json=1 ;;
      -*) die "usage: stats [--no-stream] [--json] [SERVICE...]" ;;
      *) require_service "$1" && services+=("$1") ;;
    esac
    shift
  done
  while :; do
    list_containers
    names=()
    for name in "${CONTAINERS[@]}"; do
      if container_matches "$name" "${services[@]}" && container_pid "$name"; then names+=("$name"); fi
    done
    stats_sample "$json" "${names[@]}"
    ((stream)) || break
    sleep 0.5
  done
}

# Prints one sample of containers $2...; $1 = 1 for JSON lines.
stats_sample() {
  local json=$1 name i t0 t1 cpu0 cpu1 perc mem limit rx tx rd wr pids
  shift
  local -a start=()
  now_us
  t0=$REPLY
  for name; do stats_cpu_ns "$name" && start+=("$REPLY") || start+=(0); done
  sleep 0.5
  now_us
  t1=$REPLY
  ((json)) || printf '%-44s %8s %22s %7s %22s %22s %5s\n' NAME 'CPU %' 'MEM USAGE / LIMIT' 'MEM %' 'NET I/O' 'BLOCK I/O' PIDS
  i=0
  for name; do
    cpu0=${start[i++]}
    stats_cpu_ns "$name" && cpu1=$REPLY || cpu1=$cpu0
    perc=$(((cpu1 - cpu0) * 10000 / ((t1 - t0) * 1000))) # hundredths of a percent
    stats_memory "$name" && read -r mem limit <<< "$REPLY"
    stats_net "$name" && read -r rx tx <<< "$REPLY"
    stats_block "$name" && read -r rd wr <<< "$REPLY"
    container_cgroup_file "$name" pids.current && read_file "$REPLY" && pids=$REPLY || pids=0
    if ((json)); then
      json_string "$name"
      printf '{"Name":%s,"CPUPerc":%d.%02d,"MemUsage":%s,"MemLimit":%s,"NetRx":%s,"NetTx":%s,"BlockRead":%s,"BlockWrite":%s,"Pids":%s}\n' \
        "$REPLY" $((perc / 100)) $((perc % 100)) "$mem" "$limit" "$rx" "$tx" "$rd" "$wr" "$pids"
    else
      local m l r t b w
      human_bytes "$mem" && m=$REPLY
      human_bytes "$limit" && l=$REPLY
      human_bytes "$rx" && r=$REPLY
      human_bytes "$tx" && t=$REPLY
      human_bytes "$rd" && b=$REPLY
      human_bytes "$wr" && w=$REPLY
      printf '%-44s %7d.%02d%% %22s %6d.%02d%% %22s %22s %5s\n' "$name" $((perc / 100)) $((perc % 100)) "$m / $l" \
        $((mem * 100 / limit)) $((mem * 10000 / limit % 100)) "$r / $t" "$b / $w" "$pids"
    fi
  done
}

now_us() {
  local t=${EPOCHREALTIME//[!0-9]/}
  REPLY=$((10#$t))
}

# REPLY = the path of file $2 in one of container $1's cgroups; fails when none has it.
container_cgroup_file() {
  local kind dir record
  cgroup_record_path "$1" record
  [[ -f $record ]] || return 1
  while read -r kind dir; do
    if [[ $kind == c && -e $dir/$2 ]]; then REPLY=$dir/$2 && return 0; fi
  done < "$record"
  return 1
}

# REPLY = CPU time container $1 has used, in nanoseconds (v1 cpuacct, else v2 cpu.stat).
stats_cpu_ns() {
  local key value
  if container_cgroup_file "$1" cpuacct.usage; then read_file "$REPLY" && return 0; fi
  container_cgroup_file "$1" cpu.stat || return 1
  while read -r key value; do
    if [[ $key == usage_usec ]]; then REPLY=$((value * 1000)) && return 0; fi
  done < "$REPLY"
  return 1
}

# REPLY = "USAGE LIMIT" in bytes: memory in use without the inactive page cache, as Docker
# counts it; the limit is the host's memory when there is none.
stats_memory() {
  local usage=0 limit='' inactive=0 key value stat host
  if container_cgroup_file "$1" memory.usage_in_bytes; then
    read_file "$REPLY" && usage=$REPLY
    container_cgroup_file "$1" memory.limit_in_bytes && read_file "$REPLY" && limit=$REPLY
    container_cgroup_file "$1" memory.stat && stat=$REPLY
  elif container_cgroup_file "$1" memory.current; then
    read_file "$REPLY" && usage=$REPLY
    container_cgroup_file "$1" memory.max && read_file "$REPLY" && limit=$REPLY
    container_cgroup_file "$1" memory.stat && stat=$REPLY
  fi
  if [[ -n ${stat:-} ]]; then
    while read -r key value; do
      if [[ $key == total_inactive_file || $key == inactive_file ]]; then inactive=$value && break; fi
    done < "$stat"
  fi
  while read -r key value _; do [[ $key != MemTotal: ]] || host=$((value * 1024)); done < /proc/meminfo
  if [[ -z $limit || $limit == max ]] || ((limit > host)); then limit=$host; fi
  REPLY="$((usage > inactive ? usage - inactive : usage)) $limit"
}

# REPLY = "RECEIVED SENT" bytes on the container's interfaces other than lo.
stats_net() {
  local iface rx tx rest rx_sum=0 tx_sum=0
  container_init_pid "$1" || { REPLY='0 0' && return 0; }
  while read -r iface rx rest; do
    [[ $iface == *: && $iface != lo: ]] || continue
    read -r _ _ _ _ _ _ _ tx _ <<< "$rest"
    rx_sum=$((rx_sum + rx)) tx_sum=$((tx_sum + tx))
  done < "/proc/$REPLY/net/dev"
  REPLY="$rx_sum $tx_sum"
}

# REPLY = "READ WRITTEN" bytes of block I/O (v2 io.stat; 0 0 where the host has no io controller).
stats_block() {
  local field rd=0 wr=0
  local -a fields
  if container_cgroup_file "$1" io.stat; then
    while read -r -a fields; do # MAJOR:MINOR rbytes=N wbytes=N ...
      for field in "${fields[@]:1}"; do
        case $field in
          rbytes=*) rd=$((rd + ${field#rbytes=})) ;;
          wbytes=*) wr=$((wr + ${field#wbytes=})) ;;
        esac
      done
    done < "$REPLY"
  fi
  REPLY="$rd $wr"
}

# REPLY = byte count $1 in B, KiB, MiB or GiB with one decimal.
human_bytes() {
  local n=$1 unit=B div=1
  if ((n >= 1 << 30)); then unit=GiB div=$((1 << 30))
  elif ((n >= 1 << 20)); then unit=MiB div=$((1 << 20))
  elif ((n >= 1 << 10)); then unit=KiB div=$((1 << 10))
  fi
  if ((div == 1)); then REPLY="${n}B"; else REPLY="$((n / div)).$((n * 10 / div % 10))$unit"; fi
}

# exec [-u USER[:GROUP]] [-e NAME=VALUE]... [-w DIR] [-i] [-T|-t] SERVICE COMMAND...: run COMMAND in
# the service's running container: in all its namespaces and cgroups, as its user (or -u),
# with its environment (and -e), in its working directory (or -w). tupper-init joins the
# namespaces and confines the command as it does the workload (capabilities, no_new_privs,
# seccomp, rlimits), then drops to its user; the exit status is COMMAND's. COMMAND runs in
# a session of its own, on a pty of the container's own (-t; by default when stdin and
# stdout are terminals, see tty_wanted) or on pipes (-T): never on the host's terminal.
cmd_exec() {
  local user='' workdir='' name init uid gid user_name kind dir env index=1 tty=auto want_tty
  local -a extra_env=() tty_args=()
  local usage="usage: exec [-u USER[:GROUP]] [-e NAME=VALUE]... [-w DIR] [--index N] [-i] [-T|-t] SERVICE COMMAND..."
  while (($#)); do
    case $1 in
      --index)
        if (($# <= 1)) || [[ ! $2 =~ ^[1-9][0-9]*$ ]]; then die "$usage"; fi
        index=$2 && shift
        ;;
      -u | --user) (($# > 1)) || die "$usage"; user=$2 && shift ;;
      -e | --env) (($# > 1)) || die "$usage"; extra_env+=("$2") && shift ;;
      -w | --workdir) (($# > 1)) || die "$usage"; workdir=$2 && shift ;;
      -t | --tty | -it | -ti) tty=yes ;;
      -T | --no-TTY | --no-tty | -iT | -Ti) tty=no ;;
      -i | --interactive) ;; # stdin always passes (Compose's default too)
      --) shift && break ;;
      -*) die "$usage" ;;
      *) break ;;
    esac
    shift
  done
  (($# >= 2)) || die "$usage"
  require_service "$1"
  load_service "$1"
  shift
  ((index <= ${SERVICE_SCALE[$svc_name]})) || die "exec: service $svc_name runs ${SERVICE_SCALE[$svc_name]} container(s), so there is no --index $index"
  container_name_of "$svc_name" "$index"
  name=$REPLY
  status=0
  container_init_pid_wait "$name" || status=$?
  ((status != 1)) || die "service $svc_name has no running container $name; start it with up -d"
  ((status != 2)) || die "service $svc_name's container $name has had no first process for 10 s (restarting?); see: $SCRIPT_NAME logs $svc_name"
  init=$REPLY
  helper_ready
  if read_file "$CONTAINERS_DIR/$name/image"; then image_config_apply "$REPLY"; fi
  uid=$svc_uid gid=$svc_gid user_name=$svc_user
  if [[ $user =~ ^([0-9]+)(:([0-9]+))?$ ]]; then
    uid=${BASH_REMATCH[1]} gid=${BASH_REMATCH[3]:-0} user_name=''
  elif [[ -n $user ]]; then
    local name_re='^[A-Za-z0-9_][A-Za-z0-9_.$-]*(:[A-Za-z0-9_][A-Za-z0-9_.$-]*)?$'
    [[ $user =~ $name_re ]] || die "exec: -u takes a user name or UID, optionally :GROUP or :GID, not $user"
    user_name=$user
  fi
  for env in "${extra_env[@]}"; do [[ $env == *=* ]] || die "exec: -e takes NAME=VALUE, not $env"; done
  container_hostname "$name"
  env_args "$REPLY" "$uid" "$user_name"
  ENV_VARS+=("${extra_env[@]}")
  env_payload
  # This process joins the container's cgroups, so that COMMAND and all it forks is counted
  # and limited with the container; then it becomes tupper-init.
  local pid=$BASHPID
  if ((PLAN)); then pid=PID; fi
  local record
  cgroup_record_path "$name" record
  while read -r kind dir; do
    if [[ $kind == c && -d $dir ]]; then host_write "$dir/cgroup.procs" "$pid"; fi
  done < "$record"
  local -a user_options=()
  user_args user_options "$uid" "$gid" "$user_name"
  tty_wanted "$tty" want_tty
  if ((want_tty)); then tty_args=(--tty); fi
  # the environment on descriptor ENV_FD, as for the workload (see enter_container)
  plan_note "the environment, fed to tupper-init on descriptor $ENV_FD: ${ENV_VARS[*]@Q}"
  host exec "$TUPPER_HELPER" --join "$init" "${svc_confine[@]}" "${user_options[@]}" --chdir "${workdir:-$svc_workdir}" --env-fd "$ENV_FD" "${tty_args[@]}" -- "$@" 3<<< "${ENV_PAYLOAD%$'\n'}"
}

# REPLY = the JSON array of strings $1...
json_strings() {
  local joined='' item
  for item; do
    json_string "$item"
    joined+="${joined:+,}$REPLY"
  done
  REPLY="[$joined]"
}

# REPLY = the JSON object of the loaded service's labels (svc_labels: NAME=VALUE each).
json_labels() {
  local joined='' label name
  for label in "${svc_labels[@]}"; do
    json_string "${label%%=*}" && name=$REPLY
    json_string "${label#*=}"
    joined+="${joined:+,}$name:$REPLY"
  done
  REPLY="{$joined}"
}

# inspect SERVICE: the service's container as JSON, in the shape of `docker inspect` where
# the two have the same thing: configuration (as normalised from the spec), state, PIDs,
# mounts, addresses, published ports and cgroups.
cmd_inspect() {
  local name status='exited' pid=null supervisor=null kind a b c d image storage mounts_json='' ports_json='' networks_json='' cgroups_json='' i
  (($# == 1)) || die "usage: inspect SERVICE"
  require_service "$1"
  load_service "$1"
  container_name_of "$1"
  name=$REPLY
  [[ -d $CONTAINERS_DIR/$name ]] || die "service $1 has no container; start it with up -d"
  if read_file "$CONTAINERS_DIR/$name/image"; then image_config_apply "$REPLY"; fi
  if container_pid "$name"; then
    status=running supervisor=$REPLY
    if container_init_pid "$name"; then pid=$REPLY; else status=restarting; fi
    if container_paused "$name"; then status=paused; fi
  fi
  container_health "$name"
  local health=$REPLY restarts=$REPLY_RESTARTS
  read_file "$CONTAINERS_DIR/$name/storage" && storage=$REPLY
  json_string "$svc_image_source" && image=$REPLY
  anonymous_volumes "$name"
  for i in "${!svc_bind_source[@]}"; do
    json_string "${svc_bind_source[i]}" && a=$REPLY
    json_string "${svc_bind_target[i]}" && b=$REPLY
    if [[ -n ${svc_bind_volume[i]} ]]; then
      json_string "${svc_bind_volume[i]}" && c=$REPLY
      mounts_json+="${mounts_json:+,}{\"Type\":\"volume\",\"Name\":$c,\"Source\":$a"
    else
      mounts_json+="${mounts_json:+,}{\"Type\":\"bind\",\"Source\":$a"
    fi
    mounts_json+=",\"Destination\":$b,\"RW\":$([[ ${svc_bind_mode[i]} == rw ]] && echo true || echo false)}"
  done
  if [[ -f $STATE_DIR/$name/net ]]; then
    while read -r kind a b c d; do
      case $kind in
        lease)
          NET_PREFIX=0 NET_GATEWAY=''
          load_network "$a"
          network_names "$a"
          network_read || true
          json_string "$a"
          networks_json+="${networks_json:+,}$REPLY:{\"IPAddress\":\"$b\",\"IPPrefixLen\":$NET_PREFIX,\"Gateway\":\"$NET_GATEWAY\"}"
          ;;
        port) ports_json+="${ports_json:+,}\"$d/$a\":[{\"HostIp\":\"$c\",\"HostPort\":\"$b\"}]" ;;
      esac
    done < "$STATE_DIR/$name/net"
  fi
  local record
  cgroup_record_path "$name" record
  if [[ -f $record ]]; then
    while read -r kind a; do
      if [[ $kind == c ]]; then json_string "$a" && cgroups_json+="${cgroups_json:+,}$REPLY"; fi
    done < "$record"
  fi
  container_hostname "$name"
  local host_name=$REPLY
  json_string "$host_name" && local hostname=$REPLY
  json_strings "${svc_entrypoint[@]}" && local entrypoint=$REPLY
  json_strings "${svc_command[@]}" && local command=$REPLY
  env_args "$host_name" "$svc_uid" "$svc_user"
  json_strings "${ENV_VARS[@]}" && local environment=$REPLY
  json_string "$svc_workdir" && local workdir=$REPLY
  json_string "$CONTAINERS_DIR/$name/rootfs" && local rootfs=$REPLY
  json_labels && local labels=$REPLY
  # the image's ExposedPorts (a layered image's config), in Docker's shape: {"80/tcp":{}}
  local exposed='' port image_id
  local -a exposed_ports=()
  if read_file "$CONTAINERS_DIR/$name/image" && image_id=$REPLY && [[ -f $IMAGES_DIR/$image_id/config/exposed ]]; then
    mapfile -t exposed_ports < "$IMAGES_DIR/$image_id/config/exposed"
  fi
  for port in "${exposed_ports[@]}"; do
    [[ -n $port ]] || continue
    json_string "$port" && exposed+="${exposed:+,}$REPLY:{}"
  done
  local exit_code=0
  if [[ $status == exited ]] && read_file "$STATE_DIR/$name/exit"; then exit_code=$REPLY; fi
  container_oom_killed "$name"
  printf '[{"Name":"%s","Service":"%s","State":{"Status":"%s","Running":%s,"Paused":%s,"OOMKilled":%s,"ExitCode":%s,"Pid":%s,"SupervisorPid":%s,"Health":"%s"},"RestartCount":%s,' \
    "$name" "$svc_name" "$status" "$([[ $status != exited ]] && echo true || echo false)" "$([[ $status == paused ]] && echo true || echo false)" "$REPLY" "$exit_code" "$pid" "$supervisor" "$health" "$restarts"
  printf '"Config":{"Image":%s,"Entrypoint":%s,"Cmd":%s,"Env":%s,"WorkingDir":%s,"User":"%s","Hostname":%s,"ExposedPorts":{%s},"StopSignal":"SIG%s","StopTimeoutMs":%s,"Init":%s,"Labels":%s},' \
    "$image" "$entrypoint" "$command" "$environment" "$workdir" "${svc_user:-$svc_uid:$svc_gid}" "$hostname" "$exposed" "$svc_stop_signal" "$svc_stop_grace_ms" "$([[ $svc_init == 1 ]] && echo true || echo false)" "$labels"
  printf '"HostConfig":{"NetworkMode":"%s","Memory":%s,"CpuQuota":%s,"CpuPeriod":%s,"PidsLimit":%s,"CpusetCpus":"%s"},' \
    "$svc_network_mode${svc_network_peer:+:$svc_network_peer}" "${svc_memory_max:-0}" "${svc_cpu_quota_us:-0}" "$svc_cpu_period_us" "${svc_pids_max:-0}" "$svc_cpuset"
  printf '"Mounts":[%s],"NetworkSettings":{"Networks":{%s},"Ports":{%s}},"Storage":"%s","Rootfs":%s,"Cgroups":[%s]}]\n' \
    "$mounts_json" "$networks_json" "$ports_json" "$storage" "$rootfs" "$cgroups_json"
}

# prune: remove the project's containers that are not running, and the leftovers of those
# that were not shut down properly (a supervisor killed, a start killed halfway): their
# cgroups, network namespace, NAT rules, address leases and port claims, records and
# filesystem, as Bocker's cleanup did, saying what each one left. Volumes stay (down -v).
cmd_prune() {
  local name found=0
  (($# == 0)) || die "usage: prune"
  list_containers
  for name in "${CONTAINERS[@]}"; do
    if container_pid "$name"; then continue; fi
    found=1
    container_leftovers "$name"
    if ((${#LEFTOVERS[@]})); then
      note "$name was not shut down properly; removing what it left:"
      printf '  %s\n' "${LEFTOVERS[@]}" >&2
    fi
    container_remove "$name"
    note "$name removed"
  done
  network_gc
  ((found)) || note "nothing to prune: every container of $PROJECT is running"
}

# LEFTOVERS = what stopped container $1 still holds that a proper stop would have released.
container_leftovers() {
  local kind dir a b c _
  LEFTOVERS=()
  local record
  cgroup_record_path "$1" record
  if [[ -f $record ]]; then
    while read -r kind dir; do
      if [[ $kind == c && -d $dir ]]; then LEFTOVERS+=("cgroup $dir"); fi
    done < "$record"
  fi
  if [[ -f $STATE_DIR/$1/net ]]; then
    while read -r kind a b c _; do
      case $kind in
        dnat) LEFTOVERS+=("iptables chain $a (published ports)") ;;
        port) if held_by "$PORTS_DIR/$a-$b" "$1"; then LEFTOVERS+=("port claim $a-$b"); fi ;;
        claim)
          # (a start killed between its claim and the record of what it claimed)
          if [[ $a == port ]] && held_by "$PORTS_DIR/$b-$c" "$1"; then LEFTOVERS+=("port claim $b-$c"); fi
          if [[ $a == lease ]] && held_by "$NETWORKS_DIR/${PROJECT}_$b/leases/$c" "$1"; then LEFTOVERS+=("address $c on network $b"); fi
          ;;
        netns) if [[ -e $STATE_DIR/$1/netns ]]; then LEFTOVERS+=("network namespace $STATE_DIR/$1/netns"); fi ;;
        lease) if held_by "$NETWORKS_DIR/${PROJECT}_$a/leases/$b" "$1"; then LEFTOVERS+=("address $b on network $a"); fi ;;
      esac
    done < "$STATE_DIR/$1/net"
  fi
  if [[ -f $STATE_DIR/$1/pid ]]; then LEFTOVERS+=("the record of a process that is gone ($STATE_DIR/$1/pid)"); fi
}
declare -a LEFTOVERS=()

# checkpoint [--index N] SERVICE DIR / restore [--index N] SERVICE DIR: CRIU's dump and
# restore of a container. They first ask `criu check` whether CRIU can work on this host's
# kernel; where it cannot (on the machines tupper is developed on, CRIU 3.17 stops in its
# kernel feature detection: "vdso: Unexpected rt vDSO area bounds"), they stop there, say
# why, and change nothing. tupper's dump and restore sequence itself needs a host where
# CRIU works to be written and tested, so until then a working CRIU stops at the next step.
cmd_checkpoint() { criu_verb checkpoint "$@"; }
cmd_restore() { criu_verb restore "$@"; }

criu_verb() {
  local verb=$1 index=1 output
  shift
  if [[ ${1:-} == --index ]]; then index=${2:-}; shift 2; fi
  (($# == 2)) || die "usage: $verb [--index N] SERVICE DIR"
  require_service "$1"
  load_service "$1"
  container_name_of "$1" "$index"
  if [[ $verb == checkpoint ]]; then container_init_pid "$REPLY" || die "service $1 has no running container $REPLY to checkpoint"; fi
  command -v criu >/dev/null || die "$verb needs CRIU: apt-get install criu"
  if ! output=$(criu check 2>&1); then
    output=$(grep -m1 -i 'error' <<< "$output" || printf '%s' "${output%%$'\n'*}")
    die "$verb is unsupported on this host: CRIU cannot work with this kernel (criu check: ${output:-failed}); nothing was changed"
  fi
  die "$verb: CRIU works on this host, but tupper's dump and restore of a container are not written yet (they need such a host to be tested on); nothing was changed"
}
