#!/usr/bin/env bats
# skiff's image commands on a data root of the test's own: import, images,
# tag, rmi, history, image inspect, image prune; docker's output; every bad
# input a one-line error that leaves nothing behind.

load helpers

setup() {
  DR="$BATS_TEST_TMPDIR/data"
  TARBALL="$BATS_TEST_TMPDIR/rootfs.tar.gz"
  tar -C "$ROOTFS" -czf "$TARBALL" .
}

sk() { "$SKIFF" --data-root "$DR" "$@"; }

# what the data root holds: blobs, layers, half-written files
store_contents() {
  ls "$DR/blobs/sha256" "$DR"/overlay "$DR"/vfs "$DR/ingest" 2>/dev/null | grep -v -e '^$' -e ':$' -e '^containers$' | sort
}

@test "import: a rootfs tarball becomes a one-layer image, printed as its id" {
  run sk import -c 'CMD ["sh", "-c", "echo hi"]' -c 'ENV A=b' -c 'WORKDIR /tmp' -c 'EXPOSE 80' \
    -c 'USER 1000' -c 'LABEL k=v' -m 'from the test' "$TARBALL" mybox:1.0
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
  id=$output
  # the config is stored under its digest, which is the id
  [ "sha256:$(sha256sum "$DR/blobs/sha256/${id#sha256:}" | cut -d' ' -f1)" = "$id" ]
  run sk image inspect mybox:1.0
  [ "$status" -eq 0 ]
  echo "$output" | jq -e --arg id "$id" '.[0] | .Id == $id and .RepoTags == ["mybox:1.0"]
    and .Config.Cmd == ["sh", "-c", "echo hi"] and .Config.Env == ["A=b"] and .Config.WorkingDir == "/tmp"
    and .Config.ExposedPorts == {"80/tcp": {}} and .Config.User == "1000" and .Config.Labels == {"k": "v"}
    and .Os == "linux" and .Architecture == "amd64" and .RootFS.Type == "layers" and (.RootFS.Layers | length) == 1
    and .Comment == "from the test" and .Size > 0'
  # the layer holds the rootfs, unpacked once, under its chain id (= its diff_id)
  diff_id=$(echo "$output" | jq -r '.[0].RootFS.Layers[0]')
  [ "$diff_id" = "sha256:$(gunzip -c "$TARBALL" | sha256sum | cut -d' ' -f1)" ]
  layer="$DR/overlay/${diff_id#sha256:}/diff"
  [ -x "$layer/bin/busybox" ]
  cmp "$layer/bin/busybox" "$ROOTFS/bin/busybox"
  # --format
  run sk image inspect --format '{{.Id}} {{.Config.Cmd}} {{json .RepoTags}}' mybox:1.0
  [ "$output" = "$id [sh -c echo hi] [\"mybox:1.0\"]" ]
}

@test "import from stdin, plain and compressed; the same content is stored once" {
  id1=$(sk import "$TARBALL" a:1)
  id2=$(gunzip -c "$TARBALL" | sk import - b:1)
  [ -n "$id1" ] && [ -n "$id2" ]
  # two configs (one per import time) but one layer
  [ "$(ls "$DR/overlay" | grep -vc containers)" -eq 1 ]
  run sk images --format '{{.Repository}}:{{.Tag}}'
  [ "${#lines[@]}" -eq 2 ]
}

@test "images: docker's table, -q, --no-trunc, --digests, a reference, filters, --format" {
  id=$(sk import "$TARBALL" mybox:1)
  sk tag mybox:1 reg.example:5000/team/box:v2
  run sk images
  [ "$status" -eq 0 ]
  echo "$output"
  [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +IMAGE\ ID\ +CREATED\ +SIZE$ ]]
  [[ "$output" =~ mybox\ +1\ +${id:7:12}\ +(Less\ than\ a\ second|1\ second|[0-9]+\ seconds)\ ago\ +[0-9.]+MB ]]
  [[ "$output" == *"reg.example:5000/team/box   v2 "* ]]
  run sk images -q
  [ "${lines[0]}" = "${id:7:12}" ] && [ "${#lines[@]}" -eq 2 ]
  run sk images -q --no-trunc mybox
  [ "$output" = "$id" ]
  run sk images --digests
  [[ "${lines[0]}" =~ ^REPOSITORY\ +TAG\ +DIGEST\ +IMAGE\ ID ]]
  run sk images --format '{{.Repository}} {{.Tag}} {{.ID}}' 'reg.example:5000/*/*'
  [ "$output" = "reg.example:5000/team/box v2 ${id:7:12}" ]
  run sk images --filter reference='mybox:*' --format '{{.Repository}}'
  [ "$output" = mybox ]
  run sk images --filter dangling=true -q
  [ -z "$output" ]
  run sk images --format 'table {{.ID}}\t{{.Tag}}'
  [[ "${lines[0]}" =~ ^IMAGE\ ID\ +TAG$ ]]
  run sk images --format '{{json .}}' mybox
  echo "$output" | jq -e '.Repository == "mybox" and .Tag == "1"'
  run sk images --filter color=red
  [ "$status" -ne 0 ]
  [ "$output" = "skiff: invalid filter 'color'" ]
  run sk images --format '{{.Nope}}'
  [ "$status" -ne 0 ]
  [[ "$output" == *"can't evaluate field Nope"* ]]
}

@test "tag and rmi: untag while another tag remains, refuse an id with several names, remove the rest" {
  id=$(sk import "$TARBALL" one:1)
  sk tag one:1 two
  run sk rmi "${id:7:12}"
  [ "$status" -eq 1 ]
  [ "$output" = "Error: conflict: unable to delete ${id:7:12} (must be forced) - image is referenced in multiple repositories" ]
  run sk rmi one:1
  [ "$status" -eq 0 ]
  [ "$output" = "Untagged: one:1" ]
  before=$(store_contents)
  [ -n "$before" ]
  run sk rmi two
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "Untagged: two:latest" ]
  [ "${lines[1]}" = "Deleted: $id" ]
  # the layer and every blob went with it
  [ -z "$(store_contents)" ]
  run sk images -q
  [ -z "$output" ]
  # -f removes an image with several names at once
  id=$(sk import "$TARBALL" x:1)
  sk tag x:1 y:1
  run sk rmi -f "$id"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Untagged: x:1"*"Untagged: y:1"*"Deleted: $id"* ]]
  [ -z "$(store_contents)" ]
}

@test "history shows the import, with its size and comment" {
  id=$(sk import -m 'a comment' "$TARBALL" h:1)
  run sk history h:1
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" =~ ^IMAGE\ +CREATED\ +CREATED\ BY\ +SIZE\ +COMMENT$ ]]
  [[ "${lines[1]}" =~ ^${id:7:12}\ +.*\ ago\ +skiff\ import\ +[0-9.]+MB\ +a\ comment$ ]]
  run sk history -q --no-trunc h:1
  [ "$output" = "$id" ]
}

@test "image prune removes dangling images; -a all of them; the prompt without -f" {
  sk import "$TARBALL" > /dev/null
  sk import "$TARBALL" kept:1 > /dev/null
  run sk image prune <<< n
  [ "$status" -eq 0 ]
  [ "$(sk images -q | wc -l)" -eq 2 ]
  run sk image prune -f
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "Deleted Images:" ]
  [[ "$output" == *"Total reclaimed space: "* ]]
  run sk images --format '{{.Repository}}'
  [ "$output" = kept ]
  run sk image prune -a -f
  [[ "$output" == *"untagged: kept:1"* ]]
  [ -z "$(sk images -q)" ]
  [ -z "$(store_contents)" ]
}

@test "image prune --filter until=: images created before a time, or before a duration ago" {
  old=$(sk import "$TARBALL" old:1)
  sleep 1
  t=$(date +%s)
  sleep 1
  new=$(sk import "$TARBALL" new:1)
  # a duration: nothing is an hour old
  run sk image prune -a -f --filter until=1h
  [ "$status" -eq 0 ]
  [ "$output" = "Total reclaimed space: 0B" ]
  [ "$(sk images -q | wc -l)" -eq 2 ]
  # an RFC 3339 time between the two imports, then the same as a Unix time
  run sk image prune -a -f --filter "until=$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ)"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "Deleted Images:" ]
  [ "${lines[1]}" = "untagged: old:1" ]
  [ "${lines[2]}" = "deleted: $old" ]
  [[ "$output" != *new:1* ]]
  run sk images --format '{{.Repository}} {{.ID}}' --no-trunc
  [ "$output" = "new $new" ]
  run sk image prune -a -f --filter "until=$t"
  [ "$output" = "Total reclaimed space: 0B" ]
  run sk image prune -a -f --filter "until=$((t + 3600))"
  [[ "$output" == *"untagged: new:1"* ]]
  [ -z "$(sk images -q)" ]
  [ -z "$(store_contents)" ]
}

@test "image prune --filter label= and label!=: on the labels of the image's config" {
  red=$(sk import -c 'LABEL team=red' "$TARBALL" red:1)
  blue=$(sk import -c 'LABEL team=blue' "$TARBALL" blue:1)
  none=$(sk import "$TARBALL" none:1)
  run sk image prune -a -f --filter 'label!=team'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = "untagged: none:1" ]
  [ "$(sk images --format '{{.Repository}}' | sort | tr '\n' ' ')" = "blue red " ]
  # key and value, and every filter given must hold
  run sk image prune -a -f --filter label=team=red --filter 'label!=team=blue'
  echo "$output"
  [ "${lines[1]}" = "untagged: red:1" ]
  [ "${lines[2]}" = "deleted: $red" ]
  run sk images --format '{{.ID}}' --no-trunc
  [ "$output" = "$blue" ]
  run sk image prune -a -f --filter label=other --filter label=team
  [ "$output" = "Total reclaimed space: 0B" ]
  run sk image prune -a -f --filter label=team
  [ "${lines[1]}" = "untagged: blue:1" ]
  [ -z "$(sk images -q)" ]
}

@test "image prune: a bad filter is a one-line error before anything is removed" {
  sk import "$TARBALL" > /dev/null
  run sk image prune -f --filter dangling=true
  [ "$status" -eq 1 ]
  [ "$output" = "skiff: invalid filter 'dangling' (image prune takes until, label and label!=)" ]
  run sk image prune -f --filter until=yesterday
  [ "$status" -eq 1 ]
  [ "$output" = "skiff: invalid filter 'until=yesterday': not a time (a Unix time, RFC 3339) or a duration (10m, 2h)" ]
  run sk image prune -f --filter label
  [ "$status" -eq 1 ]
  [ "$output" = "skiff: bad format of filter (expected name=value)" ]
  [ "$(sk images -q | wc -l)" -eq 1 ]
}

@test "bad input: one-line errors, a non-zero exit, nothing stored" {
  run sk import "$TARBALL" 'Bad:Name'
  [ "$status" -ne 0 ]
  [ "$output" = "skiff: invalid image reference \`Bad:Name\`: repository name must be lowercase" ]
  run sk import -c 'RUN rm -rf /' "$TARBALL" x
  [ "$status" -ne 0 ]
  assert_one_line
  [[ "$output" == *"--change RUN: not an instruction import takes"* ]]
  run sk import -c 'CMD ["sh", 1]' "$TARBALL" x
  [ "$status" -ne 0 ]
  [[ "$output" == *"--change CMD: the exec form is a JSON array of strings"* ]]
  run sk import -c 'EXPOSE 99999' "$TARBALL" x
  [[ "$output" == *"--change EXPOSE: \`99999\` is not PORT[/tcp|udp|sctp]"* ]]
  run sk import "$BATS_TEST_TMPDIR/nosuch.tar" x
  [ "$status" -ne 0 ]
  [ "$output" = "skiff: open \`$BATS_TEST_TMPDIR/nosuch.tar\`: No such file or directory" ]
  run sk import - x < /dev/null
  [ "$status" -ne 0 ]
  [[ "$output" == *"the tarball is empty"* ]]
  run sk import - x <<< "not a tarball at all"
  [ "$status" -ne 0 ]
  assert_one_line
  run sk import http://127.0.0.1:1/rootfs.tar x
  [ "$status" -ne 0 ]
  [[ "$output" == *"importing from a URL is not supported"* ]]
  # a layer trying to escape: refused, and nothing of it kept
  mkdir -p "$BATS_TEST_TMPDIR/evil"
  python3 - "$BATS_TEST_TMPDIR/evil.tar" <<'PY'
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w") as t:
    data = b"pwned\n"
    info = tarfile.TarInfo("../../escaped")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
PY
  run sk import "$BATS_TEST_TMPDIR/evil.tar" evil
  [ "$status" -ne 0 ]
  assert_one_line
  [[ "$output" == *"../../escaped"* ]]
  [ ! -e "$DR/escaped" ] && [ ! -e "$BATS_TEST_TMPDIR/escaped" ]
  run sk images -q
  [ -z "$output" ]
  [ -z "$(store_contents)" ]
  # unknown images and commands
  run sk rmi nosuch
  [ "$status" -eq 1 ]
  [ "$output" = "Error: No such image: nosuch" ]
  run sk image inspect nosuch
  [ "$status" -eq 1 ]
  [[ "$output" == *"Error: No such image: nosuch"* ]]
  run sk tag nosuch x
  [ "$output" = "skiff: No such image: nosuch" ]
  run sk frobnicate
  [ "$status" -eq 125 ]
  run sk images a b
  [ "$status" -eq 125 ]
}

@test "the vfs driver stores the same image as a plain directory" {
  run "$SKIFF" --data-root "$DR" --storage-driver vfs import "$TARBALL" v:1
  [ "$status" -eq 0 ]
  [ -x "$DR/vfs/$(ls "$DR/vfs" | grep -v containers)/diff/bin/busybox" ]
  run "$SKIFF" --data-root "$DR" --storage-driver zfs images
  [ "$status" -ne 0 ]
  [[ "$output" == *"unknown storage driver \`zfs\` (overlay or vfs)"* ]]
}

@test "the driver: the data root's own, else overlay; vfs by itself on a filesystem overlay cannot sit on" {
  # a root used with vfs stays vfs without the flag, as Docker keeps its prior driver
  "$SKIFF" --data-root "$DR" --storage-driver vfs import "$TARBALL" v:1 > /dev/null
  "$SKIFF" --data-root "$DR" import "$TARBALL" v:2 > /dev/null
  [ ! -e "$DR/overlay" ]
  # a data root on an overlay (as in a container): vfs, and the image is whole;
  # asked for overlay there, a one-line error, and no overlay directory made
  local o="$BATS_TEST_TMPDIR/ovl"
  mkdir -p "$o/lower" "$o/upper" "$o/work" "$o/merged"
  run unshare --mount --propagation private sh -c '
    mount -t overlay skiff-test-ovl -o "lowerdir=$1/lower,upperdir=$1/upper,workdir=$1/work" "$1/merged" || exit 9
    "$2" --data-root "$1/merged/root" import "$3" v:1 > /dev/null || exit 1
    ls "$1/merged/root"
    "$2" --data-root "$1/merged/root" images --format "{{.Repository}}:{{.Tag}}"
    "$2" --data-root "$1/merged/root2" --storage-driver overlay images
    echo "exit $?"
    ls "$1/merged/root2"' sh "$o" "$SKIFF" "$TARBALL"
  [ "$status" -eq 0 ]
  [[ "$output" == *$'\nvfs\n'* ]]
  [[ "$output" != *overlay-probe* ]]
  [[ "$output" == *$'\nv:1\n'* ]]
  [[ "$output" == *"skiff: data root \`$o/merged/root2\`: storage driver overlay: its filesystem cannot hold overlay's upper directories (use vfs)"$'\n'"exit 1" ]]
  [ -z "$(grep "$o" /proc/self/mountinfo)" ]
}

@test "busybox:latest, when it is needed and not there, is the image bundled with skiff: no network" {
  run sk images -q
  [ -z "$output" ]
  run sk image inspect busybox --format '{{.Id}} {{json .RepoTags}} {{json .Config.Cmd}}'
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^sha256:[0-9a-f]{64}\ \[\"busybox:latest\"\]\ \[\"sh\"\]$ ]]
  id=${output%% *}
  # the same image on every machine with this busybox-static: it is reproducible
  rm -rf "$DR"
  [ "$(sk image inspect busybox --format '{{.Id}}')" = "$id" ]
  layer=$(sk image inspect busybox --format '{{.GraphDriver.Data.UpperDir}}')
  cmp "$layer/bin/busybox" "$(command -v busybox)"
  [ "$(readlink "$layer/bin/sh")" = busybox ]
  # another tag of busybox is not bundled
  run sk image inspect busybox:1.36
  [ "$status" -ne 0 ]
}

@test "daemon.json: Docker's keys for the data root and the storage driver, below the command line" {
  conf="$BATS_TEST_TMPDIR/daemon.json"
  printf '{"data-root": "%s", "storage-driver": "vfs", "insecure-registries": ["10.0.0.0/8"], "log-opts": {}}\n' \
    "$BATS_TEST_TMPDIR/from-json" > "$conf"
  run "$SKIFF" --daemon-config "$conf" import "$TARBALL" j:1
  [ "$status" -eq 0 ]
  [ -d "$BATS_TEST_TMPDIR/from-json/vfs" ]
  # the command line wins
  run "$SKIFF" --daemon-config "$conf" --data-root "$DR" --storage-driver overlay images -q
  [ -z "$output" ]
  [ -d "$DR/overlay" ]
  echo '{"storage-driver": "vfs", "frobnicate": true}' > "$conf"
  run "$SKIFF" --daemon-config "$conf" images
  [ "$status" -ne 0 ]
  [ "$output" = "skiff: $conf: unknown setting \`frobnicate\`" ]
  echo '{"data-root": 5}' > "$conf"
  run "$SKIFF" --daemon-config "$conf" images
  [ "$output" = "skiff: $conf: data-root: expected a string" ]
  run "$SKIFF" --daemon-config "$BATS_TEST_TMPDIR/nosuch.json" images
  [ "$status" -ne 0 ]
  assert_one_line
}

@test "a decompression bomb is stopped before it fills the disk, and nothing of it is kept" {
  # 1 GB of zeros, about 1 MB compressed, against a data root of 128 MB
  python3 - "$BATS_TEST_TMPDIR/bomb.tar.gz" <<'PY'
import gzip, sys, tarfile
class Zeros:
    def __init__(self, n): self.left = n
    def read(self, k=-1):
        k = self.left if k < 0 else min(k, self.left)
        self.left -= k
        return b"\0" * k
with gzip.open(sys.argv[1], "wb", compresslevel=1) as g:
    with tarfile.open(fileobj=g, mode="w|") as t:
        info = tarfile.TarInfo("zeros")
        info.size = 1 << 30
        t.addfile(info, Zeros(info.size))
PY
  [ "$(stat -c %s "$BATS_TEST_TMPDIR/bomb.tar.gz")" -lt 5000000 ]
  mkdir -p "$BATS_TEST_TMPDIR/small"
  # a private mount namespace: the small filesystem is gone with it
  run unshare --mount --propagation private sh -c '
    mount -t tmpfs -o size=128m skiff-test-small "$1" || exit 9
    "$2" --data-root "$1/data" import "$3" bomb:1
    echo "status=$?"
    df -k "$1" | awk "NR == 2 {print \"used=\" \$3}"
    "$2" --data-root "$1/data" images -q | wc -l' sh "$BATS_TEST_TMPDIR/small" "$SKIFF" "$BATS_TEST_TMPDIR/bomb.tar.gz"
  echo "$output"
  [[ "$output" == *"layer exceeds"* ]]
  [[ "$output" == *"status=1"* ]]
  # what is left is the database and little else
  used=$(echo "$output" | sed -n 's/^used=//p')
  [ "$used" -lt 4096 ]
  [ "${lines[-1]}" = 0 ]
}
