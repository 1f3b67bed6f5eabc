#!/usr/bin/env bats
# skiff diff and skiff commit: a container's changes listed as docker lists
# them, and an image made of them that runs, saves and loads; bad input
# refused with one line and nothing made. Each test has its own data root
# (engine.bash) and leaves nothing behind.

bats_require_minimum_version 1.5.0
load helpers
load engine

image_count() { sk images -q | wc -l; }

@test "diff: added, changed and deleted files and directories, in docker's order" {
  sk run --name c1 busybox sh -c 'mkdir -p /new/sub && echo x > /new/sub/f && echo y >> /etc/passwd && rm /etc/group && touch /tmp/t && rm -rf /etc/x 2>/dev/null; mkdir /home/h' > /dev/null
  run sk diff c1
  [ "$status" -eq 0 ]
  expected='C /etc
D /etc/group
C /etc/passwd
C /home
A /home/h
A /new
A /new/sub
A /new/sub/f
C /tmp
A /tmp/t'
  [ "$output" = "$expected" ]
  # the same through `container diff`, and for a running container
  [ "$(sk container diff c1)" = "$expected" ]
  sk run -d --name c2 busybox sh -c 'echo hi > /tmp/f; sleep 100' > /dev/null
  until_true "sk diff c2 | grep -q 'A /tmp/f'"
  [ "$(sk diff c2)" = "$(printf 'C /tmp\nA /tmp/f')" ]
  # nothing changed: nothing printed
  sk create --name c3 busybox true > /dev/null
  run sk diff c3
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run sk diff nosuch
  [ "$status" -eq 1 ]
  assert_one_line
  [[ "$output" == *"No such container: nosuch"* ]]
}

@test "commit: the changes in a new image that runs; -a, -m, -c in its config and history" {
  sk run --name c1 -e FOO=bar -w /tmp busybox sh -c 'echo added > /file-added; rm /etc/group; mkdir -p /etc/x; echo old > /etc/x/old' > /dev/null
  sk commit c1 base:1 > /dev/null
  # an opaque directory: /etc/x replaced whole; /etc's mtime moved with it
  # (a second later: the layer's times are whole seconds, which docker
  # compares to the second)
  sleep 1
  sk run --name c2 base:1 sh -c 'rm -rf /etc/x; mkdir /etc/x; echo new > /etc/x/new' > /dev/null
  run sk diff c2
  [ "$output" = "$(printf 'C /etc\nC /etc/x\nA /etc/x/new')" ]
  run sk commit -a 'Ann Author <ann@example.com>' -m 'my message' -c 'CMD ["cat", "/file-added"]' \
    -c 'ENV NEW=1' -c 'LABEL team=blue' -c 'EXPOSE 8080' -c 'STOPSIGNAL SIGINT' c2 mine:2
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
  id=$output
  [ "$(sk image inspect --format '{{.Id}}' mine:2)" = "$id" ]
  [ "$(sk image inspect --format '{{.Author}}' mine:2)" = 'Ann Author <ann@example.com>' ]
  [ "$(sk image inspect --format '{{json .Config.Cmd}}' mine:2)" = '["cat","/file-added"]' ]
  [ "$(sk image inspect --format '{{.Config.WorkingDir}} {{.Config.Labels.team}} {{.Config.StopSignal}}' mine:2)" = '/tmp blue SIGINT' ]
  sk image inspect --format '{{json .Config.Env}}' mine:2 | jq -e 'index("FOO=bar") and index("NEW=1")'
  sk image inspect --format '{{json .Config.ExposedPorts}}' mine:2 | jq -e 'has("8080/tcp")'
  # three layers: busybox's and one per commit
  [ "$(sk image inspect --format '{{json .RootFS.Layers}}' mine:2 | jq length)" = 3 ]
  run sk history --no-trunc --format '{{.CreatedBy}}|{{.Comment}}' mine:2
  [ "${lines[0]}" = 'sh -c rm -rf /etc/x; mkdir /etc/x; echo new > /etc/x/new|my message' ]
  # the new image has the changes: added, deleted, the opaque directory
  [ "$(sk run --rm mine:2)" = added ]
  run sk run --rm mine:2 ls /etc/x
  [ "$output" = new ]
  run sk run --rm mine:2 ls /etc/group
  [ "$status" -ne 0 ]
  [ "$(sk run --rm mine:2 cat /etc/passwd | head -1 | cut -d: -f1)" = root ]
  # a commit of nothing still makes an image, with an empty layer
  sk create --name c3 busybox true > /dev/null
  run sk commit c3
  [ "$status" -eq 0 ]
  [ "$(sk image inspect --format '{{json .RootFS.Layers}}' "$output" | jq length)" = 2 ]
}

@test "commit of a running container pauses it and leaves it running; --pause=false does not" {
  sk run -d --name rn busybox sh -c 'echo x > /x; sleep 100' > /dev/null
  until_true "sk diff rn | grep -q 'A /x'"
  sk commit rn running:1 > /dev/null
  [ "$(sk inspect --format '{{.State.Status}}' rn)" = running ]
  sk events --since 1m --until 0s --filter container=rn --format '{{.Action}}' > "$BATS_TEST_TMPDIR/ev"
  grep -qx pause "$BATS_TEST_TMPDIR/ev"
  grep -qx unpause "$BATS_TEST_TMPDIR/ev"
  grep -qx commit "$BATS_TEST_TMPDIR/ev"
  [ "$(sk run --rm running:1 cat /x)" = x ]
  sk commit --pause=false rn running:2 > /dev/null
  [ "$(sk inspect --format '{{.State.Status}}' rn)" = running ]
}

@test "commit: hostile symlinks are packed as symlinks, nothing of the host in the layer; save and load" {
  canary="$BATS_TEST_TMPDIR/host-canary-$$"
  echo secret > "$canary"
  sk run --name hh busybox sh -c "ln -s / /escape; ln -s /etc /etc2; ln -s ../../.. /up; ln -s $canary /canary; echo a > /hl1; ln /hl1 /hl2" > /dev/null
  id=$(sk commit hh hostile:1)
  sk save -o "$BATS_TEST_TMPDIR/h.tar" hostile:1
  mkdir "$BATS_TEST_TMPDIR/x"
  tar -xf "$BATS_TEST_TMPDIR/h.tar" -C "$BATS_TEST_TMPDIR/x"
  top=$(jq -r '.[0].Layers[-1]' "$BATS_TEST_TMPDIR/x/manifest.json")
  tar -tvf "$BATS_TEST_TMPDIR/x/$top" > "$BATS_TEST_TMPDIR/list"
  cat "$BATS_TEST_TMPDIR/list"
  grep -q '^l.* escape -> /$' "$BATS_TEST_TMPDIR/list"
  grep -q '^l.* etc2 -> /etc$' "$BATS_TEST_TMPDIR/list"
  grep -q '^l.* up -> \.\./\.\./\.\.$' "$BATS_TEST_TMPDIR/list"
  grep -q "^l.* canary -> $canary\$" "$BATS_TEST_TMPDIR/list"
  grep -q '^h.* hl2 link to hl1$' "$BATS_TEST_TMPDIR/list"
  # only what the container made: nothing followed through a symlink
  ! grep -q 'secret' "$BATS_TEST_TMPDIR/x/$top"
  ! grep -qE ' (escape|etc2|up)/' "$BATS_TEST_TMPDIR/list"
  [ "$(wc -l < "$BATS_TEST_TMPDIR/list")" -eq 7 ]
  # the layer's digest is the diff_id of the config
  diff_id=$(sk image inspect --format '{{json .RootFS.Layers}}' hostile:1 | jq -r '.[1]')
  [ "sha256:$(sha256sum "$BATS_TEST_TMPDIR/x/$top" | cut -d' ' -f1)" = "$diff_id" ]
  # loads into a fresh data root and runs there
  DR2="$BATS_TEST_TMPDIR/data2"
  "$SKIFF" --data-root "$DR2" load -i "$BATS_TEST_TMPDIR/h.tar"
  [ "$("$SKIFF" --data-root "$DR2" images -q --no-trunc hostile:1)" = "$id" ]
  [ "$("$SKIFF" --data-root "$DR2" image inspect --format '{{json .RootFS.Layers}}' hostile:1 | jq length)" = 2 ]
  [ "$(sk run --rm hostile:1 readlink /escape)" = / ]
  [ "$(sk run --rm hostile:1 cat /hl2)" = a ]
  # a device node the container made is kept (load refuses such a layer
  # from an archive, so only the tar is looked at)
  sk run --name dv busybox mknod /null2 c 1 3 > /dev/null
  sk commit dv devs:1 > /dev/null
  sk save -o "$BATS_TEST_TMPDIR/d.tar" devs:1
  mkdir "$BATS_TEST_TMPDIR/d"
  tar -xf "$BATS_TEST_TMPDIR/d.tar" -C "$BATS_TEST_TMPDIR/d"
  top=$(jq -r '.[0].Layers[-1]' "$BATS_TEST_TMPDIR/d/manifest.json")
  tar -tvf "$BATS_TEST_TMPDIR/d/$top" | grep -q '^c.* 1,3 .* null2$'
  [ "$(sk run --rm devs:1 stat -c %t,%T /null2)" = 1,3 ]
}

@test "commit: a bad --change, a bad name, a missing container: one line, nothing made" {
  sk run --name cc busybox sh -c 'echo x > /x' > /dev/null
  before=$(image_count)
  blobs=$(ls "$DR/blobs/sha256" | wc -l)
  layers=$(ls "$DR/overlay" | wc -l)
  run sk commit -c 'BOGUS x' cc bad:1
  [ "$status" -eq 1 ]
  assert_one_line
  [[ "$output" == *"--change BOGUS: not an instruction commit takes"* ]]
  run sk commit -c 'CMD [1' cc bad:1
  [ "$status" -eq 1 ]
  assert_one_line
  run sk commit cc 'Bad:Name'
  [ "$status" -eq 1 ]
  assert_one_line
  run sk commit cc 'bad@sha256:0000000000000000000000000000000000000000000000000000000000000000'
  [ "$status" -eq 1 ]
  assert_one_line
  run sk commit nosuch bad:1
  [ "$status" -eq 1 ]
  assert_one_line
  [[ "$output" == *"No such container: nosuch"* ]]
  run sk commit
  [ "$status" -eq 125 ]
  [ "$(image_count)" = "$before" ]
  [ "$(ls "$DR/blobs/sha256" | wc -l)" = "$blobs" ]
  [ "$(ls "$DR/overlay" | wc -l)" = "$layers" ]
}

@test "diff and commit with the vfs driver: the copy compared with the image, the same lines; the image runs" {
  skv() { sk --storage-driver vfs "$@"; }
  skv run --name c1 busybox sh -c 'mkdir -p /new/sub && echo x > /new/sub/f && echo y >> /etc/passwd && rm /etc/group && touch /tmp/t && mkdir /home/h && ln -s / /escape && ln -s ../../../etc /up' > /dev/null
  run skv diff c1
  [ "$status" -eq 0 ]
  [ "$output" = 'A /escape
C /etc
D /etc/group
C /etc/passwd
C /home
A /home/h
A /new
A /new/sub
A /new/sub/f
C /tmp
A /tmp/t
A /up' ]
  id=$(skv commit -m vfs c1 vfsimg:1)
  [[ "$id" =~ ^sha256:[0-9a-f]{64}$ ]]
  run skv run --rm vfsimg:1 sh -c 'cat /new/sub/f; tail -n 1 /etc/passwd; test -e /etc/group || echo no-group; readlink /escape; readlink /up'
  [ "$output" = 'x
y
no-group
/
../../../etc' ]
  # its layer holds the changes only, the deletion as a whiteout, the links as links
  skv save -o "$BATS_TEST_TMPDIR/v.tar" vfsimg:1
  mkdir "$BATS_TEST_TMPDIR/v"
  tar -C "$BATS_TEST_TMPDIR/v" -xf "$BATS_TEST_TMPDIR/v.tar"
  layer=$(jq -r '.[0].Layers[-1]' "$BATS_TEST_TMPDIR/v/manifest.json")
  tar -tvf "$BATS_TEST_TMPDIR/v/$layer" > "$BATS_TEST_TMPDIR/list"
  grep -q ' etc/.wh.group$' "$BATS_TEST_TMPDIR/list"
  grep -q ' escape -> /$' "$BATS_TEST_TMPDIR/list"
  ! grep -q ' bin/' "$BATS_TEST_TMPDIR/list"
  # nothing of the scratch directory is left in the store
  [ -z "$(ls "$DR/vfs" | grep '^tmp-')" ]
}
