#!/usr/bin/env bats
# skiff pull from real registries on 127.0.0.1 (Debian's docker-registry:
# plain HTTP, TLS with basic auth, token auth), images pushed by skopeo;
# crash consistency: pulls killed at many points, then one that completes.

load helpers
load registry

setup_file() {
  registry_require
  [ -n "$REG_SKIP" ] && return 0
  registry_init
  export LAYOUT="$REG_DIR/layout"
  make_test_image "$LAYOUT" --tag v1 --index-tag multi > /dev/null
  registry_start_plain
  skopeo_push_plain "$LAYOUT:v1" test/app:v1 > /dev/null
  skopeo_push_plain --all "$LAYOUT:multi" test/multi:latest > /dev/null
  # the same images with Docker's media types: a manifest list, pushed as it is
  export DOCKER_LAYOUT="$REG_DIR/docker-layout"
  make_test_image "$DOCKER_LAYOUT" --docker --tag v1 --index-tag list > /dev/null
  reg_push_raw "$DOCKER_LAYOUT" list "$REG_PLAIN" test/dockerlist:latest
  # a second image with the same layers and another config: v2
  python3 - "$LAYOUT" <<'PY'
import hashlib, json, os, sys
lay = sys.argv[1]
def blob(d):
    return os.path.join(lay, "blobs", "sha256", d.split(":")[1])
def put(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(blob(d), "wb") as f:
        f.write(data)
    return d, len(data)
index = json.load(open(os.path.join(lay, "index.json")))
m = [e for e in index["manifests"] if e.get("annotations", {}).get("org.opencontainers.image.ref.name") == "v1"][0]
man = json.load(open(blob(m["digest"])))
cfg = json.load(open(blob(man["config"]["digest"])))
cfg["config"].setdefault("Labels", {})["org.skiff.test.variant"] = "v2"
man["config"]["digest"], man["config"]["size"] = put(json.dumps(cfg).encode())
d, n = put(json.dumps(man).encode())
index["manifests"].append({"mediaType": m["mediaType"], "digest": d, "size": n,
                           "annotations": {"org.opencontainers.image.ref.name": "v2"}})
json.dump(index, open(os.path.join(lay, "index.json"), "w"))
PY
  skopeo_push_plain "$LAYOUT:v2" test/other:v2 > /dev/null
}

teardown_file() {
  registry_stop_all
}

setup() {
  [ -z "$REG_SKIP" ] || skip "$REG_SKIP"
  DR="$BATS_TEST_TMPDIR/data"
}

sk() { "$SKIFF" --data-root "$DR" --config "$BATS_TEST_TMPDIR/config" "$@"; }

config_of() { # LAYOUT TAG
  local m
  m=$(layout_digest "$1" "$2")
  jq -r .config.digest "$1/blobs/sha256/${m#sha256:}"
}

# every stored blob is what its name says; a layer is only ever under its
# id when complete (a killed writer's tmp-* directory is no layer, and the
# next open removes it)
store_is_sound() {
  local f
  for f in "$DR"/blobs/sha256/*; do
    [ -e "$f" ] || continue
    [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || { echo "blob $f is wrong"; return 1; }
  done
}

@test "pull from a plain registry: docker's output, the image, its digest, its layers" {
  run sk pull "$REG_PLAIN/test/app:v1"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "v1: Pulling from $REG_PLAIN/test/app" ]
  [[ "$output" == *": Pull complete"* ]]
  digest=$(reg_skopeo inspect --tls-verify=false "docker://$REG_PLAIN/test/app:v1" | jq -r .Digest)
  [[ "$output" == *"Digest: $digest"* ]]
  [[ "$output" == *"Status: Downloaded newer image for $REG_PLAIN/test/app:v1"* ]]
  [ "${lines[-1]}" = "$REG_PLAIN/test/app:v1" ]
  run sk image inspect "$REG_PLAIN/test/app:v1" --format '{{.Id}} {{json .RepoDigests}}'
  [ "$output" = "$(config_of "$LAYOUT" v1) [\"$REG_PLAIN/test/app@$digest\"]" ]
  [ "$(ls "$DR/overlay" | grep -vc containers)" -eq 3 ]
  store_is_sound
  # again: up to date, nothing downloaded
  run sk pull "$REG_PLAIN/test/app:v1"
  [[ "$output" == *"Status: Image is up to date for $REG_PLAIN/test/app:v1"* ]]
  [[ "$output" == *"Already exists"* ]]
  # by digest, and quietly
  run sk pull -q "$REG_PLAIN/test/app@$digest"
  [ "$status" -eq 0 ]
  [ "$output" = "$REG_PLAIN/test/app@$digest" ]
}

@test "a multi-platform index: this machine's platform, or the one asked" {
  run sk pull -q "$REG_PLAIN/test/multi"
  [ "$status" -eq 0 ]
  [ "$(sk image inspect "$REG_PLAIN/test/multi" --format '{{.Architecture}}')" = amd64 ]
  run sk pull -q --platform linux/arm64 "$REG_PLAIN/test/multi"
  [ "$status" -eq 0 ]
  [ "$(sk image inspect "$REG_PLAIN/test/multi" --format '{{.Architecture}}')" = arm64 ]
  run sk pull --platform linux/s390x "$REG_PLAIN/test/multi"
  [ "$status" -ne 0 ]
  [[ "${lines[-1]}" == *"no image for the platform linux/s390x (the image has: linux/amd64, linux/arm64/v8)"* ]]
}

@test "a Docker manifest list of schema 2 manifests: this machine's platform, or the one asked" {
  list=$(layout_digest "$DOCKER_LAYOUT" list)
  [ "$(jq -r .mediaType "$DOCKER_LAYOUT/blobs/sha256/${list#sha256:}")" = application/vnd.docker.distribution.manifest.list.v2+json ]
  # the registry serves it as it was pushed
  run reg_curl -o /dev/null -w '%{content_type}' \
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' "http://$REG_PLAIN/v2/test/dockerlist/manifests/latest"
  [ "$output" = application/vnd.docker.distribution.manifest.list.v2+json ]
  # the id of each platform's image: its Docker config's digest
  ids=$(jq -r '.manifests[] | "\(.platform.architecture) \(.digest)"' "$DOCKER_LAYOUT/blobs/sha256/${list#sha256:}" |
    while read -r arch m; do echo "$arch $(jq -r .config.digest "$DOCKER_LAYOUT/blobs/sha256/${m#sha256:}")"; done)
  amd64_id=$(echo "$ids" | awk '$1 == "amd64" {print $2}')
  arm64_id=$(echo "$ids" | awk '$1 == "arm64" {print $2}')
  [ -n "$amd64_id" ] && [ -n "$arm64_id" ] && [ "$amd64_id" != "$arm64_id" ]
  run sk pull "$REG_PLAIN/test/dockerlist"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Digest: $list"* ]]
  run sk image inspect "$REG_PLAIN/test/dockerlist" --format '{{.Id}} {{.Os}}/{{.Architecture}} {{json .RepoDigests}}'
  [ "$output" = "$amd64_id linux/amd64 [\"$REG_PLAIN/test/dockerlist@$list\"]" ]
  run sk pull -q --platform linux/arm64 "$REG_PLAIN/test/dockerlist"
  echo "$output"
  [ "$status" -eq 0 ]
  run sk image inspect "$REG_PLAIN/test/dockerlist" --format '{{.Id}} {{.Architecture}} {{.Variant}}'
  [ "$output" = "$arm64_id arm64 v8" ]
  store_is_sound
}

@test "errors name the registry and the cause, in one line, and leave nothing" {
  run sk pull "$REG_PLAIN/test/app:nosuch"
  [ "$status" -ne 0 ]
  echo "$output"
  [[ "${lines[-1]}" == "skiff: "*"manifest unknown"* ]]
  run sk pull "$REG_PLAIN/test/nosuch"
  [ "$status" -ne 0 ]
  run sk pull "127.0.0.1:1/test/app"
  [ "$status" -ne 0 ]
  [[ "${lines[-1]}" == *"127.0.0.1:1"* ]]
  run sk pull 'Bad/Name'
  [ "$status" -ne 0 ]
  [ "$output" = "skiff: invalid image reference \`Bad/Name\`: repository name must be lowercase" ]
  [ -z "$(sk images -q)" ]
  [ -z "$(ls "$DR/blobs/sha256" 2>/dev/null)" ]
}

@test "TLS with basic auth: the CA from certs.d, the credentials from config.json" {
  registry_start_tls
  skopeo_push_tls "$LAYOUT:v1" secure/app:v1 > /dev/null
  run sk pull "$REG_TLS/secure/app:v1"
  [ "$status" -ne 0 ]
  echo "$output"
  [[ "${lines[-1]}" == *"certificate"* ]]
  certs="$BATS_TEST_TMPDIR/certs.d"
  mkdir -p "$certs/$REG_TLS"
  cp "$REG_CA" "$certs/$REG_TLS/ca.crt"
  run sk --certs-dir "$certs" pull "$REG_TLS/secure/app:v1"
  [ "$status" -ne 0 ]
  [[ "${lines[-1]}" == *"unauthorized"* || "${lines[-1]}" == *"credentials"* ]]
  mkdir -p "$BATS_TEST_TMPDIR/config"
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REG_TLS" "$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 -w0)" \
    > "$BATS_TEST_TMPDIR/config/config.json"
  run sk --certs-dir "$certs" pull -q "$REG_TLS/secure/app:v1"
  [ "$status" -eq 0 ]
  [ "$(sk image inspect "$REG_TLS/secure/app:v1" --format '{{.Id}}')" = "$(config_of "$LAYOUT" v1)" ]
}

@test "token auth: anonymous pulls of the public repository, credentials for the rest" {
  registry_start_token
  skopeo_push_token "$LAYOUT:v1" "$REG_PUBLIC_REPO:v1" > /dev/null
  skopeo_push_token "$LAYOUT:v1" private/app:v1 > /dev/null
  run sk pull -q "$REG_TOKEN/$REG_PUBLIC_REPO:v1"
  echo "$output"
  [ "$status" -eq 0 ]
  run sk pull "$REG_TOKEN/private/app:v1"
  [ "$status" -ne 0 ]
  [[ "${lines[-1]}" == *"denied"* || "${lines[-1]}" == *"unauthorized"* ]]
  mkdir -p "$BATS_TEST_TMPDIR/config"
  printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REG_TOKEN" "$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 -w0)" \
    > "$BATS_TEST_TMPDIR/config/config.json"
  run sk pull -q "$REG_TOKEN/private/app:v1"
  [ "$status" -eq 0 ]
}

@test "two pulls at once of images sharing a layer fetch it once" {
  base=$(jq -r '.layers[0].digest' "$LAYOUT/blobs/sha256/$(layout_digest "$LAYOUT" v1 | cut -d: -f2)")
  log=$(ls "$REG_DIR"/*/registry.log | head -1)
  before=$(grep -c "GET /v2/test/[a-z]*/blobs/$base" "$log" || true)
  sk pull -q "$REG_PLAIN/test/app:v1" > "$BATS_TEST_TMPDIR/a.out" 2>&1 &
  a=$!
  sk pull -q "$REG_PLAIN/test/other:v2" > "$BATS_TEST_TMPDIR/b.out" 2>&1 &
  b=$!
  sa=0 sb=0
  wait "$a" || sa=$?
  wait "$b" || sb=$?
  cat "$BATS_TEST_TMPDIR/a.out" "$BATS_TEST_TMPDIR/b.out"
  [ "$sa" -eq 0 ] && [ "$sb" -eq 0 ]
  after=$(grep -c "GET /v2/test/[a-z]*/blobs/$base" "$log" || true)
  [ $((after - before)) -eq 1 ]
  [ "$(sk images -q | wc -l)" -eq 2 ]
  store_is_sound
}

@test "a pull killed at any point: the next one completes, every blob verifies, nothing half made" {
  for delay in 0.02 0.05 0.08 0.12 0.2 0.3 0.5 0.8; do
    timeout -s KILL "$delay" "$SKIFF" --data-root "$DR" pull -q "$REG_PLAIN/test/app:v1" > /dev/null 2>&1 || true
    store_is_sound
    # an image is either whole or not there
    ids=$(sk images -q --no-trunc)
    [ -z "$ids" ] || [ "$ids" = "$(config_of "$LAYOUT" v1)" ]
  done
  run sk pull -q "$REG_PLAIN/test/app:v1"
  [ "$status" -eq 0 ]
  store_is_sound
  [ "$(sk images -q --no-trunc)" = "$(config_of "$LAYOUT" v1)" ]
  # what killed writers left is gone once the storage was opened again
  [ -z "$(ls "$DR/overlay" | grep '^tmp-')" ]
  [ -z "$(ls "$DR/ingest")" ]
}

@test "push: blobs the repository lacks uploaded, shared ones mounted, the manifest under the tag; skopeo reads it back" {
  tar -C "$ROOTFS" -czf "$BATS_TEST_TMPDIR/rootfs.tgz" .
  id=$(sk import "$BATS_TEST_TMPDIR/rootfs.tgz" "$REG_PLAIN/pushed/app:v1")
  run sk push "$REG_PLAIN/pushed/app:v1"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "The push refers to repository [$REG_PLAIN/pushed/app]" ]
  [[ "${lines[1]}" =~ ^[0-9a-f]{12}:\ Preparing$ ]]
  [[ "${lines[2]}" =~ ^[0-9a-f]{12}:\ Pushed$ ]]
  [[ "${lines[-1]}" =~ ^v1:\ digest:\ sha256:[0-9a-f]{64}\ size:\ [0-9]+$ ]]
  digest=$(echo "${lines[-1]}" | cut -d' ' -f3)
  [ "$(reg_skopeo inspect --tls-verify=false "docker://$REG_PLAIN/pushed/app:v1" | jq -r .Digest)" = "$digest" ]
  [ "$(reg_skopeo inspect --tls-verify=false --config "docker://$REG_PLAIN/pushed/app:v1" | jq -c .rootfs.diff_ids)" = \
    "$(sk image inspect --format '{{json .RootFS.Layers}}' "$REG_PLAIN/pushed/app:v1")" ]
  # the config skopeo gets is the image: same id
  [ "sha256:$(reg_skopeo inspect --tls-verify=false --raw --config "docker://$REG_PLAIN/pushed/app:v1" | sha256sum | cut -d' ' -f1)" = "$id" ]
  run sk push "$REG_PLAIN/pushed/app:v1"
  [[ "$output" == *"Layer already exists"* ]]
  [[ "$output" != *"Pushed"* ]]
  # an image pulled from one repository and pushed to another: mounted
  sk pull -q "$REG_PLAIN/test/app:v1"
  sk tag "$REG_PLAIN/test/app:v1" "$REG_PLAIN/test/mounted:v1"
  run sk push "$REG_PLAIN/test/mounted:v1"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Mounted from test/app"* ]]
  # and pulled back by another data root: the same image
  run "$SKIFF" --data-root "$BATS_TEST_TMPDIR/other" pull -q "$REG_PLAIN/pushed/app:v1"
  [ "$status" -eq 0 ]
  [ "$("$SKIFF" --data-root "$BATS_TEST_TMPDIR/other" image inspect --format '{{.Id}}' "$REG_PLAIN/pushed/app:v1")" = "$id" ]
  run sk push "$REG_PLAIN/pushed/nosuch:v1"
  [ "$status" -ne 0 ]
  [ "${lines[-1]}" = "skiff: An image does not exist locally with the tag: $REG_PLAIN/pushed/nosuch:v1" ]
}

@test "login keeps credentials in a docker-style config.json, logout removes them" {
  registry_start_tls
  skopeo_push_tls "$LAYOUT:v1" secure/login:v1 > /dev/null
  certs="$BATS_TEST_TMPDIR/certs.d"
  mkdir -p "$certs/$REG_TLS"
  cp "$REG_CA" "$certs/$REG_TLS/ca.crt"
  run sk --certs-dir "$certs" login -u "$REG_USER" --password-stdin "$REG_TLS" <<< "wrong"
  [ "$status" -ne 0 ]
  [ "$output" = "skiff: login to $REG_TLS: unauthorized: incorrect username or password" ]
  [ ! -e "$BATS_TEST_TMPDIR/config/config.json" ]
  run sk --certs-dir "$certs" login -u "$REG_USER" --password-stdin "$REG_TLS" <<< "$REG_PASS"
  [ "$status" -eq 0 ]
  [ "$output" = "Login Succeeded" ]
  [ "$(stat -c %a "$BATS_TEST_TMPDIR/config/config.json")" = 600 ]
  jq -e --arg r "$REG_TLS" --arg a "$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 -w0)" '.auths[$r].auth == $a' \
    "$BATS_TEST_TMPDIR/config/config.json"
  run sk --certs-dir "$certs" pull -q "$REG_TLS/secure/login:v1"
  [ "$status" -eq 0 ]
  run sk logout "$REG_TLS"
  [ "$output" = "Removing login credentials for $REG_TLS" ]
  jq -e --arg r "$REG_TLS" '.auths | has($r) | not' "$BATS_TEST_TMPDIR/config/config.json"
  run sk logout "$REG_TLS"
  [ "$output" = "Not logged in to $REG_TLS" ]
  run sk login -u x --password-stdin -p y "$REG_TLS"
  [ "$status" -eq 125 ]
}

@test "on a terminal, a line per layer updated in place; -q prints the name alone" {
  run script -qec "'$SKIFF' --data-root '$DR' pull '$REG_PLAIN/test/app:v1'" /dev/null
  echo "$output" | cat -v
  [ "$status" -eq 0 ]
  # the cursor moves up to the layer's line and clears it
  [[ "$output" == *$'\e['*'A'*$'\e[2K'*"Pull complete"* ]]
  [[ "$output" == *"Digest: sha256:"* ]]
  rm -rf "$DR"
  run sk pull -q "$REG_PLAIN/test/app:v1"
  [ "$output" = "$REG_PLAIN/test/app:v1" ]
}

# the lines of a push as docker has them: each layer's short diff id
push_ids() { # REF: the short diff ids, top layer first
  sk image inspect --format '{{json .RootFS.Layers}}' "$1" | jq -r 'reverse[]' | cut -c8-19
}

@test "push on a terminal: a line per layer, Preparing then Pushing with its bar redrawn in place, then Pushed; the digest line is the registry's" {
  tar -C "$ROOTFS" -czf "$BATS_TEST_TMPDIR/rootfs.tgz" .
  head -c 8000000 /dev/urandom > "$BATS_TEST_TMPDIR/big"
  tar -C "$BATS_TEST_TMPDIR" -czf "$BATS_TEST_TMPDIR/big.tgz" big
  sk import "$BATS_TEST_TMPDIR/big.tgz" "$REG_PLAIN/pushtty/big:v1" > /dev/null
  run script -qec "'$SKIFF' --data-root '$DR' push '$REG_PLAIN/pushtty/big:v1'" /dev/null
  echo "$output" | cat -v
  [ "$status" -eq 0 ]
  id=$(push_ids "$REG_PLAIN/pushtty/big:v1")
  [[ "$output" == "The push refers to repository [$REG_PLAIN/pushtty/big]"* ]]
  [[ "$output" == *"$id: Preparing"* ]]
  # the cursor moves up to the layer's line, clears it and draws the bar
  [[ "$output" == *$'\e['*'A'$'\r\e[2K'"$id: Pushing ["*"]  "*"/8MB"* ]]
  [[ "$output" == *$'\e[2K'"$id: Pushed"* ]]
  # the last line, after the cursor came back below the layers'
  last=$(echo "$output" | tr -d '\r' | tail -n1 | sed 's/^.*\x1b\[[0-9]*B//')
  [[ "$last" =~ ^v1:\ digest:\ sha256:[0-9a-f]{64}\ size:\ [0-9]+$ ]]
  digest=$(echo "$last" | cut -d' ' -f3)
  [ "$(reg_skopeo inspect --tls-verify=false "docker://$REG_PLAIN/pushtty/big:v1" | jq -r .Digest)" = "$digest" ]
  # pushed again: the layer is there already
  run script -qec "'$SKIFF' --data-root '$DR' push '$REG_PLAIN/pushtty/big:v1'" /dev/null
  [[ "$output" == *$'\e[2K'"$id: Layer already exists"* ]]
  [[ "$output" != *"Pushing"* ]]
}

@test "push without a terminal: each step once, no bars; -q prints the reference alone; the default tag is said" {
  tar -C "$ROOTFS" -czf "$BATS_TEST_TMPDIR/rootfs.tgz" .
  head -c 3000000 /dev/urandom > "$BATS_TEST_TMPDIR/big"
  tar -C "$BATS_TEST_TMPDIR" -czf "$BATS_TEST_TMPDIR/big.tgz" big
  sk import "$BATS_TEST_TMPDIR/big.tgz" "$REG_PLAIN/pushplain/big" > /dev/null
  run sk push "$REG_PLAIN/pushplain/big"
  echo "$output" | cat -v
  [ "$status" -eq 0 ]
  id=$(push_ids "$REG_PLAIN/pushplain/big")
  [ "${lines[0]}" = "Using default tag: latest" ]
  [ "${lines[1]}" = "The push refers to repository [$REG_PLAIN/pushplain/big]" ]
  [ "${lines[2]}" = "$id: Preparing" ]
  [ "${lines[3]}" = "$id: Pushed" ]
  [[ "${lines[4]}" =~ ^latest:\ digest:\ sha256:[0-9a-f]{64}\ size:\ [0-9]+$ ]]
  [ "${#lines[@]}" -eq 5 ]
  [[ "$output" != *$'\e'* ]]
  [ "$(reg_skopeo inspect --tls-verify=false "docker://$REG_PLAIN/pushplain/big:latest" | jq -r .Digest)" = \
    "$(echo "${lines[4]}" | cut -d' ' -f3)" ]
  run sk push "$REG_PLAIN/pushplain/big:latest"
  [ "${lines[1]}" = "$id: Preparing" ]
  [ "${lines[2]}" = "$id: Layer already exists" ]
  # an image of several layers: listed top first, all but the one under way waiting
  sk pull -q "$REG_PLAIN/test/app:v1" > /dev/null
  sk tag "$REG_PLAIN/test/app:v1" "$REG_PLAIN/pushplain/app:v1"
  run sk push "$REG_PLAIN/pushplain/app:v1"
  echo "$output"
  [ "$status" -eq 0 ]
  mapfile -t ids < <(push_ids "$REG_PLAIN/pushplain/app:v1")
  n=${#ids[@]}
  for i in $(seq 0 $((n - 1))); do
    [ "${lines[1 + i]}" = "${ids[i]}: Preparing" ]
    [[ "$output" == *"${ids[i]}: Mounted from test/app"* ]]
  done
  for i in $(seq 1 $((n - 1))); do
    [[ "$output" == *"${ids[i]}: Waiting"* ]]
  done
  [ "$(echo "$output" | grep -c ': Waiting$')" -eq $((n - 1)) ]
  run sk push -q "$REG_PLAIN/pushplain/big"
  [ "$status" -eq 0 ]
  [ "$output" = "$REG_PLAIN/pushplain/big:latest" ]
}

@test "garbage collection waits for a pull: prunes during a pull never take its blobs" {
  for round in 1 2 3; do
    rm -rf "$DR"
    sk pull -q "$REG_PLAIN/test/app:v1" > "$BATS_TEST_TMPDIR/pull.out" 2>&1 &
    p=$!
    for i in 1 2 3 4 5; do sk image prune -a -f > /dev/null || echo "prune failed"; done
    sp=0
    wait "$p" || sp=$?
    cat "$BATS_TEST_TMPDIR/pull.out"
    [ "$sp" -eq 0 ]
    store_is_sound
    ids=$(sk images -q --no-trunc)
    [ -z "$ids" ] || [ "$ids" = "$(config_of "$LAYOUT" v1)" ]
  done
}
