#!/usr/bin/env bats
# Registry mirrors for docker.io names (--registry-mirror, daemon.json's
# "registry-mirrors"): pulls of a short name served by local registries.
#
# A pull of a docker.io name falls back to Docker Hub when no mirror has
# the image: every registry of this file and every skiff command that may
# reach one run in a network namespace of the test with nothing but lo, so
# that no request can leave the machine, whatever skiff does. The mirrors
# always hold what is pulled.

load helpers
load registry

NAME=skiff-mirror-test

setup_file() {
  registry_require
  [ -n "$REG_SKIP" ] && return 0
  command -v nsenter > /dev/null || { export REG_SKIP="nsenter is not installed"; return 0; }
  registry_init
  registry_netns_start
  export LAYOUT="$REG_DIR/layout"
  make_test_image "$LAYOUT" --tag v1 > /dev/null
  # mirror1 holds the image; mirror2 too, but lacks its last layer
  _reg_serve mirror1 http "" "" || return 1
  export MIRROR1=$REG_ADDR
  _reg_serve mirror2 http "" "" || return 1
  export MIRROR2=$REG_ADDR
  reg_skopeo copy --dest-tls-verify=false "oci:$LAYOUT:v1" "docker://$MIRROR1/library/$NAME:v1" > /dev/null
  reg_skopeo copy --dest-tls-verify=false "oci:$LAYOUT:v1" "docker://$MIRROR2/library/$NAME:v1" > /dev/null
  local m last
  m=$(layout_digest "$LAYOUT" v1)
  last=$(jq -r '.layers[-1].digest' "$LAYOUT/blobs/sha256/${m#sha256:}")
  # the repository's link to the blob gone: GET of it is "blob unknown"
  rm -r "$REG_DIR/mirror2/storage/docker/registry/v2/repositories/library/$NAME/_layers/sha256/${last#sha256:}"
  export LAST_LAYER=$last
}

teardown_file() {
  registry_stop_all
}

setup() {
  [ -z "$REG_SKIP" ] || skip "$REG_SKIP"
  DR="$BATS_TEST_TMPDIR/data"
  # the network namespace has no route: nothing but lo is reachable
  [ -z "$(reg_ns ip route show)" ]
  [ -z "$(reg_ns ip -6 route show | grep -v '^::1 ')" ]
  [ "$(reg_ns ip -o link show | wc -l)" -eq 1 ]
  # what the registries log from here on is this test's
  local m
  for m in mirror1 mirror2; do
    eval "LOG_START_$m=\$(wc -l < \"\$REG_DIR/$m/registry.log\")"
  done
}

# skiff in the test's network namespace, with no daemon.json of the host
sk() {
  reg_ns "$SKIFF" --data-root "$DR" --config "$BATS_TEST_TMPDIR/config" \
    --daemon-config "${DAEMON_JSON:-$BATS_TEST_TMPDIR/none.json}" "$@"
}

config_of() { # TAG
  local m
  m=$(layout_digest "$LAYOUT" "$1")
  jq -r .config.digest "$LAYOUT/blobs/sha256/${m#sha256:}"
}

# the requests a registry logged during the test, "METHOD PATH STATUS" a line
requests_of() { # NAME
  local start="LOG_START_$1"
  tail -n "+$((${!start} + 1))" "$REG_DIR/$1/registry.log" |
    sed -n 's/.*"\(GET\|HEAD\) \([^ ]*\) HTTP[^"]*" \([0-9]*\) .*/\1 \2 \3/p'
}

@test "--registry-mirror: a docker.io short name pulled from the mirror, with its digest" {
  echo '{}' > "$BATS_TEST_TMPDIR/none.json"
  digest=$(layout_digest "$LAYOUT" v1)
  run sk --registry-mirror "http://$MIRROR1" pull "$NAME:v1"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "v1: Pulling from library/$NAME" ]
  [[ "$output" == *"Digest: $digest"* ]]
  [ "${lines[-1]}" = "docker.io/library/$NAME:v1" ]
  run sk image inspect "$NAME:v1" --format '{{.Id}} {{json .RepoTags}} {{json .RepoDigests}}'
  echo "$output"
  [ "$output" = "$(config_of v1) [\"$NAME:v1\"] [\"$NAME@$digest\"]" ]
  run requests_of mirror1
  echo "$output"
  [[ "$output" == *"GET /v2/library/$NAME/manifests/v1 200"* ]]
  [[ "$output" == *"GET /v2/library/$NAME/blobs/$(config_of v1) 200"* ]]
  [[ "$output" == *"GET /v2/library/$NAME/blobs/$LAST_LAYER 200"* ]]
}

@test "daemon.json's registry-mirrors, in order: a blob the first mirror lacks comes from the next" {
  DAEMON_JSON="$BATS_TEST_TMPDIR/daemon.json"
  printf '{"registry-mirrors": ["http://%s/", "http://%s"]}\n' "$MIRROR2" "$MIRROR1" > "$DAEMON_JSON"
  run sk pull -q "$NAME:v1"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "docker.io/library/$NAME:v1" ]
  [ "$(sk image inspect "$NAME:v1" --format '{{.Id}}')" = "$(config_of v1)" ]
  run requests_of mirror2
  echo "$output"
  [[ "$output" == *"GET /v2/library/$NAME/manifests/v1 200"* ]]
  [[ "$output" == *"GET /v2/library/$NAME/blobs/$LAST_LAYER 404"* ]]
  run requests_of mirror1
  echo "$output"
  [[ "$output" == *"GET /v2/library/$NAME/blobs/$LAST_LAYER 200"* ]]
  # the manifest came from the first mirror: the second was not asked for it
  [[ "$output" != *"manifests/v1"* ]]
}
