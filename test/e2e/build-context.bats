#!/usr/bin/env bats
# The build context, hostile input (issue 23): `tupper-init context-hash` and `context-copy`
# (helper/context.c, formats in helper/CONTEXT.md). The attacks aim at files in the test's
# TEST_DIR/outside, outside the context and the image root: the tests check that none is
# read into a digest or an image, and none is written. Each attack on a path runs twice:
# with openat2 and with the component-by-component fallback (TUPPER_CONTEXT_NO_OPENAT2).
bats_require_minimum_version 1.5.0
load helpers

H="$REPO/helper/tupper-init"

# A context CTX, an image root ROOT and a secret outside both.
make_context() {
  CTX="$TEST_DIR/ctx" ROOT="$TEST_DIR/image" OUT="$TEST_DIR/outside"
  mkdir -p "$CTX" "$ROOT" "$OUT"
  printf 'host secret\n' > "$OUT/secret"
}

hash_of() { "$H" context-hash --context "$CTX" "$@"; }

# Runs context-copy with and without openat2; both must give status $1 (the rest: its args).
copy_both_ways() {
  local want=$1
  shift
  run "-$want" --separate-stderr "$H" context-copy --context "$CTX" --rootfs "$ROOT" "$@"
  local first=$stderr
  run "-$want" --separate-stderr env TUPPER_CONTEXT_NO_OPENAT2=1 "$H" context-copy --context "$CTX" --rootfs "$ROOT" "$@"
  stderr="$first
$stderr"
}

# Fails when the secret's text is anywhere in the image root or the secret changed.
secret_untouched() {
  # (not `! grep`: set -e ignores a negated status in a function's middle)
  if grep -rqs 'host secret' "$ROOT"; then echo "the host's secret is in the image root" >&2 && return 1; fi
  [ "$(cat "$OUT/secret")" = 'host secret' ]
}

@test "sha256: the helper's own SHA-256, with and without the CPU's SHA extensions, agrees with sha256sum at every block boundary and on megabytes" {
  local n want
  for n in 0 1 55 56 57 63 64 65 119 120 127 128 1000 1048583; do
    head -c "$n" /dev/urandom > "$TEST_DIR/data"
    want=$(sha256sum < "$TEST_DIR/data" | cut -c1-64)
    [ "$("$H" context-sha256 < "$TEST_DIR/data")" = "$want" ]
    [ "$(TUPPER_SHA256_PORTABLE=1 "$H" context-sha256 < "$TEST_DIR/data")" = "$want" ]
  done
}

@test "context-hash: stable across runs and mtimes; changed by content, mode, name, link target, an empty directory, --chown and --chmod" {
  make_context
  mkdir -p "$CTX/src/lib"
  printf 'one\n' > "$CTX/src/a.c"
  printf 'two\n' > "$CTX/src/lib/b.c"
  ln -s a.c "$CTX/src/link"
  local base
  base=$(hash_of)
  [[ $base =~ ^sha256:[0-9a-f]{64}$ ]]
  [ "$(hash_of)" = "$base" ]
  touch -d '2001-01-01' "$CTX/src/a.c" "$CTX/src/lib"
  [ "$(hash_of)" = "$base" ] # Docker's cache ignores mtimes too
  # content
  printf 'One\n' > "$CTX/src/a.c"
  [ "$(hash_of)" != "$base" ]
  printf 'one\n' > "$CTX/src/a.c"
  [ "$(hash_of)" = "$base" ]
  # mode
  chmod 0600 "$CTX/src/a.c"
  [ "$(hash_of)" != "$base" ]
  chmod 4755 "$CTX/src/a.c"
  [ "$(hash_of)" != "$base" ]
  chmod 0644 "$CTX/src/a.c"
  # owner: the digest holds the owner the copy writes: --chown's, or 0:0 whoever owns the
  # context's file (Docker's COPY writes 0:0), so a chown in the context changes no layer
  chown 1234:1234 "$CTX/src/a.c"
  [ "$(hash_of)" = "$base" ]
  [ "$(hash_of --chown 1000:1000)" != "$base" ]
  [ "$(hash_of --chown 1000:1000)" != "$(hash_of --chown 1000:1001)" ]
  [ "$(hash_of --chown 1000)" = "$(hash_of --chown 1000:1000)" ]
  [ "$(hash_of --chmod 644)" != "$base" ]
  # a symbolic --chmod is applied to each file's mode: u+r changes none here (all are 0644 or
  # 0755, links 0777), u+x changes a.c's
  [ "$(hash_of --chmod u+r)" = "$base" ]
  [ "$(hash_of --chmod u+x)" != "$base" ]
  chown 0:0 "$CTX/src/a.c"
  # name
  mv "$CTX/src/lib/b.c" "$CTX/src/lib/c.c"
  [ "$(hash_of)" != "$base" ]
  mv "$CTX/src/lib/c.c" "$CTX/src/lib/b.c"
  # link target
  ln -sfn lib "$CTX/src/link"
  [ "$(hash_of)" != "$base" ]
  ln -sfn a.c "$CTX/src/link"
  # an empty directory
  mkdir "$CTX/src/empty"
  [ "$(hash_of)" != "$base" ]
  rmdir "$CTX/src/empty"
  [ "$(hash_of)" = "$base" ]
  # a file's content cannot pose as its name (every field is a netstring)
  printf 'x' > "$CTX/src/lib/b.c"
  local split
  split=$(hash_of)
  rm "$CTX/src/lib/b.c"
  printf '' > "$CTX/src/lib/b.cx"
  [ "$(hash_of)" != "$split" ]
}

@test "context-hash is the documented tupper-files-v1 digest: bash recomputes it from find and sha256sum" {
  make_context
  mkdir -p "$CTX/src/sub/empty"
  printf 'one\n' > "$CTX/src/main.c"
  printf 'x' > "$CTX/ünï name"
  chmod 4755 "$CTX/ünï name"
  ln -s main.c "$CTX/src/link"
  printf 'a.c\n' > "$CTX/src/a.c" # 'a.c' sorts before 'a/...' would: whole paths in byte order
  mkdir "$CTX/a" && printf 'q' > "$CTX/a/q"
  # helper/CONTEXT.md's format, written independently: every entry below the source, sorted by
  # path bytes, six netstrings each, the owner 0:0 that the copy writes
  run -0 bash -c '
    set -euo pipefail
    export LC_ALL=C
    ns() { printf "%d:%s," "${#1}" "$1"; }
    cd "$1"
    {
      printf "tupper-files-v1\n"
      find . -mindepth 1 -printf "%P\t%y\t%m\n" | sort -t "	" -k1,1 | while IFS="	" read -r path type mode; do
        payload=""
        case $type in
          f) payload=$(sha256sum < "$path" | cut -c1-64) ;;
          l) payload=$(readlink "$path") mode=777 ;;
        esac
        ns "$path"; ns "$type"; ns "$(printf "%04o" "0$mode")"; ns 0; ns 0; ns "$payload"
      done
    } | sha256sum | cut -c1-64' bash "$CTX"
  [ "$(hash_of)" = "sha256:$output" ]
}

@test "context-hash --include: only one COPY's sources, with Docker's wildcards" {
  make_context
  mkdir -p "$CTX/src" "$CTX/docs"
  printf 'a\n' > "$CTX/src/a.txt"
  printf 'b\n' > "$CTX/src/b.md"
  printf 'd\n' > "$CTX/docs/d.txt"
  local src txt
  src=$(hash_of --include src)
  txt=$(hash_of --include 'src/*.txt')
  [ "$src" != "$txt" ]
  # a change outside the sources leaves their digest alone
  printf 'D\n' > "$CTX/docs/d.txt"
  [ "$(hash_of --include src)" = "$src" ]
  # a change to a file the wildcard does not take leaves it alone too
  printf 'B\n' > "$CTX/src/b.md"
  [ "$(hash_of --include 'src/*.txt')" = "$txt" ]
  [ "$(hash_of --include src)" != "$src" ]
  # a source that matches nothing is an error, as in Docker
  run -125 --separate-stderr hash_of --include 'src/*.nothing'
  [[ $stderr == *"no file in the build context matches it"* ]]
}

@test "attack: a context symlink to a host secret is hashed as a link and copied as a link, never read" {
  make_context
  ln -s "$OUT/secret" "$CTX/shadow"
  local before
  before=$(hash_of)
  printf 'host secret, changed\n' > "$OUT/secret"
  [ "$(hash_of)" = "$before" ] # the target's content is not in the digest
  printf 'host secret\n' > "$OUT/secret"
  copy_both_ways 0 --dest /app .
  [ -L "$ROOT/app/shadow" ]
  [ "$(readlink "$ROOT/app/shadow")" = "$OUT/secret" ]
  secret_untouched
  # named as a COPY source, it is followed only inside the context: refused
  copy_both_ways 125 --dest /stolen shadow
  [[ $stderr == *"shadow is a symlink to $OUT/secret, outside the build context"* ]]
  [ ! -e "$ROOT/stolen" ]
  secret_untouched
  run -125 --separate-stderr hash_of --include shadow
  secret_untouched
}

@test "attack: COPY ../x names the context's own x, never the file next to the context" {
  make_context
  printf 'host secret\n' > "$TEST_DIR/x"
  copy_both_ways 125 --dest /x ../x
  [ ! -e "$ROOT/x" ]
  copy_both_ways 125 --dest /x ../../../../../../..$TEST_DIR/x
  [ ! -e "$ROOT/x" ]
  printf 'context x\n' > "$CTX/x"
  copy_both_ways 0 --dest /x ../x
  [ "$(cat "$ROOT/x")" = 'context x' ]
  [ "$(hash_of --include ../x)" = "$(hash_of --include x)" ]
  secret_untouched
}

@test "attack: a source path that walks out through a symlinked directory is refused" {
  make_context
  mkdir -p "$CTX/inner"
  printf 'ok\n' > "$CTX/inner/file"
  ln -s ../outside "$CTX/rel"          # relative, climbs out
  ln -s "$OUT" "$CTX/abs"              # absolute
  ln -s inner/../../outside "$CTX/mixed"
  ln -s inner "$CTX/fine"              # stays inside: allowed, as in Docker
  local link
  for link in rel abs mixed; do
    copy_both_ways 125 --dest /got "$link/secret"
    [[ $stderr == *"outside the build context"* || $stderr == *"leads out of the build context"* ]]
    copy_both_ways 125 --dest /got/ "$link/*"
    run -125 --separate-stderr hash_of --include "$link/secret"
  done
  [ ! -e "$ROOT/got" ]
  secret_untouched
  copy_both_ways 0 --dest /got fine/file
  [ "$(cat "$ROOT/got")" = ok ]
  # the walk of `COPY . /` copies the links as links and never enters them
  copy_both_ways 0 --dest /all/ .
  [ -L "$ROOT/all/rel" ] && [ -L "$ROOT/all/abs" ] && [ -L "$ROOT/all/mixed" ]
  secret_untouched
}

@test "attack: an image root with /usr -> /, absolute and climbing symlinks cannot make COPY write outside it" {
  make_context
  mkdir -p "$CTX/bin"
  printf 'planted\n' > "$CTX/bin/planted"
  printf 'file\n' > "$CTX/one"
  mkdir -p "$TEST_DIR/hostdir"
  printf 'host file\n' > "$TEST_DIR/hostfile"
  ln -s / "$ROOT/usr"
  ln -s "$TEST_DIR/hostdir" "$ROOT/abs"
  ln -s ../../../../../../../../../../..$TEST_DIR/hostdir "$ROOT/climb"
  ln -s "$TEST_DIR/hostfile" "$ROOT/target"
  mkdir -p "$ROOT/app"
  ln -s "$TEST_DIR/hostdir" "$ROOT/app/bin" # a directory the copied tree writes into
  copy_both_ways 0 --dest /usr/local/ .
  copy_both_ways 0 --dest /abs/ .
  copy_both_ways 0 --dest /climb/x/ .
  copy_both_ways 0 --dest /target one
  copy_both_ways 0 --dest /app .
  # nothing reached the host
  [ -z "$(ls -A "$TEST_DIR/hostdir")" ]
  [ "$(cat "$TEST_DIR/hostfile")" = 'host file' ]
  # everything landed inside the root, where a chroot would have put it
  [ "$(cat "$ROOT/local/bin/planted")" = planted ]
  [ "$(cat "$ROOT$TEST_DIR/hostdir/bin/planted")" = planted ]
  [ "$(cat "$ROOT$TEST_DIR/hostdir/x/one")" = file ]
  [ -f "$ROOT/target" ] && [ ! -L "$ROOT/target" ] # the symlink was replaced, not written through
  [ "$(cat "$ROOT/target")" = file ]
  [ "$(cat "$ROOT$TEST_DIR/hostdir/planted")" = planted ] # app/bin -> hostdir, inside the root
}

@test "a FIFO is copied as a FIFO and never opened; a socket is skipped; a device is refused unless excluded" {
  make_context
  printf 'a\n' > "$CTX/a"
  mkfifo "$CTX/fifo"
  python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$CTX/sock"
  local with_fifo
  with_fifo=$(timeout 10 "$H" context-hash --context "$CTX") # opening the FIFO would block
  copy_both_ways 0 --dest /app .
  [ -p "$ROOT/app/fifo" ]
  [ ! -e "$ROOT/app/sock" ]
  rm "$CTX/sock"
  [ "$(hash_of)" = "$with_fifo" ] # the socket was not in the digest
  mknod "$CTX/null" c 1 3
  run -125 --separate-stderr hash_of
  [[ $stderr == *"$CTX/null is a character device: tupper copies no device node from a build context"* ]]
  copy_both_ways 125 --dest /dev-copy .
  [ ! -e "$ROOT/dev-copy/null" ]
  printf 'null\n' > "$TEST_DIR/ignore"
  run -0 hash_of --ignore-file "$TEST_DIR/ignore"
  [ "$output" = "$with_fifo" ]
}

@test "attack: another filesystem mounted in the context (a FUSE file could keep the build, and the host's build lock, forever) is refused by name; listed in .dockerignore it is never read" {
  make_context
  mkdir -p "$CTX/mnt"
  printf 'a\n' > "$CTX/a.txt"
  # in a mount namespace of the test's own: the tmpfs never reaches the host's mounts
  local mounted='mount -t tmpfs -o size=1m tmpfs "$1/mnt" && echo inside > "$1/mnt/f" && shift && exec "$@"'
  run unshare --mount --propagation private sh -c "$mounted" sh "$CTX" "$H" context-hash --context "$CTX"
  [ "$status" -eq 125 ]
  [[ $output == *"$CTX/mnt is another filesystem mounted in the build context"* ]]
  run unshare --mount --propagation private sh -c "$mounted" sh "$CTX" "$H" context-copy --context "$CTX" --rootfs "$ROOT" --dest /app .
  [ "$status" -eq 125 ]
  [ ! -e "$ROOT/app/mnt/f" ]
  printf 'mnt\n' > "$TEST_DIR/ignore"
  run unshare --mount --propagation private sh -c "$mounted" sh "$CTX" "$H" context-hash --context "$CTX" --ignore-file "$TEST_DIR/ignore"
  [ "$status" -eq 0 ]
  [ "$output" = "$(hash_of --ignore-file "$TEST_DIR/ignore")" ]
}

@test "huge names: 255-byte names and long link targets work; longer or deeper ones are refused by name" {
  make_context
  local long
  long=$(printf 'n%.0s' {1..255})
  printf 'x\n' > "$CTX/$long"
  ln -s "$(printf 't%.0s' {1..4000})" "$CTX/longlink"
  run -0 hash_of
  copy_both_ways 0 --dest /app .
  [ "$(cat "$ROOT/app/$long")" = x ]
  [ "$(readlink "$ROOT/app/longlink" | wc -c)" -eq 4001 ]
  copy_both_ways 125 --dest /app "${long}x"
  [[ $stderr == *"a name of 256 bytes"* ]]
  # directories nested past the limit: an error, not a crash
  local deep="$CTX/deep" i
  for ((i = 0; i < 300; i++)); do deep+=/d; done
  mkdir -p "$deep"
  run -125 --separate-stderr hash_of
  [[ $stderr == *"directories nested deeper than 256"* ]]
}

@test "attack: a directory of the context swapped for a symlink to the host in the middle of its walk (inotify) is read from the directory that was opened" {
  make_context
  gcc -static -O2 -o "$TEST_DIR/exchange-on-read" "$BATS_TEST_DIRNAME/exchange-on-read.c"
  local mode i
  # what a walker that goes by path would read after the swap: the same names, and a secret
  printf 'host secret\n' > "$OUT/z.txt"
  for ((i = 0; i < 2000; i++)); do printf '%s\n' "$i" > "$OUT/m$i"; done
  for mode in hash copy; do
    rm -rf "$CTX" "$ROOT" && mkdir -p "$CTX/d" "$ROOT"
    printf 'first\n' > "$CTX/d/a.txt" # read first (byte order); its close triggers the swap
    for ((i = 0; i < 2000; i++)); do printf '%s\n' "$i" > "$CTX/d/m$i"; done
    printf 'context z\n' > "$CTX/d/z.txt" # read last, long after the swap
    ln -s "$OUT" "$CTX/d.l"
    # each round's swapper writes a file of its own: the first round's "watching" must not
    # start the second round's reader before its swapper has set its watch
    local out="$TEST_DIR/swap-$mode.out"
    "$TEST_DIR/exchange-on-read" "$CTX/d/a.txt" "$CTX/d" "$CTX/d.l" > "$out" 2>&1 3>&- &
    local swapper=$!
    # the reader starts only once the watch is set (however loaded the machine is)
    for ((i = 0; i < 1200; i++)); do grep -qs watching "$out" && break; sleep 0.05; done
    if ! grep -qs watching "$out"; then
      echo "the swapper did not set its watch: $(cat "$out" 2>&1); $(ls -la "$TEST_DIR" 2>&1)" >&2
      false
    fi
    if [[ $mode == hash ]]; then
      "$H" context-hash --context "$CTX" > "$TEST_DIR/digest"
    else
      "$H" context-copy --context "$CTX" --rootfs "$ROOT" --dest /app .
    fi
    # the swap was made (a.txt was read): the swapper exits; it is never waited for forever
    for ((i = 0; i < 600; i++)); do kill -0 "$swapper" 2> /dev/null || break; sleep 0.05; done
    if kill -0 "$swapper" 2> /dev/null; then
      kill "$swapper"
      echo "the swap did not happen: $(cat "$out")" >&2
      false
    fi
    wait "$swapper"
    [ -L "$CTX/d" ] && [ -d "$CTX/d.l" ]
    if [[ $mode == hash ]]; then
      # the digest is that of the directory that was opened, under both names (d, then d.l
      # after the swap): never of the host's z.txt, which a walk by path would have read
      rm -rf "$TEST_DIR/expected" && mkdir "$TEST_DIR/expected"
      cp -a "$CTX/d.l" "$TEST_DIR/expected/d"
      cp -a "$CTX/d.l" "$TEST_DIR/expected/d.l"
      [ "$(cat "$TEST_DIR/digest")" = "$("$H" context-hash --context "$TEST_DIR/expected")" ]
    else
      [ "$(cat "$ROOT/app/d/z.txt")" = 'context z' ]
      [ "$(cat "$ROOT/app/d.l/z.txt")" = 'context z' ]
      secret_untouched
    fi
  done
}

@test "attack: a directory flipped with a symlink to the host (renameat2 RENAME_EXCHANGE) while the context is read never brings the host in" {
  make_context
  mkdir -p "$CTX/swap"
  for i in $(seq 1 200); do printf 'context %s\n' "$i" > "$CTX/swap/f$i"; done
  ln -s "$OUT" "$CTX/swap.l"
  gcc -static -O2 -o "$TEST_DIR/flip" "$BATS_TEST_DIRNAME/flip.c"
  "$TEST_DIR/flip" "$CTX/swap" "$CTX/swap.l" 3>&- &
  local flip=$! runs refused=0
  for ((runs = 0; runs < 40; runs++)); do
    rm -rf "$ROOT/app"
    if ! "$H" context-copy --context "$CTX" --rootfs "$ROOT" --dest /app . 2> "$TEST_DIR/err"; then
      refused=$((refused + 1))
      grep 'replaced while the context was read\|No such file\|Too many levels\|Not a directory' "$TEST_DIR/err" || { cat "$TEST_DIR/err"; false; }
    fi
    "$H" context-hash --context "$CTX" > /dev/null 2>&1 || true
    secret_untouched
  done
  kill "$flip"
  wait "$flip" || true
  echo "# $refused of $runs copies stopped by the flip" >&3
}

@test ".dockerignore: ** and ! exceptions as Docker reads them, and the Dockerfile and .dockerignore themselves" {
  make_context
  cat > "$TEST_DIR/ignore" << 'EOF'
*.md
!README.md
**/*.log
node_modules
build/**
!build/keep
**.bak
a/*/c
EOF
  run -0 "$H" context-match --ignore-file "$TEST_DIR/ignore" x.md README.md sub/x.md a.log d/e/f.log node_modules/x/y build build/x build/keep x.bak q/w.bak a/b/c a/b/b/c Dockerfile
  [ "$output" = "excluded x.md
included README.md
included sub/x.md
excluded a.log
excluded d/e/f.log
excluded node_modules/x/y
included build
excluded build/x
included build/keep
excluded x.bak
excluded q/w.bak
excluded a/b/c
included a/b/b/c
included Dockerfile" ]
  # the same selection on a real tree: copied, and in the digest
  mkdir -p "$CTX/node_modules/x" "$CTX/build/keep" "$CTX/sub" "$CTX/a/b/c"
  for f in x.md README.md sub/x.md sub/a.log node_modules/x/y build/x build/keep/k a/b/c/d Dockerfile .dockerignore; do printf '%s\n' "$f" > "$CTX/$f"; done
  copy_both_ways 0 --ignore-file "$TEST_DIR/ignore" --dest /app .
  run -0 sh -c 'cd "$1/app" && find . | LC_ALL=C sort' sh "$ROOT"
  [ "$output" = ".
./.dockerignore
./Dockerfile
./README.md
./a
./a/b
./build
./build/keep
./build/keep/k
./sub
./sub/x.md" ]
  # a change in an ignored file leaves the digest alone; in a re-included one, it does not
  local before
  before=$(hash_of --ignore-file "$TEST_DIR/ignore")
  printf 'changed\n' > "$CTX/build/x"
  [ "$(hash_of --ignore-file "$TEST_DIR/ignore")" = "$before" ]
  printf 'changed\n' > "$CTX/build/keep/k"
  [ "$(hash_of --ignore-file "$TEST_DIR/ignore")" != "$before" ]
  # the .dockerignore may exclude the Dockerfile and itself: then neither is copied (Docker)
  printf 'Dockerfile\n.dockerignore\n' > "$TEST_DIR/ignore2"
  rm -rf "$ROOT/app2"
  copy_both_ways 0 --ignore-file "$TEST_DIR/ignore2" --dest /app2 .
  [ ! -e "$ROOT/app2/Dockerfile" ] && [ ! -e "$ROOT/app2/.dockerignore" ] && [ -e "$ROOT/app2/README.md" ]
  # an excluded file named as a source is not in the context
  copy_both_ways 125 --ignore-file "$TEST_DIR/ignore" --dest /x x.md
  # classes (the second one in a pattern once read the first one's ranges: found by pattern-fuzz)
  printf '[x][a-c]\n[^a]?z\n' > "$TEST_DIR/classes"
  run -0 "$H" context-match --ignore-file "$TEST_DIR/classes" xb xd ab bqz aqz
  [ "$output" = "excluded xb
included xd
included ab
excluded bqz
included aqz" ]
  # a pattern Go's filepath.Match refuses is an error naming its line
  printf 'ok\n[unclosed\n' > "$TEST_DIR/bad"
  run -125 --separate-stderr hash_of --ignore-file "$TEST_DIR/bad"
  [[ $stderr == *"$TEST_DIR/bad:2: bad pattern [unclosed"* ]]
}

@test "COPY semantics: directory contents, wildcards, a trailing /, file to file, --chown, --chmod, --exclude" {
  make_context
  mkdir -p "$CTX/dir/sub" "$ROOT/existing"
  printf 'a\n' > "$CTX/dir/a.txt"
  printf 'b\n' > "$CTX/dir/sub/b.txt"
  printf 'f\n' > "$CTX/f1.txt"
  printf 'g\n' > "$CTX/f2.txt"
  chmod 0755 "$CTX/f1.txt"
  copy_both_ways 0 --dest /d1 dir
  [ -f "$ROOT/d1/a.txt" ] && [ -f "$ROOT/d1/sub/b.txt" ] && [ ! -e "$ROOT/d1/dir" ] # contents, not the directory
  copy_both_ways 0 --dest /file f1.txt
  [ "$(cat "$ROOT/file")" = f ] && [ "$(stat -c %a "$ROOT/file")" = 755 ]
  copy_both_ways 0 --dest /d2/ f1.txt
  [ "$(cat "$ROOT/d2/f1.txt")" = f ]
  copy_both_ways 0 --dest /existing f1.txt # an existing directory takes the file in
  [ -f "$ROOT/existing/f1.txt" ]
  copy_both_ways 0 --dest /w/ 'f*.txt'
  [ -f "$ROOT/w/f1.txt" ] && [ -f "$ROOT/w/f2.txt" ]
  copy_both_ways 125 --dest /nodir f1.txt f2.txt
  [[ $stderr == *"must be a directory and end with a /"* ]]
  copy_both_ways 0 --dest /owned/ --chown 1000:2000 --chmod 640 dir f1.txt
  [ "$(stat -c '%u:%g %a' "$ROOT/owned/a.txt")" = '1000:2000 640' ]
  [ "$(stat -c '%u:%g %a' "$ROOT/owned/f1.txt")" = '1000:2000 640' ]
  [ "$(stat -c '%u:%g' "$ROOT/owned")" = '1000:2000' ]
  # symbolic --chmod (BuildKit's too) changes each file's own mode as chmod(1) does, no umask:
  # f1.txt is 0755, f2.txt 0644, dir/sub a directory
  chmod 0644 "$CTX/f2.txt" "$CTX/dir/a.txt" "$CTX/dir/sub/b.txt" && chmod 0755 "$CTX/dir/sub"
  copy_both_ways 0 --dest /sym/ --chmod go-rwx,u+w f1.txt f2.txt
  [ "$(stat -c %a "$ROOT/sym/f1.txt" "$ROOT/sym/f2.txt")" = $'700\n600' ]
  copy_both_ways 0 --dest /rx/ --chmod a=rX dir f1.txt f2.txt # X: directories, and files some x bit
  [ "$(stat -c %a "$ROOT/rx/a.txt" "$ROOT/rx/sub" "$ROOT/rx/sub/b.txt" "$ROOT/rx/f1.txt" "$ROOT/rx/f2.txt")" = $'444\n555\n444\n555\n444' ]
  copy_both_ways 0 --dest /copied --chmod u+s,g=u,o-rx f1.txt # g=u: the group gets the owner's bits
  [ "$(stat -c %a "$ROOT/copied")" = 4770 ]
  copy_both_ways 125 --dest /bad --chmod u+q f1.txt
  [[ $stderr == *"--chmod=u+q: not an octal mode (at most 07777) nor symbolic clauses such as u+x,go-w"* ]]
  [ ! -e "$ROOT/bad" ]
  copy_both_ways 0 --dest /uidonly --chown 77 f1.txt
  [ "$(stat -c '%u:%g' "$ROOT/uidonly")" = '77:77' ]
  copy_both_ways 0 --dest /ex/ --exclude '**/*.txt' --exclude '!sub/b.txt' dir
  [ ! -e "$ROOT/ex/a.txt" ] && [ -f "$ROOT/ex/sub/b.txt" ]
  # a named symlink is followed inside the context and keeps its name; one a wildcard
  # matched is copied as a link
  ln -s dir/a.txt "$CTX/link.txt"
  copy_both_ways 0 --dest /named/ link.txt
  [ -f "$ROOT/named/link.txt" ] && [ ! -L "$ROOT/named/link.txt" ] && [ "$(cat "$ROOT/named/link.txt")" = a ]
  copy_both_ways 0 --dest /matched/ 'link.*'
  [ "$(readlink "$ROOT/matched/link.txt")" = dir/a.txt ]
  [ "$(hash_of --include link.txt)" != "$(hash_of --include 'link.*')" ]
  # --keep-owners (COPY --from a stage): each file keeps its own owner, in the copy and in the
  # digest; it and --chown exclude each other
  chown 1234:5678 "$CTX/f1.txt"
  copy_both_ways 0 --dest /kept/ --keep-owners f1.txt
  [ "$(stat -c %u:%g "$ROOT/kept/f1.txt")" = 1234:5678 ]
  [ "$(hash_of --include f1.txt --keep-owners)" != "$(hash_of --include f1.txt)" ]
  copy_both_ways 125 --dest /both --keep-owners --chown 1:1 f1.txt
  [[ $stderr == *"context-copy: --chown and --keep-owners: give one"* ]]
  chown 0:0 "$CTX/f1.txt"
  # without --chown the copy is root's, whoever owned the context's file (Docker)
  chown 4321 "$CTX/f2.txt"
  copy_both_ways 0 --dest /rootowned f2.txt
  [ "$(stat -c %u "$ROOT/rootowned")" = 0 ]
}

@test "context-copy --expect: the digest of what it wrote is the hash the key came from, for every COPY form; a file rewritten in place since is refused" {
  make_context
  mkdir -p "$CTX/dir/sub"
  printf 'a\n' > "$CTX/dir/a.txt"
  printf 'b\n' > "$CTX/dir/sub/b.txt"
  printf 'f\n' > "$CTX/f1.txt"
  ln -s dir/a.txt "$CTX/link.txt"
  mkfifo "$CTX/dir/pipe"
  local -a form
  local digest
  # what context-copy computes from the bytes it writes equals what context-hash read, for
  # directories, a file, a file to a file, wildcards, links, a FIFO, --chown, --chmod, --exclude
  for form in 'dir' 'f1.txt' 'dir f1.txt' 'f*.txt' 'link.*' 'link.txt' \
    '--chown 1000:2000 --chmod 640 dir f1.txt' '--chmod a=rX,u+w dir f1.txt' '--keep-owners dir' "--exclude **/b.txt dir"; do
    read -ra form <<< "$form"
    local -a options=() sources=()
    while ((${#form[@]})); do
      if [[ ${form[0]} == --* ]]; then options+=("${form[0]}" "${form[1]}") && form=("${form[@]:2}"); else sources+=("${form[0]}") && form=("${form[@]:1}"); fi
    done
    local -a includes=()
    for digest in "${sources[@]}"; do includes+=(--include "$digest"); done
    digest=$(hash_of "${includes[@]}" "${options[@]}")
    rm -rf "$ROOT" && mkdir -p "$ROOT"
    copy_both_ways 0 --dest /out/ --expect "$digest" "${options[@]}" -- "${sources[@]}"
  done
  # the attack: the file is rewritten in place (same inode, so every device and inode check
  # passes) after the hash that made the key; the copy is refused, whatever it wrote
  digest=$(hash_of --include f1.txt)
  local inode
  inode=$(stat -c %i "$CTX/f1.txt")
  printf 'evil\n' > "$CTX/f1.txt"
  [ "$(stat -c %i "$CTX/f1.txt")" = "$inode" ]
  rm -rf "$ROOT" && mkdir -p "$ROOT"
  copy_both_ways 125 --dest /out/ --expect "$digest" -- f1.txt
  [[ $stderr == *"$CTX changed while it was copied: what was copied is sha256:"*", not $digest as it was when the step's cache key was made"* ]]
  # an --expect that is not a digest is refused before anything is read
  rm -rf "$ROOT" && mkdir -p "$ROOT"
  copy_both_ways 125 --dest /out/ --expect "sha256:../../x" -- f1.txt
  [[ $stderr == *"--expect sha256:../../x: not sha256: and 64 lowercase hex digits"* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "a copied tree runs in a container: inside it sees the files, outside the host is unchanged" {
  make_context
  cp -a "$ROOTFS/." "$ROOT/"
  mkdir -p "$CTX/site"
  printf 'hello from the context\n' > "$CTX/site/index.txt"
  ln -s "$OUT/secret" "$CTX/site/leak"
  run -0 "$H" context-copy --context "$CTX" --rootfs "$ROOT" --dest /srv . --chmod 644
  printf 'name: %s\nservices:\n  app:\n    image: rootfs:%s\n    network_mode: none\n    command: ["/bin/true"]\n' "$PROJECT" "$ROOT" > "$TEST_DIR/app.yaml.in"
  compile_spec app < "$TEST_DIR/app.yaml.in"
  run -0 --separate-stderr "$SCRIPT" run --rm app cat /srv/site/index.txt
  [ "$output" = 'hello from the context' ]
  # the link points at a path that does not exist in the container: no host file behind it
  run --separate-stderr "$SCRIPT" run --rm app cat /srv/site/leak
  [ "$status" -ne 0 ]
  [[ $output != *'host secret'* ]]
  secret_untouched
}
