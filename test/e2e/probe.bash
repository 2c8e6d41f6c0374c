# The escape probe (probe.c): one attempt per subcommand, printing "ATTEMPT: ok" or
# "ATTEMPT: <error>". Built once per file; containers get it read-only at /probe/probe.

setup_file() {
  PROBE_DIR="$BATS_FILE_TMPDIR/probe"
  mkdir -p "$PROBE_DIR"
  gcc -static -O2 -Wall -Werror -o "$PROBE_DIR/probe" "$BATS_TEST_DIRNAME/probe.c"
  export PROBE_DIR
}

# A container with no network, the probe at /probe/probe and the extra spec lines given (a
# command: line replaces the default `probe ids`, a volumes: [...] line adds to the probe's
# volume).
compile_probe() {
  local line command='command: ["/probe/probe", "ids"]' volumes="\"$PROBE_DIR:/probe:ro\""
  local -a lines=('network_mode: none')
  for line; do
    case $line in
      command:*) command=$line ;;
      'volumes: ['*) line=${line#volumes: [} && volumes+=", ${line%]}" ;;
      *) lines+=("$line") ;;
    esac
  done
  compile_app "${lines[@]}" "volumes: [$volumes]" "$command"
}
