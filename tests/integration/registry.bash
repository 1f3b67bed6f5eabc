# Real registries for the image tests: Debian's docker-registry (distribution
# 2.8) on 127.0.0.1, on ports the kernel picks, with its storage in a private
# directory $REG_DIR under $SKIFF_TEST_WORK; skopeo and umoci as the peers
# that push to it and unpack; a test image made by tests/helpers/make-image.py.
#
#   registry_require              in setup_file: REG_SKIP says what is missing
#   registry_start_plain          plain HTTP, no auth:          REG_PLAIN=127.0.0.1:PORT
#   registry_start_tls            TLS (a CA of the test) and htpasswd basic auth:
#                                 REG_TLS, REG_CA (the CA cert), REG_CERT_DIR (a dir
#                                 with only ca.crt, for skopeo's --cert-dir),
#                                 REG_USER, REG_PASS
#   registry_start_token          plain HTTP, `auth: token` with the token server of
#                                 tests/helpers/token-server.py: REG_TOKEN,
#                                 REG_TOKEN_REALM, REG_TOKEN_SERVICE,
#                                 REG_TOKEN_ISSUER, REG_PUBLIC_REPO (anonymous pull)
#   registry_netns_start          a private network namespace (only lo, up) for
#                                 what follows: REG_NETNS is the pid of the process
#                                 that holds it; the registries started after it,
#                                 reg_curl, reg_skopeo and reg_ns CMD run in it
#   _reg_serve NAME http "" ""    one more plain registry in $REG_DIR/NAME: REG_ADDR
#   registry_stop_all             in teardown_file: stops every process started
#                                 here by its pid, removes $REG_DIR
#   make_test_image DIR [opts]    the OCI layout (see make-image.py; --index-tag T
#                                 adds the amd64+arm64 index)
#   layout_digest DIR TAG         the digest that TAG has in the layout
#   reg_skopeo ARGS...            skopeo, kept off the host's state
#   skopeo_push_{plain,tls,token} [FLAGS...] LAYOUT:TAG REPO:TAG
#   reg_curl ARGS...              curl, never through a proxy
#   reg_push_raw LAYOUT TAG HOST REPO:TAG   the layout's blobs and the manifests
#                                 of TAG as they are (media types kept: Docker's
#                                 too), with curl, to a plain registry
#
# Every process is recorded in $REG_DIR/pids ("PID NAME PORT") and stopped by
# that pid; nothing is written outside of $REG_DIR and the test's own dirs.

load daemons

REG_HELPERS="$BATS_TEST_DIRNAME/../helpers"

# loopback only: no request of the tests may go through a proxy
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

registry_require() {
  export REG_SKIP=""
  local b
  for b in docker-registry skopeo umoci htpasswd openssl python3 curl ss unshare; do
    command -v "$b" > /dev/null && continue
    REG_SKIP="$b is not installed (scripts/install-deps installs the REGISTRY packages)"
    return 0
  done
}

# $REG_DIR (made once), the user of the registries with auth, skopeo's
# private policy and auth file
registry_init() {
  [ -n "${REG_DIR:-}" ] && [ -d "$REG_DIR" ] && return 0
  REG_DIR=$(mktemp -d "$SKIFF_TEST_WORK/registry.XXXXXX")
  REG_USER=skiff
  REG_PASS=$(openssl rand -hex 12)
  export REG_DIR REG_USER REG_PASS
  mkdir -p "$REG_DIR/tmp"
  : > "$REG_DIR/pids"
  echo '{"default": [{"type": "insecureAcceptAnything"}]}' > "$REG_DIR/policy.json"
  echo '{"auths": {}}' > "$REG_DIR/auth.json"
}

# CMD in the private network namespace when there is one, as it is otherwise
reg_ns() {
  if [ -n "${REG_NETNS:-}" ]; then
    nsenter --target "$REG_NETNS" --net -- "$@"
  else
    "$@"
  fi
}

# A network namespace with only lo, held by a process that names $REG_DIR
# (so that registry_stop_all stops it); it goes when that process does.
registry_netns_start() {
  registry_init
  local pid i
  unshare --net -- python3 -c 'import signal; signal.pause()' "$REG_DIR/netns" \
    > /dev/null 2>&1 < /dev/null 3>&- &
  pid=$!
  echo "$pid netns -" >> "$REG_DIR/pids"
  for i in $(seq 50); do
    [ "$(readlink "/proc/$pid/ns/net" 2> /dev/null)" != "$(readlink /proc/self/ns/net)" ] && break
    sleep 0.1
  done
  [ "$(readlink "/proc/$pid/ns/net" 2> /dev/null)" != "$(readlink /proc/self/ns/net)" ] ||
    { echo "no private network namespace"; return 1; }
  nsenter --target "$pid" --net -- ip link set lo up || return 1
  export REG_NETNS=$pid
}

reg_curl() {
  reg_ns curl --noproxy '*' --silent --show-error --max-time 20 "$@"
}

_reg_free_port() {
  reg_ns python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# the HTTP status of GET /v2/ (000 when nothing answers)
_reg_v2_status() { # SCHEME HOSTPORT [curl options]
  local scheme=$1 hostport=$2
  shift 2
  reg_ns curl --noproxy '*' --silent --max-time 5 -o /dev/null -w '%{http_code}' "$@" \
    "$scheme://$hostport/v2/" 2> /dev/null || true
}

# _reg_serve NAME SCHEME HTTP_EXTRA AUTH [curl options]: a registry in
# $REG_DIR/NAME, HTTP_EXTRA and AUTH being YAML put under http: and at the top.
# A port taken between the choice and the bind is retried with another one.
# Sets REG_ADDR.
_reg_serve() {
  local name=$1 scheme=$2 http_extra=$3 auth=$4
  shift 4
  local dir="$REG_DIR/$name" try port pid i code ns=()
  # started as itself (not in a function) so that $! is the registry
  [ -n "${REG_NETNS:-}" ] && ns=(nsenter --target "$REG_NETNS" --net --)
  mkdir -p "$dir/storage"
  for try in 1 2 3 4 5; do
    port=$(_reg_free_port)
    cat > "$dir/config.yml" << EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
  secret: $(openssl rand -hex 16)
  headers:
    X-Content-Type-Options: [nosniff]
$http_extra
$auth
EOF
    # fd 3 is bats' own: a daemon holding it would make bats wait for it;
    # the registry reads REGISTRY_* variables as configuration: none of them
    "${ns[@]}" env $(compgen -e | grep '^REGISTRY_' | sed 's/^/-u /') docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 < /dev/null 3>&- &
    pid=$!
    echo "$pid registry-$name $port" >> "$REG_DIR/pids"
    for i in $(seq 100); do
      code=$(_reg_v2_status "$scheme" "127.0.0.1:$port" "$@")
      if [ "$code" != 000 ]; then
        REG_ADDR=127.0.0.1:$port
        return 0
      fi
      kill -0 "$pid" 2> /dev/null || break
      sleep 0.1
    done
    stop_pid "$pid" "registry $name"
    grep -q 'address already in use' "$dir/registry.log" && continue
    break
  done
  echo "registry $name did not start; the end of its log:"
  tail -n 20 "$dir/registry.log"
  return 1
}

registry_start_plain() {
  registry_init
  _reg_serve plain http "" "" || return 1
  export REG_PLAIN=$REG_ADDR
}

# A CA of the test and a server certificate for 127.0.0.1 and localhost
_reg_make_ca() {
  local d="$REG_DIR/ca"
  [ -f "$d/server.crt" ] && return 0
  mkdir -p "$d/certs"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=skiff test CA" -keyout "$d/ca.key" -out "$d/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2> "$d/openssl.log" &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
      -keyout "$d/server.key" -out "$d/server.csr" 2>> "$d/openssl.log" &&
    printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" > "$d/server.ext" &&
    openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
      -days 2 -extfile "$d/server.ext" -out "$d/server.crt" 2>> "$d/openssl.log" ||
    { echo "making the test CA failed:"; cat "$d/openssl.log"; return 1; }
  # skopeo's --cert-dir takes *.crt as CAs and *.key as client keys: only the CA
  cp "$d/ca.crt" "$d/certs/ca.crt"
}

registry_start_tls() {
  registry_init
  _reg_make_ca || return 1
  local d="$REG_DIR/tls"
  mkdir -p "$d"
  htpasswd -Bbn "$REG_USER" "$REG_PASS" > "$d/htpasswd" || return 1
  _reg_serve tls https "  tls:
    certificate: $REG_DIR/ca/server.crt
    key: $REG_DIR/ca/server.key" "auth:
  htpasswd:
    realm: skiff-test-registry
    path: $d/htpasswd" --cacert "$REG_DIR/ca/ca.crt" || return 1
  export REG_TLS=$REG_ADDR REG_CA="$REG_DIR/ca/ca.crt" REG_CERT_DIR="$REG_DIR/ca/certs"
}

# The token server on a port of its own: sets REG_TOKEN_REALM
_reg_start_token_server() {
  local d="$REG_DIR/token-server" pid i
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=skiff test token issuer" \
    -keyout "$d/signing.key" -out "$d/signing.crt" 2> "$d/openssl.log" ||
    { echo "making the signing key failed:"; cat "$d/openssl.log"; return 1; }
  echo "$REG_USER:$REG_PASS" > "$d/users"
  python3 "$REG_HELPERS/token-server.py" --key "$d/signing.key" --cert "$d/signing.crt" \
    --users "$d/users" --port-file "$d/port" --issuer "$REG_TOKEN_ISSUER" \
    --service "$REG_TOKEN_SERVICE" --public-repo "$REG_PUBLIC_REPO" \
    > "$d/token-server.log" 2>&1 < /dev/null 3>&- &
  pid=$!
  for i in $(seq 100); do
    [ -s "$d/port" ] && break
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  echo "$pid token-server $(cat "$d/port" 2> /dev/null)" >> "$REG_DIR/pids"
  if [ ! -s "$d/port" ]; then
    echo "the token server did not start; its log:"
    tail -n 20 "$d/token-server.log"
    return 1
  fi
  export REG_TOKEN_REALM="http://127.0.0.1:$(cat "$d/port")/token" REG_TOKEN_SIGNING_CERT="$d/signing.crt"
}

registry_start_token() {
  registry_init
  export REG_TOKEN_SERVICE=skiff-test-registry REG_TOKEN_ISSUER=skiff-test-token-server
  export REG_PUBLIC_REPO=${REG_PUBLIC_REPO:-public/busybox}
  _reg_start_token_server || return 1
  _reg_serve token http "" "auth:
  token:
    realm: $REG_TOKEN_REALM
    service: $REG_TOKEN_SERVICE
    issuer: $REG_TOKEN_ISSUER
    rootcertbundle: $REG_TOKEN_SIGNING_CERT" || return 1
  export REG_TOKEN=$REG_ADDR
}

# The processes whose command line names $REG_DIR: every one started here
registry_processes() {
  [ -n "${REG_DIR:-}" ] || return 0
  local p
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    tr '\0' ' ' 2> /dev/null < "$p/cmdline" | grep -qF "$REG_DIR/" && echo "${p#/proc/}"
  done
  true
}

# Stops every process of $REG_DIR/pids, newest first, by its pid (when that pid
# is still one of ours), then any other process naming $REG_DIR, and removes it.
registry_stop_all() {
  [ -n "${REG_DIR:-}" ] && [ -d "$REG_DIR" ] || return 0
  local pid name port p
  while read -r pid name port; do
    [ -e "/proc/$pid" ] || continue
    tr '\0' ' ' 2> /dev/null < "/proc/$pid/cmdline" | grep -qF "$REG_DIR/" || continue
    stop_pid "$pid" "$name"
  done < <(tac "$REG_DIR/pids")
  for p in $(registry_processes); do stop_pid "$p" "process $p"; done
  rm -rf "$REG_DIR"
}

make_test_image() {
  local dir=$1
  shift
  python3 "$REG_HELPERS/make-image.py" --rootfs "$ROOTFS" "$@" "$dir"
}

layout_digest() { # DIR TAG
  jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
    "$1/index.json"
}

# skopeo with a policy and an auth file of $REG_DIR, its temporary files
# there, in a mount namespace whose /var/lib is an empty tmpfs: as root, it
# would make /var/lib/containers/cache on the host for its blob info cache.
reg_skopeo() {
  REGISTRY_AUTH_FILE="$REG_DIR/auth.json" TMPDIR="$REG_DIR/tmp" \
    reg_ns unshare --mount --propagation private -- sh -c \
    'mount -t tmpfs -o mode=0755,size=64m skiff-test-skopeo /var/lib && exec skopeo --policy "$0" "$@"' \
    "$REG_DIR/policy.json" "$@" 3>&-
}

# skopeo_push_KIND [FLAGS...] LAYOUT:TAG REPO:TAG: copies from the layout
_reg_push() {
  local n=$#
  local src="${@:$((n - 1)):1}" dst="${@:$n:1}"
  reg_skopeo copy "${@:1:$((n - 2))}" "oci:$src" "docker://$dst"
}
skopeo_push_plain() {
  local n=$#
  _reg_push --dest-tls-verify=false "${@:1:$((n - 1))}" "$REG_PLAIN/${@:$n:1}"
}
skopeo_push_tls() {
  local n=$#
  _reg_push --dest-cert-dir "$REG_CERT_DIR" --dest-creds "$REG_USER:$REG_PASS" \
    "${@:1:$((n - 1))}" "$REG_TLS/${@:$n:1}"
}
skopeo_push_token() {
  local n=$#
  _reg_push --dest-tls-verify=false --dest-creds "$REG_USER:$REG_PASS" \
    "${@:1:$((n - 1))}" "$REG_TOKEN/${@:$n:1}"
}

# PUT of a manifest (a file of the layout) under REF, with its media type
_reg_put_manifest() { # FILE HOST REPO REF MEDIA_TYPE
  local code
  code=$(reg_curl -o /dev/null -w '%{http_code}' -X PUT -H "Content-Type: $5" \
    --data-binary "@$1" "http://$2/v2/$3/manifests/$4") || return 1
  [ "$code" = 201 ] || { echo "PUT of manifest $4 of $3: HTTP $code"; return 1; }
}

reg_push_raw() { # LAYOUT TAG HOST REPO:TAG
  local lay=$1 host=$3 repo=${4%:*} tag=${4##*:} f loc code top mt child cmt
  for f in "$lay"/blobs/sha256/*; do
    loc=$(reg_curl -X POST -o /dev/null -D - \
      "http://$host/v2/$repo/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p') || return 1
    [ -n "$loc" ] || { echo "no upload location for $repo"; return 1; }
    case "$loc" in /*) loc="http://$host$loc" ;; esac
    code=$(reg_curl -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/octet-stream' \
      --data-binary "@$f" "$loc&digest=sha256:$(basename "$f")") || return 1
    [ "$code" = 201 ] || { echo "PUT of blob $(basename "$f"): HTTP $code"; return 1; }
  done
  top=$(layout_digest "$lay" "$2")
  f="$lay/blobs/sha256/${top#sha256:}"
  mt=$(jq -r .mediaType "$f")
  # an index's manifests first, by their digests
  jq -r '.manifests[]? | "\(.digest) \(.mediaType)"' "$f" | while read -r child cmt; do
    _reg_put_manifest "$lay/blobs/sha256/${child#sha256:}" "$host" "$repo" "$child" "$cmt" || return 1
  done || return 1
  _reg_put_manifest "$f" "$host" "$repo" "$tag" "$mt"
}
