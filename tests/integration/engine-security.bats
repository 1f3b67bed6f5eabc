#!/usr/bin/env bats
# What must hold against hostile images: the files the engine reads or
# writes in a container's root (/etc/passwd and /etc/group for -u NAME,
# /etc/hostname, /etc/hosts, /etc/resolv.conf, the working directory) never
# lead onto the host; the image's config is data, never control; the shim's
# sockets are root's alone and out of the containers' reach; stop, kill and
# rm reach every process of the container's cgroup. The images are the
# suite's busybox rootfs, altered, then imported or loaded.

bats_require_minimum_version 1.5.0
load helpers
load engine

# a copy of the suite's rootfs in $BATS_TEST_TMPDIR/$1, to alter
hostile_rootfs() {
  HR="$BATS_TEST_TMPDIR/$1"
  cp -a "$ROOTFS" "$HR"
}

# import_rootfs DIR NAME [--change...]: the directory as a one-layer image
import_rootfs() {
  local dir=$1 name=$2
  shift 2
  local changes=() c
  for c in "$@"; do changes+=(-c "$c"); done
  tar -C "$dir" --sparse -cf "$BATS_TEST_TMPDIR/$name.tar" . &&
    sk import "${changes[@]}" "$BATS_TEST_TMPDIR/$name.tar" "$name" > /dev/null &&
    rm -f "$BATS_TEST_TMPDIR/$name.tar"
}

# load_config DIR NAME CONFIG-JSON: a docker-archive of the directory, with
# the given "config" of the image (what import's --change cannot say), loaded
load_config() {
  local dir=$1 name=$2 conf=$3 tar="$BATS_TEST_TMPDIR/$2.archive.tar"
  printf '%s' "$conf" > "$tar.config"
  python3 - "$dir" "$name" "$tar.config" "$tar" << 'EOF'
import hashlib, io, json, sys, tarfile
src, name, conf, out = sys.argv[1:]
conf = open(conf).read()
layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
    t.add(src, arcname=".")
layer = layer.getvalue()
diff = hashlib.sha256(layer).hexdigest()
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": json.loads(conf),
                  "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff]}}).encode()
cdig = hashlib.sha256(cfg).hexdigest()
man = json.dumps([{"Config": cdig + ".json", "RepoTags": [name + ":latest"],
                   "Layers": [diff + "/layer.tar"]}]).encode()
with tarfile.open(out, "w") as t:
    for n, b in ((cdig + ".json", cfg), (diff + "/layer.tar", layer), ("manifest.json", man)):
        i = tarfile.TarInfo(n)
        i.size = len(b)
        t.addfile(i, io.BytesIO(b))
EOF
  sk load -q -i "$tar" > /dev/null && rm -f "$tar" "$tar.config"
}

# a user of the host's /etc/passwd that the test rootfs does not have
host_only_user() {
  local u
  for u in $(cut -d: -f1 /etc/passwd); do
    grep -q "^$u:" "$ROOTFS/etc/passwd" || { echo "$u"; return 0; }
  done
  return 1
}

# the checksums of the host's files that a hostile image points at
host_sums() {
  sha256sum /etc/passwd /etc/group /etc/shadow /etc/hostname /etc/hosts /etc/resolv.conf 2> /dev/null
}

@test "-u NAME: a passwd or group that is a symlink to the host's files reads the container's own root, never the host's" {
  hu=$(host_only_user) || skip "no user of the host that the test rootfs lacks"
  sums=$(host_sums)
  hostile_rootfs abs
  ln -sf /etc/shadow "$HR/etc/passwd"
  ln -sf ../../../../../../../../etc/gshadow "$HR/etc/group"
  import_rootfs "$HR" abs
  # the host's passwd names the user; the container's root has no passwd
  run sk run --rm -u "$hu" abs id -u
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"unable to find user $hu: no matching entries in passwd file"* ]]
  run sk run --rm -u root abs id -u
  [ "$status" -eq 125 ]
  [[ "$output" == *"unable to find user root: no matching entries in passwd file"* ]]
  # numbers need no file
  [ "$(sk run --rm -u 1234:5678 abs sh -c 'echo $(id -u):$(id -g)')" = 1234:5678 ]

  # a link that would reach the host's /etc/passwd from the host's side loops in the root
  hostile_rootfs rel
  ln -sf ../../../../../../../../etc/passwd "$HR/etc/passwd"
  import_rootfs "$HR" rel
  run sk run --rm -u "$hu" rel id -u
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"open /etc/passwd in the container: Too many levels of symbolic links"* ]]

  # a link inside the root is followed, inside the root
  hostile_rootfs inside
  echo "alice:x:4321:4322::/:/bin/sh" > "$HR/tmp/pw"
  echo "team:x:777:alice" > "$HR/tmp/gr"
  ln -sf /../../tmp/pw "$HR/etc/passwd"
  ln -sf ../../../tmp/gr "$HR/etc/group"
  import_rootfs "$HR" inside
  run sk run --rm -u alice inside sh -c 'echo $(id -u):$(id -g):$(id -G)'
  [ "$status" -eq 0 ]
  [ "$output" = "4321:4322:4322 777" ]
  [ "$(host_sums)" = "$sums" ]
}

@test "-u NAME: a passwd that is a FIFO does not hang, a huge one is refused by the size bound" {
  hostile_rootfs fifo
  rm "$HR/etc/passwd"
  mkfifo "$HR/etc/passwd"
  import_rootfs "$HR" fifo
  # (timeout guards against a hang only)
  run timeout 120 "$SKIFF" run --rm -u user fifo true
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"/etc/passwd in the container is not a regular file"* ]]

  hostile_rootfs huge
  rm "$HR/etc/group"
  truncate -s 100M "$HR/etc/group"
  import_rootfs "$HR" huge
  run timeout 120 "$SKIFF" run --rm -u user huge true
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"/etc/group in the container is larger than 4194304 bytes"* ]]
  # a uid that passwd does not name reads no group file: it runs
  [ "$(sk run --rm -u 4242 huge id -u)" = 4242 ]
}

@test "/etc/hostname, /etc/hosts, /etc/resolv.conf that are symlinks to the host's files: the host's are unchanged, the container sees skiff's" {
  sums=$(host_sums)
  hostile_rootfs etc
  ln -sf /etc/shadow "$HR/etc/hostname"
  ln -sf ../../../../../../../../etc/passwd "$HR/etc/hosts"
  ln -sf /etc/../../etc/group "$HR/etc/resolv.conf"
  import_rootfs "$HR" etc
  run sk run --rm --hostname hostile etc sh -c 'cat /etc/hostname; grep -c "hostile" /etc/hosts; grep -c localhost /etc/hosts'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = hostile ]
  [ "${lines[1]}" = 1 ]
  [ "${lines[2]}" -ge 1 ]
  [ "$(host_sums)" = "$sums" ]
  # and the container's resolv.conf is the host's copy, the host's file untouched
  run sk run --rm etc cat /etc/resolv.conf
  [ "$status" -eq 0 ]
  [ "$output" = "$(cat /etc/resolv.conf)" ]
  [ "$(host_sums)" = "$sums" ]
  # the files in the bundle the engine wrote are regular files of its own
  [ "$(find "$DR" -path '*/containers/*' \( -name hostname -o -name hosts -o -name resolv.conf \) -type l | wc -l)" -eq 0 ]
}

@test "WORKDIR through a symlink to / or to ../../..: the directory made lies inside the root, nothing is made on the host" {
  mark="skiff-wd-$$-$BATS_TEST_NUMBER"
  hostile_rootfs wd
  ln -s / "$HR/w"
  ln -s ../../.. "$HR/up"
  import_rootfs "$HR" wd-abs "WORKDIR /w/$mark-a/b"
  import_rootfs "$HR" wd-rel "WORKDIR /up/$mark-c"
  run sk run --rm wd-abs sh -c "pwd; [ -d /$mark-a/b ] && echo inside"
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = inside ]
  run sk run --rm wd-rel sh -c "pwd; [ -d /$mark-c ] && echo inside"
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = inside ]
  # -w on the command line goes the same way
  run sk run --rm -w "/up/up/w/$mark-e" wd-abs sh -c "[ -d /$mark-e ] && echo inside"
  [ "$output" = inside ]
  for d in "/$mark-a" "/$mark-c" "/$mark-e" "$DR/$mark-c" "$BATS_TEST_TMPDIR/$mark-c"; do
    [ ! -e "$d" ] || { echo "made on the host: $d"; false; }
  done
  [ -z "$(find / -xdev -maxdepth 3 -name "$mark-*" 2> /dev/null)" ]
}

@test "the image's config is data: odd StopSignal, User, WorkingDir give a clear error at create; Env and a huge Cmd stay in the container" {
  hostile_rootfs cfg
  run load_config "$HR" sig1 '{"Cmd": ["true"], "StopSignal": "SIGFOO"}'
  [ "$status" -eq 0 ]
  run sk create sig1
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"Invalid signal: SIGFOO"* ]]
  load_config "$HR" sig2 '{"Cmd": ["true"], "StopSignal": "99"}'
  run sk run --rm sig2
  [ "$status" -eq 125 ]
  [[ "$output" == *"Invalid signal: 99"* ]]
  load_config "$HR" wd '{"Cmd": ["pwd"], "WorkingDir": "../x"}'
  run sk run --rm wd
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"WorkingDir: \`../x\` is invalid, it needs to be an absolute path"* ]]
  run sk create --stop-signal RTMAX+1 busybox true
  [ "$status" -eq 125 ]
  [[ "$output" == *"Invalid signal: RTMAX+1"* ]]
  # all of these are errors of create: no container was made
  [ -z "$(sk ps -aq)" ]
  load_config "$HR" u1 '{"Cmd": ["id"], "User": "0:0:0"}'
  run sk run --rm u1
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"unable to find group 0:0: no matching entries in group file"* ]]
  load_config "$HR" u2 '{"Cmd": ["id"], "User": "../../x"}'
  run sk run --rm u2
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"unable to find user ../../x: no matching entries in passwd file"* ]]
  # (a user is looked up at start, in the root; --rm removed what could not start)
  [ -z "$(sk ps -aq)" ]

  # Env: a newline is part of the value; a name without "=" takes nothing
  # from the host's environment (as `run -e NAME` would from the CLI's)
  load_config "$HR" env '{"Cmd": ["sh", "-c", "printf \"%s|\" \"$A\"; env | grep -c SKIFF_SECRET_TEST; true"], "Env": ["A=x\ny", "SKIFF_SECRET_TEST", "PATH=/bin:/usr/bin"]}'
  SKIFF_SECRET_TEST=hostvalue run sk run --rm env
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "x" ]
  [ "${lines[1]}" = "y|0" ]

  # a Cmd of 100,000 arguments, and one of 1 MiB: passed whole, or refused
  # with a clear error, never cut or run on the host
  args=$(python3 -c 'import json; print(json.dumps({"Cmd": ["sh", "-c", "echo $#", "sh"] + ["a"] * 100000}))')
  load_config "$HR" many "$args"
  run sk run --rm many
  [ "$status" -eq 0 ]
  [ "$output" = 100000 ]
  big=$(python3 -c 'import json; print(json.dumps({"Cmd": ["sh", "-c", "echo ${#1}", "sh", "b" * (1 << 20)]}))')
  load_config "$HR" big "$big"
  run sk run --rm big
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"exec \`/bin/sh\`: Argument list too long"* ]]
}

# the socket inodes a process holds
socket_inodes() {
  local f
  for f in /proc/"$1"/fd/*; do
    readlink "$f" 2> /dev/null
  done | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p'
}

@test "the shim's attach socket: a filesystem socket of root's, 0600 in a 0700 dir; no abstract socket; out of reach of a container on the host network" {
  tty=$(sk run -d -i -t busybox sh)
  in=$(sk run -d -i busybox cat)
  for id in "$tty" "$in"; do
    sock="$XR/containers/$id/attach.sock"
    [ -S "$sock" ]
    [ "$(stat -c '%a %u' "$sock")" = "600 0" ]
    [ "$(stat -c '%a %u' "$XR/containers/$id")" = "700 0" ]
  done
  # every socket under the exec root and the data root is root's alone
  [ -z "$(find "$XR" "$DR" -type s \( -perm /077 -o ! -user 0 \))" ]
  # nobody else may connect, even given a path to it (a descriptor of
  # root's, through /proc: the socket's own mode decides)
  run /usr/bin/python3 - "$XR/containers/$tty/attach.sock" << 'EOF'
import ctypes, os, socket, sys
fd = os.open(sys.argv[1], os.O_PATH)
def attempt():
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect("/proc/self/fd/%d" % fd)
        return "connected"
    except OSError as e:
        return e.strerror
    finally:
        s.close()
print(attempt())
os.setgroups([])
os.setresgid(65534, 65534, 65534)
os.setresuid(65534, 65534, 65534)
ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: /proc/self/fd is its own again
print(attempt())
EOF
  [ "${lines[0]}" = connected ]
  [ "${lines[1]}" = "Permission denied" ]
  # no abstract socket has skiff or a container's id in its name, and none
  # is held by a shim (abstract names are reachable from the host network)
  [ -z "$(awk '$8 ~ /^@/ {print $8}' /proc/net/unix | grep -e skiff -e "${tty:0:12}" -e "${in:0:12}")" ]
  abstract=$(awk '$8 ~ /^@/ {print $7}' /proc/net/unix)
  for pid in $(shim_pids); do
    for ino in $(socket_inodes "$pid"); do
      ! grep -qx "$ino" <<< "$abstract" || { echo "shim $pid holds an abstract socket ($ino)"; false; }
    done
  done
  # a container on the host network: the socket's path is not in its mount
  # namespace, and it finds no abstract socket of skiff
  sock="$XR/containers/$tty/attach.sock"
  run sk run --rm --network host busybox sh -c "
    [ -e '$sock' ] && echo visible || echo absent
    [ -e '$XR' ] && echo exec-root || echo no-exec-root
    awk '\$8 ~ /^@/ {print \$8}' /proc/net/unix | grep -c -e skiff -e '${tty:0:12}' -e '${in:0:12}'"
  [ "${lines[0]}" = absent ]
  [ "${lines[1]}" = no-exec-root ]
  [ "${lines[2]}" = 0 ]
  # still root's, and attachable, afterwards
  [ "$(stat -c '%a %u' "$XR/containers/$tty/attach.sock")" = "600 0" ]
}

# the container's cgroup directory (cgroup v2, or v1's pids hierarchy)
ctr_cgroup() {
  local d
  for d in /sys/fs/cgroup/"$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER/$1" /sys/fs/cgroup/pids/"$SKIFF_TEST_CGROUP/$BATS_TEST_NUMBER/$1"; do
    [ -f "$d/cgroup.procs" ] && { echo "$d"; return 0; }
  done
  return 1
}

# an init that ignores SIGTERM (or, with "exit", leaves on it), with
# children that ignore it too, double-forked and in sessions of their own
HARDY='trap "" TERM; (setsid sh -c "trap \"\" TERM; sleep 1001 & sleep 1002" &); (sh -c "trap \"\" TERM; sleep 1003 &" &); while :; do sleep 0.2; done'
LEAVER='trap "exit 0" TERM; (setsid sh -c "trap \"\" TERM; sleep 1001 & sleep 1002" &); (sh -c "trap \"\" TERM; sleep 1003 &" &); while :; do sleep 0.2; done'

# procs ID: waits for the container's background children, prints its processes
procs() {
  local d
  d=$(ctr_cgroup "$1") || return 1
  until_true "[ \$(grep -c . '$d/cgroup.procs') -ge 5 ]" || return 1
  echo $(cat "$d/cgroup.procs")
}

# none of these pids lives, and the container's cgroup holds no process
all_gone() { # ID PID...
  local id=$1 p d
  shift
  for p in "$@"; do
    [ ! -d "/proc/$p" ] || { echo "process $p left: $(cat "/proc/$p/cmdline" | tr '\0' ' ')"; return 1; }
  done
  if d=$(ctr_cgroup "$id"); then
    [ -z "$(cat "$d/cgroup.procs")" ] || { echo "left in $d: $(cat "$d/cgroup.procs")"; return 1; }
  fi
}

@test "stop and kill reach every process of the container's cgroup, not only PID 1; after rm nothing is left" {
  # an init that ignores SIGTERM: stop ends in SIGKILL for all
  a=$(sk run -d busybox sh -c "$HARDY")
  pa=$(procs "$a")
  sk stop -t 1 "$a"
  [ "$(sk inspect --format '{{.State.ExitCode}}' "$a")" = 137 ]
  until_true "all_gone $a $pa > /dev/null"
  all_gone "$a" $pa

  # in the host's pid namespace (PID 1's end kills nothing else): an init
  # that leaves on SIGTERM; its children that stay are stopped with it
  b=$(sk run -d --pid host busybox sh -c "$LEAVER")
  pb=$(procs "$b")
  sk stop -t 30 "$b"
  [ "$(sk inspect --format '{{.State.ExitCode}}' "$b")" = 0 ]
  until_true "all_gone $b $pb > /dev/null"
  all_gone "$b" $pb

  # kill: PID 1's SIGKILL, and the rest with it
  c=$(sk run -d --pid host busybox sh -c "$HARDY")
  pc=$(procs "$c")
  sk kill "$c"
  [ "$(sk wait "$c")" = 137 ]
  until_true "all_gone $c $pc > /dev/null"
  all_gone "$c" $pc

  # rm -f of a running one
  d=$(sk run -d --pid host busybox sh -c "$HARDY")
  pd=$(procs "$d")
  sk rm -f "$d"
  # killed, out of the cgroup at once; in the host's pid namespace the last
  # zombies are reaped by the host's init a moment later
  until_true "all_gone $d $pd > /dev/null"
  all_gone "$d" $pd
  for id in "$a" "$b" "$c"; do sk rm "$id"; done
  for id in "$a" "$b" "$c" "$d"; do assert_gone "$id"; done
}

@test "an /etc that is itself a symlink: to the host's /etc a clear error, to a directory of the root that directory" {
  sums=$(host_sums)
  hostile_rootfs up
  rm -r "$HR/etc"
  ln -s ../../../../../../../../etc "$HR/etc"
  import_rootfs "$HR" up
  run sk run --rm up cat /etc/hostname
  [ "$status" -eq 125 ]
  assert_one_line
  [[ "$output" == *"open /etc/passwd in the container: Too many levels of symbolic links"* ]]
  hostile_rootfs moved
  rm -r "$HR/etc"
  cp -a "$ROOTFS/etc" "$HR/tmp/e"
  ln -s /tmp/e "$HR/etc"
  import_rootfs "$HR" moved
  run sk run --rm -u user --hostname moved moved sh -c 'id -u; cat /tmp/e/hostname; grep -c moved /tmp/e/hosts'
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '1000\nmoved\n1')" ]
  [ "$(host_sums)" = "$sums" ]
}

@test "an image's Volumes and Healthcheck with paths out of the root make nothing on the host" {
  mark="skiff-vol-$$-$BATS_TEST_NUMBER"
  hostile_rootfs vol
  load_config "$HR" vol "{\"Cmd\": [\"sh\", \"-c\", \"sleep 3; echo done\"],
    \"Volumes\": {\"/../../../../tmp/$mark-a\": {}, \"../$mark-b\": {}},
    \"Healthcheck\": {\"Test\": [\"CMD-SHELL\", \"touch /tmp/$mark-c\"], \"Interval\": 100000000}}"
  run sk run --rm vol
  [ "$status" -eq 0 ]
  [ "$output" = done ]
  for d in "/tmp/$mark-a" "/$mark-b" "/tmp/$mark-c" "$DR/$mark-b"; do
    [ ! -e "$d" ] || { echo "made on the host: $d"; false; }
  done
}
