#!/usr/bin/env bats
# skiff's registry client (src/image/registry.c), driven by tests/helpers/
# regclient, against the registries of registry.bash (plain, TLS with basic
# auth, token auth), checked with skopeo and sha256sum; and against
# tests/helpers/flaky-blobs.py for what a real registry does not do on
# demand: 503s, a connection cut in the middle of a blob, a redirect to
# storage on another port, a wrong blob.

load registry

REGCLIENT="$SKIFF_HELPERS/regclient"

setup_file() {
  registry_require
  [ -z "$REG_SKIP" ] || return 0
  export IMG="$BATS_FILE_TMPDIR/image"
  make_test_image "$IMG"
  registry_start_plain
  registry_start_tls
  registry_start_token
  skopeo_push_plain "$IMG:latest" test/busybox:latest
  skopeo_push_tls "$IMG:latest" test/busybox:latest
  skopeo_push_token "$IMG:latest" private/busybox:latest
  skopeo_push_token "$IMG:latest" "$REG_PUBLIC_REPO:latest"
  # certs.d with the test's CA for the TLS registry, and one without
  export CERTS="$BATS_FILE_TMPDIR/certs.d" NO_CERTS="$BATS_FILE_TMPDIR/no-certs.d"
  mkdir -p "$CERTS/$REG_TLS" "$NO_CERTS"
  cp "$REG_CA" "$CERTS/$REG_TLS/ca.crt"
  export AUTH="$BATS_FILE_TMPDIR/auth.json" BAD_AUTH="$BATS_FILE_TMPDIR/bad-auth.json"
  local creds wrong
  creds=$(printf '%s' "$REG_USER:$REG_PASS" | base64 -w0)
  wrong=$(printf '%s' "$REG_USER:wrong" | base64 -w0)
  jq -n --arg t "$REG_TLS" --arg k "$REG_TOKEN" --arg c "$creds" \
    '{auths: {($t): {auth: $c}, ("http://" + $k): {auth: $c}}}' > "$AUTH"
  jq -n --arg t "$REG_TLS" --arg k "$REG_TOKEN" --arg c "$wrong" \
    '{auths: {($t): {auth: $c}, ($k): {auth: $c}}}' > "$BAD_AUTH"
  export MANIFEST_DIGEST
  MANIFEST_DIGEST=$(layout_digest "$IMG" latest)
}

teardown_file() {
  registry_stop_all
}

setup() {
  [ -z "$REG_SKIP" ] || skip "$REG_SKIP"
  STORE="$BATS_TEST_TMPDIR/store"
}

teardown() {
  if [ -n "${FLAKY_PID:-}" ]; then
    stop_pid "$FLAKY_PID" flaky-blobs
    [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -f "$FLAKY_LOG" ] && { echo "flaky-blobs' log:"; cat "$FLAKY_LOG"; }
  fi
  return 0
}

regclient() {
  "$REGCLIENT" "$@"
}

# DIGEST:SIZE of the config and of each layer of the test image
image_blobs() {
  jq -r '([.config] + .layers)[] | "\(.digest):\(.size)"' "$IMG/blobs/sha256/${MANIFEST_DIGEST#sha256:}"
}

# every blob of the store is named after its sha256, and nothing is being ingested
store_verifies() { # STORE COUNT
  local f n=0
  for f in "$1"/blobs/sha256/*; do
    [ -e "$f" ] || continue
    [ "$(sha256sum < "$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || { echo "$f does not match its name"; return 1; }
    n=$((n + 1))
  done
  [ "$n" -eq "$2" ] || { echo "$n blobs in the store, $2 expected"; return 1; }
  [ -z "$(ls -A "$1/ingest")" ] || { echo "left in ingest: $(ls -A "$1/ingest")"; return 1; }
}

# start_flaky [OPTIONS]: flaky-blobs.py serving the test image's blobs:
# FLAKY (127.0.0.1:PORT), FLAKY_STORAGE (its storage port), FLAKY_LOG, FLAKY_PID
start_flaky() {
  local d i
  d=$(mktemp -d "$REG_DIR/flaky.XXXXXX")
  python3 "$REG_HELPERS/flaky-blobs.py" --blobs "$IMG/blobs/sha256" --port-file "$d/ports" \
    --log "$d/requests.log" "$@" > "$d/flaky.log" 2>&1 < /dev/null 3>&- &
  FLAKY_PID=$!
  FLAKY_LOG="$d/requests.log"
  for i in $(seq 100); do
    [ -s "$d/ports" ] && break
    kill -0 "$FLAKY_PID" 2> /dev/null || break
    sleep 0.1
  done
  [ -s "$d/ports" ] || { echo "flaky-blobs did not start:"; cat "$d/flaky.log"; return 1; }
  read -r main storage < "$d/ports"
  echo "$FLAKY_PID flaky-blobs $main" >> "$REG_DIR/pids"
  FLAKY="127.0.0.1:$main" FLAKY_STORAGE="$storage"
}

@test "plain: the manifest by tag: its media type, its digest (the layout's), the body of that digest" {
  run regclient manifest "$REG_PLAIN" test/busybox latest
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "media-type: application/vnd.oci.image.manifest.v1+json" ]
  [ "${lines[1]}" = "digest: $MANIFEST_DIGEST" ]
  regclient manifest "$REG_PLAIN" test/busybox latest | sed 1,3d > "$BATS_TEST_TMPDIR/body"
  cmp "$BATS_TEST_TMPDIR/body" "$IMG/blobs/sha256/${MANIFEST_DIGEST#sha256:}"
}

@test "plain: the manifest by digest; an unknown tag or digest is a one-line error naming it" {
  run regclient manifest "$REG_PLAIN" test/busybox "$MANIFEST_DIGEST"
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = "digest: $MANIFEST_DIGEST" ]
  run regclient manifest "$REG_PLAIN" test/busybox nosuch
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [ "$output" = "regclient: $REG_PLAIN/test/busybox:nosuch: manifest unknown" ]
  local other=sha256:$(printf x | sha256sum | cut -d' ' -f1)
  run regclient manifest "$REG_PLAIN" test/busybox "$other"
  [ "$status" -eq 1 ]
  [ "$output" = "regclient: $REG_PLAIN/test/busybox@$other: manifest unknown" ]
  run regclient manifest "$REG_PLAIN" test/nosuch latest
  [ "$status" -eq 1 ]
  # distribution 2.8 says so of a repository it does not have too
  [ "$output" = "regclient: $REG_PLAIN/test/nosuch:latest: manifest unknown" ]
}

@test "plain: every blob fetched into the store, each file's sha256 its name; a second fetch finds them stored" {
  run regclient fetch "$REG_PLAIN" test/busybox "$STORE" $(image_blobs)
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 4 ]
  store_verifies "$STORE" 4
  local b
  for b in $(image_blobs); do
    [[ "$output" == *"stored ${b%:*}"* ]]
    cmp "$STORE/blobs/sha256/$(echo "$b" | cut -d: -f2)" "$IMG/blobs/sha256/$(echo "$b" | cut -d: -f2)"
  done
  # found in the store: reported as stored again
  run regclient fetch "$REG_PLAIN" test/busybox "$STORE" $(image_blobs)
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 4 ]
}

@test "fetch: at most --parallel blobs at a time, and more than one" {
  # each answer waits for a second GET: a client that overlaps two
  # transfers shows it on any machine; one that does not waits 10 s per blob
  start_flaky --hold 2
  run regclient --parallel 2 fetch "$FLAKY" test/busybox "$STORE" $(image_blobs)
  [ "$status" -eq 0 ]
  store_verifies "$STORE" 4
  local max
  max=$(sed -n 's/.* held .* in_flight=\([0-9]*\)$/\1/p' "$FLAKY_LOG" | sort -n | tail -1)
  [ "$max" -eq 2 ] # two requests in flight, never three
  rm -rf "$STORE"
  stop_pid "$FLAKY_PID" flaky-blobs
  start_flaky --delay 0.2
  run regclient --parallel 1 fetch "$FLAKY" test/busybox "$STORE" $(image_blobs)
  [ "$status" -eq 0 ]
  [ "$(sed -n 's/.* concurrent=\([0-9]*\)$/\1/p' "$FLAKY_LOG" | sort -n | tail -1)" -eq 0 ]
}

@test "TLS: refused without the CA, with a message naming the registry and where the CA goes; trusted with certs.d" {
  run regclient --certs-dir "$NO_CERTS" --auth-file "$AUTH" manifest "$REG_TLS" test/busybox latest
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == "regclient: TLS: certificate verify failed for $REG_TLS ("* ]]
  [[ "$output" == *"add its CA as $NO_CERTS/$REG_TLS/ca.crt)" ]]
  run regclient --certs-dir "$CERTS" --auth-file "$AUTH" manifest "$REG_TLS" test/busybox latest
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = "digest: $MANIFEST_DIGEST" ]
}

@test "TLS + basic auth: anonymous is denied in one line; the auth file's credentials pull; wrong ones are named" {
  run regclient --certs-dir "$CERTS" manifest "$REG_TLS" test/busybox latest
  [ "$status" -eq 1 ]
  [ "$output" = "regclient: pull access denied for $REG_TLS/test/busybox: unauthorized (the registry wants credentials: skiff login $REG_TLS)" ]
  run regclient --certs-dir "$CERTS" --auth-file "$BAD_AUTH" manifest "$REG_TLS" test/busybox latest
  [ "$status" -eq 1 ]
  [ "$output" = "regclient: pull access denied for $REG_TLS/test/busybox: unauthorized (with the credentials of $BAD_AUTH)" ]
  run regclient --certs-dir "$CERTS" --auth-file "$AUTH" fetch "$REG_TLS" test/busybox "$STORE" $(image_blobs)
  [ "$status" -eq 0 ]
  store_verifies "$STORE" 4
  # no secret in what it says
  [[ "$output" != *"$REG_PASS"* ]]
}

@test "token: anonymous pulls the public repository and is denied the private one; credentials pull it" {
  run regclient manifest "$REG_TOKEN" "$REG_PUBLIC_REPO" latest
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = "digest: $MANIFEST_DIGEST" ]
  run regclient manifest "$REG_TOKEN" private/busybox latest
  [ "$status" -eq 1 ]
  [ "$output" = "regclient: pull access denied for $REG_TOKEN/private/busybox: unauthorized (the registry wants credentials: skiff login $REG_TOKEN)" ]
  run regclient --auth-file "$BAD_AUTH" manifest "$REG_TOKEN" private/busybox latest
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == "regclient: $REG_TOKEN: the token server refused the credentials of $BAD_AUTH"* ]]
  run regclient --auth-file "$AUTH" manifest "$REG_TOKEN" private/busybox "$MANIFEST_DIGEST"
  [ "$status" -eq 0 ]
  run regclient --auth-file "$AUTH" fetch "$REG_TOKEN" private/busybox "$STORE" $(image_blobs)
  [ "$status" -eq 0 ]
  store_verifies "$STORE" 4
}

@test "push: blobs and a manifest pushed to the plain and the token registry; skopeo reads the same digests back; HEAD says which blobs are there" {
  local b hex
  for b in $(image_blobs); do
    hex=$(echo "$b" | cut -d: -f2)
    run regclient push-blob "$REG_PLAIN" test/pushed "$IMG/blobs/sha256/$hex"
    [ "$status" -eq 0 ]
    [ "$output" = "sha256:$hex" ]
    run regclient --auth-file "$AUTH" push-blob "$REG_TOKEN" private/pushed "$IMG/blobs/sha256/$hex"
    [ "$status" -eq 0 ]
  done
  local m="$IMG/blobs/sha256/${MANIFEST_DIGEST#sha256:}"
  run regclient put-manifest "$REG_PLAIN" test/pushed v1 application/vnd.oci.image.manifest.v1+json "$m"
  [ "$status" -eq 0 ]
  [ "$output" = "$MANIFEST_DIGEST" ]
  run regclient --auth-file "$AUTH" put-manifest "$REG_TOKEN" private/pushed v1 application/vnd.oci.image.manifest.v1+json "$m"
  [ "$status" -eq 0 ]
  [ "$output" = "$MANIFEST_DIGEST" ]
  reg_skopeo inspect --raw --tls-verify=false "docker://$REG_PLAIN/test/pushed:v1" > "$BATS_TEST_TMPDIR/raw"
  [ "sha256:$(sha256sum < "$BATS_TEST_TMPDIR/raw" | cut -d' ' -f1)" = "$MANIFEST_DIGEST" ]
  [ "$(reg_skopeo inspect --tls-verify=false "docker://$REG_PLAIN/test/pushed:v1" | jq -r .Digest)" = "$MANIFEST_DIGEST" ]
  [ "$(reg_skopeo inspect --tls-verify=false --creds "$REG_USER:$REG_PASS" "docker://$REG_TOKEN/private/pushed:v1" | jq -r .Digest)" = "$MANIFEST_DIGEST" ]
  run regclient exists "$REG_PLAIN" test/pushed "$(image_blobs | head -1 | cut -d: -f1,2)"
  [ "$output" = yes ]
  run regclient exists "$REG_PLAIN" test/pushed "sha256:$(printf nothing | sha256sum | cut -d' ' -f1)"
  [ "$output" = no ]
  # anonymous pushes to the token registry are refused in one line
  run regclient push-blob "$REG_TOKEN" "$REG_PUBLIC_REPO" "$IMG/blobs/sha256/$hex"
  [ "$status" -eq 1 ]
  [ "$output" = "regclient: push access denied for $REG_TOKEN/$REG_PUBLIC_REPO: unauthorized (the registry wants credentials: skiff login $REG_TOKEN)" ]
  # a manifest under a digest that is not its own is refused before sending
  run regclient put-manifest "$REG_PLAIN" test/pushed "sha256:$hex" application/vnd.oci.image.manifest.v1+json "$m"
  [ "$status" -eq 1 ]
  [[ "$output" == *"the manifest's digest is $MANIFEST_DIGEST" ]]
}

@test "mount: a blob of another repository is linked without an upload; one the registry lacks is not" {
  local layer
  layer=$(image_blobs | sed -n 2p | cut -d: -f1,2)
  run regclient exists "$REG_PLAIN" test/mounted "$layer"
  [ "$output" = no ]
  run regclient mount "$REG_PLAIN" test/mounted test/busybox "$layer"
  [ "$status" -eq 0 ]
  [ "$output" = mounted ]
  run regclient exists "$REG_PLAIN" test/mounted "$layer"
  [ "$output" = yes ]
  run regclient mount "$REG_PLAIN" test/mounted test/busybox "sha256:$(printf none | sha256sum | cut -d' ' -f1)"
  [ "$status" -eq 0 ]
  [ "$output" = "not mounted" ]
  # with a token: pull on the source, push on the target in one token
  run regclient --auth-file "$AUTH" mount "$REG_TOKEN" private/mounted private/busybox "$layer"
  [ "$status" -eq 0 ]
  [ "$output" = mounted ]
}

@test "retries: two 503s then the blob; 503s past the retries are a one-line error naming the blob" {
  local one
  one=$(image_blobs | head -1)
  start_flaky --fail 2
  run regclient fetch "$FLAKY" test/busybox "$STORE" "$one"
  [ "$status" -eq 0 ]
  [ "$(grep -c '^main GET /v2/test/busybox/blobs/' "$FLAKY_LOG")" -eq 3 ]
  store_verifies "$STORE" 1
  stop_pid "$FLAKY_PID" flaky-blobs
  start_flaky --fail 100 --status 429
  rm -rf "$STORE"
  run regclient fetch "$FLAKY" test/busybox "$STORE" "$one"
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [ "$output" = "regclient: $FLAKY/test/busybox@${one%:*}: unavailable: try again later" ]
  # 1 + 3 retries
  [ "$(grep -c '^main GET /v2/test/busybox/blobs/' "$FLAKY_LOG")" -eq 4 ]
  store_verifies "$STORE" 0
}

@test "resumption: a connection cut in the middle of a blob is continued with Range: bytes=K- from what arrived" {
  start_flaky --cut-once
  local b size
  b=$(image_blobs | sed -n 2p)
  size=${b##*:}
  run regclient fetch "$FLAKY" test/busybox "$STORE" "$b"
  [ "$status" -eq 0 ]
  store_verifies "$STORE" 1
  run grep -o 'range=[^ ]*' "$FLAKY_LOG"
  [ "${lines[0]}" = "range=-" ]
  [ "${lines[1]}" = "range=bytes=$((size / 2))-" ]
  [ "${#lines[@]}" -eq 2 ]
}

@test "resumption: a server that ignores the Range sends the whole blob again: the part already there is skipped" {
  start_flaky --cut-once --ignore-range
  local b
  b=$(image_blobs | sed -n 2p)
  run regclient fetch "$FLAKY" test/busybox "$STORE" "$b"
  [ "$status" -eq 0 ]
  store_verifies "$STORE" 1
  [ "$(grep -c 'range=bytes=' "$FLAKY_LOG")" -eq 1 ]
}

@test "redirects: blobs fetched from storage on another port, the registry's credentials not sent there" {
  start_flaky --redirect --basic "$REG_USER:$REG_PASS"
  jq -n --arg h "$FLAKY" --arg c "$(printf '%s' "$REG_USER:$REG_PASS" | base64 -w0)" \
    '{auths: {($h): {auth: $c}}}' > "$BATS_TEST_TMPDIR/auth.json"
  run regclient --auth-file "$BATS_TEST_TMPDIR/auth.json" fetch "$FLAKY" test/busybox "$STORE" $(image_blobs)
  [ "$status" -eq 0 ]
  store_verifies "$STORE" 4
  # the registry got the credentials (after its challenge), storage never
  [ "$(grep -c '^main GET /v2/test/busybox/blobs/.* auth=yes' "$FLAKY_LOG")" -eq 4 ]
  [ "$(grep -c '^storage GET /storage/' "$FLAKY_LOG")" -eq 4 ]
  [ "$(grep -c '^storage .* auth=yes' "$FLAKY_LOG")" -eq 0 ]
  # without them: denied, in one line
  rm -rf "$STORE"
  run regclient fetch "$FLAKY" test/busybox "$STORE" $(image_blobs | head -1)
  [ "$status" -eq 1 ]
  [ "$output" = "regclient: pull access denied for $FLAKY/test/busybox: unauthorized (the registry wants credentials: skiff login $FLAKY)" ]
}

@test "a wrong blob is refused, named, and nothing of it is kept" {
  local b hex
  b=$(image_blobs | sed -n 3p)
  hex=$(echo "$b" | cut -d: -f2)
  start_flaky --wrong "$hex"
  run regclient fetch "$FLAKY" test/busybox "$STORE" "$b"
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == "regclient: $FLAKY/test/busybox: blob sha256:$hex: the content's digest is sha256:"* ]]
  store_verifies "$STORE" 0
  # a size that is not the blob's is refused too
  run regclient fetch "$FLAKY" test/busybox "$STORE" "sha256:$hex:$((${b##*:} - 1))"
  [ "$status" -eq 1 ]
  [[ "$output" == *"blob sha256:$hex"* ]]
  store_verifies "$STORE" 0
}

@test "manifests: a body whose digest is not the one asked for, or not the one the registry says, is refused" {
  local m="$IMG/blobs/sha256/${MANIFEST_DIGEST#sha256:}"
  local other=sha256:$(printf other | sha256sum | cut -d' ' -f1)
  start_flaky --manifest "$m"
  run regclient manifest "$FLAKY" test/busybox "$MANIFEST_DIGEST"
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = "digest: $MANIFEST_DIGEST" ]
  run regclient manifest "$FLAKY" test/busybox "$other"
  [ "$status" -eq 1 ]
  [ "$output" = "regclient: $FLAKY/test/busybox@$other: the registry sent a manifest whose digest is $MANIFEST_DIGEST" ]
  stop_pid "$FLAKY_PID" flaky-blobs
  start_flaky --manifest "$m" --manifest-digest "$other"
  run regclient manifest "$FLAKY" test/busybox latest
  [ "$status" -eq 1 ]
  [ "$output" = "regclient: $FLAKY/test/busybox:latest: the registry says its digest is $other, its content's is $MANIFEST_DIGEST" ]
}

@test "pull: layers unpack while another still downloads; the image is whole once it arrives" {
  local m="$IMG/blobs/sha256/${MANIFEST_DIGEST#sha256:}" last gate="$BATS_TEST_TMPDIR/gate" dr="$BATS_TEST_TMPDIR/dr"
  last=$(image_blobs | sed -n 4p | cut -d: -f2)
  start_flaky --manifest "$m" --gate "$last" "$gate"
  "$SKIFF" --data-root "$dr" pull -q "$FLAKY/test/busybox:latest" > "$BATS_TEST_TMPDIR/out" 2>&1 &
  local pid=$! i seen=
  # layers 1 and 2 (the rootfs, the test files) appear in layers being written
  for i in $(seq 300); do
    if compgen -G "$dr/overlay/tmp-*/diff/bin/busybox" > /dev/null &&
      compgen -G "$dr/overlay/tmp-*/diff/data/xattr" > /dev/null; then
      seen=1
      break
    fi
    sleep 0.1
  done
  # the third layer's blob is still held: no image, no layer published yet
  run "$SKIFF" --data-root "$dr" images -q
  touch "$gate"
  wait "$pid"
  [ -n "$seen" ] || { echo "nothing unpacked while the last blob was held"; cat "$BATS_TEST_TMPDIR/out"; return 1; }
  [ -z "$output" ]
  id=$("$SKIFF" --data-root "$dr" images -q --no-trunc)
  [ "$id" = "$(jq -r .config.digest "$m")" ]
  [ -z "$(compgen -G "$dr/overlay/tmp-*")" ]
  [ "$(ls "$dr/overlay" | grep -cv '^containers$')" -eq 3 ]
}

@test "nothing is left: no process of this file, no port" {
  local pid name port
  while read -r pid name port; do
    [[ "$name" == flaky-blobs ]] || continue
    [ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ] || { echo "$name $pid runs"; return 1; }
    [ -z "$(ss -ltnH "sport = :$port")" ]
  done < "$REG_DIR/pids"
}
