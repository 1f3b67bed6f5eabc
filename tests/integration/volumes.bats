#!/usr/bin/env bats
# Volumes and mounts against the real kernel: named and anonymous volumes
# of the local driver, -v and --mount binds, tmpfs, --volumes-from, an
# image's VOLUME filled into a new volume (copy-up), rm -v, and the volume
# commands with docker's output. Each bad input: a one-line error, a
# non-zero exit, and no container or volume left.

bats_require_minimum_version 1.5.0
load helpers
load engine

# an image of busybox with /data holding files of other owners and modes,
# and VOLUME /data
volume_image() {
  local stage="$BATS_TEST_TMPDIR/stage"
  cp -a "$ROOTFS" "$stage"
  rm -rf "$stage/data"
  mkdir -p "$stage/data/sub"
  echo from-image > "$stage/data/file"
  chown 1234:5678 "$stage/data/file"
  chmod 0640 "$stage/data/file"
  chown 42:43 "$stage/data/sub"
  chmod 0750 "$stage/data/sub"
  chown 7:8 "$stage/data"
  chmod 0711 "$stage/data"
  ln -s file "$stage/data/link"
  tar -C "$stage" -cf "$BATS_TEST_TMPDIR/vimg.tar" .
  sk import -c 'VOLUME /data' "$BATS_TEST_TMPDIR/vimg.tar" vimg > /dev/null
  rm -rf "$stage" "$BATS_TEST_TMPDIR/vimg.tar"
}

# nothing was made: no container, no volume
assert_nothing_made() {
  [ -z "$(sk ps -aq)" ] || { echo "container left: $(sk ps -a)"; return 1; }
  [ -z "$(sk volume ls -q)" ] || { echo "volume left: $(sk volume ls)"; return 1; }
}

@test "a named volume: its data outlives the container, read-only when asked, Docker's inspect" {
  sk run --name ww -v data1:/data busybox sh -c 'echo kept > /data/f; mkdir /data/d' > /dev/null
  [ "$(sk volume ls -q)" = data1 ]
  run sk inspect -f '{{json .Mounts}}' ww
  [ "$output" = "[{\"Type\":\"volume\",\"Name\":\"data1\",\"Source\":\"$DR/volumes/data1/_data\",\"Destination\":\"/data\",\"Driver\":\"local\",\"Mode\":\"\",\"RW\":true,\"Propagation\":\"\"}]" ]
  sk rm -v ww > /dev/null # -v: never a named volume
  [ "$(sk run --rm -v data1:/x busybox cat /x/f)" = kept ]
  run sk run --rm -v data1:/x:ro busybox sh -c 'cat /x/f; touch /x/g'
  [ "$status" -eq 1 ]
  [[ "$output" == *kept*"Read-only file system"* ]]
  [ ! -e "$DR/volumes/data1/_data/g" ]
  run sk volume inspect data1
  [ "$status" -eq 0 ]
  echo "$output" | jq -e --arg mp "$DR/volumes/data1/_data" '.[0] | .Name == "data1" and .Driver == "local" and .Mountpoint == $mp and .Scope == "local" and .Labels == null and .Options == null and (.CreatedAt | test("^[0-9-]{10}T[0-9:]{8}Z$"))'
  # a kill -9 of the attached skiff run: the container runs on and writes
  sk run -v data1:/data busybox sh -c 'sleep 0.5; echo after-cli > /data/cli' 3>&- &
  cli=$!
  sleep 0.2
  kill -9 "$cli"
  until_true "[ -s '$DR/volumes/data1/_data/cli' ]"
  [ "$(sk run --rm -v data1:/data busybox cat /data/cli)" = after-cli ]
  # a kill -9 of the shim and the container loses nothing written
  id=$(sk run -d -v data1:/data busybox sh -c 'echo late > /data/late; sync; sleep 100')
  until_true "[ -s '$DR/volumes/data1/_data/late' ]"
  for pid in $(shim_pids); do kill -9 "$pid"; done
  sk rm -f "$id" > /dev/null
  [ "$(sk run --rm -v data1:/data busybox cat /data/late /data/f)" = "late
kept" ]
}

@test "anonymous volumes: -v /path and the image's VOLUME; rm keeps them, rm -v and run --rm remove them" {
  id=$(sk create -v /scratch busybox true)
  name=$(sk inspect -f '{{json .Mounts}}' "$id" | jq -r '.[0].Name')
  [[ "$name" =~ ^[0-9a-f]{64}$ ]]
  [ -d "$DR/volumes/$name/_data" ]
  sk rm "$id" > /dev/null
  [ "$(sk volume ls -q)" = "$name" ] # kept, dangling
  [ "$(sk volume ls -q -f dangling=true)" = "$name" ]
  sk volume rm "$name" > /dev/null
  id=$(sk create -v /scratch -v named1:/n busybox true)
  sk rm -v "$id" > /dev/null
  [ "$(sk volume ls -q)" = named1 ] # the anonymous one went, the named one stayed
  sk run --rm -v /scratch busybox true
  [ "$(sk volume ls -q)" = named1 ]
  [ ! -e "$DR/volumes/$name" ]
  # a volume another container still has is not removed by rm -v
  sk run --name one -v /shared busybox true
  sk run --name two --volumes-from one busybox true
  shared=$(sk inspect -f '{{json .Mounts}}' one | jq -r '.[0].Name')
  sk rm -v one > /dev/null
  [ -d "$DR/volumes/$shared/_data" ]
  sk rm -v two > /dev/null
  [ ! -e "$DR/volumes/$shared" ]
}

@test "copy-up: a new volume is filled with the image's content at its path, owners and modes kept" {
  volume_image
  id=$(sk create vimg true)
  name=$(sk inspect -f '{{json .Mounts}}' "$id" | jq -r '.[0].Name')
  [[ "$name" =~ ^[0-9a-f]{64}$ ]]
  run sk inspect -f '{{json .Mounts}}' "$id"
  [ "$(echo "$output" | jq -r '.[] | "\(.Type) \(.Destination) \(.RW)"')" = "volume /data true" ]
  sk start "$id" > /dev/null
  sk wait "$id" > /dev/null
  d="$DR/volumes/$name/_data"
  [ "$(cat "$d/file")" = from-image ]
  [ "$(stat -c '%u:%g %a' "$d/file")" = "1234:5678 640" ]
  [ "$(stat -c '%u:%g %a' "$d/sub")" = "42:43 750" ]
  [ "$(stat -c '%u:%g %a' "$d")" = "7:8 711" ] # the volume's own directory too
  [ "$(readlink "$d/link")" = file ]
  # a named volume new and empty is filled too; one with data is left as it is
  [ "$(sk run --rm -v fresh:/data vimg cat /data/file)" = from-image ]
  sk run --rm -v mine:/m busybox sh -c 'echo own > /m/own'
  run sk run --rm -v mine:/data vimg ls /data
  [ "$output" = own ]
  # nocopy: left empty
  run sk run --rm -v empty:/data:nocopy vimg ls -A /data
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run sk run --rm --mount type=volume,src=empty2,dst=/data,volume-nocopy vimg ls -A /data
  [ -z "$output" ]
  # a volume emptied later is not filled again
  sk run --rm -v fresh:/data vimg rm -rf /data/file /data/sub /data/link
  run sk run --rm -v fresh:/data vimg ls -A /data
  [ -z "$output" ]
}

@test "a hostile image: VOLUME on a symlink out of the root fills and mounts inside it, never the host's" {
  mark="skiff-vol-$$-$BATS_TEST_NUMBER"
  stage="$BATS_TEST_TMPDIR/hostile"
  cp -a "$ROOTFS" "$stage"
  rm -rf "$stage/data" # (the shared rootfs may hold a mount point of another test there)
  ln -s ../../../../../../etc "$stage/data"
  ln -s /etc/shadow "$stage/etc/host-shadow"
  tar -C "$stage" -cf "$BATS_TEST_TMPDIR/hostile.tar" .
  sk import -c 'VOLUME /data' "$BATS_TEST_TMPDIR/hostile.tar" hostile > /dev/null
  before=$(ls -la /etc | md5sum)
  id=$(sk create hostile sh -c "echo pwned > /data/$mark; cat /data/passwd")
  name=$(sk inspect -f '{{json .Mounts}}' "$id" | jq -r '.[0].Name')
  sk start -a "$id" > "$BATS_TEST_TMPDIR/out"
  [ ! -e "/etc/$mark" ]
  [ "$(ls -la /etc | md5sum)" = "$before" ]
  d="$DR/volumes/$name/_data"
  [ -f "$d/$mark" ]
  # the volume holds the container's /etc (busybox's passwd), not the host's
  cmp "$d/passwd" "$ROOTFS/etc/passwd"
  cmp "$BATS_TEST_TMPDIR/out" "$ROOTFS/etc/passwd"
  [ "$(readlink "$d/host-shadow")" = /etc/shadow ] # a link, copied as a link
}

@test "binds: -v HOST:DST[:ro], a missing host directory made; --mount bind, read-only and nonrecursive" {
  host="$BATS_TEST_TMPDIR/host"
  mkdir -p "$host"
  echo from-host > "$host/in"
  run sk run --rm -v "$host:/h" busybox sh -c 'cat /h/in; echo back > /h/out'
  [ "$output" = from-host ]
  [ "$(cat "$host/out")" = back ]
  run sk run --rm -v "$host:/h:ro" busybox sh -c 'touch /h/x'
  [ "$status" -eq 1 ]
  [ ! -e "$host/x" ]
  sk run --rm -v "$BATS_TEST_TMPDIR/made/deep:/m" busybox touch /m/y
  [ -f "$BATS_TEST_TMPDIR/made/deep/y" ]
  run sk run --rm --mount "type=bind,source=$host,target=/h,readonly" busybox sh -c 'cat /h/in; touch /h/z'
  [ "$status" -eq 1 ]
  [[ "$output" == from-host*"Read-only file system"* ]]
  [ ! -e "$host/z" ]
  id=$(sk create --mount "type=bind,src=$host,dst=/h,bind-propagation=rslave" busybox true)
  run sk inspect -f '{{json .Mounts}}' "$id"
  [ "$(echo "$output" | jq -r '.[] | "\(.Type) \(.Source) \(.Destination) \(.RW) \(.Propagation)"')" = "bind $host /h true rslave" ]
  # a mount under the bound directory is carried in (rbind) unless nonrecursive
  mkdir -p "$host/sub"
  mount -t tmpfs tmpfs "$host/sub"
  echo inner > "$host/sub/inner"
  run sk run --rm -v "$host:/h" busybox cat /h/sub/inner
  r1=$output
  run sk run --rm --mount "type=bind,src=$host,dst=/h,bind-nonrecursive" busybox ls -A /h/sub
  r2=$output
  umount "$host/sub"
  [ "$r1" = inner ]
  [ -z "$r2" ]
  # rslave: a mount made on the host under a shared source appears inside
  shared="$BATS_TEST_TMPDIR/shared"
  mkdir -p "$shared/sub"
  mount --bind "$shared" "$shared"
  mount --make-shared "$shared"
  id=$(sk run -d -v "$shared:/h:rslave" busybox sleep 100)
  mount -t tmpfs tmpfs "$shared/sub"
  touch "$shared/sub/late"
  run sk exec "$id" ls /h/sub
  umount "$shared/sub"
  umount "$shared"
  [ "$output" = late ]
}

@test "tmpfs mounts: --mount type=tmpfs with size and mode; volumes of the local driver's tmpfs and bind options" {
  run sk run --rm --mount type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770 busybox sh -c 'stat -c %a /t; grep " /t " /proc/mounts'
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" = 1770 ]]
  [[ "${lines[1]}" == "tmpfs /t tmpfs rw,nosuid,nodev,noexec,"*"size=1024k,mode=1770"* ]]
  sk volume create --driver local --opt type=tmpfs --opt device=tmpfs --opt o=size=2m tv > /dev/null
  run sk run --rm -v tv:/t busybox grep " /t " /proc/mounts
  [[ "$output" == "tmpfs /t tmpfs rw,"*"size=2048k"* ]]
  # --mount's volume-opt and volume-label make the volume so
  run sk run --rm --mount type=volume,src=mv,dst=/v,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=3m,volume-label=team=blue busybox grep " /v " /proc/mounts
  [[ "$output" == "tmpfs /v tmpfs rw,"*"size=3072k"* ]]
  [ "$(sk volume inspect -f '{{json .Options}} {{json .Labels}}' mv)" = '{"type":"tmpfs","device":"tmpfs","o":"size=3m"} {"team":"blue"}' ]
  host="$BATS_TEST_TMPDIR/dev"
  mkdir -p "$host"
  sk volume create -o type=none -o o=bind -o "device=$host" bv > /dev/null
  sk run --rm -v bv:/b busybox sh -c 'echo via-volume > /b/f'
  [ "$(cat "$host/f")" = via-volume ]
  run sk volume inspect -f '{{json .Options}}' bv
  [ "$output" = "{\"type\":\"none\",\"o\":\"bind\",\"device\":\"$host\"}" ]
}

@test "--volumes-from: the other container's volumes and binds, :ro making them read-only" {
  host="$BATS_TEST_TMPDIR/h"
  mkdir -p "$host"
  sk run --name src -v "$host:/h" -v shared:/s busybox sh -c 'echo one > /s/f' > /dev/null
  [ "$(sk run --rm --volumes-from src busybox sh -c 'cat /s/f; touch /h/w; echo two > /s/f; cat /s/f')" = "one
two" ]
  [ -e "$host/w" ]
  run sk run --rm --volumes-from src:ro busybox sh -c 'cat /s/f; touch /s/g'
  [ "$status" -eq 1 ]
  [[ "$output" == two*"Read-only file system"* ]]
  run sk run --rm --volumes-from nosuch busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"No such container: nosuch"* ]]
  run sk run --rm --volumes-from src:rx busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"invalid mode for volumes-from: rx"* ]]
}

@test "volume commands: create (name, labels, made up), ls with filters and --format, rm refused in use, prune" {
  [ "$(sk volume create --name v1 --label a=b --label c)" = v1 ]
  [ "$(sk volume create v1)" = v1 ] # there already: the same volume
  anon=$(sk volume create)
  [[ "$anon" =~ ^[0-9a-f]{64}$ ]]
  run sk volume ls
  [ "${lines[0]}" = "DRIVER    VOLUME NAME" ]
  [[ "$output" == *"local     v1"* ]]
  sk run --name user -v v1:/v busybox true
  sk run --name other busybox true
  [ "$(sk ps -a --filter volume=v1 --format '{{.Names}}')" = user ]
  [ "$(sk ps -a --filter volume=/v --format '{{.Names}}')" = user ]
  [ "$(sk inspect -f '{{.Name}} {{.Driver}}' v1)" = "v1 local" ] # inspect finds volumes too
  [ "$(sk volume ls -q -f dangling=false)" = v1 ]
  [ "$(sk volume ls -q -f dangling=true)" = "$anon" ]
  [ "$(sk volume ls -q -f label=a=b)" = v1 ]
  [ "$(sk volume ls -q -f name=v)" = v1 ]
  [ "$(sk volume ls --format '{{.Name}} {{.Driver}} {{.Labels}}' -f name=v1)" = "v1 local a=b,c=" ]
  run sk volume rm v1
  [ "$status" -eq 1 ]
  id=$(sk inspect -f '{{.Id}}' user)
  [ "$output" = "Error response from daemon: remove v1: volume is in use - [$id]" ]
  [ -d "$DR/volumes/v1/_data" ]
  run sk volume rm nosuch
  [ "$status" -eq 1 ]
  [ "$output" = "Error response from daemon: get nosuch: no such volume" ]
  run sk volume rm -f nosuch
  [ "$status" -eq 0 ]
  run sk volume inspect nosuch
  [ "$status" -eq 1 ]
  [[ "$output" == *"no such volume"* ]]
  # prune: unused anonymous volumes; -a: every unused one; in use: kept
  id=$(sk create -v /scratch busybox true)
  scratch=$(sk inspect -f '{{json .Mounts}}' "$id" | jq -r '.[0].Name')
  sk rm "$id" > /dev/null
  echo 12345 > "$DR/volumes/$scratch/_data/f"
  run sk volume prune -f
  [ "$output" = "Deleted Volumes:
$scratch

Total reclaimed space: 6B" ]
  run sk volume prune -af
  [ "$output" = "Deleted Volumes:
$anon

Total reclaimed space: 0B" ]
  [ "$(sk volume ls -q)" = v1 ]
  sk rm user > /dev/null
  [ "$(sk volume rm v1)" = v1 ]
  [ ! -e "$DR/volumes/v1" ]
}

@test "bad input: a clear one-line error, non-zero exit, and nothing made" {
  run sk volume create 'bad/name'
  [ "$status" -eq 1 ]
  [ "$output" = 'Error response from daemon: create bad/name: "bad/name" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path' ]
  run sk volume create -o foo=bar vv
  [ "$status" -eq 1 ]
  [ "$output" = 'Error response from daemon: create vv: invalid option key: "foo"' ]
  run sk volume create -o device=/x vv
  [ "$status" -eq 1 ]
  [[ "$output" == *'missing required option: "type"'* ]]
  run sk volume create -d nosuchdriver v
  [ "$status" -eq 1 ]
  [[ "$output" == *'plugin "nosuchdriver" not found'* ]]
  run sk run --rm -v 'bad name:/x' busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *'includes invalid characters for a local volume name'* ]]
  [ "${#lines[@]}" -eq 1 ]
  run sk run --rm -v vol:relative busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: invalid volume specification: 'vol:relative': invalid mount config for type \"volume\": invalid mount path: 'relative' mount path must be absolute" ]
  run sk run --rm -v relative busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: invalid volume specification: 'relative': invalid mount config for type \"volume\": invalid mount path: 'relative' mount path must be absolute" ]
  run sk run --rm --mount type=volume,src=vol,dst=relative busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"invalid mount path: 'relative' mount path must be absolute"* ]]
  run sk run --rm --mount "type=bind,src=$BATS_TEST_TMPDIR/nope,dst=/x" busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: invalid mount config for type \"bind\": bind source path does not exist: $BATS_TEST_TMPDIR/nope" ]
  [ ! -e "$BATS_TEST_TMPDIR/nope" ]
  run sk run --rm --mount type=bind,src=/tmp,dst=/x,colour=red busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"unexpected key 'colour' in 'colour=red'"* ]]
  run sk run --rm --mount type=floppy,dst=/x busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *'mount type unknown: "floppy"'* ]]
  run sk run --rm --mount type=tmpfs,src=x,dst=/x busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *'field Source must not be specified'* ]]
  run sk run --rm -v aa:/x -v bb:/x busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: Duplicate mount point: /x" ]
  run sk run --rm -v /tmp:/x:bogus busybox true
  [ "$status" -eq 125 ]
  [ "$output" = "skiff: invalid mode: bogus" ]
  run sk run --rm -v aa:/ busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"destination can't be '/'"* ]]
  assert_nothing_made
}
