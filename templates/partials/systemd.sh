
# ---- systemd units: the containers at boot --------------------------------------------

# systemd [DIR]: writes one unit per service, tupper-PROJECT-SERVICE.service, into DIR
# (default /etc/systemd/system), in the spirit of Podman's Quadlet: it starts the service's
# container at boot with `up -d` and stops it with `stop`. Restarts and health checks stay
# with tupper-init, as without systemd, so the unit is a oneshot that remains active. The
# unit names this script by its absolute path and carries the TUPPER_* settings in effect
# now: a boot runs what runs now. Write the units again when the script moves.
cmd_systemd() {
  local dir=${1:-/etc/systemd/system} svc script unit
  (($# <= 1)) || die "usage: systemd [DIR]"
  [[ -d $dir ]] || die "systemd: $dir is not a directory; create it or name another"
  normalise_path "$script_dir/$SCRIPT_NAME"
  script=$REPLY
  for svc in "${SERVICES[@]}"; do
    load_service "$svc"
    unit="tupper-$PROJECT-$svc.service"
    systemd_unit "$svc" "$script"
    host_write "$dir/$unit" "${UNIT_LINES[@]}"
    note "wrote $dir/$unit"
  done
  note "to start them now and at every boot: systemctl daemon-reload && systemctl enable --now tupper-$PROJECT-SERVICE.service"
}

# UNIT_LINES = the unit of the loaded service $1, whose container script $2 runs.
systemd_unit() {
  local svc=$1 script env name i after=''
  systemd_quote "$2" command
  script=$REPLY
  env=()
  for name in TUPPER_ROOT TUPPER_RUN TUPPER_HELPER TUPPER_CGROUP_PARENT; do
    systemd_quote "$name=${!name}" env
    env+=("$REPLY")
  done
  # depends_on: the units of the dependencies start first (up -d then waits for their condition)
  for ((i = 0; i < ${#svc_depends[@]}; i += 2)); do after+=" tupper-$PROJECT-${svc_depends[i]}.service"; done
  systemd_quote "$TUPPER_ROOT" path
  UNIT_LINES=(
    "# Written by $SCRIPT_NAME systemd: the container of service $svc, started at boot."
    "[Unit]"
    "Description=tupper: service $svc of project $PROJECT"
    "Wants=network-online.target"
    "After=network-online.target local-fs.target$after"
    ${after:+"Requires=${after# }"}
    "RequiresMountsFor=$REPLY"
    ""
    "[Service]"
    "Type=oneshot"
    "RemainAfterExit=yes"
    "Environment=${env[*]}"
    "ExecStart=$script up -d $svc"
    "ExecStop=$script stop $svc"
    # stop_grace_period, then the SIGKILL that follows it
    "TimeoutStopSec=$(((svc_stop_grace_ms + 999) / 1000 + 30))"
    ""
    "[Install]"
    "WantedBy=multi-user.target"
  )
}

# REPLY = $1 in double quotes for a unit file's line of kind $2: command (ExecStart=:
# systemd would expand $ and %), env (Environment=: %) or path (RequiresMountsFor=: %).
systemd_quote() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//%/%%}
  if [[ $2 == command ]]; then s=${s//\$/\$\$}; fi
  REPLY="\"$s\""
}
