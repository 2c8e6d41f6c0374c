#!/usr/bin/env bats
# Attacks on the image import (issue 20, items 1 and 6): a hostile registry on loopback
# (hostile-registry.mjs, answering what each test writes in ROUTES) and hostile archives and
# layouts. Each file an attack aims at lies in the test's TEST_DIR, outside TUPPER_ROOT: the
# tests check that it was not written, read into an image, changed or removed.
bats_require_minimum_version 1.5.0
load helpers

HOSTILE_PORT=5010

setup_file() {
  export ROUTES="$BATS_FILE_TMPDIR/routes.json" HOSTILE_LOG="$BATS_FILE_TMPDIR/hostile.log"
  node "$BATS_TEST_DIRNAME/hostile-registry.mjs" "$HOSTILE_PORT" "$ROUTES" > "$HOSTILE_LOG" 2>&1 &
  echo $! > "$BATS_FILE_TMPDIR/hostile.pid"
  local i
  for ((i = 0; i < 100; i++)); do grep -q listening "$HOSTILE_LOG" && break; sleep 0.05; done
}

teardown_file() {
  kill "$(cat "$BATS_FILE_TMPDIR/hostile.pid")" 2> /dev/null || true
  if [[ -e $BATS_FILE_TMPDIR/second.pid ]]; then kill "$(cat "$BATS_FILE_TMPDIR/second.pid")" 2> /dev/null || true; fi
}

# Compiles a one-service project whose image is $1.
compile_image() {
  printf 'name: %s\nservices:\n  app:\n    image: %s\n    network_mode: none\n' "$PROJECT" "$1" > "$TEST_DIR/app.yaml.in"
  compile_spec app < "$TEST_DIR/app.yaml.in"
}

# The registry's answers: PATH STATUS BODY triples (a manifest's Content-Type is its mediaType).
routes() {
  node -e '
    const a = process.argv.slice(1), r = {};
    for (let i = 0; i < a.length; i += 3) {
      let type = "application/octet-stream";
      if (a[i].includes("/manifests/")) try { type = JSON.parse(a[i + 2]).mediaType ?? type; } catch {}
      r[a[i]] = { status: Number(a[i + 1]), body: a[i + 2], type };
    }
    require("fs").writeFileSync(process.env.ROUTES, JSON.stringify(r));' "$@"
}

digest_of() { printf 'sha256:%s' "$(printf '%s' "$1" | sha256sum | cut -c1-64)"; }
file_digest() { printf 'sha256:%s' "$(sha256sum < "$1" | cut -c1-64)"; }

# An image manifest with config digest $1 and layers of digests $2... (media type LAYER_TYPE,
# size LAYER_SIZE: both may be set by the caller).
manifest() {
  local config=$1 layers='' digest
  shift
  for digest; do layers+="${layers:+,}{\"mediaType\":\"${LAYER_TYPE:-application/vnd.oci.image.layer.v1.tar}\",\"digest\":\"$digest\",\"size\":${LAYER_SIZE:-10240}}"; done
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":100},"layers":[%s]}' "$config" "$layers"
}

CONFIG='{"os":"linux","config":{"Cmd":["/bin/true"]},"rootfs":{"type":"layers","diff_ids":[]}}'
GOOD_HEX=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

# The requests the registry had for blobs since line $1 of its log.
blob_requests() { tail -n +"$(($1 + 1))" "$HOSTILE_LOG" | grep -c ' /v2/.*/blobs/\| /v2/[^/]* ' || true; }

# A tar at $1 whose one file, stolen, says "host secret": a host file an attack wants in an image.
host_tar() {
  mkdir -p "$TEST_DIR/host-tar"
  echo 'host secret' > "$TEST_DIR/host-tar/stolen"
  tar -C "$TEST_DIR/host-tar" -cf "$1" stolen
  rm -rf "$TEST_DIR/host-tar"
}

# Nothing of an attack's files reached the image store.
store_clean() {
  [ -z "$(find "$TUPPER_ROOT" -name stolen)" ]
  [ -z "$(grep -rls -e 'host secret' -e 'from the host' "$TUPPER_ROOT")" ]
}

@test "a config digest that walks out of the store (sha256:../../../../victim) writes nothing there, not even an error body" {
  compile_image "127.0.0.1:$HOSTILE_PORT/evil/app:1"
  local evil='sha256:../../../../victim' status_code
  for status_code in 500 200; do
    routes /v2/evil/app/manifests/1 200 "$(manifest "$evil" "sha256:$GOOD_HEX")" '*' "$status_code" '* * * * * root touch /pwned'
    local before
    before=$(wc -l < "$HOSTILE_LOG")
    run -1 --separate-stderr "$SCRIPT" pull
    [[ $stderr == *"'sha256:../../../../victim' is not a sha256 digest (sha256: and 64 lowercase hex digits)"* ]]
    # the file the digest names, $TUPPER_ROOT/images/blobs/partial/../../../../victim, is not there
    [ ! -e "$TEST_DIR/victim" ]
    # and the digest named no request either
    [ "$(blob_requests "$before")" = 0 ]
  done
  # a file there already is neither read as the config nor changed
  echo '{"config":{"Cmd":["/bin/echo","from the host"]}}' > "$TEST_DIR/victim"
  run -1 --separate-stderr "$SCRIPT" pull
  [ "$(cat "$TEST_DIR/victim")" = '{"config":{"Cmd":["/bin/echo","from the host"]}}' ]
  store_clean
}

@test "a layer digest that walks out of the store neither applies the host file there as a layer nor removes it" {
  host_tar "$TEST_DIR/victim.tar"
  local sum
  sum=$(sha256sum < "$TEST_DIR/victim.tar")
  compile_image "127.0.0.1:$HOSTILE_PORT/evil/app:1"
  routes /v2/evil/app/manifests/1 200 "$(manifest "$(digest_of "$CONFIG")" 'sha256:../../../../victim.tar')" \
    "/v2/evil/app/blobs/$(digest_of "$CONFIG")" 200 "$CONFIG" '*' 500 'no such blob'
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"'sha256:../../../../victim.tar' is not a sha256 digest"* ]]
  [ "$(sha256sum < "$TEST_DIR/victim.tar")" = "$sum" ]
  store_clean
}

@test "digests in uppercase, of 63 or 65 digits, of another algorithm or with a newline, and an index entry that walks out, are refused before any download" {
  compile_image "127.0.0.1:$HOSTILE_PORT/evil/app:1"
  local bad before
  for bad in "sha256:${GOOD_HEX^^}" "sha256:${GOOD_HEX:1}" "sha256:${GOOD_HEX}0" "sha512:$GOOD_HEX" 'sha256:'"$GOOD_HEX"'\n' 'SHA256:'"$GOOD_HEX"; do
    for where in config layer; do
      if [[ $where == config ]]; then routes /v2/evil/app/manifests/1 200 "$(manifest "$bad" "sha256:$GOOD_HEX")" '*' 500 'no'
      else routes /v2/evil/app/manifests/1 200 "$(manifest "$(digest_of "$CONFIG")" "$bad")" "/v2/evil/app/blobs/$(digest_of "$CONFIG")" 200 "$CONFIG" '*' 500 'no'
      fi
      before=$(wc -l < "$HOSTILE_LOG")
      run -1 --separate-stderr "$SCRIPT" pull
      [[ $stderr == *"is not a sha256 digest (sha256: and 64 lowercase hex digits)"* ]] || { echo "$where $bad: $stderr"; false; }
      # nothing was asked for under the bad name (the config, when it was valid, was)
      [ "$(tail -n +"$((before + 1))" "$HOSTILE_LOG" | grep -ci "blobs/${bad%%:*}:${bad:7:10}")" = 0 ]
    done
  done
  # an index whose entry for this host's platform walks out
  local arch
  case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  routes /v2/evil/app/manifests/1 200 "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:../../../../victim\",\"size\":10,\"platform\":{\"os\":\"linux\",\"architecture\":\"$arch\"}}]}" '*' 500 'no'
  before=$(wc -l < "$HOSTILE_LOG")
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"'sha256:../../../../victim' is not a sha256 digest"* ]]
  [ "$(tail -n +"$((before + 1))" "$HOSTILE_LOG" | grep -c GET)" = 1 ] # the index only
  [ ! -e "$TEST_DIR/victim" ]
}

@test "an error body is never kept: a blob answered 404 or 500 with a body leaves no file in the store" {
  compile_image "127.0.0.1:$HOSTILE_PORT/evil/app:1"
  local code
  for code in 404 500; do
    routes /v2/evil/app/manifests/1 200 "$(manifest "$(digest_of "$CONFIG")" "sha256:$GOOD_HEX")" '*' "$code" "ERRBODY $code: <html>not a blob</html>"
    run -1 --separate-stderr "$SCRIPT" pull
    [[ $stderr == *"HTTP $code"* ]]
    [ -z "$(grep -rl ERRBODY "$TUPPER_ROOT")" ]
  done
  # the store's partial downloads are root's alone
  [ "$(stat -c %a "$TUPPER_ROOT/images/blobs/partial")" = 700 ]
}

@test "a registry's sizes, media types and layer count are checked; a blob longer than its size is cut off and refused" {
  compile_image "127.0.0.1:$HOSTILE_PORT/evil/app:1"
  local config_route="/v2/evil/app/blobs/$(digest_of "$CONFIG")"
  local size
  for size in -1 1e3 '"10"' 99999999999999999999; do
    LAYER_SIZE=$size routes /v2/evil/app/manifests/1 200 "$(LAYER_SIZE=$size manifest "$(digest_of "$CONFIG")" "sha256:$GOOD_HEX")" "$config_route" 200 "$CONFIG" '*' 500 'no'
    run -1 --separate-stderr "$SCRIPT" pull
    [[ $stderr == *"is not a size in bytes"* ]] || { echo "$size: $stderr"; false; }
  done
  local type
  for type in 'text/x.tar\u001b]2;pwned\u0007' 'application/vnd.oci.image.layer.v1.tar ' 'a/../../b.tar'; do
    routes /v2/evil/app/manifests/1 200 "$(LAYER_TYPE=$type manifest "$(digest_of "$CONFIG")" "sha256:$GOOD_HEX")" "$config_route" 200 "$CONFIG" '*' 500 'no'
    run -1 --separate-stderr "$SCRIPT" pull
    [[ $stderr == *"is not a media type"* ]] || { echo "$type: $stderr"; false; }
    [[ $stderr != *$'\e'* ]] # the terminal sees no escape sequence
  done
  local -a many=()
  for ((i = 0; i < 126; i++)); do many+=("sha256:$GOOD_HEX"); done
  routes /v2/evil/app/manifests/1 200 "$(manifest "$(digest_of "$CONFIG")" "${many[@]}")" "$config_route" 200 "$CONFIG" '*' 500 'no'
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"has 126 layers; tupper takes at most 125"* ]]
  # a layer that is longer than its manifest says: its digest is right, its size is not
  local body layer
  body=$(printf 'x%.0s' {1..2000})
  layer=$(digest_of "$body")
  routes /v2/evil/app/manifests/1 200 "$(LAYER_SIZE=1000 manifest "$(digest_of "$CONFIG")" "$layer")" "$config_route" 200 "$CONFIG" \
    "/v2/evil/app/blobs/$layer" 200 "$body"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"larger than the 1000 bytes it should have"* ]]
  [ ! -e "$TUPPER_ROOT/images/blobs/partial/${layer#sha256:}" ] && [ ! -e "$TUPPER_ROOT/images/blobs/sha256/${layer#sha256:}" ]
  store_clean
}

@test "a token realm that names a host file (file:) is not read: no host file becomes the token" {
  compile_image "127.0.0.1:$HOSTILE_PORT/evil/app:1"
  echo '{"token":"host-secret-token"}' > "$TEST_DIR/token.json"
  node -e '
    const challenge = `Bearer realm="file://${process.argv[1]}/token.json",service="x"`;
    require("fs").writeFileSync(process.env.ROUTES, JSON.stringify({ "*": { status: 401, body: "{}", headers: { "WWW-Authenticate": challenge } } }));' "$TEST_DIR"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"cannot fetch a token from 'file://$TEST_DIR/token.json'"* ]]
  [ "$(grep -c host-secret-token "$HOSTILE_LOG")" = 0 ]
}

# Starts a second hostile registry on port $1 with routes file $2 (its log: $2.log).
second_registry() {
  node "$BATS_TEST_DIRNAME/hostile-registry.mjs" "$1" "$2" > "$2.log" 2>&1 3>&- < /dev/null &
  echo $! > "$BATS_FILE_TMPDIR/second.pid"
  local i
  for ((i = 0; i < 100; i++)); do grep -q listening "$2.log" && break; sleep 0.05; done
}

# Routes file $1: every path answers 401 with challenge $2, but /token, which answers a token, and
# /v2/evil/basic/manifests/1, which asks for Basic.
challenge_routes() {
  node -e '
    const [file, challenge] = process.argv.slice(1);
    require("fs").writeFileSync(file, JSON.stringify({
      "/token": { status: 200, type: "application/json", body: JSON.stringify({ token: "a-token" }) },
      "/v2/evil/basic/manifests/1": { status: 401, body: "{}", headers: { "WWW-Authenticate": "Basic realm=\"x\"" } },
      "*": { status: 401, body: "{}", headers: { "WWW-Authenticate": challenge } },
    }));' "$1" "$2"
}

@test "registry credentials go only to the registry TUPPER_REGISTRY_HOST names: another registry of the spec, and a realm on another host, get none" {
  local other=5011 basic
  basic="auth=Basic $(printf 'ops:s3cret' | base64 -w0)"
  printf 'name: %s\nservices:\n  named:\n    image: 127.0.0.1:%s/evil/app:1\n    network_mode: none\n  other:\n    image: 127.0.0.1:%s/evil/app:1\n    network_mode: none\n  other-basic:\n    image: 127.0.0.1:%s/evil/basic:1\n    network_mode: none\n' \
    "$PROJECT" "$HOSTILE_PORT" "$other" "$other" > "$TEST_DIR/app.yaml.in"
  compile_spec app < "$TEST_DIR/app.yaml.in"
  challenge_routes "$ROUTES" "Bearer realm=\"http://127.0.0.1:$HOSTILE_PORT/token\",service=\"named\""
  challenge_routes "$TEST_DIR/other.json" "Bearer realm=\"http://127.0.0.1:$other/token\",service=\"other\""
  second_registry "$other" "$TEST_DIR/other.json"
  export TUPPER_REGISTRY_USER=ops TUPPER_REGISTRY_PASSWORD=s3cret TUPPER_REGISTRY_HOST="127.0.0.1:$HOSTILE_PORT"
  local start
  start=$(wc -l < "$HOSTILE_LOG")
  # the other registry asks for a token from itself, and for Basic: it gets no credentials
  run -1 --separate-stderr "$SCRIPT" pull other
  run -1 --separate-stderr "$SCRIPT" pull other-basic
  [[ $stderr == *"needs a login to pull evil/basic: the credentials in TUPPER_REGISTRY_USER are for TUPPER_REGISTRY_HOST='127.0.0.1:$HOSTILE_PORT', not for 127.0.0.1:$other"* ]]
  grep -q '^GET /token 200 auth=$' "$TEST_DIR/other.json.log"
  ! grep -q 'auth=Basic' "$TEST_DIR/other.json.log" || false
  # the named registry gets them at its own realm
  run -1 --separate-stderr "$SCRIPT" pull named
  tail -n +"$((start + 1))" "$HOSTILE_LOG" | grep -qxF "GET /token 200 $basic"
  # the named registry's realm on another host (the other registry's port) gets none either
  challenge_routes "$ROUTES" "Bearer realm=\"http://127.0.0.1:$other/token\",service=\"named\""
  run -1 --separate-stderr "$SCRIPT" pull named
  [[ $stderr == *"the token realm 'http://127.0.0.1:$other/token' is not on 127.0.0.1:$HOSTILE_PORT's host"* ]]
  ! grep -q 'auth=Basic' "$TEST_DIR/other.json.log" || false
  # without TUPPER_REGISTRY_HOST they go nowhere, and the message says what to set
  challenge_routes "$ROUTES" "Bearer realm=\"http://127.0.0.1:$HOSTILE_PORT/token\",service=\"named\""
  start=$(wc -l < "$HOSTILE_LOG")
  TUPPER_REGISTRY_HOST='' run -1 --separate-stderr "$SCRIPT" pull named
  [[ $stderr == *"set TUPPER_REGISTRY_HOST=127.0.0.1:$HOSTILE_PORT to send them to 127.0.0.1:$HOSTILE_PORT"* ]]
  ! tail -n +"$((start + 1))" "$HOSTILE_LOG" | grep -q 'auth=Basic' || false
  kill "$(cat "$BATS_FILE_TMPDIR/second.pid")"
}

@test "a manifest or config larger than the JSON reader's cap is refused with a message, and the next pull works" {
  compile_image "127.0.0.1:$HOSTILE_PORT/evil/app:1"
  # a small good image: one layer, a tar of ASCII bytes only (the routes carry text)
  mkdir -p "$TEST_DIR/layer"
  echo hello > "$TEST_DIR/layer/hello"
  tar --format=ustar --owner=0 --group=0 --mtime=@0 -C "$TEST_DIR/layer" -cf "$TEST_DIR/layer.tar" hello
  local layer config big
  layer=$(file_digest "$TEST_DIR/layer.tar")
  config="{\"os\":\"linux\",\"config\":{\"Cmd\":[\"/hello\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"$layer\"]}}"
  big=$(printf 'x%.0s' {1..40000})
  # routes: manifest $1, config $2 (the manifest names config $3 when given)
  write_routes() {
    node -e '
      const fs = require("fs"), [file, manifest, config, layer] = process.argv.slice(1);
      fs.writeFileSync(process.env.ROUTES, JSON.stringify({
        "/v2/evil/app/manifests/1": { status: 200, type: "application/vnd.oci.image.manifest.v1+json", body: manifest },
        [`/v2/evil/app/blobs/${JSON.parse(manifest).config.digest}`]: { status: 200, body: config },
        [`/v2/evil/app/blobs/${layer}`]: { status: 200, body: fs.readFileSync(file, "latin1") },
        "*": { status: 404, body: "no" },
      }));' "$TEST_DIR/layer.tar" "$1" "$2" "$layer"
  }
  local huge_manifest
  huge_manifest=$(LAYER_SIZE=$(stat -c %s "$TEST_DIR/layer.tar") manifest "$(digest_of "$config")" "$layer")
  huge_manifest="${huge_manifest%\}},\"annotations\":{\"a\":\"$big\"}}"
  write_routes "$huge_manifest" "$config"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"larger than the 32768 bytes tupper reads in a manifest or config (its JSON reader in bash is slow on larger ones)"* ]]
  local big_config="${config%\}},\"comment\":\"$big\"}"
  write_routes "$(LAYER_SIZE=$(stat -c %s "$TEST_DIR/layer.tar") manifest "$(digest_of "$big_config")" "$layer")" "$big_config"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"larger than the 32768 bytes tupper reads in a manifest or config (its JSON reader in bash is slow on larger ones)"* ]]
  # the lock was released, nothing was kept: the good image pulls
  write_routes "$(LAYER_SIZE=$(stat -c %s "$TEST_DIR/layer.tar") manifest "$(digest_of "$config")" "$layer")" "$config"
  run -0 --separate-stderr "$SCRIPT" pull
  run -0 "$SCRIPT" images
  [[ $output == *"127.0.0.1:$HOSTILE_PORT/evil/app:1"* ]]
}

@test "a lock file whose digests walk out is refused by the compiler, with the value's line and column" {
  local good="sha256:$GOOD_HEX" bad
  for bad in 'sha256:../../../../victim' "sha256:${GOOD_HEX^^}"; do
    cat > "$TEST_DIR/spec/app.lock.json" <<EOF
{
  "lockVersion": 1,
  "images": {
    "127.0.0.1:$HOSTILE_PORT/evil/app:1": {
      "platform": "linux/amd64",
      "manifest": "$good",
      "config": "$good",
      "layers": [
        {
          "digest": "$bad",
          "mediaType": "application/vnd.oci.image.layer.v1.tar",
          "size": 10
        }
      ],
      "imageConfig": { "Entrypoint": null, "Cmd": null, "Env": [], "WorkingDir": "", "User": "", "ExposedPorts": [] }
    }
  }
}
EOF
    printf 'name: %s\nservices:\n  app:\n    image: 127.0.0.1:%s/evil/app:1\n    network_mode: none\n' "$PROJECT" "$HOSTILE_PORT" > "$TEST_DIR/spec/app.yaml"
    run -2 node "$CLI" compile "$TEST_DIR/spec/app.yaml" -o "$TEST_DIR/app.sh"
    [[ $output == *"app.lock.json:10:21: error: images[\"127.0.0.1:$HOSTILE_PORT/evil/app:1\"].layers[0].digest: \"$bad\" is not a sha256 digest"* ]] || { echo "$output"; false; }
    [ ! -e "$TEST_DIR/app.sh" ]
  done
}

# A docker save archive at $1 from directory $2 (tar's other arguments follow).
archive() {
  local file=$1 dir=$2
  shift 2
  tar -C "$dir" -cPf "$file" "$@"
}

# A directory $1 with a valid config and layer for an archive, and the host's secrets in TEST_DIR.
archive_parts() {
  mkdir -p "$1"
  printf '%s' "$CONFIG" > "$1/config.json"
  mkdir -p "$TEST_DIR/ok"
  echo ok > "$TEST_DIR/ok/ok"
  tar -C "$TEST_DIR/ok" -cf "$1/layer.tar" ok
  echo '{"os":"linux","config":{"Cmd":["/bin/echo","from the host"]}}' > "$TEST_DIR/secret.json"
  host_tar "$TEST_DIR/host-layer.tar"
}

@test "docker-archive: Config and Layers paths in manifest.json that leave the archive are refused, and nothing outside is read" {
  local a="$TEST_DIR/a"
  archive_parts "$a"
  local config layers
  while IFS='|' read -r config layers; do
    printf '[{"Config":"%s","RepoTags":["evil:1"],"Layers":[%s]}]' "$config" "$layers" > "$a/manifest.json"
    archive "$TEST_DIR/evil.tar" "$a" manifest.json config.json layer.tar
    compile_image "docker-archive:$TEST_DIR/evil.tar"
    run -1 --separate-stderr "$SCRIPT" pull
    [[ $stderr == *"is not a relative path inside the archive"* || $stderr == *"leads out of the archive"* ]] || { echo "$config $layers: $stderr"; false; }
    store_clean
  done <<EOF
../../../../secret.json|"layer.tar"
config.json|"../../../../host-layer.tar"
config.json|"$TEST_DIR/host-layer.tar"
config.json|"layer.tar","./../../../../host-layer.tar"
/$TEST_DIR/secret.json|"layer.tar"
EOF
  # the archive's own files, named plainly, still import
  printf '[{"Config":"config.json","RepoTags":["evil:1"],"Layers":["./layer.tar"]}]' > "$a/manifest.json"
  archive "$TEST_DIR/good.tar" "$a" manifest.json config.json layer.tar
  compile_image "docker-archive:$TEST_DIR/good.tar"
  run -0 --separate-stderr "$SCRIPT" pull
  find "$TUPPER_ROOT/images/layers" -name ok | grep -q .
}

@test "docker-archive: an absolute symlink member, a symlink that leads out, a .. member and a device node are refused; nothing outside is read or written" {
  local a="$TEST_DIR/a"
  archive_parts "$a"
  printf '[{"Config":"config.json","RepoTags":["evil:1"],"Layers":["layer.tar"]}]' > "$a/manifest.json"
  # an absolute symlink member: the config is the host's
  mkdir -p "$TEST_DIR/b"
  cp "$a/manifest.json" "$a/layer.tar" "$TEST_DIR/b/"
  ln -s "$TEST_DIR/secret.json" "$TEST_DIR/b/config.json"
  archive "$TEST_DIR/abs-link.tar" "$TEST_DIR/b" manifest.json config.json layer.tar
  compile_image "docker-archive:$TEST_DIR/abs-link.tar"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"config.json"*"is a symlink to the absolute path"* ]]
  store_clean
  # a relative symlink that climbs out: the layer is the host's
  rm "$TEST_DIR/b/config.json"
  cp "$a/config.json" "$TEST_DIR/b/"
  rm "$TEST_DIR/b/layer.tar"
  ln -s ../../../../host-layer.tar "$TEST_DIR/b/layer.tar"
  archive "$TEST_DIR/rel-link.tar" "$TEST_DIR/b" manifest.json config.json layer.tar
  compile_image "docker-archive:$TEST_DIR/rel-link.tar"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"'layer.tar' leads out of the archive"* ]]
  store_clean
  # a member named with .., aimed at TEST_DIR
  archive "$TEST_DIR/dotdot.tar" "$a" manifest.json config.json layer.tar
  tar -C "$a" -rPf "$TEST_DIR/dotdot.tar" --transform 's,^config.json$,../../../../../dotdot-written,' config.json
  compile_image "docker-archive:$TEST_DIR/dotdot.tar"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"'../../../../../dotdot-written'"*"is not a relative path inside the archive"* ]]
  [ ! -e "$TEST_DIR/dotdot-written" ] && [ ! -e "$TUPPER_ROOT/dotdot-written" ]
  # an absolute member
  archive "$TEST_DIR/absolute.tar" "$a" manifest.json config.json layer.tar
  tar -C "$a" -rPf "$TEST_DIR/absolute.tar" --transform "s,^config.json\$,$TEST_DIR/absolute-written," config.json
  compile_image "docker-archive:$TEST_DIR/absolute.tar"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"absolute-written'"*"is not a relative path inside the archive"* ]]
  [ ! -e "$TEST_DIR/absolute-written" ]
  # a device node (the host's /dev/null's numbers)
  archive "$TEST_DIR/device.tar" "$a" manifest.json config.json layer.tar
  mknod "$a/null" c 1 3
  tar -C "$a" -rf "$TEST_DIR/device.tar" null
  compile_image "docker-archive:$TEST_DIR/device.tar"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"'null' is a character device"* ]]
  [ -z "$(find "$TUPPER_ROOT" -type c)" ]
}

# An OCI image layout at $1: config blob (CONFIG), one layer (layer.tar of archive_parts' $2).
oci_layout() {
  local dir=$1 parts=$2 config layer manifest
  mkdir -p "$dir/blobs/sha256"
  printf '%s' "$CONFIG" > "$dir/config"
  config=$(file_digest "$dir/config")
  mv "$dir/config" "$dir/blobs/sha256/${config#sha256:}"
  layer=$(file_digest "$parts/layer.tar")
  cp "$parts/layer.tar" "$dir/blobs/sha256/${layer#sha256:}"
  manifest "$config" "$layer" > "$dir/manifest"
  manifest=$(file_digest "$dir/manifest")
  mv "$dir/manifest" "$dir/blobs/sha256/${manifest#sha256:}"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":1}]}' "$manifest" > "$dir/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
}

@test "oci: and oci-archive: a digest in index.json that walks out, and a blob that is a link out of the layout, are refused" {
  archive_parts "$TEST_DIR/a"
  local layout="$TEST_DIR/layout"
  oci_layout "$layout" "$TEST_DIR/a"
  compile_image "oci:$layout"
  run -0 --separate-stderr "$SCRIPT" pull
  # index.json's digest walks out
  cp "$layout/index.json" "$TEST_DIR/index.json.good"
  sed -i 's,"digest":"[^"]*","digest":"sha256:../../../secret.json",' "$layout/index.json"
  rm -rf "$TUPPER_ROOT/images"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"'sha256:../../../secret.json' is not a sha256 digest"* ]]
  cp "$TEST_DIR/index.json.good" "$layout/index.json"
  # the config blob is a link to a host file whose digest the attacker knows
  local secret
  secret=$(file_digest "$TEST_DIR/secret.json")
  ln -s "$TEST_DIR/secret.json" "$layout/blobs/sha256/${secret#sha256:}"
  local manifest
  manifest=$(manifest "$secret" "$(file_digest "$TEST_DIR/a/layer.tar")")
  printf '%s' "$manifest" > "$layout/blobs/sha256/$(printf '%s' "$manifest" | sha256sum | cut -c1-64)"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":1}]}' "$(digest_of "$manifest")" > "$layout/index.json"
  rm -rf "$TUPPER_ROOT/images"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"leads out of the"* ]]
  store_clean
  # the same layout in an archive: the link is an absolute symlink member
  tar -C "$layout" -cf "$TEST_DIR/layout.tar" .
  compile_image "oci-archive:$TEST_DIR/layout.tar"
  rm -rf "$TUPPER_ROOT/images"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"is a symlink to the absolute path"* ]]
  store_clean
}

# Builds the user's tool $1 (test/e2e/$1.c) into TEST_DIR, and opens TEST_DIR (0700) to others
# so that user 65534 reaches the directories a test gives it there.
user_tool() {
  gcc -static -O2 -o "$TEST_DIR/$1" "$BATS_TEST_DIRNAME/$1.c"
  chmod 0711 "$TEST_DIR"
}

# Runs swap-on-read as user 65534 on layout file $1 with replacement $2, in the background,
# and returns once its watch is set (SWAP_PID is its PID).
swap_on_read() {
  user_tool swap-on-read
  setpriv --reuid 65534 --regid 65534 --clear-groups "$TEST_DIR/swap-on-read" "$1" "$2" > "$TEST_DIR/swap.out" 2>&1 &
  SWAP_PID=$!
  local i
  for ((i = 0; i < 200; i++)); do grep -q watching "$TEST_DIR/swap.out" && return 0; sleep 0.05; done
  cat "$TEST_DIR/swap.out"
  return 1
}

# A layout in TEST_DIR/user that user 65534 owns (LAYER = its layer blob).
user_layout() {
  archive_parts "$TEST_DIR/a"
  mkdir -m 0755 "$TEST_DIR/user"
  oci_layout "$TEST_DIR/user/layout" "$TEST_DIR/a"
  LAYER="$TEST_DIR/user/layout/blobs/sha256/$(sha256sum < "$TEST_DIR/a/layer.tar" | cut -c1-64)"
}

@test "oci: a layer blob the user swaps after its check (inotify) is neither applied nor kept under the checked digest" {
  user_layout
  host_tar "$TEST_DIR/user/evil.tar"
  chown -R 65534:65534 "$TEST_DIR/user"
  compile_image "oci:$TEST_DIR/user/layout"
  swap_on_read "$LAYER" "$TEST_DIR/user/evil.tar"
  run --separate-stderr "$SCRIPT" pull
  wait "$SWAP_PID" # the swap was made (after the blob's one read)
  grep -q 'swapped' "$TEST_DIR/swap.out"
  [[ ! -e $TEST_DIR/user/evil.tar ]]
  # the layer in the store is the one the digest names, whatever the pull made of the swap
  store_clean
  if ((status == 0)); then [ -n "$(find "$TUPPER_ROOT/images/layers" -name ok)" ]; fi
}

@test "oci: a layer blob swapped after its check for a symlink to a root-only archive does not bring that archive into the image" {
  user_layout
  mkdir -m 0700 "$TEST_DIR/private"
  host_tar "$TEST_DIR/private/backup.tar"
  ln -s "$TEST_DIR/private/backup.tar" "$TEST_DIR/user/swap"
  chown -R -h 65534:65534 "$TEST_DIR/user"
  compile_image "oci:$TEST_DIR/user/layout"
  swap_on_read "$LAYER" "$TEST_DIR/user/swap"
  run --separate-stderr "$SCRIPT" pull
  wait "$SWAP_PID"
  [[ -L $LAYER ]] # the swap was made
  store_clean
  [[ $(cat "$TEST_DIR/private/backup.tar" | tar -xOf - stolen) == 'host secret' ]] # untouched
}

# Compiles a one-service project whose image is rootfs:$1.
compile_rootfs() {
  printf 'name: %s\nservices:\n  app:\n    image: rootfs:%s\n    command: ["true"]\n    network_mode: none\n' "$PROJECT" "$1" > "$TEST_DIR/app.yaml.in"
  compile_spec app < "$TEST_DIR/app.yaml.in"
}

@test "rootfs: a directory whose parent a user can write is refused with how to fix it; a root-owned path imports" {
  mkdir -m 0755 "$TEST_DIR/user"
  cp -a "$ROOTFS" "$TEST_DIR/user/img"
  chown 65534:65534 "$TEST_DIR/user"
  compile_rootfs "$TEST_DIR/user/img"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"$TEST_DIR/user (above the rootfs directory $TEST_DIR/user/img) is not root's alone (owner 65534, mode 755)"* ]]
  [[ $stderr == *"Copy the tree somewhere only root can write"* ]]
  [ -z "$(find "$TUPPER_ROOT" -name busybox 2> /dev/null)" ]
  # a group- or other-writable parent is refused too; root's alone (or sticky) imports
  chown 0:0 "$TEST_DIR/user"
  chmod 0775 "$TEST_DIR/user"
  run -1 --separate-stderr "$SCRIPT" pull
  [[ $stderr == *"is not root's alone (owner 0, mode 775)"* ]]
  chmod 1777 "$TEST_DIR/user"
  run -0 --separate-stderr "$SCRIPT" pull
  run -0 "$SCRIPT" run --rm app /bin/echo imported
  [[ $output == *imported* ]]
}

@test "rootfs: a user who swaps a directory of its tree for a symlink to a root-only directory while root copies it gets nothing of that directory" {
  user_tool flip
  mkdir -m 0700 "$TEST_DIR/private"
  echo 'host secret' > "$TEST_DIR/private/stolen"
  mkdir -m 0755 "$TEST_DIR/pub" # root's: the user cannot swap the tree itself
  cp -a "$ROOTFS" "$TEST_DIR/pub/img"
  mkdir "$TEST_DIR/pub/img/d"
  touch "$TEST_DIR/pub/img/d/x"
  ln -s "$TEST_DIR/private" "$TEST_DIR/pub/img/d.l"
  chown -R -h 65534:65534 "$TEST_DIR/pub/img"
  compile_rootfs "$TEST_DIR/pub/img"
  setpriv --reuid 65534 --regid 65534 --clear-groups "$TEST_DIR/flip" "$TEST_DIR/pub/img/d" "$TEST_DIR/pub/img/d.l" &
  local flip=$! i
  for ((i = 0; i < 30; i++)); do
    rm -rf "$TUPPER_ROOT/images"
    "$SCRIPT" pull > /dev/null 2>&1 || true
    [ -z "$(find "$TUPPER_ROOT" -name stolen)" ] || break
  done
  kill "$flip"
  wait "$flip" || true
  echo "after $i imports"
  store_clean
}
