#!/usr/bin/env bats
# skiff cp and export: files both ways between the host and a running or
# stopped container, tar streams, owners and modes, docker's rules of what
# lands where and its errors; and hostile containers whose symlinks point
# at the host's root, copied through (also while a process in the
# container swaps a directory for such a symlink), which must touch nothing
# on the host.

bats_require_minimum_version 1.5.0
load helpers
load engine

# a container whose rootfs has symlinks out of it: /escape -> /,
# /etc2 -> /etc, /up -> ../../../.. (made by the container itself)
hostile() { # NAME
  sk run --name "$1" busybox sh -c 'ln -s / /escape && ln -s /etc /etc2 && ln -s ../../../.. /up &&
    mkdir -p /data/sub && echo inside > /data/sub/f && ln -s /data/sub/f /data/link'
}

# a host canary: a file whose content and time must not change, and a name
# under the host's / that must not appear
canary_setup() {
  CANARY="$BATS_TEST_TMPDIR/canary"
  echo canary > "$CANARY"
  CANARY_SUM=$(stat -c '%Y %s %a %u' "$CANARY")
  PWN="skiff-cp-pwned-$$-$BATS_TEST_NUMBER"
}
canary_intact() {
  [ "$(cat "$CANARY")" = canary ]
  [ "$(stat -c '%Y %s %a %u' "$CANARY")" = "$CANARY_SUM" ]
  [ ! -e "/$PWN" ] && [ ! -e "/etc/$PWN" ] && [ ! -e "/tmp/$PWN" ] && [ ! -e "$BATS_TEST_TMPDIR/$PWN" ]
}

@test "cp: a file and a directory in and out of a stopped container, docker's rules of where they land" {
  sk create --name c1 busybox sleep 100
  T=$BATS_TEST_TMPDIR
  printf 'one\n' > "$T/f"
  chmod 0640 "$T/f"
  touch -d '2001-02-03 04:05:06' "$T/f"
  mkdir -p "$T/d/sub"
  echo two > "$T/d/sub/g"
  ln -s sub/g "$T/d/l"
  # a file into a directory: under its own name; onto a missing name: as that name
  run sk cp "$T/f" c1:/tmp/
  [ "$status" -eq 0 ]
  [[ "$output" == "Successfully copied "*" to c1:/tmp/" ]]
  sk cp -q "$T/f" c1:/tmp/renamed
  sk cp -q "$T/f" c1:tmp/relative # relative: from /
  # a directory onto a missing path: made, with the contents; into a directory: under its name
  sk cp -q "$T/d" c1:/newdir
  sk cp -q "$T/d" c1:/tmp
  sk cp -q "$T/d/." c1:/root
  mkdir "$T/out"
  for p in /tmp/f /tmp/renamed /tmp/relative /newdir/sub/g /tmp/d/sub/g /root/sub/g /newdir/l; do
    sk cp -q "c1:$p" "$T/out/x"
    [ -e "$T/out/x" ] || [ -L "$T/out/x" ]
    rm -f "$T/out/x"
  done
  # out again: modes and mtimes kept; a symlink stays a symlink
  sk cp -q c1:/tmp/f "$T/out/"
  [ "$(stat -c '%a %Y %s' "$T/out/f")" = "$(stat -c '%a %Y %s' "$T/f")" ]
  sk cp -q c1:/newdir "$T/out/nd"
  [ "$(readlink "$T/out/nd/l")" = sub/g ]
  [ "$(cat "$T/out/nd/sub/g")" = two ]
  # SRC/. into an existing directory: the contents only
  mkdir "$T/out/contents"
  sk cp -q c1:/newdir/. "$T/out/contents"
  [ -f "$T/out/contents/sub/g" ] && [ ! -e "$T/out/contents/newdir" ]
  # a directory into an existing one: under its own name
  sk cp -q c1:/newdir "$T/out/contents"
  [ -f "$T/out/contents/newdir/sub/g" ]
  # a file onto a file: replaced
  echo old > "$T/out/over"
  sk cp -q c1:/tmp/renamed "$T/out/over"
  [ "$(cat "$T/out/over")" = one ]
  # -L: the link's target, not the link
  sk cp -q -L c1:/newdir/l "$T/out/followed"
  [ -f "$T/out/followed" ] && [ ! -L "$T/out/followed" ]
  # the container sees them
  sk start c1
  [ "$(sk exec c1 cat /tmp/f /root/sub/g)" = "$(printf 'one\ntwo')" ]
}

@test "cp: a running container: its own view, volumes and tmpfs included; owners as docker sets them" {
  sk run -d --name r1 --tmpfs /scratch busybox sleep 100
  T=$BATS_TEST_TMPDIR
  echo hello > "$T/f"
  chown 1234:2345 "$T/f"
  sk cp -q "$T/f" r1:/scratch/
  [ "$(sk exec r1 cat /scratch/f)" = hello ]
  # without -a: root's (the container's user); with -a: the file's own
  [ "$(sk exec r1 stat -c '%u:%g' /scratch/f)" = 0:0 ]
  sk cp -q -a "$T/f" r1:/scratch/kept
  [ "$(sk exec r1 stat -c '%u:%g' /scratch/kept)" = 1234:2345 ]
  # out to the host: the owner kept
  sk exec r1 sh -c 'echo x > /tmp/o && chown 77:88 /tmp/o && chmod 4751 /tmp/o'
  sk cp -q r1:/tmp/o "$T/o"
  [ "$(stat -c '%u:%g %a' "$T/o")" = "77:88 4751" ]
  # a container with a user of its own: files copied in are that user's
  sk run -d --name r2 --user nobody busybox sleep 100
  sk cp -q "$T/f" r2:/tmp/
  [ "$(sk exec r2 stat -c '%u:%g' /tmp/f)" = "$(sk exec r2 id -u):$(sk exec r2 id -g)" ]
  [ "$(sk exec r2 id -u)" != 0 ]
}

@test "cp: - is a tar stream on stdout and stdin" {
  sk run --name c1 busybox sh -c 'mkdir -p /srv/a && echo x > /srv/a/f && chmod 600 /srv/a/f && ln -s f /srv/a/l'
  sk cp c1:/srv/a - > "$BATS_TEST_TMPDIR/a.tar"
  run tar -tvf "$BATS_TEST_TMPDIR/a.tar"
  [[ "$output" == *"a/f"* ]] && [[ "$output" == *"a/l -> f"* ]]
  [[ "$output" == *"-rw-------"*"a/f"* ]]
  mkdir "$BATS_TEST_TMPDIR/x"
  tar -xf "$BATS_TEST_TMPDIR/a.tar" -C "$BATS_TEST_TMPDIR/x"
  [ "$(cat "$BATS_TEST_TMPDIR/x/a/f")" = x ]
  # in: extracted into a directory of the container
  mkdir -p "$BATS_TEST_TMPDIR/in/d"
  echo y > "$BATS_TEST_TMPDIR/in/d/g"
  tar -C "$BATS_TEST_TMPDIR/in" -cf - d | sk cp - c1:/srv
  sk cp -q c1:/srv/d/g "$BATS_TEST_TMPDIR/g"
  [ "$(cat "$BATS_TEST_TMPDIR/g")" = y ]
  # into a file or a missing directory: refused
  run sk cp - c1:/srv/a/f < "$BATS_TEST_TMPDIR/a.tar"
  [ "$status" -ne 0 ] && [[ "$output" == *"must be a directory"* ]]
  run sk cp - c1:/nodir < "$BATS_TEST_TMPDIR/a.tar"
  [ "$status" -ne 0 ]
  [ "$output" = "Error response from daemon: Could not find the file /nodir in container c1" ]
  # a hostile stream: "..", absolute names, a symlink then a file through it
  python3 - "$BATS_TEST_TMPDIR/evil.tar" "$BATS_TEST_TMPDIR" << 'PY'
import io, sys, tarfile
t = tarfile.open(sys.argv[1], "w")
def add(name, data=b"pwned", kind=tarfile.REGTYPE, link=""):
    i = tarfile.TarInfo(name); i.type = kind; i.linkname = link; i.size = len(data) if kind == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
add("ln", kind=tarfile.SYMTYPE, link=sys.argv[2])
add("ln/evil-through-link")
add("abs", kind=tarfile.SYMTYPE, link="/")
add("abs" + sys.argv[2] + "/evil-abs")
t.close()
t = tarfile.open(sys.argv[1] + ".dots", "w")
add("../../../../../../.." + sys.argv[2] + "/evil-dots")
t.close()
PY
  sk cp - c1:/srv < "$BATS_TEST_TMPDIR/evil.tar"
  [ ! -e "$BATS_TEST_TMPDIR/evil-through-link" ] && [ ! -e "$BATS_TEST_TMPDIR/evil-abs" ]
  run sk cp - c1:/srv < "$BATS_TEST_TMPDIR/evil.tar.dots"
  [ "$status" -ne 0 ] && [[ "$output" == *"leaves the destination"* ]]
  [ ! -e "$BATS_TEST_TMPDIR/evil-dots" ]
}

@test "cp: bad input: one line, non-zero, nothing made" {
  sk create --name c1 busybox true
  T=$BATS_TEST_TMPDIR
  echo f > "$T/f"
  mkdir "$T/d"
  run sk cp "$T/f" "$T/g"
  [ "$status" -ne 0 ] && [ "$output" = "skiff: must specify at least one container source" ]
  run sk cp c1:/etc/passwd c1:/tmp
  [ "$status" -ne 0 ] && [ "$output" = "skiff: copying between containers is not supported" ]
  run sk cp c1:/nope "$T/out"
  [ "$status" -ne 0 ] && [ "$output" = "Error response from daemon: Could not find the file /nope in container c1" ]
  [ ! -e "$T/out" ]
  run sk cp nosuch:/etc "$T/out"
  [ "$status" -ne 0 ] && [ "$output" = "Error response from daemon: No such container: nosuch" ]
  run sk cp "$T/nope" c1:/tmp
  [ "$status" -ne 0 ] && [[ "$output" == "skiff: lstat $T/nope: "* ]]
  run sk cp "$T/f" c1:/nodir/f
  [ "$status" -ne 0 ] && [ "$output" = "Error response from daemon: Could not find the file /nodir in container c1" ]
  run sk cp "$T/f" c1:/newdir/
  [ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == *"no such directory"* ]]
  run sk cp c1:/etc "$T/f"
  [ "$status" -ne 0 ] && [ "$output" = "skiff: cannot copy directory" ]
  [ "$(cat "$T/f")" = f ]
  run sk cp "$T/d" c1:/etc/passwd
  [ "$status" -ne 0 ] && [ "$output" = "Error response from daemon: cannot copy directory" ]
  run sk cp c1:/etc/passwd "$T/nodir/x"
  [ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == "skiff: lstat $T/nodir"* ]]
  [ ! -e "$T/nodir" ]
  run sk cp c1:/etc/passwd "$T/nodir/"
  [ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ]
  run sk cp c1:/etc/passwd/ "$T/x"
  [ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ] && [ ! -e "$T/x" ]
  run sk cp c1:/etc
  [ "$status" -eq 125 ]
  run sk cp :/etc "$T/x"
  [ "$status" -ne 0 ] && [ "${#lines[@]}" -eq 1 ]
  run sk cp c1: "$T/x"
  [ "$status" -ne 0 ] && [ "$output" = "skiff: source path cannot be empty" ]
  # nothing was made in the container either
  [ -z "$(sk export c1 | tar -t | grep -e '^nodir' -e '^newdir')" ]
}

@test "cp: symlinks to the host's root, out of and into a stopped and a running container, touch nothing on the host" {
  canary_setup
  hostile h1
  T=$BATS_TEST_TMPDIR
  echo payload > "$T/p"
  sk run -d --name h1r busybox sh -c 'ln -s / /escape && ln -s /etc /etc2 && ln -s ../../../.. /up && sleep 100'
  until_true "sk exec h1r test -L /up"
  for c in h1 h1r; do
    # out: the host's canary is not the container's
    run sk cp "$c:/escape$CANARY" "$T/got"
    [ "$status" -ne 0 ] && [[ "$output" == *"Could not find the file"* ]]
    run sk cp "$c:/up$CANARY" "$T/got"
    [ "$status" -ne 0 ]
    [ ! -e "$T/got" ]
    # /etc2 is the container's own /etc, not the host's
    sk cp -q "$c:/etc2/passwd" "$T/passwd-$c"
    cmp "$T/passwd-$c" <(sk export h1 | tar -xO etc/passwd)
    # in: through the links, it lands in the container
    sk cp -q "$T/p" "$c:/escape/$PWN"
    sk cp -q "$T/p" "$c:/up/tmp/$PWN"
    sk cp -q "$T/p" "$c:/etc2/$PWN"
    sk cp -q "$T/p" "$c:/up$T/$PWN" 2> /dev/null || true
    sk cp -q "$T/p" "$c:/escape$T/" 2> /dev/null || true
    canary_intact
  done
  # they are in the running container, where they belong
  [ "$(sk exec h1r cat "/$PWN" "/tmp/$PWN" "/etc/$PWN")" = "$(printf 'payload\npayload\npayload')" ]
  # copying a link itself out: a link, as it was, not followed
  sk cp -q h1r:/escape "$T/esc"
  [ "$(readlink "$T/esc")" = / ]
  canary_intact
}

@test "cp: a directory swapped for a symlink to / while copies run lands nothing on the host" {
  canary_setup
  T=$BATS_TEST_TMPDIR
  # /x/d: a directory holding a file named $PWN, then a symlink to /, again and again
  sk run -d --name race -e "PWN=$PWN" busybox sh -c 'mkdir -p /x; while true; do mkdir -p /x/d/tmp 2>/dev/null; echo x > "/x/d/$PWN"; echo x > "/x/d/tmp/$PWN"; rm -rf /x/d; ln -s / /x/d; rm -f /x/d; done'
  echo payload > "$T/p"
  mkdir "$T/out"
  for i in $(seq 60); do
    sk cp -q "$T/p" "race:/x/d/$PWN" 2> /dev/null || true
    sk cp -q "$T/p" "race:/x/d/tmp/$PWN" 2> /dev/null || true
    sk cp -q "race:/x/d$CANARY" "$T/out/c$i" 2> /dev/null || true
    # out: the copy of /x made on the host never follows d out of it
    sk cp -q race:/x "$T/out/x$i" 2> /dev/null || true
  done
  canary_intact
  # the copies ran (most of /x's copies succeed), and none read the host's canary
  [ -n "$(ls -d "$T"/out/x* 2> /dev/null)" ]
  ! ls "$T/out" | grep -q '^c'
  # whatever came out of /x stayed in the copies (the data root holds the container's own)
  find "$T" -path "$T/data" -prune -o -name "$PWN" -not -path "$T/out/x*" -print > "$T/found"
  cat "$T/found"
  [ ! -s "$T/found" ]
  # the stopped container's rootfs the same
  sk stop -t 0 race > /dev/null
  for i in $(seq 10); do sk cp -q "$T/p" "race:/x/d/$PWN" 2> /dev/null || true; done
  canary_intact
}

@test "export: the rootfs as a tar, symlinks as symlinks, devices, hardlinks, owners; -o renamed whole" {
  hostile h1
  sk run --name h2 busybox sh -c 'mknod /dev-null-copy c 1 3 && echo a > /hl1 && ln /hl1 /hl2 && chown 5:6 /hl1 && mkfifo /fifo'
  T=$BATS_TEST_TMPDIR
  sk export h1 > "$T/h1.tar"
  run tar -tvf "$T/h1.tar"
  [[ "$output" == *"escape -> /"* ]] && [[ "$output" == *"etc2 -> /etc"* ]] && [[ "$output" == *"up -> ../../../.."* ]]
  [[ "$output" == *"bin/busybox"* ]]
  # the host's files are not in it
  ! tar -tf "$T/h1.tar" | grep -q "canary\|${T#/}"
  sk export -o "$T/h2.tar" h2
  run tar -tvf "$T/h2.tar"
  [[ "$output" == c*" 1,3 "*"dev-null-copy"* ]] || [[ "$output" == *"c"*"1,"*"3"*"dev-null-copy"* ]]
  [[ "$output" == *"hl2 link to hl1"* ]] || [[ "$output" == *"hl1 link to hl2"* ]]
  [[ "$output" == *"5/6"*"hl"* ]]
  grep -q '^p.* fifo$' <<< "$output"
  [ -z "$(ls "$T" | grep 'h2.tar.tmp')" ]
  # running: the same rootfs, without its mounts (no /proc of it)
  sk run -d --name r1 -v "$T:/hostdir" busybox sleep 100
  sk export r1 | tar -t > "$T/r1.list"
  grep -q '^bin/busybox$' "$T/r1.list"
  ! grep -q '^proc/.' "$T/r1.list"
  ! grep -q '^hostdir/.' "$T/r1.list"
  # to a terminal: refused; a missing container: one line; -o not left half-written
  run sk export nosuch -o "$T/n.tar"
  [ "$status" -ne 0 ] && [ "$output" = "Error response from daemon: No such container: nosuch" ]
  [ ! -e "$T/n.tar" ] && [ -z "$(ls "$T" | grep 'n.tar')" ]
  run script -qc "$SKIFF export h1" /dev/null
  [ "$status" -ne 0 ] && [[ "$output" == *"cowardly refusing to save to a terminal"* ]]
  run sk export
  [ "$status" -eq 125 ]
}

@test "cp and start: a copy of a stopped container holds its rootfs; a start waits for it" {
  sk create --name c1 busybox sh -c 'cat /big > /dev/null; echo started'
  T=$BATS_TEST_TMPDIR
  head -c 200000000 /dev/zero > "$T/big"
  sk cp -q "$T/big" c1:/big &
  cp_pid=$!
  BG_PIDS+=("$cp_pid")
  sleep 0.2
  sk start c1
  wait "$cp_pid"
  [ "$(sk wait c1)" = 0 ]
  [ "$(sk logs c1)" = started ]
  # never two overlays of one upper directory: the kernel says nothing of it
  ! dmesg 2> /dev/null | tail -50 | grep -q "upperdir is in-use"
}

@test "cp: volumes and binds of a stopped container are read and written in their sources; a read-only one is refused" {
  canary_setup
  T=$BATS_TEST_TMPDIR
  mkdir "$T/b" "$T/ro"
  ln -s / "$T/b/esc"
  echo payload > "$T/p"
  sk create --name c1 -v vol1:/data -v "$T/b:/bind" -v "$T/ro:/ro:ro" busybox sleep 100
  sk cp -q "$T/p" c1:/bind/
  [ "$(cat "$T/b/p")" = payload ]
  sk cp -q "$T/p" c1:/data/in-volume
  [ "$(sk run --rm -v vol1:/v busybox cat /v/in-volume)" = payload ]
  run sk cp "$T/p" c1:/ro/
  [ "$status" -ne 0 ] && [ "$output" = "Error response from daemon: mounted volume is marked read-only" ]
  [ ! -e "$T/ro/p" ]
  # through the root: entries under a mount point land in its source
  mkdir -p "$T/tree/bind"
  echo deep > "$T/tree/bind/deep"
  sk cp -q "$T/tree/." c1:/
  [ "$(cat "$T/b/deep")" = deep ]
  sk cp -q c1:/data/in-volume "$T/out-volume"
  [ "$(cat "$T/out-volume")" = payload ]
  # a symlink to / in a bind's source stays in the bind
  run sk cp "c1:/bind/esc$CANARY" "$T/got"
  [ "$status" -ne 0 ] && [ ! -e "$T/got" ]
  canary_intact
  # the rootfs alone: no volume in the export, none written to the rootfs
  ! sk export c1 | tar -t | grep -q -e '^bind/.' -e '^data/.'
  # running: the container's own mounts
  sk start c1
  sk cp -q "$T/p" c1:/bind/running
  [ "$(cat "$T/b/running")" = payload ]
  run sk cp "$T/p" c1:/ro/
  [ "$status" -ne 0 ] && [ ! -e "$T/ro/p" ]
  sk rm -f c1 > /dev/null
  sk volume rm vol1 > /dev/null
}

@test "cp: extended attributes kept both ways" {
  T=$BATS_TEST_TMPDIR
  echo x > "$T/f"
  python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.skiff", b"kept")' "$T/f" 2> /dev/null ||
    skip "no user xattrs on this filesystem"
  sk create --name c1 busybox true
  sk cp -q "$T/f" c1:/tmp/
  sk cp -q c1:/tmp/f "$T/back"
  [ "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.skiff").decode())' "$T/back")" = kept ]
}
