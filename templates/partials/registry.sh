
# ---- Registries: pulling over the OCI distribution API (HTTP, with curl) ----------
# GET /v2/REPO/manifests/REF and /v2/REPO/blobs/DIGEST. A registry that answers 401 with
# a Bearer challenge (Docker Hub and most others) gets a token from the challenge's realm,
# anonymously or with TUPPER_REGISTRY_USER and TUPPER_REGISTRY_PASSWORD; a Basic challenge
# gets those credentials. They travel in files in the pull's directory (mode 0700),
# never on a command line that ps would show, and never in a plan. They belong to the one
# registry TUPPER_REGISTRY_HOST names (registry_credentials_may_go).
# curl's time limits keep a registry that stalls from holding the image lock for ever: a
# document (manifest, index, config, token: a few KB) must arrive within DOCUMENT_TIME
# seconds; a blob (a layer may be GBs on a slow link) has no total time but is given up
# when it moves slower than 1 KB/s for a minute (--speed-limit/--speed-time, as apt's and
# Docker's stall timeouts do); --retry tries each at most 3 more times.
readonly DOCUMENT_TIME=60
readonly -a SLOW_ABORT=(--speed-limit 1024 --speed-time 60)
readonly MANIFEST_TYPES=(
  application/vnd.oci.image.index.v1+json
  application/vnd.docker.distribution.manifest.list.v2+json
  application/vnd.oci.image.manifest.v1+json
  application/vnd.docker.distribution.manifest.v2+json
)

# REPLY = the base URL of registry $1: plain HTTP for a loopback registry (Docker treats
# those as insecure too) or one named in TUPPER_INSECURE_REGISTRIES, HTTPS otherwise.
registry_url() {
  local host=$1
  if [[ $host == docker.io ]]; then REPLY=https://registry-1.docker.io; return 0; fi
  case ${host%:*} in
    localhost | 127.* | '[::1]') REPLY="http://$host" ;;
    *) if [[ " ${TUPPER_INSECURE_REGISTRIES:-} " == *" $host "* ]]; then REPLY="http://$host"; else REPLY="https://$host"; fi ;;
  esac
}

# Succeeds when TUPPER_REGISTRY_USER's credentials may go to registry $1, and, given $2, to
# its token realm $2; otherwise fails, with REPLY saying why when credentials are set ('' if
# none are). Docker keeps credentials per registry host (config.json's "auths") and sends
# them to that registry and to the realm its challenge names; a realm is the registry's word,
# and a registry that is not the user's, or a redirect, could name any host. tupper is
# stricter: the credentials go only to the registry TUPPER_REGISTRY_HOST names, Basic to it
# alone, and to a realm only on that same host[:port] (Docker Hub's is auth.docker.io, known
# here rather than taken from the challenge), never over plain HTTP for an HTTPS registry.
# A realm elsewhere is asked for an anonymous token.
registry_credentials_may_go() {
  local registry=${1,,} realm=${2:-} url scheme authority want=${TUPPER_REGISTRY_HOST:-}
  REPLY=''
  [[ -n ${TUPPER_REGISTRY_USER:-} ]] || return 1
  if [[ -z $want ]]; then
    REPLY="TUPPER_REGISTRY_USER is set but TUPPER_REGISTRY_HOST is not, so tupper sends the credentials nowhere: set TUPPER_REGISTRY_HOST=$registry to send them to $registry"
    return 1
  fi
  if [[ ${want,,} != "$registry" ]]; then
    untrusted_text "$want"
    REPLY="the credentials in TUPPER_REGISTRY_USER are for TUPPER_REGISTRY_HOST=$REPLY, not for $registry: they were not sent"
    return 1
  fi
  [[ -n $realm ]] || return 0
  registry_url "$registry"
  url=$REPLY
  untrusted_text "$realm"
  if ! [[ ${realm,,} =~ ^(https?)://([^/?#@]+)([/?#].*)?$ ]]; then
    REPLY="the token realm $REPLY of $registry is not an http(s) URL with a plain host: the credentials were not sent to it"
    return 1
  fi
  scheme=${BASH_REMATCH[1]} authority=${BASH_REMATCH[2]}
  authority=${authority%:443}; [[ $scheme == https ]] || authority=${authority%:80}
  if [[ $url == https://* && $scheme != https ]]; then
    REPLY="the token realm $REPLY of $registry is plain HTTP: the credentials were not sent to it"
    return 1
  fi
  url=${url#*://}
  if [[ $authority == "$url" || ($registry == docker.io && $authority == auth.docker.io) ]]; then return 0; fi
  REPLY="the token realm $REPLY is not on $registry's host ($url): the credentials were not sent to it, a token was asked for anonymously"
  return 1
}

# Fetches /v2/$3 of registry $1 (for repository $2) into file $4, resuming a partial file
# when $5 is resume, refusing an answer of more than $6 bytes ('' = no bound), with the
# Accept headers $7...; answers one 401 challenge and retries. The registry is hostile until
# its answer is verified, so curl
#   - keeps no error body (--fail): a 404 or 500 page never lands in $4, nor is it resumed
#     into a blob by the next pull (as Docker and containers/image read an error body into
#     memory, bounded, and never into the blob's file);
#   - follows redirects (registries send blobs to a CDN) over HTTP(S) only, and from an
#     HTTPS registry to HTTPS only, at most 5 of them: no file:, no other scheme, no downgrade;
#   - stops an answer larger than the size it should have (--max-filesize, and the size is
#     checked again once it is written, for an answer that did not announce its length).
# Its own messages go to PULL_DIR/curl-errors (unless a progress bar is shown on stderr) and
# are shown when the fetch fails.
registry_get() {
  local registry=$1 repository=$2 path=$3 target=$4 resume=$5 max=$6 status attempt url rc size limit='it should have'
  shift 6
  if [[ $max == "$MAX_DOCUMENT" ]]; then limit='tupper reads in a manifest or config (its JSON reader in bash is slow on larger ones)'; fi
  local -a args=(-sS --fail -L --max-redirs 5 --proto '=http,https' --connect-timeout 10 --retry 3 "${SLOW_ABORT[@]}" -D "$PULL_DIR/headers" -w '%{http_code}' -o "$target")
  local accept
  local -a errors=(--stderr "$PULL_DIR/curl-errors")
  for accept; do args+=(-H "Accept: $accept"); done
  if [[ -n $max ]]; then args+=(--max-filesize "$max"); fi
  if [[ $resume == resume ]]; then args+=(-C -); else args+=(--max-time "$DOCUMENT_TIME"); fi
  if [[ -t 2 && $resume == resume ]]; then args=("${args[@]/#-sS/-S}" --progress-bar); errors=(); fi
  registry_url "$registry"
  if [[ $REPLY == https://* ]]; then args+=(--proto-redir '=https'); else args+=(--proto-redir '=http,https'); fi
  url="$REPLY/v2/$path"
  for attempt in 1 2; do
    if [[ -e $PULL_DIR/auth ]]; then args+=(-H "@$PULL_DIR/auth"); fi
    rc=0
    status=$(curl -q "${args[@]}" "${errors[@]}" -- "$url") || rc=$?
    status=${status: -3} # curl writes it once per attempt when it retries
    case $rc in
      0 | 22) ;; # 22: an HTTP error, whose body curl did not write; its status is below
      63)
        host rm -f -- "$target"
        die "$registry answered $url with a body larger than the $max bytes $limit: it was refused" ;;
      *)
        if ((${#errors[@]})); then cat -- "$PULL_DIR/curl-errors" >&2; fi
        die "cannot fetch $url (curl failed, see above): check that $registry is reachable from this host, or set TUPPER_INSECURE_REGISTRIES for a registry without HTTPS" ;;
    esac
    case $status in
      200 | 206)
        if [[ -n $max ]] && ((PLAN == 0)); then
          size=$(stat -c %s -- "$target") || die "cannot read $target"
          if ((size > max)); then
            host rm -f -- "$target"
            die "$registry answered $url with $size bytes, larger than the $max bytes $limit: it was refused"
          fi
        fi
        return 0 ;;
      401)
        if ((attempt > 1)); then
          registry_credentials_may_go "$registry" || [[ -z $REPLY ]] || die "$registry refused access to $repository (HTTP 401); $REPLY"
          die "$registry refused access to $repository (HTTP 401): set TUPPER_REGISTRY_USER and TUPPER_REGISTRY_PASSWORD to an account that may pull it, and TUPPER_REGISTRY_HOST=$registry"
        fi
        registry_login "$registry" "$repository" ;;
      404) die "$registry has no ${path/\/manifests\// tagged } (HTTP 404): check the image's name and tag in the spec" ;;
      416) return 0 ;; # a resumed download that was already complete
      *) die "$registry answered HTTP $status for $url" ;;
    esac
  done
}

# Answers the 401 challenge in PULL_DIR/headers for repository $2 of registry $1: writes
# the Authorization header to PULL_DIR/auth.
registry_login() {
  local registry=$1 repository=$2 line challenge='' rest realm='' service='' scope='' credentials
  while IFS= read -r line; do
    line=${line%$'\r'}
    if [[ ${line,,} == www-authenticate:* ]]; then challenge=${line#*:}; challenge=${challenge# }; fi
  done < "$PULL_DIR/headers"
  case $challenge in
    [Bb]asic*)
      registry_credentials_may_go "$registry" || die "$registry needs a login to pull $repository: ${REPLY:-set TUPPER_REGISTRY_USER, TUPPER_REGISTRY_PASSWORD and TUPPER_REGISTRY_HOST=$registry}"
      credentials=$(printf '%s:%s' "$TUPPER_REGISTRY_USER" "${TUPPER_REGISTRY_PASSWORD:-}" | base64 -w0)
      printf 'Authorization: Basic %s\n' "$credentials" > "$PULL_DIR/auth" ;;
    [Bb]earer*)
      rest=${challenge#* }
      while [[ $rest =~ ^[[:space:]]*([A-Za-z_]+)=\"([^\"]*)\"[[:space:]]*,?(.*)$ ]]; do
        case ${BASH_REMATCH[1]} in
          realm) realm=${BASH_REMATCH[2]} ;;
          service) service=${BASH_REMATCH[2]} ;;
          scope) scope=${BASH_REMATCH[2]} ;;
        esac
        rest=${BASH_REMATCH[3]}
      done
      [[ -n $realm ]] || die "$registry asked for a token without saying where to get it (no realm in: $challenge)"
      registry_token "$registry" "$realm" "$service" "${scope:-repository:$repository:pull}"
      printf 'Authorization: Bearer %s\n' "$REPLY" > "$PULL_DIR/auth" ;;
    *) die "$registry answered 401 without a challenge tupper knows (WWW-Authenticate: ${challenge:-none})" ;;
  esac
}

# REPLY = a bearer token from realm $2 for service $3 and scope $4 (registry $1).
registry_token() {
  local registry=$1 realm=$2 service=$3 scope=$4 status text
  # the realm is the registry's word: over HTTP(S) only (a file: realm would read a host
  # file as the token), no redirect followed, its answer at most MAX_DOCUMENT (what json_parse
  # reads in seconds; tokens are a few KB; containers/image's MaxAuthTokenBodySize is 1 MiB)
  local -a args=(-sS -G --proto '=http,https' --max-filesize "$MAX_DOCUMENT" --connect-timeout 10 --max-time "$DOCUMENT_TIME" --retry 3 -o "$PULL_DIR/token" -w '%{http_code}' --data-urlencode "scope=$scope")
  if [[ -n $service ]]; then args+=(--data-urlencode "service=$service"); fi
  if registry_credentials_may_go "$registry" "$realm"; then
    # curl reads the credentials from a file: `user = "NAME:PASSWORD"`, quotes and backslashes escaped
    local user="$TUPPER_REGISTRY_USER:${TUPPER_REGISTRY_PASSWORD:-}"
    user=${user//\\/\\\\} user=${user//\"/\\\"}
    printf 'user = "%s"\n' "$user" > "$PULL_DIR/credentials"
    args+=(-K "$PULL_DIR/credentials")
  elif [[ -n $REPLY ]]; then
    note "$REPLY"
  fi
  untrusted_text "$realm"
  local shown=$REPLY
  status=$(curl -q "${args[@]}" -- "$realm") || die "cannot fetch a token from $shown to pull from $registry (curl failed, see above)"
  [[ $status == 200 ]] || die "$shown refused a token for $scope (HTTP $status): set TUPPER_REGISTRY_USER and TUPPER_REGISTRY_PASSWORD if the image is private"
  document_size_check "$PULL_DIR/token" "the token from $shown"
  read -r -d '' text < "$PULL_DIR/token" || true
  json_parse "$text" || die "the token from $shown is not JSON ($REPLY)"
  REPLY=${JSON[.token]:-${JSON[.access_token]:-}}
  [[ -n $REPLY ]] || die "the answer from $shown holds no token"
}

# Resolves tag or digest $3 of repository $2 at registry $1 to the image manifest for this
# host's platform: MANIFEST_FILE is its text, verified against its digest when one is known.
registry_manifest() {
  local registry=$1 repository=$2 reference=$3 file="$PULL_DIR/manifest" digest
  registry_get "$registry" "$repository" "$repository/manifests/$reference" "$file" once "$MAX_DOCUMENT" "${MANIFEST_TYPES[@]}"
  if [[ $reference == sha256:* ]]; then blob_verify "$file" "$reference" "the manifest $reference of $registry/$repository"; fi
  manifest_read "$file" "$registry/$repository"
  if [[ $MANIFEST_KIND == index ]]; then
    platform_choose "$registry/$repository:$reference"
    digest=$REPLY
    registry_get "$registry" "$repository" "$repository/manifests/$digest" "$file" once "$MAX_DOCUMENT" "${MANIFEST_TYPES[@]}"
    blob_verify "$file" "$digest" "the manifest $digest of $registry/$repository"
    manifest_read "$file" "$registry/$repository"
    [[ $MANIFEST_KIND == image ]] || die "$registry/$repository: the index entry for this platform is not an image manifest"
  fi
}

# Makes blob $3 of repository $2 at registry $1 present and verified in the blob store: $4 is
# its size when the manifest gives one (the config's: at most MAX_DOCUMENT), $5 what it is.
# The digest is checked before it names the download's file or URL. A partial download stays
# in BLOBS_DIR/partial (mode 0700: root's alone) and is resumed by the next pull.
registry_blob() {
  local registry=$1 repository=$2 digest=$3 size=${4:-} what=$5 hex max
  digest_check "$digest" "the $what digest of $registry/$repository"
  hex=${digest#sha256:}
  if [[ -n $size ]]; then size_check "$size" "the size of $what $digest"; fi
  max=${size:-}
  if [[ $what == config ]]; then max=$MAX_DOCUMENT; fi
  if [[ -e $BLOBS_DIR/sha256/$hex ]]; then return 0; fi
  host mkdir -p -- "$BLOBS_DIR/partial" "$BLOBS_DIR/sha256"
  host chmod 0700 -- "$BLOBS_DIR/partial"
  [[ -t 2 ]] || note "pulling $what $digest${size:+ ($size bytes)}"
  if ! registry_get "$registry" "$repository" "$repository/blobs/$digest" "$BLOBS_DIR/partial/$hex" resume "$max"; then
    die "cannot fetch $what $digest of $registry/$repository"
  fi
  if ! blob_verify "$BLOBS_DIR/partial/$hex" "$digest" "$what $digest of $registry/$repository" keep; then
    host rm -f -- "$BLOBS_DIR/partial/$hex"
    die "$REPLY"
  fi
  host mv -- "$BLOBS_DIR/partial/$hex" "$BLOBS_DIR/sha256/$hex"
}
