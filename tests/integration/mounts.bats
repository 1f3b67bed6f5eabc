#!/usr/bin/env bats
# The container's filesystem: the rootfs, mounts and their options,
# propagation, masked and read-only paths, /dev, /sys/fs/cgroup.

load helpers

teardown() {
  cleanup_containers
  # the mounts some tests make on the host, should they fail half way
  local m
  for m in prop/sub pp/sub prop pp shared; do
    if mountpoint -q "$BATS_TEST_TMPDIR/$m" 2>/dev/null; then umount "$BATS_TEST_TMPDIR/$m"; fi
  done
}

mount_opts() { # the options of the mount on $1 as the container's mountinfo says
  awk -v d="$1" '$5 == d {print $6}' "$2"
}

@test "the root is read-only when root.readonly is set, writable otherwise" {
  new_bundle sh -c 'touch /x 2>&1; echo rc=$?'
  run runtime run "$CID"
  [[ "$output" == *"Read-only file system"* ]]
  [[ "$output" == *"rc=1" ]]
}

@test "bind mounts: ro, rw, options, a file as well as a directory" {
  mkdir -p "$BATS_TEST_TMPDIR/data"
  echo host-file > "$BATS_TEST_TMPDIR/data/f"
  echo single > "$BATS_TEST_TMPDIR/single"
  new_bundle sh -c 'cat /data/f /etc/single; touch /data/new 2>/dev/null && echo rw || echo ro; touch /rw/new && echo rw2; cat /proc/self/mountinfo'
  update_config ".mounts += [
    {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/data\", \"options\": [\"rbind\", \"ro\", \"nosuid\", \"nodev\"]},
    {\"destination\": \"/rw\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/data\", \"options\": [\"bind\", \"rw\", \"noexec\"]},
    {\"destination\": \"/etc/single\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/single\", \"options\": [\"bind\", \"ro\"]}]"
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = host-file ]
  [ "${lines[1]}" = single ]
  [ "${lines[2]}" = ro ]
  [ "${lines[3]}" = rw2 ]
  [ -f "$BATS_TEST_TMPDIR/data/new" ]
  echo "$output" > "$BATS_TEST_TMPDIR/mi"
  [[ "$(mount_opts /data "$BATS_TEST_TMPDIR/mi")" == ro,nosuid,nodev* ]]
  [[ "$(mount_opts /rw "$BATS_TEST_TMPDIR/mi")" == rw,noexec* ]]
}

@test "tmpfs, with its own options, and the default mounts" {
  new_bundle cat /proc/self/mountinfo
  update_config '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "noexec", "size=1m", "mode=700"]}]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  echo "$output" > "$BATS_TEST_TMPDIR/mi"
  line=$(awk '$5 == "/scratch"' "$BATS_TEST_TMPDIR/mi")
  [[ "$line" == *"rw,nosuid,noexec"*" - tmpfs tmpfs "*"size=1024k,mode=700"* ]]
  for m in /proc /dev /dev/pts /dev/shm /dev/mqueue /sys /sys/fs/cgroup; do
    awk -v d=$m '$5 == d {found=1} END {exit !found}' "$BATS_TEST_TMPDIR/mi" || { echo "no $m"; false; }
  done
  # the rootfs is the container's /, read-only
  awk '$5 == "/" {print $6}' "$BATS_TEST_TMPDIR/mi" | grep -q '^ro,'
}

@test "tmpcopyup: a tmpfs starts with what the directory below it holds" {
  # podman asks for it on every --tmpfs and on /tmp, /run, /var/tmp with --read-only
  new_bundle sh -c 'stat -c "%u:%g %a %n" /home/user; head -1 /etc/passwd; readlink /bin/ls; touch /home/new && echo writable; ls /usr | wc -l'
  update_config '.mounts += [
    {"destination": "/home", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]},
    {"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "tmpcopyup"]},
    {"destination": "/bin", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup"]},
    {"destination": "/usr", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "notmpcopyup"]}]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  # owner and mode kept, files and symlinks copied, the copy writable, the image untouched
  [ "${lines[0]}" = "1000:1000 755 /home/user" ]
  [ "${lines[1]}" = "root:x:0:0:root:/root:/bin/sh" ]
  [ "${lines[2]}" = busybox ]
  [ "${lines[3]}" = writable ]
  [ "${lines[4]}" = 0 ]
  [ ! -e "$ROOTFS/home/new" ]
}

@test "mount propagation: rslave mounts see host mounts appear, private ones do not" {
  mkdir -p "$BATS_TEST_TMPDIR/prop/sub" "$BATS_TEST_TMPDIR/pp/sub"
  mount --bind "$BATS_TEST_TMPDIR/prop" "$BATS_TEST_TMPDIR/prop"
  mount --make-shared "$BATS_TEST_TMPDIR/prop"
  mount --bind "$BATS_TEST_TMPDIR/pp" "$BATS_TEST_TMPDIR/pp"
  mount --make-shared "$BATS_TEST_TMPDIR/pp"
  new_bundle sh -c 'sleep 100'
  update_config ".mounts += [
    {\"destination\": \"/slave\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/prop\", \"options\": [\"rbind\", \"rslave\"]},
    {\"destination\": \"/private\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/pp\", \"options\": [\"rbind\", \"rprivate\"]}]"
  runtime run -d "$CID"
  mount -t tmpfs -o size=1m tmpfs "$BATS_TEST_TMPDIR/prop/sub"
  mount -t tmpfs -o size=1m tmpfs "$BATS_TEST_TMPDIR/pp/sub"
  run runtime exec "$CID" cat /proc/self/mountinfo
  umount "$BATS_TEST_TMPDIR/prop/sub" "$BATS_TEST_TMPDIR/pp/sub"
  runtime delete --force "$CID"
  umount "$BATS_TEST_TMPDIR/prop" "$BATS_TEST_TMPDIR/pp"
  echo "$output" | awk '{print $5}' | grep -qx /slave/sub
  ! echo "$output" | awk '{print $5}' | grep -qx /private/sub
}

@test "rootfsPropagation: the root is a slave by default, private or shared when asked" {
  # a rootfs on a shared mount, so that its propagation shows
  mkdir -p "$BATS_TEST_TMPDIR/shared"
  cp -a "$ROOTFS/." "$BATS_TEST_TMPDIR/shared/"
  mount --bind "$BATS_TEST_TMPDIR/shared" "$BATS_TEST_TMPDIR/shared"
  mount --make-shared "$BATS_TEST_TMPDIR/shared"
  new_bundle sh -c 'awk "\$5 == \"/\"" /proc/self/mountinfo'
  ln -sfn "$BATS_TEST_TMPDIR/shared" "$BUNDLE/rootfs"
  run runtime run "$CID"
  results=("$output")
  update_config '.linux.rootfsPropagation = "rprivate"'
  run runtime run "$CID"
  results+=("$output")
  update_config '.linux.rootfsPropagation = "rshared"'
  run runtime run "$CID"
  results+=("$output")
  umount "$BATS_TEST_TMPDIR/shared"
  [[ "${results[0]}" == *" master:"* ]] && [[ "${results[0]}" != *" shared:"* ]]
  [[ "${results[1]}" != *" master:"* ]] && [[ "${results[1]}" != *" shared:"* ]]
  [[ "${results[2]}" == *" shared:"* ]]
}

@test "container mounts never reach the host" {
  new_bundle sh -c 'mount -t tmpfs tmpfs /mnt; sleep 100'
  update_config '.process.capabilities.bounding += ["CAP_SYS_ADMIN"] | .process.capabilities.effective += ["CAP_SYS_ADMIN"] | .process.capabilities.permitted += ["CAP_SYS_ADMIN"] | .root.readonly = false'
  before=$(suite_mounts)
  runtime run -d "$CID"
  sleep 0.3
  [ "$(suite_mounts)" -eq "$before" ]
  ! grep -q "$ROOTFS" /proc/self/mountinfo
}

@test "masked paths read as empty, read-only paths refuse writes" {
  # the masked files this kernel has
  files=""
  for f in /proc/kcore /proc/keys /proc/timer_list /proc/interrupts /proc/sched_debug; do
    [ -e "$f" ] && [ -s "$f" -o "$(head -c1 "$f" 2>/dev/null | wc -c)" -gt 0 ] && files="$files $f"
  done
  [ -n "$files" ]
  new_bundle sh -c "for f in $files; do echo \$f \$(cat \$f | wc -c); done; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/shmmni; grep -E ' /proc/sys ' /proc/self/mountinfo"
  run runtime run "$CID"
  for f in $files; do
    echo "$output" | grep -qx "$f 0" || { echo "$f is not masked"; false; }
  done
  echo "$output" | grep -qx 0
  [[ "$output" == *"Read-only file system"* ]]
  echo "$output" | grep " /proc/sys " | grep -q " ro,"
}

@test "/dev has the default devices, the standard links and a private devpts" {
  new_bundle sh -c 'for d in null zero full random urandom tty; do stat -c "%n %t:%T %a" /dev/$d; done; for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; ls /dev/pts; head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo null-ok'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "/dev/null 1:3 666" ]
  [ "${lines[1]}" = "/dev/zero 1:5 666" ]
  [ "${lines[2]}" = "/dev/full 1:7 666" ]
  [ "${lines[3]}" = "/dev/random 1:8 666" ]
  [ "${lines[4]}" = "/dev/urandom 1:9 666" ]
  [ "${lines[5]}" = "/dev/tty 5:0 666" ]
  [ "${lines[6]}" = "/proc/self/fd" ]
  [ "${lines[7]}" = "/proc/self/fd/0" ]
  [ "${lines[10]}" = "pts/ptmx" ]
  [ "${lines[11]}" = ptmx ]
  [ "${lines[12]}" = 4 ]
  [ "${lines[13]}" = null-ok ]
}

@test "linux.devices creates nodes with their mode and owner" {
  new_bundle stat -c "%n %F %t:%T %a %u:%g" /dev/fuse /dev/loop-test
  update_config '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 384, "uid": 1000, "gid": 1000},
    {"path": "/dev/loop-test", "type": "b", "major": 7, "minor": 200, "fileMode": 432}]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "/dev/fuse character special file a:e5 600 1000:1000" ]
  [ "${lines[1]}" = "/dev/loop-test block special file 7:c8 660 0:0" ]
}

@test "the device allowlist: denied devices cannot be opened" {
  # c 1:200: no driver behind it, so opening it can do nothing on the host
  new_bundle sh -c 'head -c1 /dev/nodev-test 2>&1; echo rc=$?; mknod /tmp/n c 1 3 && echo mknod-ok'
  update_config '.linux.devices = [{"path": "/dev/nodev-test", "type": "c", "major": 1, "minor": 200}]
    | .linux.resources.devices = [{"allow": false, "access": "rwm"}]
    | .root.readonly = false | .mounts += [{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["dev"]}]'
  run runtime run "$CID"
  [[ "${lines[0]}" == *"Operation not permitted"* ]]
  # mknod of a char device stays allowed ("c *:* m")
  [[ "$output" == *mknod-ok* ]]
  # allowed, the open reaches the kernel, which has no such device
  update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 200, "access": "rw"}]'
  run runtime run "$CID"
  [[ "${lines[0]}" == *"No such device"* ]]
}

@test "/sys/fs/cgroup shows the container's own cgroup, read-only" {
  new_bundle sh -c 'ls /sys/fs/cgroup; cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; touch /sys/fs/cgroup/x 2>&1; true'
  update_config '.linux.resources.memory = {"limit": 67108864}'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  echo "$output" | grep -qx 67108864
  [[ "$output" == *"Read-only file system"* ]]
  if ! is_cgroup2; then
    echo "$output" | grep -qx memory
    echo "$output" | grep -qx pids
  fi
}

@test "a mount target that is a symlink pointing out of the rootfs stays inside" {
  cp -a "$ROOTFS" "$BATS_TEST_TMPDIR/rootfs"
  mkdir -p "$BATS_TEST_TMPDIR/victim"
  ln -s "$BATS_TEST_TMPDIR/victim" "$BATS_TEST_TMPDIR/rootfs/escape"
  ln -s ../../../../../../../../../.. "$BATS_TEST_TMPDIR/rootfs/up"
  new_bundle sh -c 'ls /escape /up/sub'
  ln -sfn "$BATS_TEST_TMPDIR/rootfs" "$BUNDLE/rootfs"
  update_config '.mounts += [{"destination": "/escape", "type": "tmpfs", "source": "tmpfs"}, {"destination": "/up/sub", "type": "tmpfs", "source": "tmpfs"}]'
  run runtime run "$CID"
  [ "$status" -eq 0 ]
  # nothing was mounted on the host's directory, and the container ran
  ! grep -q "$BATS_TEST_TMPDIR/victim" /proc/self/mountinfo
  [ -z "$(ls -A "$BATS_TEST_TMPDIR/victim")" ]
  # the targets were made inside the rootfs instead
  [ -d "$BATS_TEST_TMPDIR/rootfs/$BATS_TEST_TMPDIR/victim" ]
  [ -d "$BATS_TEST_TMPDIR/rootfs/sub" ]
}

@test "--no-pivot runs the container with a moved root" {
  new_bundle sh -c 'cat /proc/self/mountinfo | wc -l; ls /'
  run runtime run --no-pivot "$CID"
  [ "$status" -eq 0 ]
  echo "$output" | grep -qx bin
}
