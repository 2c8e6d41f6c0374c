#!/usr/bin/env bats
# Images from registries and archives. A real registry (Debian's docker-registry) serves on
# loopback, inside the tests' own network namespace; the images are built here from the
# busybox rootfs with umoci and put into the registry with skopeo:
#   base     two layers: busybox and files to hide; then a whiteout, an opaque directory,
#            an absolute symlink, a hard link, a set-uid file of uid 1234 with an xattr;
#            Cmd, WorkingDir, Env, User, ExposedPorts set
#   derived  base plus one layer
#   evil     base plus a layer that tries ../, absolute paths and symlinks out of the root
bats_require_minimum_version 1.5.0
load helpers
load oci-layout
load registry

REGISTRY_PORT=5000 TOKEN_PORT=5001

setup_file() {
  export IMAGES="$BATS_FILE_TMPDIR/images" OUTSIDE="$BATS_FILE_TMPDIR/outside"
  mkdir -p "$IMAGES"
  local layout="$IMAGES/layout" bundle="$IMAGES/bundle"
  umoci init --layout "$layout"
  umoci new --image "$layout:base"
  # layer 1: busybox, and what layer 2 takes away
  umoci unpack --image "$layout:base" "$bundle" > /dev/null
  cp -a "$ROOTFS/." "$bundle/rootfs/"
  mkdir -p "$bundle/rootfs/opq" "$bundle/rootfs/home/app"
  echo lower > "$bundle/rootfs/opq/lower-file"
  echo gone > "$bundle/rootfs/etc/gone"
  echo 'app:x:1234:1234::/home/app:/bin/sh' >> "$bundle/rootfs/etc/passwd"
  echo 'app:x:1234:' >> "$bundle/rootfs/etc/group"
  umoci repack --image "$layout:base" "$bundle"
  rm -rf "$bundle"
  # layer 2: a whiteout, an opaque directory, an absolute symlink, a hard link
  umoci unpack --image "$layout:base" "$bundle" > /dev/null
  rm "$bundle/rootfs/etc/gone"
  rm -rf "$bundle/rootfs/opq"
  mkdir "$bundle/rootfs/opq"
  echo upper > "$bundle/rootfs/opq/upper-file"
  ln -s /etc/hostname "$bundle/rootfs/abs-link"
  echo two > "$bundle/rootfs/layer2"
  ln "$bundle/rootfs/layer2" "$bundle/rootfs/layer2-hardlink"
  echo owned > "$bundle/rootfs/owned"
  chown 1234:1234 "$bundle/rootfs/owned"
  chmod 4750 "$bundle/rootfs/owned"
  setfattr -n user.tupper -v kept "$bundle/rootfs/owned"
  umoci repack --image "$layout:base" "$bundle"
  rm -rf "$bundle"
  umoci config --image "$layout:base" --config.workingdir /opq --config.env GREETING=hi --config.user app --config.exposedports 8080/tcp \
    --config.cmd /bin/sh --config.cmd -c --config.cmd 'echo "$GREETING from $(id -un) in $(pwd): $(ls)"'
  # derived: one more layer
  umoci unpack --image "$layout:base" "$bundle" > /dev/null
  echo three > "$bundle/rootfs/layer3"
  umoci repack --image "$layout:derived" "$bundle"
  rm -rf "$bundle"
  # evil: a layer made by hand (tar keeps the names as written: -P). OUTSIDE is a directory
  # on the host that nothing may reach: an absolute name and an absolute symlink point there.
  local evil="$IMAGES/evil"
  mkdir -p "$evil/a" "$evil/b/etc2" "$OUTSIDE"
  echo escaped > "$evil/a/escape"
  ln -s ../../../../../../.. "$evil/a/up-link"
  echo through-a-link > "$evil/b/etc2/pwned"
  ln -s "$OUTSIDE" "$evil/a/etc2"
  tar -C "$evil/a" -cPf "$IMAGES/evil.tar" --transform 's,^escape$,../../escape-dotdot,' escape
  tar -C "$evil/a" -rPf "$IMAGES/evil.tar" --transform "s,^escape\$,$OUTSIDE/escape-absolute," escape
  tar -C "$evil/a" -rPf "$IMAGES/evil.tar" up-link etc2
  mkdir -p "$evil/c/up-link"
  echo via-up > "$evil/c/up-link/escape-up"
  tar -C "$evil/c" -rPf "$IMAGES/evil.tar" up-link/escape-up
  tar -C "$evil/b" -rPf "$IMAGES/evil.tar" etc2/pwned
  cp -a "$layout" "$IMAGES/evil-layout"
  umoci raw add-layer --image "$IMAGES/evil-layout:base" --tag evil "$IMAGES/evil.tar"
  # zstd: an OCI layout written here by hand, its one layer compressed with zstd
  make_zstd_layout "$IMAGES/zstd-layout"
  # the registry, and the token stub in front of it
  registry_start "$IMAGES/registry" "$REGISTRY_PORT"
  node "$BATS_TEST_DIRNAME/token-registry.mjs" "$TOKEN_PORT" "$REGISTRY_PORT" > "$IMAGES/token.log" 2>&1 &
  echo $! > "$IMAGES/token.pid"
  for name in base derived; do
    skopeo copy -q --dest-tls-verify=false "oci:$layout:$name" "docker://127.0.0.1:$REGISTRY_PORT/test/$name:1"
  done
  skopeo copy -q --dest-tls-verify=false "oci:$IMAGES/evil-layout:evil" "docker://127.0.0.1:$REGISTRY_PORT/test/evil:1"
  skopeo copy -q "oci:$layout:base" "oci-archive:$IMAGES/base-oci.tar"
  skopeo copy -q "oci:$layout:base" "docker-archive:$IMAGES/base-docker.tar:test/base:1"
}

# An OCI image layout at $1 with one image, named zstd: the busybox rootfs as a zstd layer.
make_zstd_layout() {
  make_oci_layout "$1" zstd zstd '{"Cmd":["/bin/echo","from a zstd layer"]}'
}

teardown_file() {
  local pid
  for pid in "$IMAGES/registry.pid" "$IMAGES/token.pid" "$IMAGES/slow.pid"; do
    if [[ -f $pid ]]; then kill "$(cat "$pid")" 2> /dev/null || true; fi
  done
}

# Compiles a one-service project whose image is $1; the other arguments are more lines.
compile_image() {
  local image=$1
  shift
  {
    printf 'name: %s\nservices:\n  app:\n    image: %s\n    network_mode: none\n' "$PROJECT" "$image"
    printf '    %s\n' "$@"
  } > "$TEST_DIR/app.yaml.in"
  compile_spec app < "$TEST_DIR/app.yaml.in"
}

# The blob requests the registry answered since line $1 of its log.
blob_gets() { tail -n +"$(($1 + 1))" "$IMAGES/registry.log" | grep -c 'http.request.method=GET .*http.request.uri="\?/v2/[^ ]*/blobs/sha256:' || true; }
log_lines() { wc -l < "$IMAGES/registry.log"; }

@test "pull by tag: the layers' whiteout, opaque directory, symlink, hard link, owner, mode and xattr hold; the image's Cmd, WorkingDir, Env and User apply" {
  compile_image "127.0.0.1:$REGISTRY_PORT/test/base:1"
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "hi from app in /opq: upper-file" ]
  # inside: what the layers made
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/sh -c 'ls /etc/gone 2>&1; readlink /abs-link; cat /layer2; stat -c %h /layer2; stat -c "%u:%g %a" /owned'
  [ "${lines[0]}" = "ls: /etc/gone: No such file or directory" ]
  [ "${lines[1]}" = /etc/hostname ]
  [ "${lines[2]}" = two ]
  [ "${lines[3]}" = 2 ]
  [ "${lines[4]}" = "1234:1234 4750" ]
  # the xattr, seen in the stored layer (busybox has no getfattr)
  [ "$(getfattr --only-values -n user.tupper "$TUPPER_ROOT"/images/layers/*/*/rootfs/owned)" = kept ]
  # outside: the store has the image, its two layers, and no blob of a layer or a pull left
  run -0 "$SCRIPT" images
  [[ ${lines[1]} == "app "*"127.0.0.1:$REGISTRY_PORT/test/base:1 "*MB ]]
  [ "$(find "$TUPPER_ROOT/images/layers" -mindepth 2 -maxdepth 2 | wc -l)" = 2 ]
  [ "$(ls "$TUPPER_ROOT/images/blobs/sha256")" = "$(ls "$TUPPER_ROOT/images" | grep -E '^[0-9a-f]{64}$')" ] # the config alone
  [ -z "$(ls -A "$TUPPER_ROOT/images/blobs/partial")" ]
  [ -z "$(find "$TUPPER_ROOT/images" -maxdepth 1 -name '.pull-*')" ]
}

@test "the spec's keys win over the image's config: entrypoint drops its Cmd, command, environment, working_dir, user" {
  compile_image "127.0.0.1:$REGISTRY_PORT/test/base:1" 'environment: [GREETING=hello]' 'working_dir: /' 'user: "0"' \
    'command: ["/bin/sh", "-c", "echo $$GREETING $$(id -u) $$(pwd)"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "hello 0 /" ]
  compile_image "127.0.0.1:$REGISTRY_PORT/test/base:1" 'entrypoint: ["/bin/echo", "entry"]'
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "entry" ]
}

@test "storage copy of a layered image: a start SIGKILLed while the layers' merged view is mounted for its copy leaves nothing that down does not remove" {
  compile_image "127.0.0.1:$REGISTRY_PORT/test/derived:1"
  run -0 --separate-stderr "$SCRIPT" pull # its layers stored for overlayfs
  printf 'name: %s\nx-tupper:\n  storage: copy\nservices:\n  app:\n    image: %s\n    network_mode: none\n' "$PROJECT" "127.0.0.1:$REGISTRY_PORT/test/derived:1" |
    compile_spec app
  run_killed_at 'host cp -a -- "$c/merged"' "$SCRIPT" up -d
  [[ $(leftovers_of "$PROJECT") == *"mount: "*"/merged "* ]]
  run -0 "$SCRIPT" down
  leftovers=$(leftovers_of "$PROJECT")
  [ -z "$leftovers" ] || { echo "$leftovers"; false; }
  # and a start that is not killed copies the three layers
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/sh -c 'cat /layer2 /layer3'
  [ "$output" = $'two\nthree' ]
}

@test "pull by digest; a second image shares the first one's layers and downloads only its own" {
  local digest
  digest=$(curl -sfI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$REGISTRY_PORT/v2/test/base/manifests/1" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" {print $2}')
  [[ $digest == sha256:* ]]
  local before
  before=$(log_lines)
  compile_image "127.0.0.1:$REGISTRY_PORT/test/base@$digest"
  run -0 --separate-stderr "$SCRIPT" pull
  [ "$(blob_gets "$before")" = 3 ] # config and two layers
  before=$(log_lines)
  compile_image "127.0.0.1:$REGISTRY_PORT/test/derived:1"
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/sh -c 'cat /layer2 /layer3'
  [ "$output" = $'two\nthree' ]
  [ "$(blob_gets "$before")" = 2 ] # its config and its one new layer
  [ "$(find "$TUPPER_ROOT/images/layers" -mindepth 2 -maxdepth 2 | wc -l)" = 3 ]
  # a digest the registry does not have
  compile_image "127.0.0.1:$REGISTRY_PORT/test/base@sha256:$(printf '0%.0s' {1..64})"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"has no test/base tagged sha256:000"*"(HTTP 404)"* ]]
}

@test "tupper lock pins the image: the script downloads exactly those blobs, even after the tag moves" {
  skopeo copy -q --dest-tls-verify=false "oci:$IMAGES/layout:base" "docker://127.0.0.1:$REGISTRY_PORT/test/moving:1"
  compile_image "127.0.0.1:$REGISTRY_PORT/test/moving:1"
  run -0 node "$CLI" lock "$TEST_DIR/spec/app.yaml"
  [[ $output == *"wrote $TEST_DIR/spec/app.lock.json: 1 image pinned for linux/amd64"* ]]
  compile_spec app < "$TEST_DIR/app.yaml.in"
  grep -q "^  svc_image_lock_manifest='sha256:" "$SCRIPT"
  grep -q '^  # image config: WorkingDir "/opq", User "app"' "$SCRIPT"
  # the tag moves on to derived
  skopeo copy -q --dest-tls-verify=false "oci:$IMAGES/layout:derived" "docker://127.0.0.1:$REGISTRY_PORT/test/moving:1"
  local before
  before=$(log_lines)
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/sh -c 'cat /layer2; ls /layer3 2>&1; true'
  [ "$output" = $'two\nls: /layer3: No such file or directory' ]
  # what the pinned script asked the registry for: blobs only, no manifest to resolve
  [ "$(blob_gets "$before")" = 3 ]
  ! tail -n +"$((before + 1))" "$IMAGES/registry.log" | grep -q 'http.request.uri="\?/v2/test/moving/manifests' || false
  # without the lock, the script uses what the store has (as Docker does), and pull follows the tag
  rm "$TEST_DIR/spec/app.lock.json"
  compile_spec app < "$TEST_DIR/app.yaml.in"
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/sh -c 'ls /layer3 2>&1; true'
  [ "$output" = "ls: /layer3: No such file or directory" ]
  "$SCRIPT" pull
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/cat /layer3
  [ "$output" = three ]
  # a lock file that does not pin an image of the spec: a warning at the image
  echo '{"lockVersion": 1, "images": {}}' > "$TEST_DIR/spec/app.lock.json"
  run -0 node "$CLI" compile "$TEST_DIR/spec/app.yaml" -o "$TEST_DIR/app.sh"
  [[ $output == *"app.yaml:4:12: warning: services.app.image: 127.0.0.1:$REGISTRY_PORT/test/moving:1 is not pinned by app.lock.json, so the script resolves the tag when it pulls; run tupper lock"* ]]
}

@test "build FROM a registry image the lock file pins: its Env and WorkingDir are known when the script is compiled, and the build pulls that very image" {
  skopeo copy -q --dest-tls-verify=false "oci:$IMAGES/layout:base" "docker://127.0.0.1:$REGISTRY_PORT/test/buildbase:1"
  mkdir -p "$TEST_DIR/spec/ctx"
  # the base sets GREETING=hi, WorkingDir /opq and User app (setup_file)
  cat > "$TEST_DIR/spec/ctx/Dockerfile" << DOCKERFILE
FROM 127.0.0.1:$REGISTRY_PORT/test/buildbase:1
USER 0
ENV GREETING="\${GREETING} there"
WORKDIR sub
RUN pwd > /made && echo "\$GREETING" >> /made && ls /layer3 >> /made 2>&1 || true
CMD ["/bin/cat", "/made"]
DOCKERFILE
  printf 'name: %s\nservices:\n  app:\n    build:\n      context: ./ctx\n      network: none\n    network_mode: none\n' "$PROJECT" > "$TEST_DIR/app.yaml.in"
  # not pinned: the base's Env is unknown to the compiler, and it says so where it is used
  compile_spec app < "$TEST_DIR/app.yaml.in"
  grep -q 'Dockerfile:3:1: warning: ENV: \$GREETING may be set by the environment of the base image' "$TEST_DIR/compile.err"
  run -0 node "$CLI" lock "$TEST_DIR/spec/app.yaml"
  [[ $output == *"wrote $TEST_DIR/spec/app.lock.json: 1 image pinned for linux/amd64"* ]]
  grep -q '"127.0.0.1:'"$REGISTRY_PORT"'/test/buildbase:1"' "$TEST_DIR/spec/app.lock.json"
  compile_spec app < "$TEST_DIR/app.yaml.in"
  cat "$TEST_DIR/compile.err"
  ! grep -q 'warning' "$TEST_DIR/compile.err" || false
  # the script holds the values Docker's build would substitute, from the pinned config
  grep -q "build_config '[^']*Dockerfile:3' 'env' 'GREETING=hi there'" "$SCRIPT"
  grep -q "build_run '[^']*Dockerfile:5' '[^']*' '0' '/opq/sub' " "$SCRIPT"
  # the tag moves on to derived (it has /layer3): the build still takes the pinned image
  skopeo copy -q --dest-tls-verify=false "oci:$IMAGES/layout:derived" "docker://127.0.0.1:$REGISTRY_PORT/test/buildbase:1"
  run -0 "$SCRIPT" build
  [[ $output == *"pulling 127.0.0.1:$REGISTRY_PORT/test/buildbase:1 (locked: manifest sha256:"* ]] || { echo "$output"; false; }
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "${lines[0]}" = /opq/sub ]
  [ "${lines[1]}" = "hi there" ]
  [ "${lines[2]}" = "ls: /layer3: No such file or directory" ]
}

@test "a tampered blob is refused with a clear error, and nothing of the image is kept" {
  compile_image "127.0.0.1:$REGISTRY_PORT/test/derived:1"
  # the registry's copy of derived's top layer, changed in place: it now serves other bytes
  local manifest layer data
  manifest=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$REGISTRY_PORT/v2/test/derived/manifests/1")
  layer=$(grep -o 'sha256:[0-9a-f]\{64\}' <<< "$manifest" | tail -n1)
  data="$IMAGES/registry/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer#sha256:}/data"
  cp "$data" "$TEST_DIR/saved"
  printf 'tampered' | dd of="$data" bs=1 seek=20 conv=notrunc 2> /dev/null
  run -1 --separate-stderr "$SCRIPT" up -d
  cp "$TEST_DIR/saved" "$data"
  [[ $stderr == *"layer $layer of 127.0.0.1:$REGISTRY_PORT/test/derived does not match its digest: its sha256 is "*"It is corrupt or was tampered with on the way: it was deleted, and the image was not imported"* ]]
  # nothing half-made: no image, no pull directory, no partial download, no container; only
  # the two layers below it, verified and complete, stay for the next pull
  [ -z "$(find "$TUPPER_ROOT/images" -mindepth 1 -maxdepth 1 -name '.pull-*')" ]
  [ -z "$(ls "$TUPPER_ROOT/images" | grep -E '^[0-9a-f]{64}$')" ]
  [ -z "$(ls -A "$TUPPER_ROOT/images/blobs/partial")" ]
  [ "$(find "$TUPPER_ROOT/images/layers" -mindepth 2 -maxdepth 2 | wc -l)" -le 2 ]
  [ -z "$(find "$TUPPER_ROOT/containers" -mindepth 2 -maxdepth 2 2> /dev/null)" ]
  # the registry serves the real blob again: the pull completes
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/cat /layer3
  [ "$output" = three ]
}

@test "a download that was cut off resumes where it stopped; a partial file that is wrong is dropped, and the next pull starts over" {
  compile_image "127.0.0.1:$REGISTRY_PORT/test/base:1"
  local manifest layer data partial
  manifest=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$REGISTRY_PORT/v2/test/base/manifests/1")
  layer=$(grep -o 'sha256:[0-9a-f]\{64\}' <<< "$manifest" | sed -n 2p) # the first, big layer
  data="$IMAGES/registry/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer#sha256:}/data"
  partial="$TUPPER_ROOT/images/blobs/partial/${layer#sha256:}"
  mkdir -p "${partial%/*}"
  # the first half, as a pull that was killed leaves it
  head -c "$(($(stat -c %s "$data") / 2))" "$data" > "$partial"
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/cat /layer2
  [ "$output" = two ]
  [ ! -e "$partial" ]
  # a partial file whose bytes are wrong: the whole blob fails its digest, and goes
  "$SCRIPT" rmi > /dev/null 2>&1
  head -c 1000 /dev/zero > "$partial"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"layer $layer of 127.0.0.1:$REGISTRY_PORT/test/base does not match its digest"* ]]
  [ ! -e "$partial" ]
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/cat /layer2
  [ "$output" = two ]
}

@test "a pull killed halfway leaves a directory that the next pull removes; pull_policy never and always" {
  # a registry that answers each blob 2 s late, so that the pull is caught in the middle
  node "$BATS_TEST_DIRNAME/token-registry.mjs" 5002 "$REGISTRY_PORT" '' 2000 > "$TEST_DIR/slow.log" 2>&1 &
  echo $! > "$IMAGES/slow.pid" # teardown_file ends it, should this test stop early
  for _ in $(seq 100); do grep -q listening "$TEST_DIR/slow.log" && break; sleep 0.05; done
  compile_image "127.0.0.1:5002/test/base:1"
  setsid "$SCRIPT" pull > /dev/null 2>&1 &
  local pull=$!
  for _ in $(seq 200); do compgen -G "$TUPPER_ROOT/images/.pull-*" > /dev/null && break; sleep 0.02; done
  compgen -G "$TUPPER_ROOT/images/.pull-*" > /dev/null
  kill -KILL -- -"$pull" # the script and its curl: their process group, made by setsid
  wait "$pull" || true
  [ -d "$TUPPER_ROOT/images/.pull-$pull" ]
  # pull_policy: never does not pull, and says so
  compile_image "127.0.0.1:5002/test/base:1" 'pull_policy: never'
  run -1 --separate-stderr "$SCRIPT" up -d
  [[ $stderr == *"service app has pull_policy: never, and this host has no image 127.0.0.1:5002/test/base:1: pull it (pull app), or change pull_policy"* ]]
  # the next pull finds the dead pull's directory and removes it
  run -0 --separate-stderr "$SCRIPT" pull
  [ ! -e "$TUPPER_ROOT/images/.pull-$pull" ]
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/cat /layer2
  [ "$output" = two ]
  # pull_policy: always asks the registry again at each start
  compile_image "127.0.0.1:5002/test/base:1" 'pull_policy: always'
  local before
  before=$(grep -c 'manifests/1 200' "$TEST_DIR/slow.log")
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/cat /layer2
  [ "$(grep -c 'manifests/1 200' "$TEST_DIR/slow.log")" = $((before + 1)) ]
  kill "$(cat "$IMAGES/slow.pid")"
  rm "$IMAGES/slow.pid"
}

@test "an import and a pull killed halfway leave directories that the next import or pull, and image prune, remove (the pull's holds registry credentials)" {
  local images="$TUPPER_ROOT/images"
  cp -a "$ROOTFS" "$TEST_DIR/rootfs-a"
  cp -a "$ROOTFS" "$TEST_DIR/rootfs-b"
  # a rootfs: import, killed once its tree is copied
  compile_image "rootfs:$TEST_DIR/rootfs-a" 'command: ["/bin/true"]'
  run_killed_at 'host_write "$tmp/fstype"' "$SCRIPT" up -d
  compgen -G "$images/.import-*" > /dev/null
  # the next import removes it before it makes its own
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/true
  ! compgen -G "$images/.import-*" > /dev/null || false
  # another import, killed; then a pull, killed before it downloads: the pull removes what
  # the import left, and image prune what the pull left
  compile_image "rootfs:$TEST_DIR/rootfs-b" 'command: ["/bin/true"]'
  run_killed_at 'host_write "$tmp/fstype"' "$SCRIPT" up -d
  compgen -G "$images/.import-*" > /dev/null
  compile_image "127.0.0.1:$REGISTRY_PORT/test/base:1"
  run_killed_at image_pull_registry "$SCRIPT" pull
  ! compgen -G "$images/.import-*" > /dev/null || false
  compgen -G "$images/.pull-*" > /dev/null
  run -0 --separate-stderr "$SCRIPT" image prune
  ! compgen -G "$images/.pull-*" > /dev/null || false
  run -0 "$SCRIPT" down
}

@test "a registry that wants a bearer token: the script answers its challenge, with credentials when it needs them" {
  compile_image "127.0.0.1:$TOKEN_PORT/test/base:1"
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/cat /layer2
  [ "$output" = two ]
  grep -q '^GET /v2/test/base/manifests/1 401$' "$IMAGES/token.log"
  grep -q '^GET /token 200$' "$IMAGES/token.log"
  grep -q '^GET /v2/test/base/manifests/1 200$' "$IMAGES/token.log"
  # the same registry, now for a named account only
  kill "$(cat "$IMAGES/token.pid")"
  node "$BATS_TEST_DIRNAME/token-registry.mjs" "$TOKEN_PORT" "$REGISTRY_PORT" 'ops:s3cret "quoted"' > "$IMAGES/token.log" 2>&1 &
  echo $! > "$IMAGES/token.pid"
  for _ in $(seq 100); do grep -q listening "$IMAGES/token.log" && break; sleep 0.05; done
  compile_image "127.0.0.1:$TOKEN_PORT/test/derived:1"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"refused a token for repository:test/derived:pull (HTTP 401): set TUPPER_REGISTRY_USER and TUPPER_REGISTRY_PASSWORD"* ]]
  # credentials without TUPPER_REGISTRY_HOST go nowhere, and the message says which variable to set
  TUPPER_REGISTRY_USER=ops TUPPER_REGISTRY_PASSWORD='s3cret "quoted"' run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"TUPPER_REGISTRY_HOST is not, so tupper sends the credentials nowhere: set TUPPER_REGISTRY_HOST=127.0.0.1:$TOKEN_PORT"* ]]
  TUPPER_REGISTRY_USER=ops TUPPER_REGISTRY_PASSWORD='s3cret "quoted"' TUPPER_REGISTRY_HOST="127.0.0.1:$TOKEN_PORT" run -0 --separate-stderr "$SCRIPT" run --rm app /bin/cat /layer3
  [ "$output" = three ]
}

@test "a malicious layer's ../, absolute paths and symlinks stay inside the image" {
  compile_image "127.0.0.1:$REGISTRY_PORT/test/evil:1"
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/cat /escape-dotdot "$OUTSIDE/escape-absolute" /escape-up "$OUTSIDE/pwned"
  # inside: each lands where the image's root puts it
  [ "$output" = $'escaped\nescaped\nvia-up\nthrough-a-link' ]
  # outside: nothing was written anywhere but in the layer
  [ -z "$(ls -A "$OUTSIDE")" ]
  [ ! -e /escape-dotdot ] && [ ! -e /escape-up ]
  run -0 find "$TEST_DIR" -name 'escape-*' -o -name pwned
  for line in "${lines[@]}"; do [[ $line == "$TUPPER_ROOT"/images/layers/*/*/rootfs/* ]]; done
  [ "${#lines[@]}" = 4 ]
}

@test "docker-archive: and oci-archive: import as the registry image does, and share its layers" {
  compile_image "docker-archive:$IMAGES/base-docker.tar"
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "hi from app in /opq: upper-file" ]
  compile_image "oci-archive:$IMAGES/base-oci.tar"
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "hi from app in /opq: upper-file" ]
  # two images of one layout are two images: base first, then derived is not taken for it
  compile_image "oci:$IMAGES/layout:base"
  run -1 --separate-stderr "$SCRIPT" run --rm app /bin/cat /layer3
  [[ $stderr == *"/layer3': No such file or directory"* ]]
  compile_image "oci:$IMAGES/layout:derived"
  run -0 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"layer "*" already present"* ]]
  run -0 --separate-stderr "$SCRIPT" run --rm app /bin/cat /layer3
  [ "$output" = three ]
  # a layout of two images: a spec names one; without a name, or with one the layout lacks,
  # the import stops and says so
  cp -a "$IMAGES/layout" "$TEST_DIR/two"
  [ "$(grep -o '"digest"' "$TEST_DIR/two/index.json" | wc -l)" = 2 ]
  compile_image "oci:$TEST_DIR/two"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"$TEST_DIR/two: holds 2 images; name one as oci:DIR:NAME"* ]]
  compile_image "oci:$TEST_DIR/two:nosuch"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"$TEST_DIR/two: has no image named 'nosuch'"* ]]
  # a layout whose one layer is zstd-compressed
  compile_image "oci:$IMAGES/zstd-layout:zstd"
  run -0 --separate-stderr "$SCRIPT" run --rm app
  [ "$output" = "from a zstd layer" ]
  # the OCI archive and layout share their compressed layers: 2 + 1; the docker archive's are
  # its own 2 (uncompressed), and the zstd layout's 1
  [ "$(find "$TUPPER_ROOT/images/layers" -mindepth 2 -maxdepth 2 | wc -l)" = 6 ]
}

@test "on btrfs each layer is a snapshot of the one below; rmi and image prune take what no container uses" {
  use_btrfs_root
  compile_image "127.0.0.1:$REGISTRY_PORT/test/derived:1" 'command: ["/bin/sleep", "1000"]' 
  "$SCRIPT" up -d
  [ "$(btrfs subvolume list "$TUPPER_ROOT" | grep -c 'images/layers/snapshot/')" = 3 ]
  run -0 --separate-stderr "$SCRIPT" exec app /bin/cat /layer3
  [ "$output" = three ]
  run -0 --separate-stderr "$SCRIPT" inspect app
  [[ $output == *'"WorkingDir":"/opq","User":"app","Hostname":'*'"ExposedPorts":{"8080/tcp":{}}'* ]]
  run -1 --separate-stderr "$SCRIPT" rmi
  [[ $stderr == *"is used by container $PROJECT-app-1; remove that first"* ]]
  "$SCRIPT" down
  run -0 --separate-stderr "$SCRIPT" rmi
  [ -z "$(btrfs subvolume list "$TUPPER_ROOT")" ]
  [ -z "$(ls "$TUPPER_ROOT/images" | grep -E '^[0-9a-f]{64}$')" ]
  # image prune -a: every image no container uses
  "$SCRIPT" pull
  [ -n "$(btrfs subvolume list "$TUPPER_ROOT")" ]
  run -0 --separate-stderr "$SCRIPT" image prune -a
  [ -z "$(btrfs subvolume list "$TUPPER_ROOT")" ]
}

@test "commit on a layered image: the overlay's upper directory becomes one more layer, shared with the image's" {
  # (root: the image's user, app, may not write in /)
  compile_image "oci:$IMAGES/layout:base" 'user: "0"' 'command: ["/bin/sh", "-c", "echo added > /added; rm /layer2; exec sleep 1000"]'
  "$SCRIPT" up -d
  for _ in $(seq 100); do "$SCRIPT" exec app cat /added > /dev/null 2>&1 && break; sleep 0.05; done
  "$SCRIPT" exec app cat /added
  "$SCRIPT" commit app "tupper-test/$PROJECT:layered"
  [ "$(find "$TUPPER_ROOT/images/layers/diff" -mindepth 1 -maxdepth 1 | wc -l)" = 3 ] # the image's 2, and the commit's
  printf 'name: %sb\nservices:\n  app:\n    image: tupper-test/%s:layered\n    network_mode: none\n' "$PROJECT" "$PROJECT" > "$TEST_DIR/b.yaml"
  node "$CLI" compile "$TEST_DIR/b.yaml" -o "$TEST_DIR/b.sh" 2> /dev/null
  run -0 --separate-stderr "$TEST_DIR/b.sh" run --rm app /bin/sh -c 'cat /added /opq/upper-file; ls /layer2 2>&1; true'
  [ "$output" = $'added\nupper\nls: /layer2: No such file or directory' ]
  "$SCRIPT" down
}
