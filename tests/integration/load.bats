#!/usr/bin/env bats
# skiff load: image tarballs made by real peers (skopeo's docker-archive and
# oci-archive, an OCI layout), the rootfs they give compared with umoci's
# unpack of the same image, and hostile archives refused with nothing kept.

load helpers
load registry

setup_file() {
  registry_require
  [ -n "$REG_SKIP" ] && return 0
  registry_init
  export LAYOUT="$REG_DIR/layout"
  make_test_image "$LAYOUT" --tag v1 --index-tag multi > /dev/null
}

teardown_file() {
  registry_stop_all
}

setup() {
  [ -z "$REG_SKIP" ] || skip "$REG_SKIP"
  DR="$BATS_TEST_TMPDIR/data"
}

sk() { "$SKIFF" --data-root "$DR" "$@"; }

store_contents() {
  ls "$DR/blobs/sha256" "$DR/overlay" "$DR/ingest" 2>/dev/null | grep -v -e '^$' -e ':$' -e '^containers$' | sort
}

# the config digest of a tag of the layout: the image id docker would give
config_of() {
  local m
  m=$(layout_digest "$LAYOUT" "$1")
  jq -r .config.digest "$LAYOUT/blobs/sha256/${m#sha256:}"
}

@test "a docker-archive from skopeo loads, with its name and the layout's image id" {
  reg_skopeo copy -q "oci:$LAYOUT:v1" "docker-archive:$BATS_TEST_TMPDIR/d.tar:busybox:test"
  run sk load -i "$BATS_TEST_TMPDIR/d.tar"
  [ "$status" -eq 0 ]
  [ "$output" = "Loaded image: busybox:test" ]
  run sk image inspect busybox:test --format '{{.Id}}'
  [ "$output" = "$(config_of v1)" ]
  # the diff_ids were checked: every layer is there under its chain id
  [ "$(ls "$DR/overlay" | grep -vc containers)" -eq 3 ]
  # from a pipe too, and again: nothing new is stored
  before=$(store_contents)
  run sh -c "cat '$BATS_TEST_TMPDIR/d.tar' | '$SKIFF' --data-root '$DR' load -q"
  [ "$status" -eq 0 ] && [ -z "$output" ]
  [ "$(store_contents)" = "$before" ]
}

@test "an oci-archive from skopeo loads under the name in its index" {
  reg_skopeo copy -q "oci:$LAYOUT:v1" "oci-archive:$BATS_TEST_TMPDIR/o.tar:localhost/app:v1"
  run sk load -i "$BATS_TEST_TMPDIR/o.tar"
  [ "$status" -eq 0 ]
  [ "$output" = "Loaded image: localhost/app:v1" ]
  [ "$(sk image inspect localhost/app:v1 --format '{{.Id}}')" = "$(config_of v1)" ]
}

@test "an OCI layout whose index names only a tag loads untagged, by id; an index picks this machine's platform" {
  tar -C "$LAYOUT" -cf "$BATS_TEST_TMPDIR/layout.tar" .
  run sk load -i "$BATS_TEST_TMPDIR/layout.tar"
  [ "$status" -eq 0 ]
  # v1 and the amd64 image of the multi index share their config
  [[ "$output" == *"Loaded image ID: $(config_of v1)"* ]]
  run sk images -q --no-trunc
  [ "$output" = "$(config_of v1)" ]
  # the arm64 image's blobs were not kept
  idx=$(layout_digest "$LAYOUT" multi)
  arm=$(jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest' "$LAYOUT/blobs/sha256/${idx#sha256:}")
  [ ! -e "$DR/blobs/sha256/${arm#sha256:}" ]
}

@test "the image's rootfs is what umoci unpacks: whiteouts, the opaque dir, hard links, xattrs" {
  reg_skopeo copy -q "oci:$LAYOUT:v1" "docker-archive:$BATS_TEST_TMPDIR/d.tar:cmp:1"
  sk load -i "$BATS_TEST_TMPDIR/d.tar"
  umoci unpack --image "$LAYOUT:v1" "$BATS_TEST_TMPDIR/bundle" > /dev/null
  upper=$(sk image inspect cmp:1 --format '{{.GraphDriver.Data.UpperDir}}')
  lower=$(sk image inspect cmp:1 --format '{{.GraphDriver.Data.LowerDir}}')
  mkdir "$BATS_TEST_TMPDIR/mnt"
  # a private mount namespace: the overlay is gone with it
  run unshare --mount --propagation private sh -c '
    mount -t overlay overlay -o "lowerdir=$1:$2" "$3" || exit 1
    diff -r --no-dereference "$3" "$4" || exit 1
    python3 -c "import os, sys; print(os.getxattr(sys.argv[1], \"user.test\").decode())" "$3/data/xattr"
    [ "$(stat -c %i "$3/data/file")" = "$(stat -c %i "$3/data/hardlink")" ] && echo same-inode
    echo "opaque: $(ls -A "$3/opt/opaque")"
    [ -e "$3/etc/skiff-test/removed" ] && echo REMOVED-IS-THERE
    [ -e "$3/etc/skiff-test/kept" ] && echo kept-is-there
    exit 0' sh "$upper" "$lower" "$BATS_TEST_TMPDIR/mnt" "$BATS_TEST_TMPDIR/bundle/rootfs"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" != *REMOVED-IS-THERE* ]]
  [[ "$output" == *kept-is-there* ]]
  [[ "$output" == *same-inode* ]]
  [[ "$output" == *"opaque: new"* ]]
  [[ "$output" == *skiff* ]] # the xattr's value
  rm -rf "$BATS_TEST_TMPDIR/bundle"
}

# a docker-archive with one entry changed by fn (python, on the tar members)
doctor() { # doctor OUT PYTHON-SNIPPET
  python3 - "$BATS_TEST_TMPDIR/d.tar" "$1" "$2" <<'PY'
import io, sys, tarfile
src, out, code = sys.argv[1], sys.argv[2], sys.argv[3]
members = []
with tarfile.open(src) as t:
    for m in t.getmembers():
        data = t.extractfile(m).read() if m.isfile() else None
        members.append([m, data])
env = {"members": members, "tarfile": tarfile, "io": io}
exec(code, env)
with tarfile.open(out, "w") as t:
    for m, data in env["members"]:
        if data is not None:
            m.size = len(data)
            t.addfile(m, io.BytesIO(data))
        else:
            t.addfile(m)
PY
}

@test "hostile or broken archives: refused with one line, nothing stored" {
  reg_skopeo copy -q "oci:$LAYOUT:v1" "docker-archive:$BATS_TEST_TMPDIR/d.tar:busybox:test"
  bad() { # bad FILE EXPECTED-TEXT
    run sk load -i "$1"
    echo "$output"
    [ "$status" -ne 0 ]
    assert_one_line
    [[ "$output" == *"$2"* ]]
    [ -z "$(sk images -q)" ]
    [ -z "$(store_contents)" ]
  }
  # an entry outside the archive
  doctor "$BATS_TEST_TMPDIR/b1.tar" 'members[0][0].name = "../escape"'
  bad "$BATS_TEST_TMPDIR/b1.tar" "a path outside the archive"
  # a layer link that leaves it
  doctor "$BATS_TEST_TMPDIR/b2.tar" '
m = tarfile.TarInfo("evil/layer.tar"); m.type = tarfile.SYMTYPE; m.linkname = "../../etc/passwd"
members.append([m, None])
import json
for e in members:
    if e[0].name == "manifest.json":
        j = json.loads(e[1]); j[0]["Layers"][0] = "evil/layer.tar"; e[1] = json.dumps(j).encode()'
  bad "$BATS_TEST_TMPDIR/b2.tar" "a link outside the archive"
  # a layer whose content is not what the config says (diff_id)
  doctor "$BATS_TEST_TMPDIR/b3.tar" '
import json
man = json.loads([e for e in members if e[0].name == "manifest.json"][0][1])
first, second = man[0]["Layers"][0], man[0]["Layers"][1]
data = [e for e in members if e[0].name == second][0][1]
for e in members:
    if e[0].name == first: e[1] = data'
  bad "$BATS_TEST_TMPDIR/b3.tar" "layer 1: its content's digest is"
  # a manifest naming a file the archive lacks
  doctor "$BATS_TEST_TMPDIR/b4.tar" '
import json
for e in members:
    if e[0].name == "manifest.json":
        j = json.loads(e[1]); j[0]["Layers"].append("nosuch/layer.tar"); e[1] = json.dumps(j).encode()'
  bad "$BATS_TEST_TMPDIR/b4.tar" "the archive names \`nosuch/layer.tar\`, which it does not hold"
  # a name that is not a reference
  doctor "$BATS_TEST_TMPDIR/b5.tar" '
import json
for e in members:
    if e[0].name == "manifest.json":
        j = json.loads(e[1]); j[0]["RepoTags"] = ["Evil:../x"]; e[1] = json.dumps(j).encode()'
  bad "$BATS_TEST_TMPDIR/b5.tar" "RepoTags"
  # an OCI blob whose content is not its name
  cp -a "$LAYOUT" "$BATS_TEST_TMPDIR/lay"
  cfg=$(config_of v1)
  echo '{"tampered": true}' > "$BATS_TEST_TMPDIR/lay/blobs/sha256/${cfg#sha256:}"
  tar -C "$BATS_TEST_TMPDIR/lay" -cf "$BATS_TEST_TMPDIR/b6.tar" .
  bad "$BATS_TEST_TMPDIR/b6.tar" "the content's digest is"
  # not an image archive at all
  tar -C "$ROOTFS" -cf "$BATS_TEST_TMPDIR/b7.tar" etc
  bad "$BATS_TEST_TMPDIR/b7.tar" "no manifest.json or index.json in it"
  echo garbage > "$BATS_TEST_TMPDIR/b8.tar"
  bad "$BATS_TEST_TMPDIR/b8.tar" "not an image archive"
  run sk load -i "$BATS_TEST_TMPDIR/nosuch.tar"
  [ "$output" = "skiff: open \`$BATS_TEST_TMPDIR/nosuch.tar\`: No such file or directory" ]
}

# podman on a private root, its cache and runtime dirs kept off the host
# (podman wants a runroot path of at most 50 characters: a short one under
# the private /var/lib)
pm_private() {
  local d="$BATS_TEST_TMPDIR/podman"
  mkdir -p "$d/tmp"
  unshare --mount --propagation private sh -c 'mount -t tmpfs -o mode=0755 skiff-test-podman /var/lib && exec podman --root "$0/root" --runroot /var/lib/skiff-runroot --storage-driver vfs --tmpdir "$0/tmp" "$@"' "$d" "$@"
}

@test "save: docker's format and OCI, read back by skopeo, podman and skiff itself" {
  reg_skopeo copy -q "oci:$LAYOUT:v1" "docker-archive:$BATS_TEST_TMPDIR/d.tar:busybox:test"
  sk load -q -i "$BATS_TEST_TMPDIR/d.tar"
  id=$(sk image inspect busybox:test --format '{{.Id}}')
  layers=$(sk image inspect busybox:test --format '{{json .RootFS.Layers}}')
  sk save -o "$BATS_TEST_TMPDIR/s.tar" busybox:test
  sk save --format oci busybox:test > "$BATS_TEST_TMPDIR/o.tar"
  tar -xOf "$BATS_TEST_TMPDIR/s.tar" manifest.json | jq -e '.[0].RepoTags == ["docker.io/library/busybox:test"] and (.[0].Layers | length) == 3'
  tar -tf "$BATS_TEST_TMPDIR/o.tar" | grep -qx oci-layout
  # skopeo reads both: the same config and layers
  [ "$(reg_skopeo inspect --config "docker-archive:$BATS_TEST_TMPDIR/s.tar" | jq -c .rootfs.diff_ids)" = "$(echo "$layers" | jq -c .)" ]
  [ "$(reg_skopeo inspect --config "oci-archive:$BATS_TEST_TMPDIR/o.tar:busybox:test" | jq -c .rootfs.diff_ids)" = "$(echo "$layers" | jq -c .)" ]
  # podman loads what skiff saved, under the same id
  run pm_private load -q -i "$BATS_TEST_TMPDIR/s.tar"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "Loaded image: docker.io/library/busybox:test" ]
  [ "$(pm_private image inspect --format '{{.Id}}' docker.io/library/busybox:test)" = "${id#sha256:}" ]
  # and skiff again, in another data root
  run "$SKIFF" --data-root "$BATS_TEST_TMPDIR/other" load -i "$BATS_TEST_TMPDIR/o.tar"
  [ "$output" = "Loaded image: busybox:test" ]
  [ "$("$SKIFF" --data-root "$BATS_TEST_TMPDIR/other" image inspect --format '{{.Id}}' busybox:test)" = "$id" ]
  # a failed save leaves no file behind
  run sk save -o "$BATS_TEST_TMPDIR/none.tar" nosuch
  [ "$status" -ne 0 ]
  [ "$output" = "skiff: No such image: nosuch" ]
  [ -z "$(ls "$BATS_TEST_TMPDIR" | grep none.tar)" ]
  run sk save --format zip busybox:test
  [ "$status" -eq 125 ]
}
