#!/usr/bin/env bats
# The registries of registry.bash and the image of make-image.py, checked
# against real peers (skopeo, umoci, curl): a plain registry, one with TLS and
# basic auth, one with token auth and the test token server. They are the
# ground the tests of skiff's registry client will stand on: if one of them
# does not behave as a registry does, these tests fail.

load registry

setup_file() {
  registry_require
  [ -z "$REG_SKIP" ] || return 0
  [ -e /var/lib/containers ] && export REG_HAD_VAR_LIB_CONTAINERS=1
  export IMG="$BATS_FILE_TMPDIR/image"
  make_test_image "$IMG" --index-tag multi
  registry_start_plain
  registry_start_tls
  registry_start_token
}

teardown_file() {
  registry_stop_all
}

setup() {
  [ -z "$REG_SKIP" ] || skip "$REG_SKIP"
}

teardown() {
  [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -n "${REG_DIR:-}" ] || return 0
  local f
  for f in "$REG_DIR"/*/*.log; do
    [ -e "$f" ] || continue
    echo "the end of $(basename "$(dirname "$f")")/$(basename "$f"):"
    tail -n 5 "$f" | cut -c1-400
  done
}

# the payload of a JWT as JSON
jwt_claims() {
  python3 -c 'import base64, sys; p = sys.argv[1].split(".")[1]; print(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode())' "$1"
}

# the headers of a response, lower-cased names, CRs removed
headers() {
  reg_curl -o /dev/null -D - "$@" | tr -d '\r'
}

@test "make-image: an OCI layout with 3 layers, its config and manifest; the same digests on a second run" {
  [ "$(jq -r .imageLayoutVersion "$IMG/oci-layout")" = 1.0.0 ]
  local m
  m=$(layout_digest "$IMG" latest)
  [[ "$m" == sha256:* ]]
  local manifest="$IMG/blobs/sha256/${m#sha256:}"
  [ "$(sha256sum < "$manifest" | cut -d' ' -f1)" = "${m#sha256:}" ]
  [ "$(jq -r .mediaType "$manifest")" = application/vnd.oci.image.manifest.v1+json ]
  [ "$(jq '.layers | length' "$manifest")" -eq 3 ]
  local config="$IMG/blobs/sha256/$(jq -r '.config.digest | sub("sha256:"; "")' "$manifest")"
  [ "$(jq -r '.architecture + "/" + .os' "$config")" = amd64/linux ]
  [ "$(jq -c .config.Cmd "$config")" = '["/bin/sh"]' ]
  # each diff_id is the digest of the uncompressed layer
  local i d
  for i in 0 1 2; do
    d=$(jq -r ".layers[$i].digest | sub(\"sha256:\"; \"\")" "$manifest")
    [ "$(sha256sum < "$IMG/blobs/sha256/$d" | cut -d' ' -f1)" = "$d" ]
    [ "sha256:$(gzip -dc < "$IMG/blobs/sha256/$d" | sha256sum | cut -d' ' -f1)" = \
      "$(jq -r ".rootfs.diff_ids[$i]" "$config")" ]
  done
  # the whiteout, the opaque marker, the hard link and the xattr are in the tars
  run sh -c "gzip -dc < '$IMG/blobs/sha256/$(jq -r '.layers[2].digest | sub("sha256:"; "")' "$manifest")' | tar -tvf -"
  [[ "$output" == *"etc/skiff-test/.wh.removed"* ]]
  [[ "$output" == *"opt/opaque/.wh..wh..opq"* ]]
  run sh -c "gzip -dc < '$IMG/blobs/sha256/$(jq -r '.layers[1].digest | sub("sha256:"; "")' "$manifest")' | tar -tvf -"
  [[ "$output" == *"data/hardlink link to data/file"* ]]
  make_test_image "$BATS_TEST_TMPDIR/again" --index-tag multi
  cmp "$IMG/index.json" "$BATS_TEST_TMPDIR/again/index.json"
  diff <(ls "$IMG/blobs/sha256") <(ls "$BATS_TEST_TMPDIR/again/blobs/sha256")
}

@test "umoci unpacks the layout: the whiteout removed the file, the opaque dir hides the lower one, the hard link shares an inode, the xattr is there" {
  local b="$BATS_TEST_TMPDIR/bundle"
  umoci unpack --image "$IMG:latest" "$b"
  local r="$b/rootfs"
  [ -x "$r/bin/busybox" ]
  [ -L "$r/bin/sh" ]
  [ ! -e "$r/etc/skiff-test/removed" ]
  [ ! -e "$r/etc/skiff-test/.wh.removed" ]
  [ "$(cat "$r/etc/skiff-test/kept")" = "layer 3" ]
  [ "$(ls -A "$r/opt/opaque")" = new ]
  [ "$(stat -c %i "$r/data/file")" = "$(stat -c %i "$r/data/hardlink")" ]
  [ "$(stat -c %h "$r/data/file")" -eq 2 ]
  [ "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.test").decode())' "$r/data/xattr")" = skiff ]
  [ "$(stat -c %a "$r/tmp")" = 1777 ]
  [ "$(jq -c .process.args "$b/config.json")" = '["/bin/sh"]' ]
}

@test "make-image --index-tag: an index of linux/amd64 and linux/arm64/v8 sharing their layers" {
  local i
  i=$(layout_digest "$IMG" multi)
  local index="$IMG/blobs/sha256/${i#sha256:}"
  [ "$(jq -r .mediaType "$index")" = application/vnd.oci.image.index.v1+json ]
  [ "$(jq -r '[.manifests[].platform | .os + "/" + .architecture + (if .variant then "/" + .variant else "" end)] | join(" ")' "$index")" = \
    "linux/amd64 linux/arm64/v8" ]
  # the amd64 entry is the image tagged latest
  [ "$(jq -r '.manifests[0].digest' "$index")" = "$(layout_digest "$IMG" latest)" ]
  local amd arm
  amd="$IMG/blobs/sha256/$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$index")"
  arm="$IMG/blobs/sha256/$(jq -r '.manifests[1].digest | sub("sha256:"; "")' "$index")"
  [ "$(jq -c .layers "$amd")" = "$(jq -c .layers "$arm")" ]
  [ "$(jq -r .config.digest "$amd")" != "$(jq -r .config.digest "$arm")" ]
  [ "$(jq -r .architecture "$IMG/blobs/sha256/$(jq -r '.config.digest | sub("sha256:"; "")' "$arm")")" = arm64 ]
}

@test "plain registry: /v2/ answers 200; skopeo pushes the image and reads back the manifest of the layout's digest" {
  [[ "$REG_PLAIN" =~ ^127\.0\.0\.1:[0-9]+$ ]]
  [ "$(reg_curl -o /dev/null -w '%{http_code}' "http://$REG_PLAIN/v2/")" = 200 ]
  skopeo_push_plain "$IMG:latest" test/busybox:latest
  reg_skopeo inspect --raw --tls-verify=false "docker://$REG_PLAIN/test/busybox:latest" > "$BATS_TEST_TMPDIR/manifest"
  [ "sha256:$(sha256sum < "$BATS_TEST_TMPDIR/manifest" | cut -d' ' -f1)" = "$(layout_digest "$IMG" latest)" ]
  # the registry serves it under that digest, with that digest in its header
  run headers -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REG_PLAIN/v2/test/busybox/manifests/latest"
  [[ "$output" =~ ^HTTP/[0-9.]+\ 200 ]]
  [[ "${output,,}" == *"docker-content-digest: $(layout_digest "$IMG" latest)"* ]]
  [ "$(reg_curl "http://$REG_PLAIN/v2/_catalog" | jq -c .repositories)" = '["test/busybox"]' ]
}

@test "plain registry: the multi-platform index is pushed whole and lists both platforms" {
  skopeo_push_plain --all "$IMG:multi" test/multi:latest
  reg_skopeo inspect --raw --tls-verify=false "docker://$REG_PLAIN/test/multi:latest" > "$BATS_TEST_TMPDIR/index"
  [ "sha256:$(sha256sum < "$BATS_TEST_TMPDIR/index" | cut -d' ' -f1)" = "$(layout_digest "$IMG" multi)" ]
  [ "$(jq -r '[.manifests[].platform.architecture] | join(" ")' "$BATS_TEST_TMPDIR/index")" = "amd64 arm64" ]
  [ "$(reg_skopeo inspect --tls-verify=false --override-arch arm64 --override-variant v8 \
    "docker://$REG_PLAIN/test/multi:latest" | jq -r .Architecture)" = arm64 ]
  [ "$(reg_skopeo inspect --tls-verify=false --override-arch amd64 \
    "docker://$REG_PLAIN/test/multi:latest" | jq -r .Architecture)" = amd64 ]
  # its amd64 instance is the image tagged latest in the layout, by digest
  [ "$(jq -r '.manifests[0].digest' "$BATS_TEST_TMPDIR/index")" = "$(layout_digest "$IMG" latest)" ]
  reg_skopeo inspect --raw --tls-verify=false "docker://$REG_PLAIN/test/multi@$(layout_digest "$IMG" latest)" > "$BATS_TEST_TMPDIR/amd64"
  [ "sha256:$(sha256sum < "$BATS_TEST_TMPDIR/amd64" | cut -d' ' -f1)" = "$(layout_digest "$IMG" latest)" ]
}

@test "TLS registry: a certificate for 127.0.0.1 and localhost from the test's CA; refused to a client without the CA" {
  [[ "$REG_TLS" =~ ^127\.0\.0\.1:[0-9]+$ ]]
  [ -f "$REG_CA" ] && [ -f "$REG_CERT_DIR/ca.crt" ]
  openssl verify -CAfile "$REG_CA" "$REG_DIR/ca/server.crt"
  run openssl x509 -in "$REG_DIR/ca/server.crt" -noout -ext subjectAltName
  [[ "$output" == *"IP Address:127.0.0.1"* ]] && [[ "$output" == *"DNS:localhost"* ]]
  # with the CA: the registry answers (401: it wants credentials)
  [ "$(reg_curl --cacert "$REG_CA" -o /dev/null -w '%{http_code}' "https://$REG_TLS/v2/")" = 401 ]
  # without it: curl and skopeo do not trust the server
  run reg_curl -o /dev/null "https://$REG_TLS/v2/"
  [ "$status" -eq 60 ]
  run skopeo_push_tls_without_ca
  [ "$status" -ne 0 ]
  [[ "$output" == *"certificate signed by unknown authority"* ]]
}

skopeo_push_tls_without_ca() {
  _reg_push --dest-creds "$REG_USER:$REG_PASS" "$IMG:latest" "$REG_TLS/test/busybox:latest"
}

@test "TLS registry: anonymous and wrong-password pushes get 401; with the credentials and the CA skopeo pushes" {
  run headers --cacert "$REG_CA" -X POST "https://$REG_TLS/v2/test/busybox/blobs/uploads/"
  [[ "$output" =~ ^HTTP/[0-9.]+\ 401 ]]
  [[ "${output,,}" == *'www-authenticate: basic realm="skiff-test-registry"'* ]]
  [ "$(reg_curl --cacert "$REG_CA" -u "$REG_USER:wrong" -o /dev/null -w '%{http_code}' -X POST \
    "https://$REG_TLS/v2/test/busybox/blobs/uploads/")" = 401 ]
  run _reg_push --dest-cert-dir "$REG_CERT_DIR" "$IMG:latest" "$REG_TLS/test/busybox:latest"
  [ "$status" -ne 0 ]
  [[ "${output,,}" == *"authentication required"* || "${output,,}" == *unauthorized* ]]
  skopeo_push_tls "$IMG:latest" test/busybox:latest
  reg_skopeo inspect --raw --cert-dir "$REG_CERT_DIR" --creds "$REG_USER:$REG_PASS" \
    "docker://$REG_TLS/test/busybox:latest" > "$BATS_TEST_TMPDIR/manifest"
  [ "sha256:$(sha256sum < "$BATS_TEST_TMPDIR/manifest" | cut -d' ' -f1)" = "$(layout_digest "$IMG" latest)" ]
  [ "$(reg_curl --cacert "$REG_CA" -u "$REG_USER:$REG_PASS" "https://$REG_TLS/v2/_catalog" | jq -c .repositories)" = \
    '["test/busybox"]' ]
}

@test "token registry: /v2/ answers 401 with a Bearer challenge naming the token server's realm and the service" {
  [[ "$REG_TOKEN" =~ ^127\.0\.0\.1:[0-9]+$ ]]
  [[ "$REG_TOKEN_REALM" =~ ^http://127\.0\.0\.1:[0-9]+/token$ ]]
  run headers "http://$REG_TOKEN/v2/"
  [[ "$output" =~ ^HTTP/[0-9.]+\ 401 ]]
  [[ "${output,,}" == *"www-authenticate: bearer realm=\"$REG_TOKEN_REALM\",service=\"$REG_TOKEN_SERVICE\""* ]]
  # asking for a repository adds its scope
  run headers "http://$REG_TOKEN/v2/private/busybox/manifests/latest"
  [[ "$output" == *'scope="repository:private/busybox:pull"'* ]]
}

@test "token server: the right credentials get a token the registry accepts; wrong ones get 401; anonymous gets pull on the public repository only" {
  local q="service=$REG_TOKEN_SERVICE&scope=repository:private/busybox:pull,push"
  run reg_curl -u "$REG_USER:$REG_PASS" "$REG_TOKEN_REALM?$q"
  [ "$status" -eq 0 ]
  local token
  token=$(echo "$output" | jq -r .token)
  [ "$(jwt_claims "$token" | jq -c .access)" = '[{"type":"repository","name":"private/busybox","actions":["pull","push"]}]' ]
  [ "$(jwt_claims "$token" | jq -r '.iss + " " + .aud + " " + .sub')" = "$REG_TOKEN_ISSUER $REG_TOKEN_SERVICE $REG_USER" ]
  # the registry checks the signature with the signing certificate
  [ "$(reg_curl -H "Authorization: Bearer $token" -o /dev/null -w '%{http_code}' "http://$REG_TOKEN/v2/")" = 200 ]
  # a token whose signature was tampered with is refused
  [ "$(reg_curl -H "Authorization: Bearer ${token%?????}AAAAA" -o /dev/null -w '%{http_code}' "http://$REG_TOKEN/v2/")" = 401 ]
  [ "$(reg_curl -u "$REG_USER:wrong" -o /dev/null -w '%{http_code}' "$REG_TOKEN_REALM?$q")" = 401 ]
  [ "$(reg_curl -u "nobody:$REG_PASS" -o /dev/null -w '%{http_code}' "$REG_TOKEN_REALM?$q")" = 401 ]
  [ "$(reg_curl -u "$REG_USER:$REG_PASS" -o /dev/null -w '%{http_code}' \
    "$REG_TOKEN_REALM?service=another&scope=repository:private/busybox:pull")" = 401 ]
  token=$(reg_curl "$REG_TOKEN_REALM?$q" | jq -r .token)
  [ "$(jwt_claims "$token" | jq -c .access)" = '[]' ]
  token=$(reg_curl "$REG_TOKEN_REALM?service=$REG_TOKEN_SERVICE&scope=repository:$REG_PUBLIC_REPO:pull,push" | jq -r .token)
  [ "$(jwt_claims "$token" | jq -c .access)" = "[{\"type\":\"repository\",\"name\":\"$REG_PUBLIC_REPO\",\"actions\":[\"pull\"]}]" ]
}

@test "token registry: skopeo with credentials pushes and pulls; without, it pulls only the public repository and pushes nothing" {
  skopeo_push_token "$IMG:latest" private/busybox:latest
  reg_skopeo copy --src-tls-verify=false --src-creds "$REG_USER:$REG_PASS" \
    "docker://$REG_TOKEN/private/busybox:latest" "oci:$BATS_TEST_TMPDIR/pulled:latest"
  [ "$(layout_digest "$BATS_TEST_TMPDIR/pulled" latest)" = "$(layout_digest "$IMG" latest)" ]
  run reg_skopeo inspect --raw --tls-verify=false "docker://$REG_TOKEN/private/busybox:latest"
  [ "$status" -ne 0 ]
  skopeo_push_token "$IMG:latest" "$REG_PUBLIC_REPO:latest"
  reg_skopeo inspect --raw --tls-verify=false "docker://$REG_TOKEN/$REG_PUBLIC_REPO:latest" > "$BATS_TEST_TMPDIR/manifest"
  [ "sha256:$(sha256sum < "$BATS_TEST_TMPDIR/manifest" | cut -d' ' -f1)" = "$(layout_digest "$IMG" latest)" ]
  run _reg_push --dest-tls-verify=false "$IMG:latest" "$REG_TOKEN/$REG_PUBLIC_REPO:anonymous"
  [ "$status" -ne 0 ]
  [[ "${output,,}" == *"authentication required"* || "${output,,}" == *unauthorized* || "${output,,}" == *denied* ]]
}

@test "registry_stop_all: no process of this file is left, no port listens, nothing is left on the host" {
  local dir=$REG_DIR
  cp "$dir/pids" "$BATS_TEST_TMPDIR/pids"
  # three registries and the token server, each answering
  [ "$(wc -l < "$BATS_TEST_TMPDIR/pids")" -eq 4 ]
  local pid name port
  while read -r pid name port; do
    [ -n "$(ss -ltnH "sport = :$port")" ] || { echo "$name does not listen on $port"; return 1; }
  done < "$BATS_TEST_TMPDIR/pids"
  registry_stop_all
  [ ! -e "$dir" ]
  [ -z "$(registry_processes)" ]
  while read -r pid name port; do
    if [ -e "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2> /dev/null)" != Z ]; then
      echo "$name ($pid) is still running"
      return 1
    fi
    [ -z "$(ss -ltnH "sport = :$port")" ] || { echo "port $port of $name still listens: $(ss -ltnpH "sport = :$port")"; return 1; }
  done < "$BATS_TEST_TMPDIR/pids"
  # skopeo's blob info cache stayed in its mount namespace
  [ -n "${REG_HAD_VAR_LIB_CONTAINERS:-}" ] || [ ! -e /var/lib/containers ]
}
